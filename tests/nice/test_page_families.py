"""Issue 12, point 2: every page family NICE serves an appraisal under, read against a local fake NICE.

Proposed projects redirect to /guidance/awaiting-development/gid-…, discontinued ones to
/guidance/discontinued/gid-… (NICE's code since May 2023), terminated TAs to /guidance/terminated/taNNNN
with a "Terminated:" date and no "Published:" date, and a completed GID to its TA page. Project pages are
built from NICE's own feeds (../shared/fixtures/nice and nice-more); TA pages as NICE's page code renders
them (nice_support.py). TA numbers and dates of the made-up published pages are invented for the test.
"""

import json
from datetime import UTC, date, datetime

import pytest

from appraisal_impact.nice.client import NiceClient
from appraisal_impact.nice.parse import PageKind, RecommendationType, page_family_from_url, page_kind_from_url
from appraisal_impact.nice.reader import read_appraisal
from appraisal_impact.nice.references import ReferenceKind, parse_reference

from .nice_support import (
    Reply,
    fixture_text,
    more_fixture_text,
    next_data_page,
    project_page_props,
    recommendations_chapter,
    terminated_ta_page,
    published_ta_page,
)

READ_AT = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
LU177 = ("Lu vipivotide tetraxetan for treating PSMA-positive hormone-relapsed metastatic prostate cancer after 2 or "
         "more therapies")


@pytest.fixture
def client(fake_nice, fake_time):
    with NiceClient(contact="sact@example.nhs.uk", base_url=fake_nice.url, read_timeout=0.3,
                    clock=fake_time.clock, sleep=fake_time.sleep, now=lambda: READ_AT) as nice_client:
        yield nice_client


@pytest.mark.parametrize(
    ("address", "value"),
    [("https://www.nice.org.uk/guidance/awaiting-development/gid-ta11845", "GID-TA11845"),
     ("https://www.nice.org.uk/guidance/discontinued/gid-tag377", "GID-TAG377"),
     ("https://www.nice.org.uk/guidance/terminated/ta1002", "TA1002"),
     ("www.nice.org.uk/guidance/topic-selection/gid-ta11900/documents", "GID-TA11900")],
)
def test_every_family_address_can_be_pasted(address, value):
    assert parse_reference(address).value == value


@pytest.mark.parametrize(
    ("url", "kind", "family"),
    [("https://www.nice.org.uk/guidance/awaiting-development/gid-ta11036", PageKind.INDEV_PROJECT,
      "awaiting development"),
     ("https://www.nice.org.uk/guidance/discontinued/gid-tag377", PageKind.INDEV_PROJECT, "discontinued"),
     ("https://www.nice.org.uk/guidance/terminated/ta1002", PageKind.TERMINATED_GUIDANCE, "terminated"),
     ("https://www.nice.org.uk/guidance/terminated", PageKind.GUIDANCE_LIST, None),
     ("https://www.nice.org.uk/guidance/ta1121/chapter/1-Recommendations", PageKind.PUBLISHED_GUIDANCE, "published")],
)
def test_page_kind_and_family(url, kind, family):
    assert page_kind_from_url(url) is kind
    assert page_family_from_url(url) == family


def test_awaiting_development_project(fake_nice, client):
    # GID-TA11036's feed, as it was while proposed (its timeline: "Awaiting development. Status change linked to
    # Topic Selection Decision being set to Selected", 28 January 2022).
    feed = json.loads(more_fixture_text("indev-feed_project_gid-ta11036.json"))
    fake_nice.add("/guidance/indevelopment/gid-ta11036",
                  Reply(301, "", {"Location": "/guidance/awaiting-development/gid-ta11036"}))
    fake_nice.add("/guidance/awaiting-development/gid-ta11036",
                  Reply(200, next_data_page(project_page_props(feed, status="Proposed"))))
    read = read_appraisal("GID-TA11036", client)
    assert (read.gid, read.id_number, read.status, read.page_family) == (
        "GID-TA11036", "ID4059", "Proposed", "awaiting development")
    assert read.title == "Abaloparatide for treating idiopathic or hypogonadal osteoporosis in men"
    assert read.source_url.endswith("/guidance/awaiting-development/gid-ta11036")


def test_discontinued_project(fake_nice, client):
    feed = json.loads(more_fixture_text("indev-feed_project_gid-tag377.json"))
    fake_nice.add("/guidance/indevelopment/gid-tag377",
                  Reply(301, "", {"Location": "/guidance/discontinued/gid-tag377"}))
    fake_nice.add("/guidance/discontinued/gid-tag377", Reply(200, next_data_page(project_page_props(feed))))
    read = read_appraisal("https://www.nice.org.uk/guidance/discontinued/gid-tag377", client)
    assert (read.gid, read.id_number, read.status, read.page_family) == (
        "GID-TAG377", "ID376", "Discontinued", "discontinued")
    # Its schedule says "<strong>TBC</strong>" for both committee meetings: read as TBC, not fatal.
    assert [e.tbc for e in read.provisional_schedule] == [True, True]
    assert read.committee_dates == () and read.notes == ()


