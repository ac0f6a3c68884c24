"""The mechanism's refusals (the desk's, the attribution record's, the guidelines') as the
REST API says them: the command line's flags they name (`--share-with: no party …`) named as
the body's fields, and each field a refusal is about located in the Problem's `errors`, as
the API's own refusals of a field are."""

from __future__ import annotations

import re
from collections.abc import Mapping

from pydantic import BaseModel

from accord.api.problems import Refused
from accord.cooperation.guidelines import RequestIncomplete
from accord.cooperation.refusals import Code
from accord.cooperation.translating import LanguagesMissing
from accord.i18n import Refusal

_FLAG = re.compile(r"(?<![\w-])--([a-z][a-z-]*)\b")
# A refusal about one field names it first: "evidence: no object …", "sponsor 'XX': give …",
# "lang 'x' is not …", "legal basis: …", "competing claim X: …", "{what}: …".
_NAMED_FIRST = re.compile(r"(?:--)?([a-z][a-z_-]*(?: [a-z]+)?)(?=:| \{| ')")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_FILLED_FIRST = ("what", "name", "field")  # the places a refusal's first word may be


def _word(name: str) -> str:
    return name.replace("-", "_").replace(" ", "_")


def fields_of(model: type[BaseModel], **also: str) -> dict[str, str]:
    """Where each field of a body is (`body.to`), and where the words a refusal may use for
    one are (`also`: share_with="body.shared_with", for a request's body)."""
    return {**{name: f"body.{name}" for name in model.model_fields}, **also}


def located(status: int, refusal: Exception, fields: Mapping[str, str]) -> Refused:
    """The refusal as a Problem: its words (the flags named as the fields they stand for), and
    where in the body each field it names is (`fields`: fields_of)."""
    words = _said(refusal, fields)
    where: dict[str, str] = {}
    for name in _named(refusal):
        found = fields.get(_word(name))
        if found is not None and found not in where:
            leaf = found.rsplit(".", 1)[-1]
            # "body.to: no party …" is, at body.to, "no party …"
            where[found] = next((words[len(p):] for p in (f"{found}: ", f"{name}: ",
                                                          f"{leaf}: ")
                                 if words.startswith(p)), words)
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


def _named(refusal: Exception) -> list[str]:
    """The fields a refusal is about, as it names them: first in its words, or as a flag."""
    if isinstance(refusal, RequestIncomplete):
        return list(refusal.missing)  # summary, activity, evidence …
    if isinstance(refusal, LanguagesMissing):
        return ["translations"]
    if isinstance(refusal, Refusal) and refusal.values:
        message = refusal.message
        for place in _FILLED_FIRST:
            value = refusal.values.get(place)
            value = value.code if isinstance(value, Code) else value  # a property's name
            if message.startswith("{" + place + "}") and isinstance(value, str):
                message = value + message[len(place) + 2:]
    else:  # words written whole: what quotes is someone's, and names nothing here
        message = _QUOTED.sub("''", str(refusal))
    first = _NAMED_FIRST.match(message)
    return ([first.group(1)] if first else []) + _FLAG.findall(message)
