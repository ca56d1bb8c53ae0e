"""Stored what-if scenarios (issue #17, point 2): rows → the core's changes → a run on the baseline's inputs."""

from __future__ import annotations

from datetime import date

from numpy.testing import assert_allclose, assert_array_equal
from sqlmodel import select

from appraisal_impact import audit
from appraisal_impact import impact_service as svc
from appraisal_impact.models import AuditEntry, Regimen, RegimenComponent, ScenarioChange
from appraisal_impact.queries import scenarios as queries

from .test_impact_service import TODAY, tiny  # noqa: F401 - the fixture

ACTOR = audit.Actor(None, "test", "cli")


def test_an_empty_stored_scenario_is_the_baseline_exactly(db, tiny):  # noqa: F811
    scenario = queries.create(db, ACTOR, name="Nothing changed")
    db.commit()
    _loaded, baseline = svc.pipeline_impact(db, today=TODAY)
    _l, applied, result = svc.scenario_impact(db, scenario.id, today=TODAY)
    assert_array_equal(result.trust_net, baseline.trust_net)
    assert applied.dated_capacity == ()


def test_half_switched_to_subcutaneous_from_a_stored_change(db, tiny):  # noqa: F811
    # Big Trust: 1 start a week, 18 cycles q6w → 18 attendances a week at steady state.
    # Half switched to a form with 15 chair minutes and no aseptic item:
    # chair 9 × 60 / 60 + 9 × 15 / 60 = 9 + 2.25 = 11.25 hours; aseptic 9 × 51 / 60 = 7.65 hours.
    sc = Regimen(name="Testumab subcutaneous q6w", cycle_length_days=42, attendance_days="1", max_cycles=18,
                 verification_minutes_per_cycle=12, clinic_minutes=30, clinic_every_n_cycles=1)
    db.add(sc)
    db.commit()
    db.add(RegimenComponent(regimen_id=sc.id, drug_id=tiny["pack"].drug_id, dose=400, days="1",
                            chair_minutes_first_cycle=15, chair_minutes_later_cycles=15, aseptic_items=0,
                            aseptic_minutes_per_item=51))
    scenario = queries.create(db, ACTOR, name="Subcutaneous for half", description="an example")
    queries.add_change(db, ACTOR, scenario, ScenarioChange(kind="switch form", regimen_id=tiny["regimen"].id,
                                                           new_regimen_id=sc.id, share_pct=50, from_date=date(2025, 12, 1)))
    queries.add_change(db, ACTOR, scenario, ScenarioChange(kind="growth", growth_pct=8.0))
    db.commit()
    _l, applied, result = svc.scenario_impact(db, scenario.id, today=TODAY)
    summary = result.appraisal_by_trust_summary(str(tiny["appraisal"].id))
    assert_allclose(summary.loc["TB1", "chair_hours_per_week_steady_state"], 11.25, rtol=1e-6)
    assert_allclose(summary.loc["TB1", "aseptic_hours_per_week_steady_state"], 7.65, rtol=1e-6)
    assert applied.growth_percent_per_year == 8.0
    # the agreed figures are untouched
    _l, baseline = svc.pipeline_impact(db, today=TODAY)
    assert_allclose(baseline.appraisal_by_trust_summary(str(tiny["appraisal"].id)).loc["TB1", "chair_hours_per_week_steady_state"],
                    18.0, rtol=1e-6)
    # its history is the audit trail: the scenario and its two changes
    entries = db.exec(select(AuditEntry).where(AuditEntry.entity.in_(["scenario", "scenariochange"]))).all()
    assert sorted((e.entity, e.action) for e in entries) == [
        ("scenario", "create"), ("scenariochange", "create"), ("scenariochange", "create")]
    assert [c.position for c in queries.changes_of(db, scenario.id)] == [1, 2]


def test_seeded_example_scenario_is_labelled_sourced_and_runs(seeded):
    from appraisal_impact.models import Scenario

    examples = {s.name: s for s in seeded.exec(select(Scenario)).all()}
    assert set(examples) == {"Example: demand grows 8% a year"}
    example = examples["Example: demand grows 8% a year"]
    assert example.is_example and example.description.startswith("Example.")
    assert [(c.kind, c.growth_pct, bool(c.source)) for c in queries.changes_of(seeded, example.id)] == [("growth", 8.0, True)]
    today = date(2026, 6, 1)
    loaded, baseline = svc.pipeline_impact(seeded, today=today)
    _l, grown, result = svc.scenario_impact(seeded, example.id, today=today)
    assert grown.growth_percent_per_year == 8.0
    assert grown.inputs == loaded.inputs
    assert_array_equal(result.trust_net, baseline.trust_net)  # growth changes today's demand, not the pipeline's


def test_an_extended_interval_change_stored_and_run(db, tiny):  # noqa: F811
    # Testumab 400 mg q6w, 18 cycles, given every 84 days: ceil(18 / 2) = 9 cycles, twice the dose a cycle.
    # Big Trust, 1 start a week: 9 attendances a week × 60 minutes = 9 chair hours (18 before).
    scenario = queries.create(db, ACTOR, name="Every 12 weeks")
    queries.add_change(db, ACTOR, scenario, ScenarioChange(kind="extended interval", regimen_id=tiny["regimen"].id,
                                                           new_name="Testumab 800 mg q12w", cycle_length_days=84))
    db.commit()
    _l, _applied, result = svc.scenario_impact(db, scenario.id, today=TODAY)
    summary = result.appraisal_by_trust_summary(str(tiny["appraisal"].id))
    assert_allclose(summary.loc["TB1", "chair_hours_per_week_steady_state"], 9.0, rtol=1e-6)


def test_scenario_figures_come_from_the_figures_layer(db, tiny):  # noqa: F811
    # Big Trust: 10 chairs × 8 h × 5 days × 0.75 = 300 bookable chair hours a week; 14 chairs: 420.
    from appraisal_impact.figures import pipeline_figures, scenario_figures

    scenario = queries.create(db, ACTOR, name="More chairs and faster growth")
    queries.add_change(db, ACTOR, scenario, ScenarioChange(kind="capacity", trust_id=tiny["big"].id, chairs=14))
    queries.add_change(db, ACTOR, scenario, ScenarioChange(kind="growth", growth_pct=8.0))
    db.commit()
    baseline = pipeline_figures(db, today=TODAY)
    figures = scenario_figures(db, scenario.id, today=TODAY)
    assert figures.growth_percent == 8.0
    assert_allclose(baseline.trusts["TB1"].chair_capacity.chair_hours_per_week, 300.0)
    assert_allclose(figures.trusts["TB1"].chair_capacity.chair_hours_per_week, 420.0)
    assert figures.trusts["TS1"].chair_capacity == baseline.trusts["TS1"].chair_capacity
    assert scenario_figures(db, scenario.id, today=TODAY) is figures  # cached like the baseline
