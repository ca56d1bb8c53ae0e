"""The wiring from stored rows to the model, checked with numbers worked by hand."""

from __future__ import annotations

from datetime import date

import pytest
from numpy.testing import assert_allclose

from appraisal_impact import impact_service as svc
from appraisal_impact.models import (
    Appraisal, AppraisalRegimen, ConfidentialPrice, Drug, DrugPack, Icb, Regimen, RegimenComponent, Trust, TrustAppraisalOverride, TrustRegimenOverride, UptakeYear, Role,
)

ENGLAND = 57_690_300
TODAY = date(2026, 1, 5)  # a Monday


@pytest.fixture
def tiny(db):
    """One ICB, two trusts (a tenth and a twentieth of England), one appraisal of a fixed 18-cycle q6w regimen."""
    icb = Icb(ods_code="QXX", name="Test ICB")
    db.add(icb)
    db.commit()
    big = Trust(ods_code="TB1", name="Big Trust", icb_id=icb.id, catchment_population=ENGLAND / 10,
                chairs=10, chair_hours_per_day=8, days_per_week=5, target_utilisation=0.75)
    small = Trust(ods_code="TS1", name="Small Trust", icb_id=icb.id, catchment_population=ENGLAND / 20,
                  chairs=4, chair_hours_per_day=8, days_per_week=5, target_utilisation=0.75)
    drug = Drug(name="Testumab")
    db.add_all([big, small, drug])
    db.commit()
    pack = DrugPack(drug_id=drug.id, description="100 mg vial", pack_mg=100, list_price=1000.0)
    regimen = Regimen(name="Testumab 400 mg q6w", cycle_length_days=42, attendance_days="1", max_cycles=18,
                      verification_minutes_per_cycle=12, clinic_minutes=30, clinic_every_n_cycles=1)
    db.add_all([pack, regimen])
    db.commit()
    db.add(RegimenComponent(regimen_id=regimen.id, drug_id=drug.id, dose=400, days="1",
                            chair_minutes_first_cycle=60, chair_minutes_later_cycles=60, aseptic_items=1,
                            aseptic_minutes_per_item=51))
    appraisal = Appraisal(title="Testumab for testing", national_eligible_per_year=521.8, status="published",
                          recommendation="recommended", publication_date=date(2025, 10, 1))
    db.add(appraisal)
    db.commit()
    db.add_all([UptakeYear(appraisal_id=appraisal.id, year=y, percent=100) for y in range(1, 6)])
    db.add(AppraisalRegimen(appraisal_id=appraisal.id, regimen_id=regimen.id, role="brings in", share_pct=100))
    db.commit()
    return dict(big=big, small=small, regimen=regimen, appraisal=appraisal, pack=pack)


def test_steady_state_matches_hand_worked_numbers(db, tiny):
    # England: 521.8 a year × 100% uptake / 52.18 = 10 starts a week; Big Trust a tenth: 1 a week.
    # 18 cycles, one attendance each, 60 chair minutes: 18 chair hours a week at steady state;
    # on treatment 18 × 6 weeks = 108 weeks × 1 a week = 108 patients.
    # Effective start = deadline = 1 Oct 2025 + 3 months = 1 Jan 2026; grid starts Monday 29 Dec 2025.
    _loaded, result = svc.pipeline_impact(db, today=TODAY)
    summary = result.appraisal_by_trust_summary(str(tiny["appraisal"].id))
    big = summary.loc["TB1"]
    assert_allclose(big["local_eligible_per_year"], 52.18, rtol=1e-9)
    assert_allclose(big["chair_hours_per_week_steady_state"], 18.0, rtol=1e-6)
    assert_allclose(big["patients_on_treatment_steady_state"], 108.0, rtol=1e-6)
    # aseptic: 18 items a week × 51 minutes = 15.3 hours; clinic 18 a week; verification 18 × 12 min = 3.6 h
    assert_allclose(big["aseptic_hours_per_week_steady_state"], 15.3, rtol=1e-6)
    assert_allclose(big["clinic_appointments_per_week_steady_state"], 18.0, rtol=1e-6)
    assert_allclose(big["verification_hours_per_week_steady_state"], 3.6, rtol=1e-6)
    # chairs needed: 18 h ÷ (8 h × 5 days × 0.75) = 0.6
    assert_allclose(big["chairs_needed_steady_state"], 0.6, rtol=1e-6)
    # the small trust is half the big one
    assert_allclose(summary.loc["TS1", "chair_hours_per_week_steady_state"], 9.0, rtol=1e-6)


