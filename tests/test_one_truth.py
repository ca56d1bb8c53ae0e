"""One truth for every figure: the same named figure reads the same wherever it is shown.

For every seeded appraisal at every trust, and the ICB and alliance totals, the figures are read back from
each output — the appraisal page, the lead's appraisal page, the pharmacist's preview of the saved values,
the summary page, the PDF's text, the Excel and CSV files, the API and `flask impact --format json` — and
compared with the figures layer's value at the precision that output states: a page's text is the layer's
text exactly; a file or JSON keeps 4 decimal places (money 2), so it must agree to that. Nothing is compared
with a number copied from the code: the layer is the one definition, and its hand-worked tests are in
tests/test_figures.py.

Then a sweep: no page, file or API response shows a negative zero, "[estimate]", "§" or "seeds/".
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from sqlmodel import select

from appraisal_impact import impact_service, queries
from appraisal_impact.exports.summary_files import pdf_text
from appraisal_impact.figures import NOT_YET_KNOWN, pipeline_figures
from appraisal_impact.models import Appraisal, Role
from tests.conftest import make_user, sign_in
from tests.test_editing import form_values

TODAY = date(2026, 6, 1)

# A summary's TrustImpact field → (period, figure) of the figures layer.
TRUST_IMPACT = {
    "new_patients_year1": ("year1", "new_patients"),
    "new_patients_year2": ("year2", "new_patients"),
    "net_change_in_patients_year1": ("year1", "net_change_in_patients"),
    "people_treated_year1": ("year1", "people_treated"),
    "patients_on_treatment": ("steady_state", "patients_on_treatment"),
    "chair_hours_per_week": ("steady_state", "chair_hours_per_week"),
    "chairs_needed": ("steady_state", "chairs_needed"),
    "aseptic_hours_per_week": ("steady_state", "aseptic_hours_per_week"),
    "verification_hours_per_week": ("steady_state", "verification_hours_per_week"),
    "clinic_appointments_per_week": ("steady_state", "clinic_appointments_per_week"),
    "clinic_hours_per_week": ("steady_state", "clinic_hours_per_week"),
    "cost_drug_year1": ("year1", "drug_cost"),
    "cost_delivery_year1": ("year1", "delivery_cost"),
    "cost_clinic_year1": ("year1", "clinic_cost"),
    "cost_total_year1": ("year1", "total_cost"),
    "cost_total_year2": ("year2", "total_cost"),
}
# An ICB summary's appraisal line field → (period, figure)
ICB_LINE = {
    "new_patients_year1": ("year1", "new_patients"),
    "patients_on_treatment": ("steady_state", "patients_on_treatment"),
    "chair_hours_per_week": ("steady_state", "chair_hours_per_week"),
    "aseptic_hours_per_week": ("steady_state", "aseptic_hours_per_week"),
    "clinic_appointments_per_week": ("steady_state", "clinic_appointments_per_week"),
    "cost_total_year1": ("year1", "total_cost"),
}
NEGATIVE_ZERO = re.compile(r"(?<![\w.\-])-£?0(?:\.0+)?(?![\d.])")


@pytest.fixture
def world(app, seeded):
    """The seeded alliance on 1 June 2026, a lead without confidential prices (so every output is at list
    prices, as summaries, files, the API and `flask impact` always are), and the figures layer's figures."""
    impact_service.clear_cache()
    app.config["TODAY"] = TODAY
    lead = make_user(seeded, Role.lead, email="lead.list@example.nhs.uk", confidential=False)
    admin = make_user(seeded, Role.admin, email="admin.tokens@example.nhs.uk")
    figures = pipeline_figures(seeded, today=TODAY)
    appraisals = list(seeded.exec(select(Appraisal).order_by(Appraisal.id)))
    return {"lead": lead, "admin": admin, "figures": figures, "appraisals": appraisals,
            "icbs": [i.ods_code for i in queries.list_icbs(session=seeded)]}


def _page_text(cell) -> str:
    return cell.get_text(" ", strip=True)


