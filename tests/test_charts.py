"""Charts: accessible SVG (role, title, desc), the same data as the table, deterministic, ids unique per chart."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from appraisal_impact import charts

SVG = "{http://www.w3.org/2000/svg}"


def _line(chart_id="chart-a", description="Demand passes capacity in 2027/28 Q1."):
    return charts.line_chart(
        chart_id=chart_id,
        title="Chairs: capacity & demand",
        description=description,
        x_label="Financial quarter",
        y_label="Chair hours a week",
        x_labels=["2026/27 Q1", "2026/27 Q2", "2026/27 Q3"],
        series=[charts.Series("Capacity", (50.0, 50.0, 50.0)), charts.Series("Demand", (40.0, 45.5, None))],
        markers=[charts.Marker(1, "Runs out")],
    )


def test_svg_is_an_accessible_image_with_title_and_desc():
    chart = _line()
    root = ET.fromstring(chart.svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "chart-a-title chart-a-desc"
    children = list(root)
    assert children[0].tag == f"{SVG}title" and children[0].text == "Chairs: capacity & demand"
    assert children[0].get("id") == "chart-a-title"
    assert children[1].tag == f"{SVG}desc" and children[1].text == "Demand passes capacity in 2027/28 Q1."
    assert root.get("width") is None and root.get("height") is None and root.get("viewBox")  # scales and prints
    assert not chart.svg.startswith("<?xml")


def test_text_stays_text_and_legend_names_every_series():
    svg = _line().svg
    texts = [t.get_text() if hasattr(t, "get_text") else "".join(t.itertext()) for t in ET.fromstring(svg).iter(f"{SVG}text")]
    joined = " ".join(texts)
    for words in ("Capacity", "Demand", "Runs out", "2026/27 Q2", "Chair hours a week", "Financial quarter"):
        assert words in joined


def test_the_table_rows_are_the_data_drawn():
    chart = _line()
    assert chart.rows == [
        ("2026/27 Q1", [50.0, 40.0]),
        ("2026/27 Q2", [50.0, 45.5]),
        ("2026/27 Q3", [50.0, None]),
    ]


def test_same_data_gives_the_same_bytes():
    charts._line_svg.cache_clear()
    first = _line().svg
    charts._line_svg.cache_clear()
    assert _line().svg == first
    assert _line(description="Something else").svg != first


def test_ids_are_prefixed_so_two_charts_share_a_page():
    first, second = _line("chart-a"), _line("chart-b")
    ids_a = set(re.findall(r'\bid="([^"]+)"', first.svg))
    ids_b = set(re.findall(r'\bid="([^"]+)"', second.svg))
    assert ids_a and all(i.startswith("chart-a-") for i in ids_a)
    assert not ids_a & ids_b
    # every internal reference points at an id of the same chart
    for ref in re.findall(r'(?:xlink:href|href)="#([^"]+)"|url\(#([^)]+)\)', first.svg):
        target = ref[0] or ref[1]
        assert target in ids_a


def test_bar_chart_money_axis_and_stacking():
    chart = charts.bar_chart(
        chart_id="bars", title="Cost a year", description="Two trusts.", x_label="Trust", y_label="£ a year",
        x_labels=["RHM", "R0D"], series=[charts.Series("Drug", (1_500_000.0, 900_000.0)), charts.Series("Delivery", (200_000.0, 100_000.0))],
        stacked=True, money=True,
    )
    root = ET.fromstring(chart.svg)
    assert "".join(root.find(f"{SVG}title").itertext()) == "Cost a year"
    assert "£1.5m" in chart.svg or "£1.6m" in chart.svg  # axis ticks in £ millions


def test_series_must_match_the_labels():
    with pytest.raises(ValueError, match="2 values for 3 x labels"):
        charts.line_chart(chart_id="x", title="t", description="d", x_label="x", y_label="y",
                          x_labels=["a", "b", "c"], series=[charts.Series("s", (1.0, 2.0))])


def test_charts_module_is_pure():
    with open(charts.__file__, encoding="utf-8") as handle:
        imports = [line for line in handle if line.startswith(("import ", "from "))]
    assert not [line for line in imports if "flask" in line or "sqlmodel" in line or "sqlalchemy" in line]
