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


def test_tumour_site_share_is_a_share_of_the_alliance_patients(db, tiny):
    from appraisal_impact.models import TumourSiteShare

    # The alliance here is the two trusts: a tenth and a twentieth of England = 15% of England's
    # people. Big Trust treats 40% of the alliance's patients with this cancer:
    # 40% × 15% = 6% of England's patients → 521.8 × 6% = 31.308 eligible a year (not 40% of
    # England's, 208.72, which is what reading the share on England's base gave).
    appraisal = tiny["appraisal"]
    appraisal.tumour_site = "Lung"
    db.add(appraisal)
    db.add(TumourSiteShare(tumour_site="Lung", trust_id=tiny["big"].id, share_pct=40))
    db.commit()
    _l, result = svc.pipeline_impact(db, today=TODAY)
    summary = result.appraisal_by_trust_summary(str(appraisal.id))
    assert_allclose(summary.loc["TB1", "share"], 0.06, rtol=1e-9)
    assert_allclose(summary.loc["TB1", "local_eligible_per_year"], 31.308, rtol=1e-9)
    assert summary.loc["TB1", "share_source"] == "alliance tumour-site share"
    # the small trust has no site share: its catchment, a twentieth of England = 26.09 a year
    assert_allclose(summary.loc["TS1", "local_eligible_per_year"], 26.09, rtol=1e-9)


def test_subsequent_attendance_hrg_is_honoured(db, tiny):
    from appraisal_impact.models import HrgCost

    # An extra dose given within another regimen's cycle is a subsequent element (SB15Z), as the
    # regimen's delivery_hrg_first says; it was costed at SB12Z. SB12Z £174, SB15Z £332.83.
    db.add_all([HrgCost(code="SB12Z", description="simple first", cost=174.0),
                HrgCost(code="SB15Z", description="subsequent", cost=332.83)])
    extra = Regimen(name="Testumab extra dose", cycle_length_days=7, attendance_days="1", max_cycles=1,
                    clinic_type="none", clinic_minutes=0, delivery_hrg_first="SB15Z", delivery_hrg_subsequent="SB15Z")
    db.add(extra)
    db.commit()
    db.add(RegimenComponent(regimen_id=extra.id, drug_id=tiny["pack"].drug_id, dose=100, days="1",
                            chair_minutes_first_cycle=30, chair_minutes_later_cycles=30))
    db.add(AppraisalRegimen(appraisal_id=tiny["appraisal"].id, regimen_id=extra.id, role="brings in",
                            share_pct=100, counts_patients=False))
    db.commit()
    loaded, result = svc.pipeline_impact(db, today=TODAY)
    by_name = {r.name: r for a in loaded.inputs.appraisals for r in (u.regimen for u in a.brings_in)}
    assert by_name["Testumab extra dose"].first_attendance_hrg == "SB15Z"
    # Big Trust at steady state: 1 start a week; main regimen 18 first attendances a week at SB12Z
    # (£174 × 18 = £3,132) + the extra dose 1 a week at SB15Z (£332.83) = £3,464.83 a week
    weekly = result.appraisal_trust_weekly(str(tiny["appraisal"].id), "TB1")
    assert_allclose(weekly["delivery_cost"].iloc[-1], 18 * 174.0 + 332.83, rtol=1e-6)


def test_grid_holds_five_whole_years_from_every_effective_start(db, tiny):
    # Publication 1 Oct 2027 → start 1 Jan 2028 (a Saturday; its Monday 27 Dec 2027), 721 days =
    # 103 weeks after the grid's first Monday (today, Monday 5 Jan 2026). Five years = 1,826.25
    # days = 260.9 weeks → 261 weeks from week 103: 364 weeks, not 260 (which held 157 of them).
    appraisal = tiny["appraisal"]
    appraisal.publication_date = date(2027, 10, 1)
    db.add(appraisal)
    db.commit()
    loaded, result = svc.pipeline_impact(db, today=TODAY)
    assert loaded.inputs.grid_start == date(2026, 1, 5)
    assert loaded.inputs.n_weeks == 103 + 261
    summary = result.appraisal_by_trust_summary(str(appraisal.id))
    # steady state is the fifth year from the start for this late starter too: 18 chair hours a week
    assert_allclose(summary.loc["TB1", "chair_hours_per_week_steady_state"], 18.0, rtol=1e-6)
    assert svc.horizon_weeks(date(2025, 12, 29), [None, date(2026, 1, 1)]) == 261


