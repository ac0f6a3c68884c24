"""The review's charts, drawn as inline SVG (no external assets, no JavaScript).

Each chart carries its own font and size as SVG presentation attributes, so that it lays out the
same inside the web UI's page, in the downloaded HTML and in the PDF: text sized by the page
around it was what made legend labels and axis titles overlap in the UI. Legend entries are
placed by the width of their words, estimated per character (CJK characters are a full em)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from html import escape

from accord.cooperation.review import DirectionFigures
from accord.cooperation.review_words import Words, bucket

FONT_SIZE = 11
FONT_FAMILY = "Arial, Helvetica, 'Noto Sans CJK SC', 'Noto Sans SC', sans-serif"
# Chinese first where the chart is in Chinese: after a Latin font without its characters, the
# renderer's fallback (fontconfig's, by language) took the Japanese forms of Noto CJK.
FONT_FAMILY_CHINESE = "'Noto Sans CJK SC', 'Noto Sans SC', Arial, Helvetica, sans-serif"
ACK_COLOUR, ANSWER_COLOUR, BAR_COLOUR = "#3b6ea5", "#d9822b", "#5f7f3f"


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """A generous estimate of the width of `text` in a sans-serif font: wide (CJK) characters
    take a full em, others about 0.62 em."""
    return sum(size if unicodedata.east_asian_width(c) in ("W", "F") else 0.62 * size
               for c in text)


def _svg(w: Words, width: float, height: int, label: str, parts: Sequence[str]) -> str:
    family = FONT_FAMILY_CHINESE if w.language.startswith("zh") else FONT_FAMILY
    return (f"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0f}\" height=\"{height}\" "
            f"viewBox=\"0 0 {width:.0f} {height}\" role=\"img\" aria-label=\"{escape(label)}\" "
            f"lang=\"{escape(w.language)}\" font-family=\"{escape(family)}\" "
            f"font-size=\"{FONT_SIZE}\" fill=\"#111\">"
            f"<title>{escape(label)}</title>" + "".join(parts) + "</svg>")


def _text(x: float, y: float, text: str, anchor: str = "middle", extra: str = "",
          kind: str = "") -> str:
    css_class = f" class=\"{kind}\"" if kind else ""
    return (f"<text x=\"{x:.1f}\" y=\"{y:.1f}\" text-anchor=\"{anchor}\"{css_class}{extra}>"
            f"{escape(text)}</text>")


def _rect(x: float, y: float, width: float, height: float, colour: str, tip: str) -> str:
    return (f"<rect x=\"{x:.1f}\" y=\"{y:.1f}\" width=\"{width:.1f}\" height=\"{height:.1f}\" "
            f"fill=\"{colour}\"><title>{escape(tip)}</title></rect>")


def _axes(left: int, top: int, width: float, height: int,
          ticks: Sequence[tuple[float, str]], y_title: str, x_title: str) -> list[str]:
    """A y axis with gridlines at `ticks` (fraction of the height, label), an x axis, titles.
    The y title stands left of the widest tick label (`left` leaves room for both)."""
    parts = []
    for fraction, label in ticks:
        y = top + height * (1 - fraction)
        parts.append(f"<line x1=\"{left}\" x2=\"{left + width:.1f}\" y1=\"{y:.1f}\" "
                     f"y2=\"{y:.1f}\" stroke=\"#ccc\"/>")
        parts.append(_text(left - 6, y + 4, label, "end", kind="tick"))
    parts.append(f"<line x1=\"{left}\" x2=\"{left + width:.1f}\" y1=\"{top + height}\" "
                 f"y2=\"{top + height}\" stroke=\"#111\"/>")
    parts.append(f"<line x1=\"{left}\" x2=\"{left}\" y1=\"{top}\" y2=\"{top + height}\" "
                 "stroke=\"#111\"/>")
    middle = top + height / 2
    parts.append(_text(14, middle, y_title, kind="axis-title",
                       extra=f" transform=\"rotate(-90 14 {middle:.1f})\""))
    parts.append(_text(left + width / 2, top + height + 34, x_title, kind="axis-title"))
    return parts


def _left_margin(ticks: Sequence[tuple[float, str]]) -> int:
    """Room for the rotated y title (about 22 px) and the widest tick label."""
    return int(28 + max(text_width(label) for _, label in ticks) + 8)


def on_time_chart(w: Words, f: DirectionFigures, heading: str) -> str:
    """Grouped bars per quarter: the share of its requests acknowledged and answered on time."""
    if not f.quarters:
        return ""
    label = w._("{heading}: share of requests acknowledged and answered on time, by quarter",
                heading=heading)
    acknowledged, answered = w._("acknowledged on time"), w._("answered on time")
    ticks = [(i / 4, f"{25 * i}%") for i in range(5)]
    left, top, plot_h = _left_margin(ticks), 30, 180
    # The legend sits on one line above the plot: the plot is at least as wide as it.
    legend_w = text_width(acknowledged) + text_width(answered) + 2 * 14 + 24
    plot_w = max(300.0, 90.0 * len(f.quarters), legend_w)
    parts = _axes(left, top, plot_w, plot_h, ticks, w._("On time (% of requests)"),
                  w._("Quarter the request was received"))
    group_w = plot_w / len(f.quarters)
    bar_w = group_w * 0.32
    for i, (quarter, figures) in enumerate(f.quarters.items()):
        x0 = left + group_w * i + group_w * 0.16
        for j, (count, colour, what) in enumerate((
                (figures.acknowledged_on_time, ACK_COLOUR, acknowledged),
                (figures.answered_on_time, ANSWER_COLOUR, answered))):
            share = count / figures.requests if figures.requests else 0.0
            x, height = x0 + j * bar_w, plot_h * share
            percent = format(100 * share, ".1f")
            tip = w._("{quarter}: {count} of {total} {what} ({share}%)", quarter=quarter,
                      count=count, total=figures.requests, what=what, share=percent)
            parts.append(_rect(x, top + plot_h - height, bar_w, height, colour, tip))
            parts.append(_text(x + bar_w / 2, top + plot_h - height - 3, f"{100 * share:.0f}%"))
        parts.append(_text(left + group_w * (i + 0.5), top + plot_h + 16, quarter))
    legend_y, x = 14, float(left)
    for colour, what in ((ACK_COLOUR, acknowledged), (ANSWER_COLOUR, answered)):
        parts.append(f"<rect x=\"{x:.1f}\" y=\"{legend_y - 9}\" width=\"10\" height=\"10\" "
                     f"fill=\"{colour}\"/>")
        parts.append(_text(x + 14, legend_y, what, "start", kind="legend"))
        x += 14 + text_width(what) + 24
    return _svg(w, left + plot_w + 16, top + plot_h + 44, label, parts)


def _nice_step(largest: int) -> int:
    """A round tick step (1, 2 or 5 times a power of ten) giving at most five steps."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if largest <= step * factor * 5:
                return step * factor
        step *= 10


