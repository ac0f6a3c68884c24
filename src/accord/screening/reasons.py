"""Why a name matched, as words any language can say — pure, no I/O.

A reason is a template (its English text, which is also the message a catalogue translates)
and the values it names: names as written, which no language changes, or runs of further
reasons, joined as the reader's language joins them. English is the reason rendered with no
catalogue (`Said.english`): what the REST API, the command line and the audit trail say. A page
in another language renders the same reason from its catalogue; a reason kept as JSON (a
screening flag) is read back and rendered the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from accord.i18n import N_

# How a run of reasons is joined, in English (the catalogue's messages for the others).
COMMA = N_(", ")
AND = N_(" and ")
SEMICOLON = N_("; ")
QUOTED = N_("'{word}'")



@dataclass(frozen=True, slots=True)
class Run:
    """Reasons said one after another, joined by `joiner` (one of the joiners above)."""

    parts: tuple[Said, ...]
    joiner: str = COMMA


@dataclass(frozen=True, slots=True)
class Said:
    template: str
    values: tuple[tuple[str, str | Run], ...] = ()

    def english(self) -> str:
        return self.render(lambda message: message)

    def render(self, translate: Callable[[str], str]) -> str:
        """In the language `translate` (a catalogue's gettext) says its messages in."""
        values = {name: _rendered(value, translate) for name, value in self.values}
        return translate(self.template).format(**values)

    def as_json(self) -> dict[str, Any]:
        return {"said": self.template, "values": {
            name: value if isinstance(value, str)
            else {"run": [part.as_json() for part in value.parts], "joiner": value.joiner}
            for name, value in self.values}}


def say(template: str, **values: str | Run) -> Said:
    return Said(template, tuple(values.items()))


def run(parts: list[Said] | tuple[Said, ...], joiner: str = COMMA) -> Run:
    return Run(tuple(parts), joiner)


def said_from_json(data: Mapping[str, Any]) -> Said:
    """A reason kept as JSON (Said.as_json), read back. ValueError when it is not one."""
    try:
        values: list[tuple[str, str | Run]] = []
        for name, value in dict(data["values"]).items():
            if isinstance(value, str):
                values.append((str(name), value))
            else:
                values.append((str(name), Run(tuple(said_from_json(p) for p in value["run"]),
                                              str(value["joiner"]))))
        return Said(str(data["said"]), tuple(values))
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not a screening reason: {error}") from None


def _rendered(value: str | Run, translate: Callable[[str], str]) -> str:
    if isinstance(value, str):
        return value
    return translate(value.joiner).join(part.render(translate) for part in value.parts)


def quoted(words: object) -> Run:
    """Names as a reason quotes them: 'a', 'b' (in another language, its quotation marks)."""
    return run([say(QUOTED, word=str(w)) for w in words])  # type: ignore[attr-defined]