def test_unpriced_regimens_are_listed_per_appraisal(db, tiny):
    unpriced_drug = Drug(name="Nopriceumab")
    other = Appraisal(title="Another appraisal", national_eligible_per_year=100, status="published",
                      recommendation="recommended", publication_date=date(2025, 10, 1))
    db.add_all([unpriced_drug, other])
    db.commit()
    regimen = Regimen(name="Nopriceumab q3w", cycle_length_days=21, max_cycles=6)
    db.add(regimen)
    db.commit()
    db.add(RegimenComponent(regimen_id=regimen.id, drug_id=unpriced_drug.id, dose=100, days="1"))
    db.add(AppraisalRegimen(appraisal_id=other.id, regimen_id=regimen.id, role="brings in", share_pct=100))
    db.commit()
    loaded, _ = svc.pipeline_impact(db, today=TODAY)
    assert loaded.unpriced_by_appraisal[str(other.id)] == ("Nopriceumab q3w",)
    assert loaded.unpriced_by_appraisal[str(tiny["appraisal"].id)] == ()


def test_a_regimen_in_phases_counts_patients_once(db, tiny):
    from appraisal_impact.models import RegimenPhase

    # Testumab 400 mg q6w × 18 (phase 1, 60 chair minutes), then 8 weeks' gap, then 50% go on to
    # "Testumab maintenance" 100 mg q3w × 4 (30 chair minutes): at Big Trust (1 start a week)
    # steady state: patients 108 + 0.5 × 12 weeks = 114; chair hours 18 + 0.5 × 4 × 0.5 h = 19;
    # starts stay 1 a week.
    maintenance = Regimen(name="Testumab maintenance", cycle_length_days=21, attendance_days="1", max_cycles=4,
                          clinic_type="none", clinic_minutes=0)
    db.add(maintenance)
    db.commit()
    db.add(RegimenComponent(regimen_id=maintenance.id, drug_id=tiny["pack"].drug_id, dose=100, days="1",
                            chair_minutes_first_cycle=30, chair_minutes_later_cycles=30))
    db.add(RegimenPhase(regimen_id=tiny["regimen"].id, position=2, phase_regimen_id=maintenance.id,
                        share_going_on_pct=50, gap_days=56))
    db.commit()
    loaded, result = svc.pipeline_impact(db, today=TODAY)
    appraisal = loaded.inputs.appraisals[0]
    assert [use.regimen.schedule.offset_days for use in appraisal.brings_in] == [0, 18 * 42 + 56]
    big = result.appraisal_by_trust_summary(appraisal.key).loc["TB1"]
    assert_allclose(big["patients_on_treatment_steady_state"], 108 + 0.5 * 12, rtol=1e-6)
    assert_allclose(big["chair_hours_per_week_steady_state"], 18 + 0.5 * 4 * 0.5, rtol=1e-6)
    assert_allclose(result.appraisal_trust_weekly(appraisal.key, "TB1")["new_starts"].iloc[-1], 1.0, rtol=1e-9)


def test_branched_funnel_and_growth_from_the_data_year(db, tiny):
    from appraisal_impact.models import FunnelStep

    # paths: 1,000 × 40% = 400 and 2,000 × 10% × 50% = 100; together 500, then 80% = 400 a year in 2023;
    # 5% growth a year from 2023 to the start year 2026: 400 × 1.05³ = 463.05
    appraisal = tiny["appraisal"]
    appraisal.eligible_from_funnel = True
    appraisal.eligible_growth_pct = 5.0
    appraisal.eligible_data_year = 2023
    db.add(appraisal)
    steps = [("stage 4", 1, "Stage 4 at diagnosis", 1000), ("stage 4", 2, "Fit", 40),
             ("later", 3, "Stages 2-3", 2000), ("later", 4, "Progress", 10), ("later", 5, "Fit", 50),
             ("", 6, "Second line", 80)]
    db.add_all([FunnelStep(appraisal_id=appraisal.id, path=path, position=position, name=name, value=value)
                for path, position, name, value in steps])
    db.commit()
    loaded, _ = svc.pipeline_impact(db, today=TODAY)
    core_appraisal = loaded.inputs.appraisals[0]
    assert_allclose(core_appraisal.eligible_per_year.eligible_per_year, 400.0)
    assert_allclose(core_appraisal.national_eligible_per_year, 400 * 1.05 ** 3)
