"""Confidential (PAS) prices: entered separately, marked commercial in confidence, and shown only to users
allowed to see them. Another trust's pharmacist, a viewer, alliance staff without the permission and any
shared page never see one, on any page, in any preview, or through the history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from appraisal_impact.models import Appraisal, AuditEntry, ConfidentialPrice, Drug, DrugPack, ShareLink, utcnow
from appraisal_impact.sharing import hash_token, new_token
from tests.editing_support import count, people, regimen_named, signed_in, text_of, trust  # noqa: F401

TRUST_PRICE = 1234.56  # RHM's own price for a 100 mg vial of pembrolizumab
ALLIANCE_PRICE = 2345.67  # every trust's price for a 500 mg vial of durvalumab
FORMS = {TRUST_PRICE: ("1234.56", "1,234.56"), ALLIANCE_PRICE: ("2345.67", "2,345.67")}


def pack_of(session, drug: str, description: str) -> DrugPack:
    drug_row = session.exec(select(Drug).where(Drug.name == drug)).one()
    return session.exec(select(DrugPack).where(DrugPack.drug_id == drug_row.id, DrugPack.description == description)).one()


@pytest.fixture
def pas(db, people):
    pembro = pack_of(db, "Pembrolizumab", "100 mg vial")
    durva = pack_of(db, "Durvalumab", "500 mg vial")
    db.add(ConfidentialPrice(drug_pack_id=pembro.id, trust_id=trust(db, "RHM").id, price=TRUST_PRICE, note="PAS ref 1", entered_by_id=people["pharmacist"].id))
    db.add(ConfidentialPrice(drug_pack_id=durva.id, trust_id=None, price=ALLIANCE_PRICE, note="PAS ref 2", entered_by_id=people["lead"].id))
    db.commit()
    return {"pembro_pack": pembro, "durva_pack": durva}


def pages(db, pas) -> list[str]:
    pembro_regimen = regimen_named(db, "Pembrolizumab 200 mg q3w")
    durva_regimen = regimen_named(db, "Durvalumab 1500 mg q4w (12 months)")
    ta1037 = db.exec(select(Appraisal).where(Appraisal.ta_number == "TA1037")).one()
    return [
        "/drugs", f"/drugs/{pas['pembro_pack'].drug_id}", f"/drugs/{pas['durva_pack'].drug_id}",
        f"/regimens/{pembro_regimen.id}", f"/regimens/{durva_regimen.id}", f"/appraisals/{ta1037.id}", "/trusts/RHM", "/trusts/RHM/local",
        f"/trusts/RHM/regimens/{pembro_regimen.id}/local", f"/regimens/{pembro_regimen.id}/edit",
    ]


def shows(html: str, price: float) -> bool:
    return any(form in html for form in FORMS[price])


@pytest.mark.parametrize("who, sees_trust_price, sees_alliance_price", [
    ("pharmacist", True, True),           # RHM, allowed
    ("lead", True, True),
    ("admin", True, True),
    ("other_pharmacist", False, True),    # allowed, but another trust's own price is not theirs
    ("pharmacist_no_pas", False, False),  # RHM, not allowed
    ("viewer", False, False),
    ("alliance", False, False),           # alliance staff without the permission
])
def test_confidential_prices_are_shown_only_to_those_allowed(app, db, people, pas, who, sees_trust_price, sees_alliance_price):
    client = signed_in(app, people[who])
    seen_trust, seen_alliance = False, False
    for url in pages(db, pas):
        response = client.get(url)
        if response.status_code == 403:
            continue
        assert response.status_code == 200, url
        html = text_of(response)
        seen_trust |= shows(html, TRUST_PRICE)
        seen_alliance |= shows(html, ALLIANCE_PRICE)
        if not sees_trust_price:
            assert not shows(html, TRUST_PRICE), f"{who} sees RHM's confidential price on {url}"
        if not sees_alliance_price:
            assert not shows(html, ALLIANCE_PRICE), f"{who} sees a confidential price on {url}"
    assert (seen_trust, seen_alliance) == (sees_trust_price, sees_alliance_price)


def test_where_shown_it_is_marked_commercial_in_confidence(app, db, people, pas):
    html = text_of(signed_in(app, people["pharmacist"]).get(f"/drugs/{pas['pembro_pack'].drug_id}"))
    block = html[html.index("Commercial in confidence"):]
    assert "£1,234.56" in block and "University Hospital Southampton" in block


def test_a_shared_page_never_shows_one(app, client, db, pas):
    ta1037 = db.exec(select(Appraisal).where(Appraisal.ta_number == "TA1037")).one()
    token = new_token()
    db.add(ShareLink(token_hash=hash_token(token), label="Board paper", summary="appraisal", target_id=ta1037.id, frozen=False,
                     expires_at=utcnow() + timedelta(days=5)))
    db.commit()
    for url in (f"/s/{token}", f"/s/{token}/print", f"/s/{token}/summary.csv"):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data(as_text=True)
        assert not shows(body, TRUST_PRICE) and not shows(body, ALLIANCE_PRICE), url


def _preview_cost(app, user, regimen_id, data) -> float:
    html = text_of(signed_in(app, user).post("/regimens/preview", data=data | {"regimen_id": str(regimen_id)}, headers={"HX-Request": "true"}))
    assert not shows(html, TRUST_PRICE)
    cell = re.search(r'data-measure="cost_year1" data-line="10 new patients a year">([^<]+)<', html)
    return float(cell.group(1).replace("£", "").replace(",", ""))


def test_the_preview_costs_with_a_confidential_price_only_for_those_allowed(app, db, people, pas):
    from tests.test_regimens import edit_form_for

    regimen = regimen_named(db, "Pembrolizumab 200 mg q3w")
    data = edit_form_for(signed_in(app, people["lead"]), regimen.id)
    own = _preview_cost(app, people["pharmacist"], regimen.id, data)
    other = _preview_cost(app, people["other_pharmacist"], regimen.id, data)
    not_allowed = _preview_cost(app, people["pharmacist_no_pas"], regimen.id, data)
    assert own < other == not_allowed  # £1,234.56 a vial instead of £2,630 at RHM only


def test_a_pharmacist_enters_a_confidential_price_for_their_own_trust_only(app, db, people, pas):
    client = signed_in(app, people["pharmacist"])
    pack = pack_of(db, "Nivolumab", "240 mg vial")
    page = text_of(client.get(f"/packs/{pack.id}/confidential-price"))
    assert "Commercial in confidence" in page and 'value="RHM"' in page and 'value="R0D"' not in page and 'value="alliance"' not in page
    response = client.post(f"/packs/{pack.id}/confidential-price", data={"trust": "R0D", "price": "999.99", "note": ""})
    assert response.status_code == 400 and count(db, ConfidentialPrice) == 2
    response = client.post(f"/packs/{pack.id}/confidential-price", data={"trust": "RHM", "price": "1999.99", "note": "PAS ref 3"})
    assert response.status_code == 302
    saved = db.exec(select(ConfidentialPrice).where(ConfidentialPrice.drug_pack_id == pack.id)).one()
    assert (saved.trust_id, saved.price, saved.entered_by_id) == (trust(db, "RHM").id, 1999.99, people["pharmacist"].id)
    db.expire_all()
    pack_after = db.get(DrugPack, pack.id)
    assert pack_after.list_price == 2633  # the list price is untouched: the two are kept apart
    # the record of it is there, but never on a page anyone else can open
    assert db.exec(select(AuditEntry).where(AuditEntry.entity == "confidentialprice", AuditEntry.entity_id == saved.id)).first()
    other = signed_in(app, people["other_pharmacist"])
    for url in ("/drugs", f"/drugs/{pack.drug_id}"):
        assert "1,999.99" not in text_of(other.get(url)) and "1999.99" not in text_of(other.get(url))


def test_confidential_price_bounds(app, db, people, pas):
    client = signed_in(app, people["pharmacist"])
    pack = pack_of(db, "Nivolumab", "240 mg vial")
    for value, message in (
        ("-1", "The price must be more than £0"), ("0", "The price must be more than £0"), ("0.00", "The price must be more than £0"),
        ("1000001", "The price must be more than £0 and at most £1,000,000"), ("cheap", "The price must be an amount in pounds"),
        ("1,234.56.7", "The price must be an amount in pounds"), ("", "Enter the confidential price"),
    ):
        response = client.post(f"/packs/{pack.id}/confidential-price", data={"trust": "RHM", "price": value})
        html = text_of(response)
        assert response.status_code == 400 and "There is a problem" in html
        # the message beside the field, and in the summary linking to it
        assert re.search(r'id="price-error"[^>]*>.*?' + re.escape(message), html, re.S), value
        assert 'href="#price"' in html
    assert count(db, ConfidentialPrice) == 2


def test_another_trusts_price_cannot_be_removed_or_even_confirmed(app, db, people, pas):
    rhm_price = db.exec(select(ConfidentialPrice).where(ConfidentialPrice.trust_id.is_not(None))).one()
    assert signed_in(app, people["other_pharmacist"]).post(f"/confidential-prices/{rhm_price.id}/remove").status_code == 404
    assert signed_in(app, people["viewer"]).post(f"/confidential-prices/{rhm_price.id}/remove").status_code == 404
    assert count(db, ConfidentialPrice) == 2
    assert signed_in(app, people["pharmacist"]).post(f"/confidential-prices/{rhm_price.id}/remove").status_code == 302
    assert count(db, ConfidentialPrice) == 1


def test_the_list_price_form_warns_against_entering_a_confidential_price(app, db, people):
    pack = pack_of(db, "Pembrolizumab", "100 mg vial")
    html = text_of(signed_in(app, people["pharmacist"]).get(f"/packs/{pack.id}/edit"))
    assert "Never enter a confidential (PAS) price here" in html