def _agrees(text: str, figure, *, money: str = "pounds") -> bool:
    """A page's text for a figure: the layer's own text (with the reason after it when not known)."""
    if figure.value is None:
        return text.startswith(NOT_YET_KNOWN)
    return text.split(" (")[0] == figure.text(money)


def _close(value, figure, places: int = 4) -> bool:
    """A file's or JSON's number: the layer's value to the places kept (None where not yet known)."""
    if figure.value is None:
        return value in (None, "")
    return value not in (None, "") and abs(float(value) - figure.value) <= 0.5 * 10 ** -places + 1e-9


def _layer(this_set, period: str, measure: str):
    return getattr(this_set[period], measure)


def test_every_output_shows_the_figures_layers_figures(app, client, runner, seeded, world):
    figures = world["figures"]
    sign_in(client, world["lead"])
    checked = 0
    for appraisal in world["appraisals"]:
        this = figures.appraisal(appraisal.id)
        sets = {**this.by_trust, "ALL": this.alliance}

        # the appraisal page's impact table
        soup = BeautifulSoup(client.get(f"/appraisals/{appraisal.id}").get_data(as_text=True), "html.parser")
        for code, figure_set in sets.items():
            row = soup.select_one(f'#impact-figures tr[data-trust="{code}"]')
            for cell in row.select("td[data-figure]"):
                name = cell["data-figure"]
                figure = figure_set.eligible_per_year if name == "eligible_per_year" else _layer(figure_set, *name.split("."))
                assert _agrees(_page_text(cell), figure), (appraisal.title, code, name, _page_text(cell), figure)
                checked += 1

        # the lead's appraisal page
        soup = BeautifulSoup(client.get(f"/appraisals/{appraisal.id}/impact").get_data(as_text=True), "html.parser")
        for code, figure_set in sets.items():
            for table in ("#by-trust", "#by-trust-resources"):
                row = soup.select_one(f'{table} tr[data-trust="{code}"]')
                for cell in row.select("td[data-figure]"):
                    name = cell["data-figure"]
                    if name.startswith(("low.", "high.")):
                        continue  # other scenarios
                    figure = figure_set.eligible_per_year if name == "eligible_per_year" else _layer(figure_set, *name.split("."))
                    assert _agrees(_page_text(cell), figure), (appraisal.title, code, name)
                    checked += 1

        # the summary page, its Excel and CSV files, its PDF's text and the API
        summary_page = BeautifulSoup(client.get(f"/summaries/appraisals/{appraisal.id}").get_data(as_text=True), "html.parser")
        for code, figure_set in sets.items():
            for row in summary_page.select(f'tr[data-trust="{code}"]'):
                for cell in row.select("td[data-figure]"):
                    period, measure = TRUST_IMPACT[cell["data-figure"]]
                    assert _agrees(_page_text(cell), _layer(figure_set, period, measure)), (appraisal.title, code, cell["data-figure"])
                    checked += 1
        book = load_workbook(io.BytesIO(client.get(f"/summaries/appraisals/{appraisal.id}/summary.xlsx").data), data_only=True)
        rows = list(book["By trust"].iter_rows(values_only=True))
        header = rows[3]
        for row in rows[4:]:
            code = row[0]
            if code not in sets or row[1] == "Treatments displaced, all trusts":
                continue
            for field, (period, measure) in TRUST_IMPACT.items():
                column = header.index(_heading(field))
                assert _close(row[column], _layer(sets[code], period, measure), 2 if "cost" in field else 4), (appraisal.title, code, field)
                checked += 1
        csv_rows = list(csv.reader(io.StringIO(client.get(f"/summaries/appraisals/{appraisal.id}/summary.csv").data.decode("utf-8-sig"))))
        for code, figure_set in sets.items():
            label = "ALL All trusts in the alliance" if code == "ALL" else f"{code} {figure_set.trust_name}"
            for field, (period, measure) in TRUST_IMPACT.items():
                (line,) = [r for r in csv_rows if r[1] == label and r[2] == _heading(field)]
                figure = _layer(figure_set, period, measure)
                assert _close(line[3], figure, 2 if "cost" in field else 4), (appraisal.title, code, field, line)
                assert (line[4] != "") == bool(figure.note), (appraisal.title, code, field, line)  # the reason column
                checked += 1
        api = _api(client, world, f"/api/v1/appraisals/{appraisal.id}/impact")
        for entry in [*api["trusts"], api["total"]]:
            for field, (period, measure) in TRUST_IMPACT.items():
                figure = _layer(sets[entry["ods_code"]], period, measure)
                assert _close(entry[field], figure, 2 if "cost" in field else 4), (appraisal.title, entry["ods_code"], field)
                if figure.note:
                    assert entry["not_yet_known"][field] == figure.note
                checked += 1

        # flask impact --format json: every trust, each ICB, the alliance and England
        output = runner.invoke(args=["impact", str(appraisal.id), "--format", "json", "--today", TODAY.isoformat()])
        assert output.exit_code == 0, output.output
        data = json.loads(output.output)
        blocks = [(t["ods_code"], t, this.by_trust[t["ods_code"]]) for t in data["trusts"]]
        blocks += [(i["ods_code"], i, this.by_icb[i["ods_code"]]) for i in data["icbs"]]
        blocks += [("ALL", data["alliance"], this.alliance), ("ENG", data["england"], this.england)]
        for code, block, figure_set in blocks:
            for year, period in block["by_year_from_start"].items():
                for measure, value in period.items():
                    if measure == "not_yet_known":
                        continue
                    figure = _layer(figure_set, f"year{year}", measure)
                    assert _close(value, figure, 0 if figure.kind == "money" else 2), (appraisal.title, code, year, measure)
                    checked += 1
            for label, period in block["by_financial_year"].items():
                assert _close(period["total_cost"], _layer(figure_set, label, "total_cost"), 0)
                assert _close(period["people_treated"], _layer(figure_set, label, "people_treated"), 2)
                checked += 2

    # ICB summaries (page, Excel, API) against the layer's ICB totals
    for icb in world["icbs"]:
        page = BeautifulSoup(client.get(f"/summaries/icbs/{icb}").get_data(as_text=True), "html.parser")
        api = _api(client, world, f"/api/v1/icbs/{icb}/summary")
        lines = {line["appraisal_id"]: line for line in api["appraisals"]}
        for appraisal in world["appraisals"]:
            row = page.select_one(f'tr[data-appraisal="{appraisal.id}"]')
            if row is None:
                assert appraisal.id not in lines  # no funding requirement: not listed anywhere
                continue
            group = figures.appraisal(appraisal.id).by_icb[icb]
            for cell in row.select("td[data-figure]"):
                period, measure = ICB_LINE[cell["data-figure"]]
                assert _agrees(_page_text(cell), _layer(group, period, measure)), (icb, appraisal.title, cell["data-figure"])
                checked += 1
            for field, (period, measure) in ICB_LINE.items():
                assert _close(lines[appraisal.id][field], _layer(group, period, measure), 2 if "cost" in field else 4)
                checked += 1
        for trust_line in api["trusts"]:
            pipeline = figures.trusts[trust_line["ods_code"]].pipeline
            assert _close(trust_line["chair_hours_per_week"], pipeline.steady_state.chair_hours_per_week)
            assert _close(trust_line["cost_next_12_months"], pipeline.next_12_months.total_cost, 2)
            checked += 2
        # the capacity table reads across: the layer's one capacity function at its stated date
        for line in api["capacity"]:
            resource = next(r for r in figures.trusts[line["ods_code"]].capacity if r.label == line["resource"])
            assert line["at"] == resource.at.isoformat()
            assert _close(line["headroom_at_date_with_pipeline"], resource.headroom_with_pipeline)
            assert _close(line["demand_at_date_without_pipeline_per_week"], resource.baseline_at)
            checked += 2

    # the alliance's totals on the dashboard (once fully running, the whole alliance)
    soup = BeautifulSoup(client.get("/dashboard").get_data(as_text=True), "html.parser")
    for appraisal in world["appraisals"]:
        row = soup.select_one(f'#dashboard-table tr[data-appraisal="{appraisal.id}"]')
        for cell in row.select("td[data-figure]"):
            figure = _layer(figures.appraisal(appraisal.id).alliance, *cell["data-figure"].split("."))
            assert _agrees(_page_text(cell), figure, money="thousands" if "cost" in cell["data-figure"] else "pounds")
            checked += 1

    # each trust's impact page: capacity at the stated date
    for code, trust_figures in figures.trusts.items():
        soup = BeautifulSoup(client.get(f"/trusts/{code}/impact").get_data(as_text=True), "html.parser")
        for resource in trust_figures.capacity:
            row = soup.select_one(f'#run-out tr[data-resource="{resource.resource}"]')
            for cell in row.select("td[data-figure]"):
                assert _agrees(_page_text(cell), getattr(resource, cell["data-figure"])), (code, resource.resource, cell["data-figure"])
                checked += 1
    assert checked > 3000  # every appraisal × trust × figure, not a handful


