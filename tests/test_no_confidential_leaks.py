"""Confidential prices never leak: with a distinctive confidential price (£98,765.43 a pack) in the database,
neither it nor any cost worked out from it appears in any shared page, PDF, Excel, CSV or API response, nor
in the signed-in summaries of a user who may see confidential prices, for every summary there is.

The costs "worked out from it" are found by building every summary as if it used the confidential prices
(the builders are pointed at a confidential run for that step only) and keeping each cost that differs from
the list-price one. A positive control shows that those figures are visible where they should be: on the
appraisal page of a lead who may see confidential prices.
"""

from __future__ import annotations

import io
import json
import re
from datetime import date, timedelta

import openpyxl
import pytest
from sqlmodel import select

from appraisal_impact import impact_service, summaries
from appraisal_impact.exports.summary_files import pdf_text
from appraisal_impact.figures import pipeline_figures
from appraisal_impact.formatting import money
from appraisal_impact.models import Appraisal, ConfidentialPrice, Drug, DrugPack, Icb, Trust
from tests.conftest import TEST_TODAY, sign_in
from tests.test_exports import inflate_pdf

PRICE = 98765.43
PRICE_FORMS = ("98765.43", "98,765.43", "98765", "98,765", "9876543")


def _numbers(value, path=""):
    """(path, number) for every number in a summary dict."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _numbers(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _numbers(item, f"{path}[{i}]")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path, float(value)


def _build_all(session, today):
    built = {}
    for icb in session.exec(select(Icb)).all():
        built[f"icb {icb.ods_code}"] = summaries.build_icb_summary(session, icb, today=today).to_dict()
    for appraisal in session.exec(select(Appraisal)).all():
        built[f"appraisal {appraisal.id}"] = summaries.build_appraisal_summary(session, appraisal, today=today).to_dict()
    built["pipeline"] = summaries.build_pipeline_summary(session, today=today).to_dict()
    for trust in session.exec(select(Trust)).all():
        built[f"trust {trust.ods_code}"] = summaries.build_trust_capacity(session, trust, today=today).to_dict()
    return built


@pytest.fixture
def confidential(seeded, users, monkeypatch):
    """Confidential prices of £98,765.43 a pack on pembrolizumab (alliance-wide), on enfortumab vedotin (which
    has no list price at all) and on atezolizumab for one trust; and the costs they would lead to."""
    packs = {
        name: seeded.exec(select(DrugPack).join(Drug).where(Drug.name == name)).all()
        for name in ("Pembrolizumab", "Enfortumab vedotin", "Atezolizumab")
    }
    rhm = seeded.exec(select(Trust).where(Trust.ods_code == "RHM")).one()
    for pack in packs["Pembrolizumab"] + packs["Enfortumab vedotin"]:
        seeded.add(ConfidentialPrice(drug_pack_id=pack.id, trust_id=None, price=PRICE, note="PAS"))
    for pack in packs["Atezolizumab"]:
        seeded.add(ConfidentialPrice(drug_pack_id=pack.id, trust_id=rhm.id, price=PRICE, note="RHM local price"))
    seeded.commit()
    impact_service.clear_cache()

    today = TEST_TODAY
    listed = _build_all(seeded, today)
    everything = impact_service.PriceView(alliance_confidential=True, trust_ids=frozenset(), all_trusts=True)
    with monkeypatch.context() as patch:
        # summaries take their figures from the figures layer at list prices: here, at every price instead
        patch.setattr(summaries, "_list_price_figures",
                      lambda session, day: pipeline_figures(session, prices=everything, today=day))
        secret = _build_all(seeded, today)
    list_values = {round(v) for built in listed.values() for _p, v in _numbers(built)}
    derived = set()
    for key, built in secret.items():
        list_numbers = dict(_numbers(listed[key]))
        for path, value in _numbers(built):
            if "cost" in path and abs(value - list_numbers[path]) >= 1 and abs(value) >= 10_000:
                if round(value) not in list_values:
                    derived.add(round(value))
    assert len(derived) >= 10, "the confidential prices change many costs (else this test would prove nothing)"
    return derived


def _forbidden_texts(derived: set[int]) -> set[str]:
    texts = set(PRICE_FORMS)
    for value in derived:
        texts |= {f"{value:,}", str(value), money(value)}
    return texts


def _assert_clean(text: str, forbidden: set[str], where: str) -> None:
    found = sorted(t for t in forbidden if t in text)
    assert not found, f"confidential figures in {where}: {found[:5]}"


def _assert_clean_workbook(data: bytes, derived: set[int], forbidden: set[str], where: str) -> None:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, (int, float)) and not isinstance(cell.value, bool):
                    assert round(cell.value) not in derived and abs(cell.value - PRICE) > 0.005, \
                        f"confidential figure in {where} {sheet.title}!{cell.coordinate}"
                elif isinstance(cell.value, str):
                    _assert_clean(cell.value, forbidden, f"{where} {sheet.title}!{cell.coordinate}")


def _share_links(client, session) -> list[str]:
    """A frozen and a live share link for every ICB and every appraisal."""
    paths = []
    expires = TEST_TODAY + timedelta(days=7)
    targets = [f"icb:{i.id}" for i in session.exec(select(Icb)).all()]
    targets += [f"appraisal:{a.id}" for a in session.exec(select(Appraisal)).all()]
    for target in targets:
        for figures in ("snapshot", "live"):
            response = client.post("/sharing/new", data={
                "target": target, "label": f"{target} {figures}", "figures": figures,
                "expires-day": expires.day, "expires-month": expires.month, "expires-year": expires.year})
            assert response.status_code == 201
            paths.append(re.search(r'value="http://localhost(/s/[A-Za-z0-9_-]{43})"', response.get_data(as_text=True)).group(1))
    return paths


def test_the_distinctive_figures_show_where_confidential_prices_are_allowed(client, seeded, users, confidential):
    """Positive control: a lead may see confidential prices on the appraisal's own page, and does."""
    sign_in(client, users["lead"])
    pages = "".join(client.get(f"/appraisals/{a.id}").get_data(as_text=True) for a in seeded.exec(select(Appraisal)).all())
    assert any(money(value) in pages for value in confidential)