def test_drug_cost_uses_list_price_unless_the_viewer_may_see_a_confidential_one(db, tiny):
    # Steady state at Big Trust: 1 start a week × 18 cycles = 18 cycles a week;
    # 400 mg = 4 vials: £4,000 a cycle at list price, £2,000 at the £500 confidential price.
    db.add(ConfidentialPrice(drug_pack_id=tiny["pack"].id, trust_id=None, price=500.0))
    db.commit()
    _l, listed = svc.pipeline_impact(db, today=TODAY, prices=svc.PriceView.list_only())
    _l, confidential = svc.pipeline_impact(db, today=TODAY, prices=svc.PriceView(True, frozenset(), True))
    key = str(tiny["appraisal"].id)
    list_week = listed.appraisal_trust_weekly(key, "TB1")["drug_cost"].iloc[-1]
    pas_week = confidential.appraisal_trust_weekly(key, "TB1")["drug_cost"].iloc[-1]
    assert_allclose(list_week, 18 * 4000.0, rtol=1e-6)
    assert_allclose(pas_week, 18 * 2000.0, rtol=1e-6)


def test_trust_confidential_price_applies_only_to_that_trust_and_only_for_its_staff(db, tiny):
    db.add(ConfidentialPrice(drug_pack_id=tiny["pack"].id, trust_id=tiny["big"].id, price=250.0))
    db.commit()
    key = str(tiny["appraisal"].id)
    own_staff = svc.PriceView(True, frozenset({tiny["big"].id}), False)
    other_staff = svc.PriceView(True, frozenset({tiny["small"].id}), False)
    _l, mine = svc.pipeline_impact(db, today=TODAY, prices=own_staff)
    _l, theirs = svc.pipeline_impact(db, today=TODAY, prices=other_staff)
    # Big Trust's own £250 vial: 18 cycles × £1,000; Small Trust (9 cycles a week) stays at list price.
    assert_allclose(mine.appraisal_trust_weekly(key, "TB1")["drug_cost"].iloc[-1], 18 * 1000.0, rtol=1e-6)
    assert_allclose(mine.appraisal_trust_weekly(key, "TS1")["drug_cost"].iloc[-1], 9 * 4000.0, rtol=1e-6)
    assert_allclose(theirs.appraisal_trust_weekly(key, "TB1")["drug_cost"].iloc[-1], 18 * 4000.0, rtol=1e-6)


def test_trust_overrides_patients_and_chair_minutes(db, tiny):
    db.add(TrustAppraisalOverride(trust_id=tiny["small"].id, appraisal_id=tiny["appraisal"].id, patients_per_year=104.36))
    db.add(TrustRegimenOverride(trust_id=tiny["big"].id, regimen_id=tiny["regimen"].id,
                                chair_minutes_first_cycle=90, chair_minutes_later_cycles=90))
    db.commit()
    _l, result = svc.pipeline_impact(db, today=TODAY)
    summary = result.appraisal_by_trust_summary(str(tiny["appraisal"].id))
    # small trust: 104.36 a year = 2 a week → 36 chair hours; big trust 1 a week × 18 × 1.5 h = 27
    assert_allclose(summary.loc["TS1", "chair_hours_per_week_steady_state"], 36.0, rtol=1e-6)
    assert_allclose(summary.loc["TB1", "chair_hours_per_week_steady_state"], 27.0, rtol=1e-6)
    assert summary.loc["TS1", "share_source"].startswith("trust override")


def test_self_displacement_nets_to_zero(db, tiny):
    db.add(AppraisalRegimen(appraisal_id=tiny["appraisal"].id, regimen_id=tiny["regimen"].id, role="displaces", share_pct=100))
    db.commit()
    _l, result = svc.pipeline_impact(db, today=TODAY)
    weekly = result.trust_weekly("TB1")
    assert_allclose(weekly.to_numpy(), 0.0, atol=1e-9)


def test_cache_sees_changes(db, tiny):
    from appraisal_impact.audit import Actor, apply_changes

    _l, before = svc.pipeline_impact(db, today=TODAY)
    apply_changes(db, Actor(None, "test"), tiny["appraisal"], {"national_eligible_per_year": 1043.6})
    db.commit()
    _l, after = svc.pipeline_impact(db, today=TODAY)
    key = str(tiny["appraisal"].id)
    assert_allclose(after.steady_state("chair_hours").loc[key, "TB1"], 36.0, rtol=1e-6)
    assert_allclose(before.steady_state("chair_hours").loc[key, "TB1"], 18.0, rtol=1e-6)