def test_terminated_ta_has_a_terminated_date_and_no_recommendations_chapter(fake_nice, client):
    title = "Pemigatinib for treating relapsed myeloid or lymphoid neoplasms with FGFR1 rearrangement"
    sentence = ("NICE is unable to make a recommendation on pemigatinib for treating relapsed myeloid or lymphoid "
                "neoplasms with FGFR1 rearrangement because Incyte did not provide an evidence submission.")
    fake_nice.add("/guidance/ta1002", Reply(301, "", {"Location": "/guidance/terminated/ta1002"}))
    fake_nice.add("/guidance/terminated/ta1002",
                  Reply(200, terminated_ta_page(title, "TA1002", terminated="2024-09-05", sentence=sentence)))
    read = read_appraisal("TA1002", client)
    assert (read.ta_number, read.status, read.publication_date, read.terminated_date) == (
        "TA1002", "Terminated", None, date(2024, 9, 5))
    assert read.recommendation is RecommendationType.TERMINATED and read.recommendation_sentence == sentence
    assert fake_nice.paths() == ["/guidance/ta1002", "/guidance/terminated/ta1002"]  # no chapter asked for


def test_completed_gid_redirects_to_its_ta_in_todays_wording(fake_nice, client):
    fake_nice.add("/guidance/indevelopment/gid-ta10730", Reply(301, "", {"Location": "/guidance/ta1200"}))
    fake_nice.add("/guidance/ta1200", Reply(200, published_ta_page(LU177, "TA1200", published="2026-01-14")))
    fake_nice.add("/guidance/ta1200/chapter/1-Recommendations", Reply(200, recommendations_chapter(
        LU177, "TA1200",
        ["1.1 Lutetium-177 vipivotide tetraxetan can be used, within its marketing authorisation, as an option to "
         "treat PSMA-positive hormone-relapsed metastatic prostate cancer in adults after 2 or more therapies. It "
         "can only be used if the company provides it according to the commercial arrangement."],
        published="2026-01-14",
        why=["Cabazitaxel is recommended for some people after docetaxel."])))
    read = read_appraisal("GID-TA10730", client)
    assert (read.gid, read.ta_number, read.status, read.publication_date) == (
        "GID-TA10730", "TA1200", "Published", date(2026, 1, 14))
    assert read.recommendation is RecommendationType.RECOMMENDED
    assert read.recommendation_sentence.startswith("1.1 Lutetium-177 vipivotide tetraxetan can be used")
    assert read.reference.kind is ReferenceKind.GID


def test_gid_of_a_terminated_appraisal_redirects_to_the_terminated_page(fake_nice, client):
    fake_nice.add("/guidance/indevelopment/gid-ta10730", Reply(301, "", {"Location": "/guidance/terminated/ta1200"}))
    fake_nice.add("/guidance/terminated/ta1200", Reply(200, terminated_ta_page(
        LU177, "TA1200", terminated="2025-11-19",
        sentence="NICE is unable to make a recommendation on lutetium-177 vipivotide tetraxetan because the company "
                 "did not provide an evidence submission.")))
    read = read_appraisal("GID-TA10730", client)
    assert (read.gid, read.ta_number, read.status, read.terminated_date) == (
        "GID-TA10730", "TA1200", "Terminated", date(2025, 11, 19))
    assert read.recommendation is RecommendationType.TERMINATED


def test_feed_status_spellings_are_nice_page_words():
    read_feed = json.loads(more_fixture_text("indev-feed_project_gid-hst10009.json"))
    from appraisal_impact.nice.parse import parse_indev_feed

    assert parse_indev_feed(read_feed).status == "Impacted by COVID-19"  # the feed says "ImpactedByCOVID19"
    assert parse_indev_feed(fixture_text("indev-feed_project_gid-ta10914.json")).status == "In progress"


def test_consultation_addresses_name_their_project():
    # NICE's in-consultation search response links to /guidance/gid-ta10478/consultation/html-content-3.
    from appraisal_impact.nice.parse import parse_search_results

    listing = parse_search_results(more_fixture_text("search-api_guidance-inconsultation.json"))
    venetoclax = next(e for e in listing.entries if e.title.startswith("Venetoclax"))
    assert venetoclax.reference == parse_reference("GID-TA10478")
    assert parse_reference("https://www.nice.org.uk/guidance/gid-ta10478/consultation/html-content-3").value == \
        "GID-TA10478"
