"""Capacity and demand by financial quarter (the figures layer's, for the demand-and-capacity return): a trust's
quarters, ICB and alliance totals of unrounded parts, and the first trust to run out."""

from __future__ import annotations

from datetime import date

import pytest

from appraisal_impact import impact_service
from appraisal_impact.figures import pipeline_figures
from appraisal_impact.figures.capacity_periods import added_quarters, quarters_of, run_out

TODAY = date(2026, 6, 1)


@pytest.fixture
def figures(app, seeded):
    impact_service.clear_cache()
    with app.app_context():
        yield pipeline_figures(seeded, today=TODAY)
    impact_service.clear_cache()


def test_a_trusts_quarters_from_the_figures_date(figures):
    quarters = quarters_of(figures.trusts["RHM"].resource("chair_hours"), figures.grid_start, figures.n_weeks)
    first = quarters[0]
    # the figures date (1 June 2026) falls in 2026/27 Q1 (April–June): only partly covered
    assert first.key == "2026/27 Q1" and not first.whole and first.label == "2026/27 Q1 (from 1 June 2026)"
    assert quarters[1].key == "2026/27 Q2" and quarters[1].whole and quarters[1].first_day == date(2026, 7, 1)
    for q in quarters:
        # 40 chairs × 10 hours × 5 days × 85% = 1,700 chair-hours a week, every quarter
        assert q.capacity.value == pytest.approx(1700)
        assert q.headroom_without_pipeline.value == pytest.approx(1700 - q.baseline.value)
        assert q.headroom_with_pipeline.value == pytest.approx(1700 - q.baseline.value - q.pipeline.value)
        assert q.use_with_pipeline.value == pytest.approx(q.demand_with_pipeline.value / 1700 * 100)
    # demand today 1,600 grows: the first quarter's mean week is a little above it, later ones more
    assert 1600 < first.baseline.value < quarters[1].baseline.value < quarters[-1].baseline.value


def test_alliance_capacity_adds_the_trusts_worked_by_hand(figures):
    chair = added_quarters([(code, quarters_of(t.resource("chair_hours"), figures.grid_start, figures.n_weeks))
                            for code, t in figures.trusts.items()])
    # chairs × hours a day × days a week × 85% at each trust (seeds/reference/trusts.csv):
    # R0D 1,292 + R1F 272 + RBD 459 + RHM 1,700 + RHU 1,147.5 + RN5 688.5 = 5,559
    assert chair[0].capacity.value == pytest.approx(5559)
    assert chair[0].capacity.unknown_parts == 0


def test_a_trust_without_aseptic_capacity_is_counted_missing_never_zero(figures):
    aseptic = added_quarters([(code, quarters_of(t.resource("aseptic_hours"), figures.grid_start, figures.n_weeks))
                              for code, t in figures.trusts.items()])
    # R1F has no aseptic capacity entered: 320 + 100 + 400 + 300 + 150 = 1,270 from the other five
    assert aseptic[0].capacity.value == pytest.approx(1270)
    assert aseptic[0].capacity.note.startswith("1 of 6 trusts not yet known")
    r1f = quarters_of(figures.trusts["R1F"].resource("aseptic_hours"), figures.grid_start, figures.n_weeks)
    assert all(q.capacity.value is None and "not entered" in q.capacity.reason for q in r1f)


def test_the_first_trust_to_run_out(figures):
    resources = [(code, t.resource("aseptic_hours")) for code, t in figures.trusts.items()]
    first = run_out("aseptic_hours", resources, figures.horizon_end)
    dates = [r.first_week_over_with_pipeline for _, r in resources if r.first_week_over_with_pipeline]
    assert first.with_pipeline == min(dates) and first.unknown_parts == ("R1F",)
    assert dict(resources)[first.with_pipeline_part].first_week_over_with_pipeline == first.with_pipeline
