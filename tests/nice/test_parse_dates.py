from datetime import date

import pytest

from appraisal_impact.nice.errors import NiceFormatError
from appraisal_impact.nice.parse import is_not_yet_known, parse_date_span, parse_nice_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23 August 2023", date(2023, 8, 23)),
        ("23 Aug 2023", date(2023, 8, 23)),
        ("07 June 2023", date(2023, 6, 7)),
        ("5 December 2022", date(2022, 12, 5)),
        ("23rd August 2023", date(2023, 8, 23)),
        ("2 Sept 2024", date(2024, 9, 2)),
        ("  23\xa0August   2023 ", date(2023, 8, 23)),
        ("2023-08-23T00:00:00", date(2023, 8, 23)),
        ("2023-02-22T11:59:28.3363328", date(2023, 2, 22)),
        ("2023-08-23", date(2023, 8, 23)),
        ("2022-12-05T12:00:00Z", date(2022, 12, 5)),
        ("TBC", None),
        ("tbc", None),
        ("To be confirmed", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_nice_date(text, expected):
    assert parse_nice_date(text) == expected


@pytest.mark.parametrize("text", ["August 2023", "soon", "31 February 2023", "2023/08/23"])
def test_unrecognised_dates_raise_naming_the_text(text):
    with pytest.raises(NiceFormatError, match="is not a date NICE uses"):
        parse_nice_date(text)


def test_not_yet_known():
    assert is_not_yet_known("TBC") and is_not_yet_known("To be confirmed.") and is_not_yet_known(None)
    assert not is_not_yet_known("23 August 2023")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21 February 2023 - 14 March 2023", (date(2023, 2, 21), date(2023, 3, 14))),
        ("18 October 2021 – 25 October 2021", (date(2021, 10, 18), date(2021, 10, 25))),
        ("07 June 2023", (date(2023, 6, 7), date(2023, 6, 7))),
        ("TBC", (None, None)),
    ],
)
def test_parse_date_span(text, expected):
    assert parse_date_span(text) == expected


def test_date_span_with_three_parts_raises():
    with pytest.raises(NiceFormatError):
        parse_date_span("1 May 2023 - 2 May 2023 - 3 May 2023")
