"""The first pages: pipeline (order, filters, htmx), appraisal (facts with sources, impact), trusts."""

from __future__ import annotations

import json
import re
from datetime import datetime

import pytest
from sqlmodel import select

from tests.conftest import sign_in

DATE = re.compile(r"(\d{1,2} (?:January|February|March|April|May|June|July|August|September|October|November|December) \d{4})")


def _rows(html: str) -> list[str]:
    body = html[html.index("<tbody"): html.index("</tbody>")]
    return re.findall(r"<tr.*?</tr>", body, flags=re.S)


def _deadline_cells(html: str) -> list[datetime | None]:
    cells = []
    for row in _rows(html):
        last = re.findall(r"<td.*?</td>", row, flags=re.S)[-1]
        found = DATE.search(last)
        cells.append(datetime.strptime(found.group(1), "%d %B %Y") if found else None)
    return cells


def test_pipeline_lists_the_example_appraisals_by_deadline(client, users):
    sign_in(client, users["viewer"])
    html = client.get("/pipeline").get_data(as_text=True)
    assert "Example data" in html
    assert "8 appraisals, sorted by funding deadline" in html
    deadlines = _deadline_cells(html)
    known = [d for d in deadlines if d is not None]
    assert known == sorted(known) and len(known) >= 5
    assert deadlines[-len(deadlines) + len(known):] == known or None in deadlines[len(known):] or len(known) == len(deadlines)
    # TA1037 was published 40 days before 1 June 2026 (22 April 2026): funded by 22 July 2026 (3 calendar months)
    ta1037 = next(r for r in _rows(html) if "TA1037" in r)
    assert "22 July 2026" in ta1037 and "1 February 2026" in ta1037


def test_pipeline_filters_and_sorts_without_javascript(client, users):
    sign_in(client, users["viewer"])
    html = client.get("/pipeline?site=Lung&sort=title").get_data(as_text=True)
    rows = _rows(html)
    assert len(rows) == 4
    assert all(">Lung<" in row.replace("</span>Lung<", ">Lung<") or "Lung" in row for row in rows)
    titles = [re.search(r'<a href="/appraisals/\d+">([^<]+)</a>', r).group(1) for r in rows]
    assert titles == sorted(titles, key=str.lower)
    assert 'value="Lung" selected' in html


def test_pipeline_search_and_empty_result(client, users):
    sign_in(client, users["viewer"])
    assert len(_rows(client.get("/pipeline?q=osimertinib").get_data(as_text=True))) == 1
    html = client.get("/pipeline?q=no-such-medicine").get_data(as_text=True)
    assert "No appraisals match these filters." in html


