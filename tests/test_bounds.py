"""Clinical bounds: one table (`appraisal_impact/bounds.py`) read by the forms, the importer and the seed
loader; and a bad figure that reaches the database another way leaves its appraisal out of the model with a
reason, while every other page renders."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from appraisal_impact import bounds
from appraisal_impact.impact_service import clear_cache
from appraisal_impact.models import Appraisal, AppraisalRegimen, Drug, DrugPack, RegimenComponent
from appraisal_impact.seeding import SeedError, seed_database
from tests.conftest import PASSWORD, make_user
from tests.editing_support import people, signed_in, text_of  # noqa: F401
from appraisal_impact.models import Role

TINY_PACKS = ["0.00001", "1e-300", "0", "-5", "2000000"]


def test_the_table_refuses_slips_of_units_and_allows_real_figures():
    pack = bounds.BOUNDS["drugpack.pack_mg"]
    # blinatumomab's 38.5 microgram vial and capecitabine's 120 x 500 mg pack are real packs
    assert pack.allows(0.0385) and pack.allows(60_000) and pack.allows(0.01)
    assert not any(pack.allows(v) for v in (0.00001, 1e-300, 0, -1, float("nan"), float("inf"), 1_000_001))
    assert bounds.BOUNDS["regimen.cycle_length_days"].allows(21)
    assert not bounds.BOUNDS["regimen.cycle_length_days"].allows(21.5)  # whole days
    assert bounds.BOUNDS["trust.target_utilisation"].allows(0.85)
    assert not bounds.BOUNDS["trust.target_utilisation"].allows(85)  # stored as a fraction
    assert bounds.problem("drugpack.pack_mg", 100) is None
    assert "0.01 and 1,000,000 mg" in bounds.problem("drugpack.pack_mg", 1e-300)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.mark.parametrize("pack_mg", TINY_PACKS)
def test_the_pack_form_refuses_an_impossible_pack_beside_the_field(csrf_app, pack_mg):
    engine = csrf_app.extensions["appraisal_impact.engine"]
    with Session(engine, expire_on_commit=False) as session:
        seed_database(session, None, today=None)
        session.commit()
        lead = make_user(session, Role.lead, confidential=True)
        pack = session.exec(select(DrugPack).where(DrugPack.description == "100 mg vial")).first()
        pack_id, old_mg, old_version = pack.id, pack.pack_mg, pack.version
    client = csrf_app.test_client()
    client.post("/sign-in", data={"email": lead.email, "password": PASSWORD, "csrf_token": _token(client.get("/sign-in").get_data(as_text=True))})
    page = client.get(f"/packs/{pack_id}/edit").get_data(as_text=True)
    data = {
        "csrf_token": _token(page), "description": "100 mg vial", "pack_mg": pack_mg, "list_price": "2630",
        "price_source": "NICE TA830", "version": re.search(r'name="version"[^>]*value="(\d+)"', page).group(1),
    }
    response = client.post(f"/packs/{pack_id}/edit", data=data)
    html = text_of(response)
    assert response.status_code == 400
    assert "There is a problem" in html and '<title>Error:' in html
    assert re.search(r'id="pack_mg-error"[^>]*>.*?The milligrams in one pack must be between 0.01 and 1,000,000 mg', html, re.S)
    assert 'href="#pack_mg"' in html
    with Session(engine) as session:
        saved = session.get(DrugPack, pack_id)
        assert (saved.pack_mg, saved.version) == (old_mg, old_version)


def test_the_importer_refuses_an_impossible_pack_with_the_same_message(app, seeded):
    from appraisal_impact.importing import check_prices

    rows = [{"drug": "Pembrolizumab", "pack": "tiny vial", "pack_mg": "1e-300", "list_price": "10",
             "price_source": "x", "price_date": "", "is_estimate": "false"}]
    with app.test_request_context():
        parsed = check_prices(rows, drugs={}, packs={})
    assert [(p.row, p.column) for p in parsed.problems] == [(2, "pack_mg")]
    assert parsed.problems[0].message == bounds.BOUNDS["drugpack.pack_mg"].message()


def test_the_seed_loader_refuses_an_impossible_pack(db, tmp_path):
    folder = tmp_path / "seeds"
    folder.mkdir()
    (folder / "drugs.csv").write_text("# Source: test\nname,is_oral\nTestmab,false\n")
    (folder / "drug_packs.csv").write_text(
        "# Source: test\ndrug,description,pack_mg,list_price,price_source,price_date,is_estimate\n"
        "Testmab,tiny vial,0.00001,10,test,,false\n")
    with pytest.raises(SeedError) as raised:
        seed_database(db, folder, today=None, credentials_file=tmp_path / "c.txt")
    assert (raised.value.file, raised.value.line, raised.value.column) == ("drug_packs.csv", 3, "pack_mg")
    assert "must be between 0.01 and 1,000,000 mg" in str(raised.value)
    assert db.exec(select(Drug)).all() == []


# --- one bad row does not take the other pages down -------------------------------------------------------


def _appraisal_using(session, drug_name: str) -> Appraisal:
    drug = session.exec(select(Drug).where(Drug.name == drug_name)).one()
    regimen_ids = {c.regimen_id for c in session.exec(select(RegimenComponent).where(RegimenComponent.drug_id == drug.id))}
    links = session.exec(select(AppraisalRegimen).where(AppraisalRegimen.regimen_id.in_(regimen_ids))).all()
    return session.get(Appraisal, links[0].appraisal_id)


@pytest.mark.parametrize("pack_mg", [0.00001, 1e-300])
def test_a_bad_pack_in_the_database_leaves_its_appraisals_out_and_every_page_renders(app, db, people, pack_mg):
    clear_cache()
    drug = db.exec(select(Drug).where(Drug.name == "Durvalumab")).one()
    bad = DrugPack(drug_id=drug.id, description="typed wrongly", pack_mg=pack_mg, list_price=10.0, price_source="test")
    db.add(bad)  # straight into the database, past the form's bound
    db.commit()
    affected = _appraisal_using(db, "Durvalumab")
    unaffected = db.exec(select(Appraisal).where(Appraisal.ta_number == "TA1037")).one()
    assert affected.id != unaffected.id
    client = signed_in(app, people["lead"])

    pages = [
        "/dashboard", f"/appraisals/{affected.id}", f"/appraisals/{unaffected.id}", f"/appraisals/{affected.id}/impact",
        "/trusts/RHM/impact", "/trusts/RHM", "/summaries", "/summaries/icbs/QRL", f"/summaries/appraisals/{affected.id}",
        f"/summaries/appraisals/{unaffected.id}", "/summaries/icbs/QRL/summary.csv",
        f"/summaries/appraisals/{unaffected.id}/summary.csv", "/dashboard/return.xlsx", "/pipeline",
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url

    # the affected appraisal says what is wrong and links to the field to fix
    for url in (f"/appraisals/{affected.id}", f"/appraisals/{affected.id}/impact"):
        html = text_of(client.get(url))
        assert "left out of the impact figures" in html, url
        assert "The milligrams in one pack must be between 0.01 and 1,000,000 mg" in html, url
        assert f'href="/packs/{bad.id}/edit#pack_mg"' in html, url
    # the dashboard notes it
    dashboard = text_of(client.get("/dashboard"))
    assert "left out of the impact figures" in dashboard and affected.title in dashboard
    # the ICB summary and the return say so too
    assert "Left out until a figure is corrected" in text_of(client.get("/summaries/icbs/QRL"))
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(client.get("/dashboard/return.xlsx").data))
    facts = {row[0]: row[1] for row in book.worksheets[0].iter_rows(values_only=True) if row and row[0]}
    assert affected.title in facts["Appraisals left out"]
    # an appraisal that does not use the drug is modelled as before
    assert "left out of the impact figures" not in text_of(client.get(f"/appraisals/{unaffected.id}"))