def test_the_pdf_says_what_the_summary_page_says(app, client, seeded, world):
    """The PDF is laid out from the print document: its text holds each row of figures in order."""
    from appraisal_impact.summaries import build_appraisal_summary
    from appraisal_impact.views.summaries import print_html

    figures = world["figures"]
    for appraisal in world["appraisals"][:3]:
        with app.test_request_context():
            html = print_html(build_appraisal_summary(seeded, appraisal, today=TODAY).to_dict())
        soup = BeautifulSoup(html, "html.parser")
        text = re.sub(r"\s+", " ", pdf_text(html))
        this = figures.appraisal(appraisal.id)
        for code, figure_set in {**this.by_trust, "ALL": this.alliance}.items():
            for row in soup.select(f'tr[data-trust="{code}"]'):
                cells = row.select("td[data-figure]")
                for cell in cells:
                    period, measure = TRUST_IMPACT[cell["data-figure"]]
                    assert _agrees(_page_text(cell), _layer(figure_set, period, measure))
                shown = [re.escape(_page_text(c)) for c in cells]
                assert re.search(r"\s*".join(shown), text), (appraisal.title, code, shown)


def test_the_pharmacists_preview_of_the_saved_values_shows_the_pages_figures(app, seeded, world):
    """The appraisal preview runs the figures layer on the form's (here unchanged) values."""
    from tests.editing_support import signed_in

    client = signed_in(app, world["lead"])
    figures = world["figures"]
    compared, refused = 0, []
    for appraisal in world["appraisals"]:
        url = f"/appraisals/{appraisal.id}/assumptions"
        data = form_values(client.get(url).get_data(as_text=True), url)
        html = client.post(f"{url}/preview", data=data, headers={"HX-Request": "true"}).get_data(as_text=True)
        this = figures.appraisal(appraisal.id)
        if this.effective_start is None:
            continue  # the preview shows it as if it started today: a what-if, not the pages' "not yet known"
        soup = BeautifulSoup(html, "html.parser")
        if soup.select_one(".app-preview-problem"):
            # the saved values do not pass the form's checks (a regimen "given alongside" another at 100% of
            # patients is refused as shares over 100%): the form's own matter, not the figures'
            refused.append(appraisal.title)
            continue
        rows = {row.th.get_text(strip=True): row for row in soup.select("#preview-table tbody tr")}
        compared += 1
        for name, figure_set in [*((f.trust_name, f) for f in this.by_trust.values()), ("Alliance total", this.alliance)]:
            cells = {c["data-measure"]: _page_text(c) for c in rows[name].select("td[data-measure]")}
            assert _agrees(cells["new_patients_year1"], figure_set.year1.new_patients), (appraisal.title, name)
            assert _agrees(cells["chair_hours_per_week"], figure_set.steady_state.chair_hours_per_week), (appraisal.title, name)
            assert _agrees(cells["cost_year1"], figure_set.year1.total_cost), (appraisal.title, name)
    assert compared >= 5, refused