def test_no_shared_page_or_file_shows_a_confidential_price(app, client, seeded, users, confidential):
    forbidden = _forbidden_texts(confidential)
    sign_in(client, users["lead"])  # may see confidential prices, and shares
    paths = _share_links(client, seeded)
    reader = app.test_client()
    for path in paths:
        page = reader.get(path)
        assert page.status_code == 200
        _assert_clean(page.get_data(as_text=True), forbidden, path)
        print_page = reader.get(f"{path}/print").get_data(as_text=True)
        _assert_clean(print_page, forbidden, f"{path}/print")
        _assert_clean(reader.get(f"{path}/summary.csv").data.decode("utf-8-sig"), forbidden, f"{path} CSV")
        _assert_clean_workbook(reader.get(f"{path}/summary.xlsx").data, confidential, forbidden, f"{path} Excel")
    # PDFs: the laid-out text and the file itself, for one frozen and one live link of every summary
    for path in paths:
        pdf = reader.get(f"{path}/summary.pdf")
        assert pdf.data.startswith(b"%PDF-")
        _assert_clean(inflate_pdf(pdf.data).decode("latin-1"), forbidden, f"{path} PDF bytes")
        _assert_clean(pdf_text(reader.get(f"{path}/print").get_data(as_text=True)), forbidden, f"{path} PDF text")


def test_no_signed_in_summary_shows_a_confidential_price_even_to_those_allowed(client, seeded, users, confidential):
    forbidden = _forbidden_texts(confidential)
    sign_in(client, users["lead"])
    urls = [f"/summaries/icbs/{i.ods_code}" for i in seeded.exec(select(Icb)).all()]
    urls += [f"/summaries/appraisals/{a.id}" for a in seeded.exec(select(Appraisal)).all()]
    for url in urls:
        _assert_clean(client.get(url).get_data(as_text=True), forbidden, url)
        _assert_clean(client.get(f"{url}/summary.csv").data.decode("utf-8-sig"), forbidden, f"{url} CSV")
        _assert_clean_workbook(client.get(f"{url}/summary.xlsx").data, confidential, forbidden, f"{url} Excel")
        pdf = client.get(f"{url}/summary.pdf")
        assert pdf.data.startswith(b"%PDF-")
        _assert_clean(inflate_pdf(pdf.data).decode("latin-1"), forbidden, f"{url} PDF bytes")


def test_no_api_response_shows_a_confidential_price(app, client, seeded, users, confidential):
    forbidden = _forbidden_texts(confidential)
    sign_in(client, users["admin"])
    made = client.post("/admin/api-tokens", data={"label": "leak test"})
    token = re.search(r'id="api-token" type="text" readonly value="([^"]+)"', made.get_data(as_text=True)).group(1)
    reader = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    urls = ["/api/v1/pipeline"]
    urls += [f"/api/v1/appraisals/{a.id}/impact" for a in seeded.exec(select(Appraisal)).all()]
    urls += [f"/api/v1/icbs/{i.ods_code}/summary" for i in seeded.exec(select(Icb)).all()]
    urls += [f"/api/v1/trusts/{t.ods_code}/capacity" for t in seeded.exec(select(Trust)).all()]
    for url in urls:
        response = reader.get(url, headers=headers)
        assert response.status_code == 200, url
        _assert_clean(response.get_data(as_text=True), forbidden, url)
        for path, value in _numbers(json.loads(response.data)):
            assert round(value) not in confidential and abs(value - PRICE) > 0.005, f"{url} {path}"
