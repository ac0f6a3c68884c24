"""Descriptions written in Markdown (MITRE ATT&CK writes every description so), rendered safely:
no HTML of the author's passes through, links go only to http(s) addresses, images are not
loaded, and ATT&CK's "(Citation: Name)" becomes a numbered reference to the object's own
external_references (or goes, tidily, when no reference has that name)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from markdown_it import MarkdownIt
from markupsafe import Markup

# ATT&CK's form: "(Citation: FireEye APT19)", often several in a row.
CITATION = re.compile(r"\s*\(Citation:\s*([^)]+?)\s*\)")
# Private-use characters hold a citation's place through the Markdown renderer, which passes
# them untouched; any in the author's text are removed first, so none can be forged.
_OPEN, _CLOSE = "\ue000", "\ue001"
_PLACE = re.compile(f"{_OPEN}(\\d+){_CLOSE}")
MARKDOWN_PROPERTIES = ("description", "x_mitre_detection")


def _is_web_link(url: str) -> bool:
    return url.lower().startswith(("https://", "http://"))


@cache
def _renderer() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False})
    md.disable(["image", "html_inline", "html_block"])
    md.validateLink = _is_web_link  # type: ignore[method-assign]

    def link_open(renderer: Any, tokens: Any, index: int, options: Any, env: Any) -> str:
        tokens[index].attrSet("rel", "noopener noreferrer")
        return str(renderer.renderToken(tokens, index, options, env))

    md.add_render_rule("link_open", link_open)
    return md


def citation_numbers(references: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Each external reference's number (its place in the list, from 1), by source_name."""
    numbers: dict[str, int] = {}
    for place, reference in enumerate(references, start=1):
        name = reference.get("source_name")
        if isinstance(name, str):
            numbers.setdefault(name, place)
    return numbers


def markdown(text: str, references: Sequence[Mapping[str, Any]] = (), *,
             inline: bool = False) -> Markup:
    """`text` as safe HTML; citations as links to `#ref-N` (the page's list of references);
    `inline`: one line with no paragraph around it (a reference's own description)."""
    numbers = citation_numbers(references)
    clean = text.replace(_OPEN, "").replace(_CLOSE, "")

    def place(match: re.Match[str]) -> str:
        number = numbers.get(match.group(1))
        return f"{_OPEN}{number}{_CLOSE}" if number is not None else ""

    source = CITATION.sub(place, clean)
    html = _renderer().renderInline(source) if inline else _renderer().render(source)

    def cite(match: re.Match[str]) -> str:
        number = int(match.group(1))
        name = str(references[number - 1].get("source_name", ""))
        return str(Markup('<sup class="cite"><a href="#ref-{n}" title="{name}">[{n}]</a></sup>')
                   .format(n=number, name=name))

    return Markup(_PLACE.sub(cite, html))  # noqa: S704 - built by the renderer, HTML disabled
