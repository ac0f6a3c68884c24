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

# ATT&CK's form: "(Citation: FireEye APT19)", often several in a row. Found by `_cited`, not
# a regular expression: r"\s*\(Citation:\s*([^)]+?)\s*\)" took time in the square of the
# text's length ("(Citation: " 16,000 times, 176 KB: 79 s of the server's CPU, every other
# request waiting on the interpreter meanwhile).
_CITATION = "(Citation:"
# A citation's name longer than this is not one (ATT&CK's longest are about 60 characters).
MOST_CITATION_CHARS = 300
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


def _cited(text: str, numbers: Mapping[str, int]) -> str:
    """`text` with each "(Citation: Name)" (and the spaces before it) replaced by its number's
    placeholder, or removed when no reference has that name; in one pass over the text."""
    parts: list[str] = []
    start = close = 0
    while (at := text.find(_CITATION, start)) != -1:
        if close <= at:  # the first ")" after it: found again only once passed
            close = text.find(")", at)
            if close == -1:
                break
        if close - at - len(_CITATION) > MOST_CITATION_CHARS:  # measured before it is cut
            parts.append(text[start:at + len(_CITATION)])
            start = at + len(_CITATION)
            continue
        number = numbers.get(text[at + len(_CITATION):close].strip())
        parts.append(text[start:at].rstrip())
        parts.append(f"{_OPEN}{number}{_CLOSE}" if number is not None else "")
        start = close + 1
    parts.append(text[start:])
    return "".join(parts)


def markdown(text: str, references: Sequence[Mapping[str, Any]] = (), *,
             inline: bool = False, numbers: Mapping[str, int] | None = None) -> Markup:
    """`text` as safe HTML; citations as links to `#ref-N` (the page's list of references);
    `inline`: one line with no paragraph around it (a reference's own description);
    `numbers`: citation_numbers(references), where the caller has them already."""
    if numbers is None:
        numbers = citation_numbers(references)
    clean = text.replace(_OPEN, "").replace(_CLOSE, "")
    source = _cited(clean, numbers)
    html = _renderer().renderInline(source) if inline else _renderer().render(source)

    def cite(match: re.Match[str]) -> str:
        number = int(match.group(1))
        name = str(references[number - 1].get("source_name", ""))
        return str(Markup('<sup class="cite"><a href="#ref-{n}" title="{name}">[{n}]</a></sup>')
                   .format(n=number, name=name))

    return Markup(_PLACE.sub(cite, html))  # noqa: S704 - built by the renderer, HTML disabled
