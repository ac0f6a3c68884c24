"""ATT&CK's Markdown descriptions on a page: rendered, never a way in for HTML or scripts, and
their "(Citation: …)" turned into references to the object's own external_references."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.web.prose import MOST_CITATION_CHARS, _cited, markdown

REFERENCES = [{"source_name": "mitre-attack", "external_id": "G0073"},
              {"source_name": "FireEye APT19", "url": "https://www.fireeye.com/apt19"}]


def test_markdown_is_rendered_and_citations_become_numbered_references():
    html = markdown("[APT19](https://attack.mitre.org/groups/G0073) is a **Chinese** group."
                    "(Citation: FireEye APT19)", REFERENCES)
    assert '<a href="https://attack.mitre.org/groups/G0073" rel="noopener noreferrer">APT19</a>' \
        in html
    assert "<strong>Chinese</strong>" in html
    assert '<a href="#ref-2" title="FireEye APT19">[2]</a>' in html
    assert "Citation" not in html


def test_a_citation_of_no_reference_goes_tidily():
    assert markdown("Seen in 2016. (Citation: Nowhere)", REFERENCES) == "<p>Seen in 2016.</p>\n"


def test_html_and_links_other_than_http_are_not_made():
    html = markdown('<script>alert(1)</script> [x](javascript:alert(1)) [y](data:text/html,z) '
                    '<img src=x onerror=alert(1)> ![i](https://tracker.example/p.png)', [])
    assert "<script" not in html and "<img" not in html
    assert 'href="javascript' not in html and 'href="data' not in html
    assert "&lt;script&gt;" in html


def test_a_reference_description_is_rendered_inline():
    assert markdown("APT19 (Citation: FireEye APT19)", REFERENCES, inline=True) == \
        'APT19<sup class="cite"><a href="#ref-2" title="FireEye APT19">[2]</a></sup>'


def test_placeholder_characters_in_the_text_cannot_forge_a_citation():
    assert "cite" not in markdown("\ue0002\ue001 and \ue000", REFERENCES)


@given(st.text())
def test_no_text_makes_a_tag_the_renderer_does_not_make(text: str):
    html = markdown(text, REFERENCES)
    for tag in ("<script", "<iframe", "<img", "<svg", "<object", " onerror=", " onclick="):
        assert tag not in html.lower()


class _Scanned(str):
    """A text that counts the characters its `find` calls look at."""

    looked = 0

    def find(self, sub: str, start: int = 0, *args: int) -> int:  # type: ignore[override]
        found = str.find(self, sub, start, *args)
        _Scanned.looked += (found + len(sub) if found != -1 else len(self)) - start
        return found


@pytest.mark.parametrize("hostile", [
    "(Citation: " * 16_000,  # no ")" at all
    "(Citation: " * 16_000 + ")",  # one, at the very end
    " " * 40_000 + "x",  # spaces that are no citation's
    "(Citation: a)" * 8_000,
])
def test_citations_are_found_in_one_pass_whatever_the_text(hostile: str):
    # r"\s*\(Citation:\s*([^)]+?)\s*\)" took time in the square of the length: 79 s of the
    # server's CPU for the first of these, on every view of the object's page.
    _Scanned.looked = 0
    out = _cited(_Scanned(hostile), {"a": 1})
    assert _Scanned.looked <= 2 * len(hostile) + 100
    assert "\ue000" not in out or out == "\ue0001\ue001" * 8_000


def test_a_citation_name_past_the_bound_is_left_as_written():
    long = "x" * (MOST_CITATION_CHARS + 1)
    assert _cited(f"text (Citation: {long})", {long: 1}) == f"text (Citation: {long})"
    assert _cited("text (Citation:  Known ) end", {"Known": 2}) == "text\ue0002\ue001 end"