def test_pipeline_htmx_returns_only_the_table_and_varies(client, users):
    sign_in(client, users["viewer"])
    response = client.get("/pipeline?status=published", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="pipeline-table"')
    assert "<html" not in html
    assert "HX-Request" in response.headers["Vary"]
    # a history restore gets the whole page
    restore = client.get("/pipeline", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_appraisal_page_shows_each_fact_with_its_source(client, users, seeded):
    from appraisal_impact import queries

    sign_in(client, users["viewer"])
    appraisal = queries.find_appraisal(session=seeded, reference="TA1037")
    html = client.get(f"/appraisals/{appraisal.id}").get_data(as_text=True)
    assert "Pembrolizumab for adjuvant treatment of resected non-small-cell lung cancer" in html
    assert "3 calendar months from publication of final guidance" in html  # the rule beside the deadline
    assert "352" in html and "NICE TA1037 resource impact" in html  # eligible people and its source
    assert "Uptake by year" in html
    assert "Impact on each trust" in html and "Alliance total" in html
    assert "list prices" in html  # a viewer never sees confidential prices


def test_appraisal_impact_table_partial_for_each_scenario(client, users, seeded):
    sign_in(client, users["viewer"])
    low = client.get("/appraisals/1/impact-table?scenario=low", headers={"HX-Request": "true"}).get_data(as_text=True)
    high = client.get("/appraisals/1/impact-table?scenario=high", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert low.lstrip().startswith('<div id="impact-table"') and "(low scenario)" in low
    assert "(high scenario)" in high and low != high


def test_unknown_appraisal_is_404(client, users):
    sign_in(client, users["viewer"])
    assert client.get("/appraisals/9999").status_code == 404


def test_trusts_page_and_trust_capacity_with_estimate_flags(client, users):
    sign_in(client, users["viewer"])
    html = client.get("/trusts").get_data(as_text=True)
    for code in ("RHM", "RHU", "RN5", "R1F", "R0D", "RBD"):
        assert code in html
    assert "Dorset" in html and "Hampshire and Isle of Wight" in html
    trust = client.get("/trusts/RHM").get_data(as_text=True)
    assert "University Hospital Southampton" in trust
    assert "Estimate" in trust and "Source:" in trust
    assert "Chairs × hours a day × days a week × target utilisation" in trust
    assert client.get("/trusts/XXX").status_code == 404


def test_flask_impact_json_and_table(runner, seeded):
    result = runner.invoke(args=["impact", "TA1037", "--format", "json", "--today", "2026-06-01"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["appraisal"]["ta_number"] == "TA1037"
    assert data["appraisal"]["funding_deadline"] == "2026-07-22"
    assert data["units"]["chair_hours"] == "chair-hours/week"
    # The grid holds five whole years (1,826.25 days → 261 weeks) from every effective start: the latest
    # is TA917's, Tuesday 29 Dec 2026, in the week of Monday 28 Dec 2026, 53 weeks after the grid's
    # first Monday (22 Dec 2025, TA862's start week): 53 + 261 = 314 weeks (issue #11; it was 260).
    assert len(data["week_starts"]) == 314
    assert {t["ods_code"] for t in data["trusts"]} == {"RHM", "RHU", "RN5", "R1F", "R0D", "RBD"}
    rhm = next(t for t in data["trusts"] if t["ods_code"] == "RHM")
    assert len(rhm["weekly"]["chair_hours"]) == 314
    # England's year 1 from the start: national eligible × uptake in year 1 (352 × 31% = 109.12 for TA1037;
    # no growth in year 1); the figures layer shares the week that straddles the year's end by its days,
    # which may move the total by up to 0.02 of a person
    from appraisal_impact import queries
    from appraisal_impact.models import UptakeYear

    ta1037 = queries.find_appraisal(session=seeded, reference="TA1037")
    uptake1 = next(u.percent for u in seeded.exec(select(UptakeYear).where(UptakeYear.appraisal_id == ta1037.id)) if u.year == 1)
    england = data["england"]
    assert set(england["by_year_from_start"]) == {"1", "2", "3", "4", "5"}
    assert england["by_year_from_start"]["1"]["new_patients"] == pytest.approx(
        ta1037.national_eligible_per_year * uptake1 / 100, abs=0.02)
    # the alliance block is the trusts' total, and an ICB's its trusts' (each rounded to 2 places in JSON)
    for year in ("1", "2"):
        trusts = [t["by_year_from_start"][year]["chair_hours_per_week"] for t in data["trusts"]]
        assert data["alliance"]["by_year_from_start"][year]["chair_hours_per_week"] == pytest.approx(sum(trusts), abs=0.005 * 7)
    assert set(england["by_financial_year"]) == set(data["alliance"]["by_financial_year"]) and england["by_financial_year"]
    assert {icb["ods_code"] for icb in data["icbs"]} == {"QRL", "QVV"}
    assert data["definitions"]["people_treated"]["unit"] == "patients"
    table = runner.invoke(args=["impact", "TA1037", "--scenario", "low"])
    assert table.exit_code == 0 and "low scenario" in table.output and "RHM" in table.output
    missing = runner.invoke(args=["impact", "TA9999"])
    assert missing.exit_code != 0 and "No appraisal matches" in missing.output
