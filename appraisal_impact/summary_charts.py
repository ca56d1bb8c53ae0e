"""The charts of an appraisal or ICB summary, drawn from the summary's own figures (its dict), so the
page, a shared page and the PDF show the same charts, and every bar is a figure the tables beside it show.

Pure: a summary dict in, :class:`charts.Chart` out; nothing is worked out here (a figure not yet known
is drawn as no bar, and the description says so).
"""

from __future__ import annotations

from datetime import date

from . import charts
from .figures import number_text


def _day(value) -> str:
    day = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{day.day} {day:%B %Y}"


def _listing(labels, values, unit: str) -> str:
    return "; ".join(f"{label}: {number_text(value)}" + (f" {unit}" if value is not None else "")
                     for label, value in zip(labels, values))


def appraisal_charts(summary: dict) -> list[charts.Chart]:
    """An appraisal summary's charts: net chair time once fully running, and new patients in years 1 and 2, by trust."""
    trusts = sorted(summary["trusts"], key=lambda t: t["name"])
    if not trusts:
        return []
    reference = summary["appraisal"]["nice_reference"] or summary["appraisal"]["title"]
    codes = [t["ods_code"] for t in trusts]
    names = [t["name"] for t in trusts]
    chair = [t["chair_hours_per_week"] for t in trusts]
    year1 = [t["new_patients_year1"] for t in trusts]
    year2 = [t["new_patients_year2"] for t in trusts]
    return [
        charts.bar_chart(
            chart_id="chart-summary-chair-hours",
            title=f"Net chair hours a week once fully running, by trust: {reference}",
            description="Net chair hours a week at each trust once fully running (the new medicine's chair time "
                        "less that of the treatments it displaces): " + _listing(names, chair, "hours a week") + ".",
            x_label="Trust", y_label="Chair hours a week", x_labels=codes,
            series=[charts.Series("Net chair hours a week", tuple(chair))],
        ),
        charts.bar_chart(
            chart_id="chart-summary-new-patients",
            title=f"New patients starting in years 1 and 2, by trust: {reference}",
            description="People starting the new medicine at each trust in year 1 and year 2 from the effective "
                        "start. Year 1: " + _listing(names, year1, "people") + ". Year 2: "
                        + _listing(names, year2, "people") + ".",
            x_label="Trust", y_label="People", x_labels=codes,
            series=[charts.Series("Year 1", tuple(year1)), charts.Series("Year 2", tuple(year2))],
        ),
    ]


def icb_charts(summary: dict) -> list[charts.Chart]:
    """An ICB summary's charts: chair headroom on the stated date with and without the pipeline, by trust,
    and each appraisal's net chair time once fully running."""
    result = []
    chair = sorted((c for c in summary["capacity"] if c["resource"] == "Chair time"), key=lambda c: c["trust"])
    if chair:
        at = _day(chair[0]["at"])
        codes = [c["ods_code"] for c in chair]
        names = [c["trust"] for c in chair]
        without = [c["headroom_at_date_without_pipeline"] for c in chair]
        with_ = [c["headroom_at_date_with_pipeline"] for c in chair]
        result.append(charts.bar_chart(
            chart_id="chart-summary-headroom",
            title=f"Chair headroom on {at}, with and without the pipeline, by trust",
            description=f"Chair-hours a week left on {at} (capacity less demand; below zero is over capacity). "
                        "Without the pipeline: " + _listing(names, without, "hours a week")
                        + ". With the pipeline: " + _listing(names, with_, "hours a week") + ".",
            x_label="Trust", y_label="Chair hours a week", x_labels=codes,
            series=[charts.Series("Without the pipeline", tuple(without)), charts.Series("With the pipeline", tuple(with_))],
        ))
    appraisals = summary["appraisals"]
    if appraisals:
        labels = [a["nice_reference"] or a["title"][:20] for a in appraisals]
        values = [a["chair_hours_per_week"] for a in appraisals]
        result.append(charts.bar_chart(
            chart_id="chart-summary-appraisal-chair-hours",
            title="Net chair hours a week once fully running, by appraisal, at the ICB's trusts",
            description="Each appraisal's net chair hours a week at the ICB's trusts once fully running: "
                        + _listing([a["title"] for a in appraisals], values, "hours a week") + ".",
            x_label="Appraisal", y_label="Chair hours a week", x_labels=labels,
            series=[charts.Series("Net chair hours a week", tuple(values))],
        ))
    return result


def summary_charts(summary: dict) -> list[charts.Chart]:
    """The charts of a summary dict of either kind."""
    return appraisal_charts(summary) if summary.get("kind") == "appraisal" else icb_charts(summary)
