"""The relationship graph: every label escaped, every neighbour a link, at most 14 drawn."""

from __future__ import annotations

from accord.web.graph import Edge, svg


def test_labels_are_escaped_and_neighbours_are_links():
    edges = [Edge("malware--1", "<b>Sakula</b>", "malware", "uses", True),
             Edge("intrusion-set--2", 'APT"19', "intrusion-set", "attributed-to", False)]
    drawn = svg("intrusion-set--9", "Deep Panda & co", "intrusion-set", edges)
    assert drawn.startswith("<svg") and drawn.endswith("</svg>")
    assert "<b>" not in drawn and "&lt;b&gt;Sakula&lt;/b&gt;" in drawn
    assert "APT&quot;19" in drawn and "Deep Panda &amp; co" in drawn
    assert 'href="/ui/objects/malware--1"' in drawn
    assert "← attributed-to" in drawn  # the neighbour is the source


def test_at_most_fourteen_neighbours_are_drawn():
    edges = [Edge(f"tool--{n}", f"tool {n}", "tool", "uses", True) for n in range(30)]
    assert svg("malware--1", "x", "malware", edges).count("<circle") == 15
