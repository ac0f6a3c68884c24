"""The mechanism's refusals (the desk's, the attribution record's, the guidelines') as the
REST API says them: the command line's flags they name (`--share-with: no party …`) named as
the body's fields, and each field a refusal is about (`Refusal.about`, in the mechanism's
names) located in the Problem's `errors`, as the API's own refusals of a field are."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import BaseModel

from accord.api.problems import Refused
from accord.i18n import Refusal

_FLAG = re.compile(r"(?<![\w-])--([a-z][a-z-]*)\b")


def _word(name: str) -> str:
    return name.replace("-", "_")


def fields_of(model: type[BaseModel], **also: str) -> dict[str, str]:
    """Where each field of a body is (`body.to`), and where the fields are that the mechanism
    names otherwise, in what a refusal is about or in its flags (`also`:
    addressee="body.to", share_with="body.shared_with", for a request's body)."""
    return {**{name: f"body.{name}" for name in model.model_fields}, **also}


def located(status: int, refusal: Exception, fields: Mapping[str, str]) -> Refused:
    """The refusal as a Problem: its words (the flags named as the fields they stand for), and
    where in the body each field it is about is (`fields`: fields_of; a part of one,
    "texts.colour", within it: body.texts.colour). A field `fields` does not place is left
    out: it is no part of this body."""
    words = _said(refusal, fields)
    where: dict[str, str] = {}
    for name in refusal.about if isinstance(refusal, Refusal) else ():
        head, dot, rest = name.partition(".")
        found = fields.get(head)
        if found is None:
            continue
        found += dot + rest
        leaf = found.rsplit(".", 1)[-1]
        # "body.to: no party …" is, at body.to, "no party …"; "legal basis: …" at
        # body.legal_basis, "…"
        where.setdefault(found, next((words[len(p):] for p in (
            f"{found}: ", f"{leaf}: ", f"{leaf.replace('_', ' ')}: ")
            if words.startswith(p)), words))
    return Refused(status, words, where)


def _said(refusal: Exception, fields: Mapping[str, str]) -> str:
    """The refusal's words, each flag named as the field it stands for: in its message and in
    the values of the catalogue's words (a field's name) that fill it, never in what else
    fills it (a party's name, typed by someone)."""
    def field(m: re.Match[str]) -> str:
        return fields.get(_word(m.group(1)), "body." + _word(m.group(1)))

    if not isinstance(refusal, Refusal) or not refusal.values:
        return _FLAG.sub(field, str(refusal))
    values = {name: _FLAG.sub(field, value)
              if name in type(refusal).TRANSLATED and isinstance(value, str) else value
              for name, value in refusal.values.items()}
    return _FLAG.sub(field, refusal.message).format(**values)