def _heading(field: str) -> str:
    from appraisal_impact.exports.summary_files import _TRUST_IMPACT_COLUMNS

    return next(c.heading for c in _TRUST_IMPACT_COLUMNS if c.key == field)


def _api(client, world, url: str) -> dict:
    token = world.get("token")
    if token is None:
        admin = client.application.test_client()
        sign_in(admin, world["admin"])
        page = admin.post("/admin/api-tokens", data={"label": "one truth"}).get_data(as_text=True)
        token = world["token"] = re.search(r'id="api-token" type="text" readonly value="([A-Za-z0-9_-]{43})"', page).group(1)
    response = client.application.test_client().get(url, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, url
    return response.get_json()


# --- the sweep -------------------------------------------------------------------------------------


FORBIDDEN = ("[estimate]", "§", "seeds/")


def _clean(text: str, where: str) -> None:
    for word in FORBIDDEN:
        assert word not in text, f"{where} shows {word!r}: …{text[max(0, text.find(word) - 80):text.find(word) + 80]}…"
    match = NEGATIVE_ZERO.search(text)
    assert match is None, f"{where} shows a negative zero: …{text[max(0, match.start() - 80):match.end() + 40]}…"


def test_no_page_file_or_response_shows_developer_words_or_a_negative_zero(app, client, runner, seeded, world):
    sign_in(client, world["lead"])
    urls = ["/", "/pipeline", "/dashboard", "/trusts", "/summaries", "/about"]
    for appraisal in world["appraisals"]:
        urls += [f"/appraisals/{appraisal.id}", f"/appraisals/{appraisal.id}/impact", f"/summaries/appraisals/{appraisal.id}"]
    for code in world["figures"].trusts:
        urls += [f"/trusts/{code}", f"/trusts/{code}/impact"]
    urls += [f"/summaries/icbs/{icb}" for icb in world["icbs"]]
    for url in urls:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        text = BeautifulSoup(response.get_data(as_text=True), "html.parser").get_text(" ")
        _clean(text, url)
    for appraisal in world["appraisals"]:
        base = f"/summaries/appraisals/{appraisal.id}/summary"
        _clean(client.get(f"{base}.csv").data.decode("utf-8-sig"), f"{base}.csv")
        _clean(_workbook_text(client.get(f"{base}.xlsx").data), f"{base}.xlsx")
        _clean(json.dumps(_api(client, world, f"/api/v1/appraisals/{appraisal.id}/impact"), ensure_ascii=False), "API")
        output = runner.invoke(args=["impact", str(appraisal.id), "--format", "json", "--today", TODAY.isoformat()])
        _clean(output.output, "flask impact --format json")
        _clean(runner.invoke(args=["impact", str(appraisal.id), "--today", TODAY.isoformat()]).output, "flask impact")
    for icb in world["icbs"]:
        _clean(client.get(f"/summaries/icbs/{icb}/summary.csv").data.decode("utf-8-sig"), f"{icb} CSV")
        _clean(json.dumps(_api(client, world, f"/api/v1/icbs/{icb}/summary"), ensure_ascii=False), f"{icb} API")
    _clean(_workbook_text(client.get("/dashboard/return.xlsx").data), "the demand-and-capacity return")
    _clean(json.dumps(_api(client, world, "/api/v1/pipeline"), ensure_ascii=False), "pipeline API")


def test_the_negative_zero_check_catches_what_it_should():
    for shown in ("-0", "-0.0", "-£0", "chairs: -0.0 a week"):
        assert NEGATIVE_ZERO.search(shown), shown
    for fine in ("-0.4", "2026-05-01", "0.0", "-£1,500", "GID-TA10914", "SB12Z-0"):
        assert not NEGATIVE_ZERO.search(fine), fine


def _workbook_text(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    return " ".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None)
