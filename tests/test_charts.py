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


def _y_tick_labels(chart) -> list[str]:
    """The y-axis tick labels as drawn, bottom to top (matplotlib names each tick's group `ytick_N`)."""
    parts = re.split(rf'<g id="{re.escape(chart.chart_id)}-ytick_\d+">', chart.svg)[1:]
    return [re.search(r"<text[^>]*>([^<]*)</text>", part).group(1) for part in parts]


def _parse(label: str) -> float:
    scale = {"k": 1e3, "m": 1e6}.get(label[-1], 1.0)
    return float(label.replace("£", "").replace(",", "").rstrip("km")) * scale


@pytest.mark.parametrize("values", [
    (0.0, 0.12, 0.31, 0.35),  # the alliance chart the tester saw: "0, 0.1, 0.2, 0.2, 0.3, 0.4"
    (0.0, 0.02, 0.05, 0.073),  # each trust: "0, 0.0, 0.0, 0.0, 0.1, 0.1"
    (0.0, 3.0, 7.5, 12.0),
    (0.0, 250.0, 1800.0, 2600.0),
])
def test_y_tick_labels_are_distinct_and_evenly_spaced_for_small_values(values):
    chart = charts.line_chart(
        chart_id="chart-small", title="t", description="d", x_label="Quarter", y_label="Chair hours a week",
        x_labels=["Q1", "Q2", "Q3", "Q4"], series=[charts.Series("Central estimate", values)],
    )
    labels = _y_tick_labels(chart)
    assert len(labels) >= 3
    assert len(set(labels)) == len(labels), labels
    numbers = [_parse(label) for label in labels]
    steps = [b - a for a, b in zip(numbers, numbers[1:])]
    assert steps[0] > 0
    assert all(abs(step - steps[0]) < 1e-9 for step in steps), labels  # each label is its tick, exactly
    assert numbers[0] <= min(values) and numbers[-1] >= max(values) * 0.9


def test_money_ticks_share_one_scale_and_read_distinctly():
    chart = charts.bar_chart(
        chart_id="chart-cost", title="t", description="d", x_label="Year", y_label="Cost",
        x_labels=["2026/27", "2027/28"], series=[charts.Series("Cost", (1_200_000.0, 2_600_000.0))], money=True,
    )
    labels = _y_tick_labels(chart)
    assert len(set(labels)) == len(labels)
    assert all(label == "£0" or label.endswith("m") for label in labels), labels
    numbers = [_parse(label) for label in labels]
    assert numbers == sorted(numbers) and numbers[-1] >= 2_600_000 * 0.9


def test_the_step_formatter_says_each_step_exactly():
    formatter = charts.StepFormatter()
    assert formatter.format_ticks([0, 0.05, 0.1, 0.15, 0.2]) == ["0", "0.05", "0.10", "0.15", "0.20"]
    assert formatter.format_ticks([0, 0.015, 0.03, 0.045]) == ["0", "0.015", "0.030", "0.045"]
    assert formatter.format_ticks([-10, 0, 10, 20]) == ["-10", "0", "10", "20"]
    assert formatter.format_ticks([0, 2500, 5000]) == ["0", "2,500", "5,000"]
    assert charts.StepFormatter(money=True).format_ticks([0, 500, 1000, 1500]) == ["£0", "£0.5k", "£1.0k", "£1.5k"]


LONG_NAMES = [
    "Portsmouth Hospitals University NHS Trust (RHU)",
    "University Hospital Southampton NHS Foundation Trust (RHM)",
    "University Hospitals Dorset NHS Foundation Trust (R0D)",
    "Hampshire Hospitals NHS Foundation Trust (RN5)",
    "Dorset County Hospital NHS Foundation Trust (RBD)",
    "Isle of Wight NHS Trust (R1F)",
]


def test_a_legend_of_long_trust_names_stays_inside_the_figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(charts.WIDTH_INCHES, charts.HEIGHT_INCHES), layout="constrained")
    ax = figure.add_subplot()
    for name in LONG_NAMES:
        ax.plot([0, 1], [0, 1], label=name)
    legend = charts.add_legend(figure, LONG_NAMES)
    FigureCanvasAgg(figure).draw()
    box, page = legend.get_window_extent(), figure.bbox
    assert box.x0 >= page.x0 and box.x1 <= page.x1, (box, page)
    assert box.y0 >= page.y0
    # every trust is still named in full (wrapped, not cut)
    assert [t.get_text().replace("\n", " ") for t in legend.get_texts()] == LONG_NAMES


def test_the_chart_names_every_trust_in_full():
    chart = charts.line_chart(
        chart_id="chart-trusts", title="t", description="d", x_label="Quarter", y_label="Chair hours a week",
        x_labels=["Q1", "Q2"], series=[charts.Series(name, (0.0, 0.1)) for name in LONG_NAMES],
    )
    text = re.sub(r"\s+", " ", " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", chart.svg)))
    for name in LONG_NAMES:
        assert all(word in text for word in name.split()), name