def test_price_view_for_users(seeded, users):
    from appraisal_impact.auth import SignedInUser

    assert svc.PriceView.for_user(SignedInUser(users["viewer"])).is_list_only
    assert svc.PriceView.for_user(SignedInUser(users["alliance"])).is_list_only  # not granted
    pharmacist = svc.PriceView.for_user(SignedInUser(users["pharmacist"]))
    assert pharmacist.trust_ids == frozenset({users["pharmacist"].trust_id}) and not pharmacist.all_trusts
    assert svc.PriceView.for_user(SignedInUser(users["lead"])).all_trusts
    assert svc.PriceView.for_user(None).is_list_only


def test_a_regimen_given_alongside_adds_time_but_not_patients(db, tiny):
    # Extra doses given alongside the main regimen (a one-cycle course, 30 chair minutes) for every patient:
    # patients stay 1 a week at Big Trust (108 on treatment); chair time gains 1 × 0.5 h a week.
    extra = Regimen(name="Testumab loading dose", cycle_length_days=7, attendance_days="1", max_cycles=1,
                    clinic_type="none", clinic_minutes=0)
    db.add(extra)
    db.commit()
    db.add(RegimenComponent(regimen_id=extra.id, drug_id=tiny["pack"].drug_id, dose=100, days="1",
                            chair_minutes_first_cycle=30, chair_minutes_later_cycles=30))
    db.add(AppraisalRegimen(appraisal_id=tiny["appraisal"].id, regimen_id=extra.id, role="brings in",
                            share_pct=100, counts_patients=False))
    db.commit()
    _l, result = svc.pipeline_impact(db, today=TODAY)
    big = result.appraisal_by_trust_summary(str(tiny["appraisal"].id)).loc["TB1"]
    assert_allclose(big["patients_on_treatment_steady_state"], 108.0, rtol=1e-6)
    assert_allclose(big["chair_hours_per_week_steady_state"], 18.5, rtol=1e-6)
    assert_allclose(big["clinic_appointments_per_week_steady_state"], 18.0, rtol=1e-6)


def test_only_regimens_the_pipeline_uses_are_reported_without_a_price(db, tiny):
    unpriced_drug = Drug(name="Nopriceumab")
    db.add(unpriced_drug)
    db.commit()
    unused = Regimen(name="Nopriceumab q3w (in the library, in no appraisal)", cycle_length_days=21, max_cycles=6)
    db.add(unused)
    db.commit()
    db.add(RegimenComponent(regimen_id=unused.id, drug_id=unpriced_drug.id, dose=100, days="1"))
    db.commit()
    loaded, _ = svc.pipeline_impact(db, today=TODAY)
    assert loaded.unpriced_regimens == ()
    db.add(AppraisalRegimen(appraisal_id=tiny["appraisal"].id, regimen_id=unused.id, role="brings in", share_pct=10))
    db.commit()
    loaded, _ = svc.pipeline_impact(db, today=TODAY)
    assert loaded.unpriced_regimens == ("Nopriceumab q3w (in the library, in no appraisal)",)


def test_appraisal_page_counts_people_on_the_new_treatment_and_nets_time(client, db, tiny):
    from tests.conftest import make_user, sign_in

    old = Regimen(name="Oldumab q6w", cycle_length_days=42, attendance_days="1", max_cycles=18)
    db.add(old)
    db.commit()
    db.add(RegimenComponent(regimen_id=old.id, drug_id=tiny["pack"].drug_id, dose=100, days="1",
                            chair_minutes_first_cycle=60, chair_minutes_later_cycles=60))
    db.add(AppraisalRegimen(appraisal_id=tiny["appraisal"].id, regimen_id=old.id, role="displaces", share_pct=50))
    db.commit()
    sign_in(client, make_user(db, Role.viewer))
    page = client.get(f"/appraisals/{tiny['appraisal'].id}").get_data(as_text=True)
    big = page[page.index("Big Trust"):]
    big = big[: big.index("</tr>")]
    cells = dict(__import__("re").findall(r'<td class="app-numeric" data-figure="([^"]+)">([^<]*)</td>', big))
    # eligible 52.18 a year; year-1 patients on the new treatment 52.18 (1 a week for 365.25 days), not
    # net 26.1 (which has its own column); chair hours at steady state net: 18 − half of 18 = 9.0.
    # Patients of 10 or more are shown whole (figures layer), so 52.18 reads "52" and 26.09 "26".
    assert cells["eligible_per_year"] == "52" and cells["year1.new_patients"] == "52"
    assert cells["year1.net_change_in_patients"] == "26"
    assert cells["steady_state.chair_hours_per_week"] == "9.0"
