"""A small relationship graph as inline SVG: the object in the middle, its neighbours around
it, every node a link. Pure: ids, labels and types in, markup out."""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT, RADIUS = 640, 420, 150
# Colours by kind of object, readable on white (WCAG AA against the label's white box).
COLOURS = {
    "intrusion-set": "#8a3b12", "threat-actor": "#8a3b12", "campaign": "#8a3b12",
    "malware": "#a3153a", "tool": "#6b3fa0", "attack-pattern": "#1f5f8b",
    "indicator": "#2f6b2f", "infrastructure": "#5c5c00", "identity": "#444444",
    "course-of-action": "#00606b", "vulnerability": "#8b1f1f", "report": "#3d4f7a",
}


@dataclass(frozen=True, slots=True)
class Edge:
    other_id: str
    other_label: str
    other_type: str
    verb: str  # e.g. "uses", or "→ created_by_ref"
    outgoing: bool  # the object is the source


def _short(text: str, limit: int = 26) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def svg(center_id: str, center_label: str, center_type: str, edges: list[Edge],
        described: str = "Relationships of {name}") -> str:
    """`described`: the drawing's accessible name in the reader's words ({name}: the object)."""
    shown = edges[:14]
    cx, cy = WIDTH / 2, HEIGHT / 2
    name = escape(described.format(name=center_label))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'class="graph" role="img" aria-label="{name}">']
    places = []
    for i, edge in enumerate(shown):
        angle = 2 * math.pi * i / max(1, len(shown)) - math.pi / 2
        x, y = cx + RADIUS * 1.6 * math.cos(angle), cy + RADIUS * math.sin(angle)
        places.append((x, y))
        parts.append(f'<line x1="{cx:.0f}" y1="{cy:.0f}" x2="{x:.0f}" y2="{y:.0f}" '
                     'stroke="#9aa3ad" stroke-width="1.5"/>')
        mx, my = (cx + x) / 2, (cy + y) / 2
        verb = edge.verb if edge.outgoing else f"← {edge.verb}"
        parts.append(f'<text x="{mx:.0f}" y="{my:.0f}" class="verb" text-anchor="middle">'
                     f"{escape(_short(verb, 22))}</text>")
    for edge, (x, y) in zip(shown, places, strict=True):
        colour = COLOURS.get(edge.other_type, "#3a3a3a")
        parts.append(f'<a href="/ui/objects/{escape(edge.other_id)}">'
                     f'<title>{escape(edge.other_type)}: {escape(edge.other_label)}</title>'
                     f'<circle cx="{x:.0f}" cy="{y:.0f}" r="7" fill="{colour}"/>'
                     f'<text x="{x:.0f}" y="{y + 20:.0f}" text-anchor="middle" class="label">'
                     f"{escape(_short(edge.other_label))}</text></a>")
    colour = COLOURS.get(center_type, "#3a3a3a")
    parts.append(f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="11" fill="{colour}"/>'
                 f'<text x="{cx:.0f}" y="{cy + 26:.0f}" text-anchor="middle" class="center">'
                 f"{escape(_short(center_label, 34))}</text>")
    parts.append("</svg>")
    return "".join(parts)