def histogram_chart(w: Words, f: DirectionFigures, heading: str) -> str:
    buckets = f.hours_to_answer_histogram
    if not buckets or not sum(buckets.values()):
        return ""
    label = w._("{heading}: how long answers took, from receipt", heading=heading)
    largest = max(buckets.values())
    step = _nice_step(largest)
    top_value = step * -(-largest // step)
    ticks = [(v / top_value, str(v)) for v in range(0, top_value + 1, step)]
    left, top, plot_w, plot_h = _left_margin(ticks), 20, 420, 180
    parts = _axes(left, top, plot_w, plot_h, ticks, w._("Answers"),
                  w._("Time from receipt to answer"))
    bar_w = plot_w / len(buckets)
    for i, (name, count) in enumerate(buckets.items()):
        short, words = bucket(w, name)
        height = plot_h * count / top_value
        x = left + bar_w * i
        parts.append(_rect(x + bar_w * 0.1, top + plot_h - height, bar_w * 0.8, height,
                           BAR_COLOUR, w._("{bucket}: {count} answers", bucket=words,
                                           count=count)))
        parts.append(_text(x + bar_w / 2, top + plot_h - height - 3, str(count)))
        parts.append(_text(x + bar_w / 2, top + plot_h + 16, short))
    return _svg(w, left + plot_w + 16, top + plot_h + 44, label, parts)
