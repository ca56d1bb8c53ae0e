"""Deadlines on real dates (domain guide §3), worked by hand from a calendar."""

from datetime import date

import pytest

from appraisal_impact.core.deadlines import (
    DeadlineOverride,
    Milestones,
    add_calendar_months,
    compute_deadlines,
    parse_recommendation,
)


@pytest.mark.parametrize(
    ("published", "deadline"),
    [
        (date(2025, 1, 31), date(2025, 4, 30)),  # April has 30 days
        (date(2023, 11, 30), date(2024, 2, 29)),  # leap year February
        (date(2024, 2, 29), date(2024, 5, 29)),  # same day number
        (date(2025, 8, 31), date(2025, 11, 30)),
        (date(2025, 11, 15), date(2026, 2, 15)),  # across the year end
        (date(2023, 11, 29), date(2024, 2, 29)),
        (date(2022, 11, 30), date(2023, 2, 28)),  # not a leap year
    ],
)
def test_statutory_deadline_is_three_calendar_months(published, deadline):
    result = compute_deadlines(Milestones(publication=published), recommendation="recommended")
    assert result.funding_deadline.date == deadline
    assert "3 calendar months from publication of final guidance" in result.funding_deadline.rule
    assert "PMG19" in result.funding_deadline.source
    assert not result.is_planned


def test_add_calendar_months_clamps_to_month_end():
    assert add_calendar_months(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert add_calendar_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_calendar_months(date(2025, 12, 31), 2) == date(2026, 2, 28)


def test_fast_track_is_thirty_days():
    # 10 Jan 2025 + 30 days = 9 Feb 2025
    result = compute_deadlines(
        Milestones(publication=date(2025, 1, 10)), process="fast track", recommendation="recommended"
    )
    assert result.funding_deadline.date == date(2025, 2, 9)
    assert "30 days" in result.funding_deadline.rule


def test_ninety_day_note():
    # 31 Jan 2025 + 90 days: 28 (Feb) + 31 (Mar) + 30 (Apr) = 89 → 30 Apr is day 89, 1 May day 90
    result = compute_deadlines(Milestones(publication=date(2025, 1, 31)), recommendation="recommended")
    assert result.ninety_day_note.date == date(2025, 5, 1)
    assert result.funding_deadline.date == date(2025, 4, 30)


def test_planned_deadline_from_expected_publication():
    result = compute_deadlines(Milestones(expected_publication=date(2026, 3, 18)), recommendation=None)
    assert result.funding_deadline.date == date(2026, 6, 18)
    assert result.is_planned
    assert "expected publication" in result.funding_deadline.rule


def test_tbc_publication_is_not_yet_known():
    result = compute_deadlines(Milestones(), recommendation=None, is_cancer=True)
    assert result.funding_deadline.date is None
    assert not result.funding_deadline.is_known
    assert "not yet known" in result.funding_deadline.rule
    assert result.effective_start.date is None
    assert "not yet known" in result.effective_start.rule


def test_cancer_interim_funding_starts_at_later_of_authorisation_and_draft():
    milestones = Milestones(
        draft_guidance=date(2025, 3, 12),
        marketing_authorisation=date(2025, 5, 2),
        publication=date(2025, 7, 16),
    )
    result = compute_deadlines(milestones, recommendation="managed access", is_cancer=True)
    assert result.effective_start.date == date(2025, 5, 2)
    assert "marketing authorisation" in result.effective_start.rule
    assert result.funding_deadline.date == date(2025, 10, 16)

    earlier_licence = Milestones(
        draft_guidance=date(2025, 3, 12), marketing_authorisation=date(2024, 11, 1),
        publication=date(2025, 7, 16),
    )
    result = compute_deadlines(earlier_licence, recommendation="recommended", is_cancer=True)
    assert result.effective_start.date == date(2025, 3, 12)
    assert "draft guidance" in result.effective_start.rule


def test_non_cancer_effective_start_is_the_funding_deadline():
    milestones = Milestones(
        draft_guidance=date(2025, 3, 12), marketing_authorisation=date(2025, 1, 2),
        publication=date(2025, 7, 16),
    )
    result = compute_deadlines(milestones, recommendation="recommended", is_cancer=False)
    assert result.effective_start.date == date(2025, 10, 16)


def test_cancer_with_unknown_authorisation_falls_back_to_deadline_and_says_so():
    milestones = Milestones(draft_guidance=date(2025, 3, 12), publication=date(2025, 7, 16))
    result = compute_deadlines(milestones, recommendation="recommended", is_cancer=True)
    assert result.effective_start.date == date(2025, 10, 16)
    assert "marketing authorisation date missing" in result.effective_start.rule


def test_user_override_replaces_deadline_with_reason():
    override = DeadlineOverride(date(2026, 1, 31), "NHS England varied the period: budget impact over £20m")
    result = compute_deadlines(
        Milestones(publication=date(2025, 7, 16)), recommendation="recommended", is_cancer=False,
        override=override,
    )
    assert result.funding_deadline.date == date(2026, 1, 31)
    assert "budget impact over £20m" in result.funding_deadline.rule
    assert result.rule_based_deadline.date == date(2025, 10, 16)
    assert result.is_overridden
    assert result.effective_start.date == date(2026, 1, 31)


@pytest.mark.parametrize("negative", ["not recommended", "terminated", "only in research", "Terminated appraisal"])
def test_negative_recommendation_has_no_funding_deadline(negative):
    result = compute_deadlines(Milestones(publication=date(2025, 7, 16)), recommendation=negative)
    assert result.funding_deadline.date is None
    assert "no funding requirement" in result.funding_deadline.rule
    assert result.effective_start.date is None
    assert not result.has_funding_requirement


def test_recommendation_wording_is_read_loosely():
    assert parse_recommendation("Recommended for use with managed access").value == "managed access"
    assert parse_recommendation("") is None
    with pytest.raises(ValueError):
        parse_recommendation("maybe")


def test_wales_note_is_two_months_from_final_draft():
    result = compute_deadlines(Milestones(final_draft_guidance=date(2025, 12, 31)), recommendation="recommended")
    assert result.wales_note.date == date(2026, 2, 28)
