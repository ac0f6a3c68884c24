"""A refusal said on a page: in the reader's language where its words are in the catalogue
(i18n.Refusal: the desk's, the attribution record's, the directory's), the command line's
flags named as the form's fields."""

from __future__ import annotations

from accord.cooperation.refusals import Code, Codes, Moment
from accord.i18n import Refusal
from accord.i18n.catalogue import catalogue
from accord.web.codes import word
from accord.web.core import Ctx


def said(ctx: Ctx, error: Exception) -> str:
    """Why the desk (or the directory, the record) refused, in the reader's language where the
    refusal is in the catalogue."""
    if isinstance(error, Refusal):
        # The flags named as fields in the words only, never in what fills them (an alias,
        # a party's name, typed by someone); the times it names in the reader's zone, where
        # the form asked for them.
        words = catalogue(ctx.language)
        if any(isinstance(v, Moment | Code | Codes) for v in error.values.values()):
            error = type(error)(error.message, about=error.about, conflict=error.conflict, **{
                k: ctx.clockface.text(v.at) if isinstance(v, Moment)
                else _Said(word(ctx.language, v.vocabulary, v.code)) if isinstance(v, Code)
                else _Said(words.gettext(", ").join(word(ctx.language, v.vocabulary, c)
                                                    for c in v.codes))
                if isinstance(v, Codes) else v for k, v in error.values.items()})
        return error.words(lambda message: plain(words.gettext(message)))
    return plain(str(error))


def plain(message: str) -> str:
    """The desk speaks to the command line (--reason); on a page the field has a label."""
    for flag, text in (("(--reason)", ""), ("--score ", "score "), ("--to", "addressee"),
                       ("--share-with", "share with"), ("--attributed-to", "attributed to"),
                       ("--sponsor", "sponsoring state")):
        message = message.replace(flag, text)
    return " ".join(message.split())


class _Said(str):
    """A code's words, quoted as the words themselves where a message quotes the code."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"“{self}”"
