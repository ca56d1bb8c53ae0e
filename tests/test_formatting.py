"""Wording of dates and numbers on pages."""

from datetime import date

import pytest

from appraisal_impact.formatting import date_uk, days_left, money, number, start_wording

TODAY = date(2026, 6, 1)


@pytest.mark.parametrize("deadline, expected", [
    (date(2026, 6, 24), "in 23 days"),
    (date(2026, 6, 2), "in 1 day"),
    (date(2026, 6, 1), "today"),
    (date(2026, 5, 27), "overdue by 5 days"),
    (date(2026, 5, 31), "overdue by 1 day"),
    (None, "not yet known"),
])
def test_time_left_to_a_deadline(deadline, expected):
    assert days_left(deadline, TODAY) == expected


@pytest.mark.parametrize("start, expected", [
    (date(2026, 6, 11), "starts in 10 days"),
    (date(2026, 6, 1), "starts today"),
    (date(2026, 2, 1), "started 120 days ago"),
    (None, "not yet known"),
])
def test_a_start_date_is_never_overdue(start, expected):
    assert start_wording(start, TODAY) == expected


def test_numbers_money_and_dates():
    assert number(1234.567, 1) == "1,234.6"
    assert number(None) == "–" and number(float("nan")) == "–"
    assert money(-1500.4) == "-£1,500" and money(2630) == "£2,630"
    assert date_uk(date(2026, 7, 1)) == "1 July 2026" and date_uk(None) == "Not yet known"
