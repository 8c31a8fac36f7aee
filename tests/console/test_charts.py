"""The server-side SVG charts: well-formed, accessible, escaped, scaled."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from caducee.console import charts

SVG = "{http://www.w3.org/2000/svg}"


def _parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314 - our own output, parsed to check it


def test_a_line_chart_is_accessible_svg() -> None:
    svg = _parse(
        charts.line_chart(
            "g1",
            "Comptes par état",
            "Une ligne par semaine",
            ["01/12", "08/12"],
            [("Valide", [1, 3])],
        )
    )
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "g1-title g1-desc"
    assert svg.find(f"{SVG}title").text == "Comptes par état"  # type: ignore[union-attr]
    assert svg.find(f"{SVG}desc").text == "Une ligne par semaine"  # type: ignore[union-attr]
    assert len(svg.findall(f"{SVG}polyline")) == 1
    dots = svg.findall(f"{SVG}circle")
    assert [d.find(f"{SVG}title").text for d in dots] == [  # type: ignore[union-attr]
        "01/12 — Valide : 1",
        "08/12 — Valide : 3",
    ]
    assert "style" not in charts.line_chart("g", "t", "d", ["a"], [("s", [1])])  # CSP


def test_points_are_placed_on_the_scale() -> None:
    svg = _parse(charts.line_chart("g", "t", "d", ["a", "b"], [("s", [0, 4])]))
    low, high = (float(c.get("cy", "")) for c in svg.findall(f"{SVG}circle"))
    assert low == charts.TOP + charts.PLOT_HEIGHT  # 0 on the x axis
    assert high == charts.TOP  # the top of a 0–4 scale


def test_a_single_week_draws_a_dot_and_no_line() -> None:
    svg = _parse(charts.line_chart("g", "t", "d", ["a"], [("s", [2]), ("u", [1])]))
    assert svg.findall(f"{SVG}polyline") == []
    assert len(svg.findall(f"{SVG}circle")) == 2


def test_grouped_bars_one_per_series_and_label() -> None:
    svg = _parse(
        charts.bar_chart(
            "g", "t", "d", ["s1", "s2", "s3"], [("Envoyés", [1, 0, 5]), ("Reçus", [2, 2, 2])]
        )
    )
    bars = svg.findall(f"{SVG}rect")
    titles = [b.find(f"{SVG}title") for b in bars]
    labelled = [t.text for t in titles if t is not None]
    assert len(labelled) == 6 and "s3 — Envoyés : 5" in labelled
    legend = [t.text for t in svg.findall(f"{SVG}text")]
    assert "Envoyés" in legend and "Reçus" in legend


def test_horizontal_bars_write_their_value() -> None:
    svg = _parse(charts.hbar_chart("g", "t", "d", ["Actives", "Jamais utilisées"], [7, 0]))
    texts = [t.text for t in svg.findall(f"{SVG}text")]
    assert texts == ["Actives", "7", "Jamais utilisées", "0"]


def test_text_is_escaped() -> None:
    markup = charts.bar_chart("g", "<b>", "a & b", ["<x>"], [("<s>", [1])])
    svg = _parse(markup)
    assert svg.find(f"{SVG}title").text == "<b>"  # type: ignore[union-attr]
    assert "<b>" not in markup and "&lt;x&gt;" in markup


def test_no_data_says_so() -> None:
    svg = _parse(charts.line_chart("g", "t", "d", [], []))
    assert [t.text for t in svg.findall(f"{SVG}text")] == ["Aucune donnée pour l'instant."]


def test_the_scale_has_four_integer_steps() -> None:
    assert [charts.scale_top(v) for v in (0, 1, 4, 5, 9, 37, 100, 1234)] == [
        4,
        4,
        4,
        8,
        20,
        40,
        100,
        2000,
    ]


def test_many_weeks_keep_the_x_labels_readable() -> None:
    labels = [f"{n:02d}/01" for n in range(26)]
    svg = _parse(charts.line_chart("g", "t", "d", labels, [("s", list(range(26)))]))
    shown = [t.text for t in svg.findall(f"{SVG}text") if t.text in labels]
    assert len(shown) <= charts.MAX_X_LABELS + 1 and shown[-1] == "25/01"
