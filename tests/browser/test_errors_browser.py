"""In a real browser (CSRF on): the service's own error pages, a pack size typed in the wrong unit refused
beside the field, and an appraisal left out of the model because of a bad pack already stored — its page
says what is wrong, links to the field, and is modelled again once the pack is corrected. axe finds nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import Session, select

from appraisal_impact.impact_service import clear_cache
from appraisal_impact.models import AppraisalRegimen, Drug, DrugPack, RegimenComponent
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


def test_error_pages_are_the_services_own_and_accessible(page, live_server, sign_in_as):
    sign_in_as(page, "viewer")
    for path, heading, status in [
        ("/appraisals/99999999999999999999", "Page not found", 404),
        ("/confidential-prices/1/remove", "This page cannot be used that way", 405),
        ("/pipeline?site=%00", "Sorry, we could not use what was sent", 400),
    ]:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == status, path
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        assert_accessible(page, path)


def test_a_bad_stored_pack_leaves_its_appraisal_out_until_it_is_corrected(page, live_server, sign_in_as):
    engine = live_server.app.extensions["appraisal_impact.engine"]
    with Session(engine, expire_on_commit=False) as session:
        drug = session.exec(select(Drug).where(Drug.name == "Durvalumab")).one()
        pack = DrugPack(drug_id=drug.id, description="typed in grams", pack_mg=0.00001, list_price=10.0, price_source="test")
        session.add(pack)  # straight into the database, past the form's bound
        session.commit()
        regimen_ids = {c.regimen_id for c in session.exec(select(RegimenComponent).where(RegimenComponent.drug_id == drug.id))}
        appraisal_id = session.exec(select(AppraisalRegimen).where(AppraisalRegimen.regimen_id.in_(regimen_ids))).first().appraisal_id
    clear_cache()
    sign_in_as(page, "lead")
    page.goto(f"{live_server.url}/dashboard")
    expect(page.get_by_text("left out of the impact figures").first).to_be_visible()
    assert_accessible(page, "dashboard with an appraisal left out")

    page.goto(f"{live_server.url}/appraisals/{appraisal_id}")
    expect(page.get_by_text("This appraisal is left out of the impact figures")).to_be_visible()
    expect(page.get_by_text("The milligrams in one pack must be between 0.01 and 1,000,000 mg").first).to_be_visible()
    assert_accessible(page, "appraisal left out")

    # the link goes to the field; a value in the wrong unit is refused beside it
    page.get_by_role("link", name="Change the pack").click()
    field = page.get_by_label("Milligrams in one pack")
    expect(field).to_be_visible()
    field.fill("1e-300")
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_text("There is a problem")).to_be_visible()
    expect(page.locator("#pack_mg-error")).to_contain_text("The milligrams in one pack must be between 0.01 and 1,000,000 mg")
    assert page.title().startswith("Error:")
    assert_accessible(page, "pack form with the error")

    # corrected, the appraisal is modelled again
    page.get_by_label("Milligrams in one pack").fill("120")
    page.get_by_role("button", name="Save").first.click()
    page.goto(f"{live_server.url}/appraisals/{appraisal_id}")
    expect(page.get_by_text("This appraisal is left out of the impact figures")).to_have_count(0)
    expect(page.locator("#impact-table table")).to_be_visible()
