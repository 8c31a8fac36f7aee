"""Charts drawn on the server as inline SVG: no script, no outside file (the page's CSP
allows neither), readable by screen readers (`role="img"`, a `<title>` and a `<desc>`;
the page shows the numbers in a table under each chart as well).

Three kinds, for counts (non-negative integers): `line_chart` (one line per series over
the x labels), `bar_chart` (grouped vertical bars) and `hbar_chart` (one horizontal bar
per label). Colours are presentation attributes, not `style`, for the CSP.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 640
PLOT_HEIGHT = 200
LEFT, RIGHT, TOP, AXIS = 52, 16, 12, 28
LEGEND_ROW = 18
PALETTE = (
    "#000091",
    "#e1000f",
    "#18753c",
    "#b34000",
    "#6a6af4",
    "#a558a0",
    "#009081",
    "#666666",
)
MAX_X_LABELS = 7
INSET = 36  # room for the first and last x labels of a line chart
MAX_BAR = 48

Series = Sequence[tuple[str, Sequence[int]]]


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def scale_top(highest: int) -> int:
    """The top of the y axis: four equal integer steps (1, 2, 2.5 or 5 × 10ⁿ) reaching
    `highest`."""
    quarter = max(highest, 1) / 4
    power = 10 ** max(0, math.floor(math.log10(quarter))) if quarter >= 1 else 1
    steps = (1, 2, 2.5, 5, 10) if power >= 10 else (1, 2, 5, 10)  # integer steps only
    step = next(m * power for m in steps if m * power >= quarter)
    return int(step * 4)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _frame(ident: str, title: str, desc: str, height: int, body: list[str]) -> SafeString:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'aria-labelledby="{escape(ident)}-title {escape(ident)}-desc">',
        f'<title id="{escape(ident)}-title">{escape(title)}</title>',
        f'<desc id="{escape(ident)}-desc">{escape(desc)}</desc>',
        *body,
        "</svg>",
    ]
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _empty(ident: str, title: str, desc: str) -> SafeString:
    text = (
        f'<text x="{WIDTH / 2}" y="40" text-anchor="middle" font-size="14" fill="#666666">'
        "Aucune donnée pour l'instant.</text>"
    )
    return _frame(ident, title, desc, 64, [text])


def _y_axis(top: int) -> list[str]:
    out: list[str] = []
    for i in range(5):
        value = top * i / 4
        y = TOP + PLOT_HEIGHT - PLOT_HEIGHT * i / 4
        out.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{_fmt(y)}" y2="{_fmt(y)}" '
            f'stroke="#dddddd" stroke-width="1"/>'
            f'<text x="{LEFT - 6}" y="{_fmt(y + 4)}" text-anchor="end" font-size="11" '
            f'fill="#333333">{int(value)}</text>'
        )
    return out


def _x_labels(labels: Sequence[str], centres: list[float]) -> list[str]:
    every = max(1, math.ceil(len(labels) / MAX_X_LABELS))
    base = TOP + PLOT_HEIGHT + 16
    return [
        f'<text x="{_fmt(x)}" y="{base}" text-anchor="middle" font-size="11" fill="#333333">'
        f"{escape(label)}</text>"
        for i, (label, x) in enumerate(zip(labels, centres, strict=True))
        if (len(labels) - 1 - i) % every == 0  # the latest always, evenly spaced
    ]


def _legend_width(name: str) -> int:
    return 32 + 8 * len(name)


def _legend(series: Series, top: int) -> list[str]:
    out: list[str] = []
    x, y = LEFT, top
    for i, (name, _) in enumerate(series):
        width = _legend_width(name)
        if x + width > WIDTH - RIGHT and x > LEFT:
            x, y = LEFT, y + LEGEND_ROW
        out.append(
            f'<rect x="{x}" y="{y - 9}" width="12" height="12" fill="{colour(i)}"/>'
            f'<text x="{x + 16}" y="{y + 1}" font-size="12" fill="#333333">{escape(name)}</text>'
        )
        x += width
    return out


def _legend_rows(series: Series) -> int:
    rows, x = 1, LEFT
    for name, _ in series:
        width = _legend_width(name)
        if x + width > WIDTH - RIGHT and x > LEFT:
            rows, x = rows + 1, LEFT
        x += width
    return rows


def _height(series: Series) -> int:
    return TOP + PLOT_HEIGHT + AXIS + LEGEND_ROW * _legend_rows(series) + 4


def _point_title(label: str, name: str, value: int) -> str:
    return f"<title>{escape(label)} — {escape(name)} : {value}</title>"


def line_chart(
    ident: str, title: str, desc: str, labels: Sequence[str], series: Series
) -> SafeString:
    """One line (and a dot per point) per series; a single x label draws dots only."""
    if not labels or not series:
        return _empty(ident, title, desc)
    top = scale_top(max(max(values, default=0) for _, values in series))
    plot_width = WIDTH - LEFT - RIGHT - 2 * INSET
    step = plot_width / max(len(labels) - 1, 1)
    first = LEFT + INSET
    xs = [first + (plot_width / 2 if len(labels) == 1 else step * i) for i in range(len(labels))]
    body = _y_axis(top)
    for s, (name, values) in enumerate(series):
        ys = [TOP + PLOT_HEIGHT - PLOT_HEIGHT * v / top for v in values]
        points = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in zip(xs, ys, strict=True))
        if len(labels) > 1:
            body.append(
                f'<polyline points="{points}" fill="none" stroke="{colour(s)}" stroke-width="2"/>'
            )
        for label, x, y, v in zip(labels, xs, ys, values, strict=True):
            body.append(
                f'<circle cx="{_fmt(x)}" cy="{_fmt(y)}" r="3" fill="{colour(s)}">'
                f"{_point_title(label, name, v)}</circle>"
            )
    body += _x_labels(labels, xs)
    body += _legend(series, TOP + PLOT_HEIGHT + AXIS + 10)
    return _frame(ident, title, desc, _height(series), body)


def bar_chart(
    ident: str, title: str, desc: str, labels: Sequence[str], series: Series
) -> SafeString:
    """Grouped vertical bars: one group per x label, one bar per series."""
    if not labels or not series:
        return _empty(ident, title, desc)
    top = scale_top(max(max(values, default=0) for _, values in series))
    group = (WIDTH - LEFT - RIGHT) / len(labels)
    bar = min(group * 0.8 / len(series), MAX_BAR)
    padding = (group - bar * len(series)) / 2
    body = _y_axis(top)
    centres: list[float] = []
    for i, label in enumerate(labels):
        start = LEFT + group * i + padding
        centres.append(LEFT + group * i + group / 2)
        for s, (name, values) in enumerate(series):
            height = PLOT_HEIGHT * values[i] / top
            body.append(
                f'<rect x="{_fmt(start + bar * s)}" y="{_fmt(TOP + PLOT_HEIGHT - height)}" '
                f'width="{_fmt(max(bar - 1, 1))}" height="{_fmt(height)}" fill="{colour(s)}">'
                f"{_point_title(label, name, values[i])}</rect>"
            )
    body += _x_labels(labels, centres)
    body += _legend(series, TOP + PLOT_HEIGHT + AXIS + 10)
    return _frame(ident, title, desc, _height(series), body)


def hbar_chart(
    ident: str, title: str, desc: str, labels: Sequence[str], values: Sequence[int]
) -> SafeString:
    """One horizontal bar per label, its value written after it."""
    if not labels:
        return _empty(ident, title, desc)
    left, row = 230, 28
    top = scale_top(max(values, default=0))
    span = WIDTH - left - RIGHT - 48
    body: list[str] = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = TOP + row * i
        width = span * value / top
        body.append(
            f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12" '
            f'fill="#333333">{escape(label)}</text>'
            f'<rect x="{left}" y="{y + 3}" width="{_fmt(width)}" height="18" fill="{colour(i)}">'
            f"<title>{escape(label)} : {value}</title></rect>"
            f'<text x="{_fmt(left + width + 6)}" y="{y + 16}" font-size="12" '
            f'fill="#333333">{value}</text>'
        )
    return _frame(ident, title, desc, TOP * 2 + row * len(labels), body)
