"""In-development projects: the raw InDev feed, the rendered page (HTML) and its __NEXT_DATA__ pageProps."""

import json
from dataclasses import replace
from datetime import date

import pytest
from .nice_support import fixture_text, jest_snapshot_to_json, next_data_page

from appraisal_impact.nice.errors import NiceFormatError
from appraisal_impact.nice.parse import (
    DatedEvent,
    EventKind,
    parse_consultation_notice,
    parse_indev_feed,
    parse_indev_page_props,
    parse_indev_project_page,
)


def test_feed_ta10914_daratumumab_myeloma():
    project = parse_indev_feed(fixture_text("indev-feed_project_gid-ta10914.json"))
    assert project.gid == "GID-TA10914"
    assert project.title == (
        "Daratumumab with lenalidomide and dexamethasone for untreated multiple myeloma "
        "when stem cell transplant is unsuitable"
    )
    assert project.id_number == "ID4014"
    assert (project.process, project.status, project.project_type) == ("STA", "In progress", "TA")
    assert project.expected_publication_date == date(2023, 8, 23)
    assert project.expected_publication_tbc is False
    assert project.provisional_schedule == (
        DatedEvent("Draft guidance: 1", EventKind.DRAFT_GUIDANCE, date(2023, 2, 21), date(2023, 3, 14),
                   "21 February 2023 - 14 March 2023", 1),
        DatedEvent("Committee meeting: 2", EventKind.COMMITTEE_MEETING, date(2023, 6, 7), date(2023, 6, 7),
                   "07 June 2023", 2),
        DatedEvent("Expected publication", EventKind.EXPECTED_PUBLICATION, date(2023, 8, 23), date(2023, 8, 23),
                   "23 August 2023", None),
    )
    assert [(e.start, e.kind, e.number) for e in project.timeline] == [
        (date(2023, 1, 12), EventKind.COMMITTEE_MEETING, 1),
        (date(2022, 3, 25), EventKind.INVITATION_TO_PARTICIPATE, None),
        (date(2022, 2, 17), EventKind.OTHER, None),  # consultation on the draft scope, to 10 March 2022
        (date(2022, 2, 21), EventKind.OTHER, None),  # "In progress. Draft guidance released"
        (date(2021, 11, 26), EventKind.OTHER, None),  # the request from the company
    ]
    assert project.timeline[2].end == date(2022, 3, 10)
    assert project.timeline[4].label.startswith("Following a request received from the company")
    assert project.draft_guidance_date == date(2023, 2, 21)
    assert project.fdg_date is None
    assert project.committee_dates == (date(2023, 1, 12), date(2023, 6, 7))
    assert project.source == "indev_feed"


def test_feed_ta10730_lutetium_prostate_has_no_provisional_schedule():
    project = parse_indev_feed(fixture_text("indev-feed_project_gid-ta10730.json"))
    assert project.gid == "GID-TA10730"
    assert project.title == (
        "Lu vipivotide tetraxetan for treating PSMA-positive hormone-relapsed metastatic prostate cancer "
        "after 2 or more therapies"
    )
    assert (project.id_number, project.process, project.status) == ("ID3840", "STA 2018", "In progress")
    assert project.provisional_schedule == ()
    # No schedule and no PublishedDate: nothing to read, and not "TBC" either.
    assert (project.expected_publication_date, project.expected_publication_tbc) == (None, False)
    assert len(project.timeline) == 8
    assert project.timeline[0] == DatedEvent(
        "Draft guidance: 2", EventKind.DRAFT_GUIDANCE, date(2023, 2, 21), date(2023, 3, 14),
        "21 February 2023 - 14 March 2023", 2)
    assert project.timeline[2].label == "Draft guidance"
    assert (project.timeline[2].start, project.timeline[2].end) == (date(2022, 10, 12), date(2022, 11, 2))
    assert project.timeline[-1].label == "In progress. DHSC referral received"
    assert project.timeline[-1].start == date(2020, 9, 1)
    assert project.draft_guidance_date == date(2023, 2, 21)  # the later of the two consultations
    assert project.committee_dates == (date(2023, 1, 12),)


NG10237_TIMELINE = [
    ("Stakeholder list updated", date(2022, 9, 13), date(2022, 9, 13)),
    ("Committee list updated", date(2022, 7, 7), date(2022, 7, 7)),
    ("Committee meeting", date(2022, 5, 25), date(2022, 5, 25)),
    ("Scope published", date(2022, 4, 14), date(2022, 4, 14)),
    ("Draft scope consultation", date(2022, 2, 1), date(2022, 3, 1)),
    ("Committee member recruitment", date(2022, 2, 1), date(2022, 3, 1)),
    ("Guideline title changed from Hypoadrenalism: acute and long-term management to Adrenal insufficiency: "
     "acute and long-term management.", date(2022, 2, 1), date(2022, 2, 1)),
    ("Scoping workshop", date(2022, 1, 5), date(2022, 1, 5)),
    ("Topic expert committee member recruitment", date(2021, 10, 18), date(2021, 10, 25)),
]


def _assert_ng10237(project):
    assert project.gid == "GID-NG10237"
    assert project.title == "Adrenal insufficiency: acute and long-term management"
    assert project.id_number is None
    assert (project.process, project.status, project.project_type) == ("CG", "In progress", "NG")
    assert (project.expected_publication_date, project.expected_publication_tbc) == (date(2024, 4, 11), False)
    assert [(e.label, e.start) for e in project.provisional_schedule] == [("Expected publication", date(2024, 4, 11))]
    assert [(e.label, e.start, e.end) for e in project.timeline] == NG10237_TIMELINE
    assert project.committee_dates == (date(2022, 5, 25),)
    assert project.draft_guidance_date is None


def test_feed_ng10237():
    project = parse_indev_feed(fixture_text("indev-feed_project_gid-ng10237.json"))
    _assert_ng10237(project)


def test_project_page_html_snapshot_ng10237():
    project = parse_indev_project_page(fixture_text("snapshot_indev-project-page_gid-ng10237.html"))
    _assert_ng10237(project)
    assert project.source == "html"


def test_project_page_next_data_from_pageprops_snapshot_ng10237():
    props = jest_snapshot_to_json(fixture_text("snapshot_indev-project-page_gid-ng10237.pageProps.txt"))["props"]
    project = parse_indev_project_page(next_data_page(props))
    _assert_ng10237(project)
    assert project.source == "next_data"


def test_feed_page_and_next_data_agree_for_ng10237():
    from_feed = parse_indev_feed(fixture_text("indev-feed_project_gid-ng10237.json"))
    from_html = parse_indev_project_page(fixture_text("snapshot_indev-project-page_gid-ng10237.html"))
    props = jest_snapshot_to_json(fixture_text("snapshot_indev-project-page_gid-ng10237.pageProps.txt"))["props"]
    from_props = parse_indev_page_props(props)
    assert replace(from_html, source="x") == replace(from_feed, source="x") == replace(from_props, source="x")


def _ta10914_page_props(expected_publication="23 August 2023"):
    """pageProps as a live TA project page would carry them, built from the values in the ta10914 feed."""
    return {
        "reference": "GID-TA10914",
        "title": "Daratumumab with lenalidomide and dexamethasone for untreated multiple myeloma when stem cell "
                 "transplant is unsuitable  [ID4014]",
        "idNumber": "4014",
        "process": "STA",
        "projectType": "TA",
        "status": "In progress",
        "indevScheduleItems": [
            {"column1": "Draft guidance: 1", "column2": "21 February 2023 - 14 March 2023", "additionalInfo": "1",
             "hidden": False},
            {"column1": "Committee meeting: 2", "column2": "07 June 2023", "additionalInfo": "2", "hidden": False},
            {"column1": "Expected publication", "column2": expected_publication, "hidden": False},
        ],
        "indevTimelineItems": [
            {"column1": "12 January 2023", "column2": "Committee meeting: 1", "additionalInfo": "1", "hidden": False},
            {"column1": "01 January 2023", "column2": "Hidden item", "hidden": True},
        ],
    }


def test_ta_page_next_data_matches_feed_values():
    project = parse_indev_project_page(next_data_page(_ta10914_page_props()))
    feed = parse_indev_feed(fixture_text("indev-feed_project_gid-ta10914.json"))
    assert (project.gid, project.title, project.id_number, project.process, project.status) == (
        feed.gid, feed.title, feed.id_number, feed.process, feed.status)
    assert project.provisional_schedule == feed.provisional_schedule
    assert project.committee_dates == (date(2023, 1, 12), date(2023, 6, 7))
    assert [e.label for e in project.timeline] == ["Committee meeting: 1"]  # hidden items are left out


def test_expected_publication_tbc_sets_flag_and_no_date():
    project = parse_indev_project_page(next_data_page(_ta10914_page_props(expected_publication="TBC")))
    assert project.expected_publication_date is None
    assert project.expected_publication_tbc is True
    assert project.provisional_schedule[-1].tbc


def test_html_labels_match_with_or_without_colon_and_in_paragraphs():
    html = """
    <div id="content-start"><h1>Talquetamab for treating relapsed multiple myeloma [ID6244]</h1>
      <ul><li>In development GID-TA11173</li><li><span>Expected publication date</span> <time>TBC</time></li></ul></div>
    <p>Status: In progress</p><p>Process: STA 2018</p><p>ID number: 6244</p>
    <h3>Provisional Schedule</h3>
    <dl><dt>Committee meeting: 1</dt><dd>15 May 2025</dd><dt>Expected publication</dt><dd>TBC</dd></dl>
    """
    project = parse_indev_project_page(html)
    assert (project.gid, project.title, project.id_number, project.process, project.status) == (
        "GID-TA11173", "Talquetamab for treating relapsed multiple myeloma", "ID6244", "STA 2018", "In progress")
    assert (project.expected_publication_date, project.expected_publication_tbc) == (None, True)
    assert project.committee_dates == (date(2025, 5, 15),)


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<html><body><h1>Page not found</h1><p>Sorry</p></body></html>", "no project information found"),
        ('<dl aria-label="Project information"><dt>Status</dt><dd>In progress</dd></dl>', "no title"),
        ('<h1>X</h1><dl aria-label="Project information"><dt>Status</dt><dd>In progress</dd></dl>', "no GID"),
        ('<h1>X GID-TA1</h1><dl aria-label="Project information"></dl>'
         '<table aria-label="Timeline"><tr><th>When</th><th>What</th></tr></table>', "no Date and Update columns"),
        ('<script id="__NEXT_DATA__" type="application/json">{"props": {"pageProps": {"title": "X"}}}</script>',
         "no project information found"),
    ],
)
def test_project_page_shape_not_understood_raises(html, message):
    with pytest.raises(NiceFormatError, match=message):
        parse_indev_project_page(html)


def test_feed_shape_not_understood_raises():
    feed = json.loads(fixture_text("indev-feed_project_gid-ta10914.json"))
    with pytest.raises(NiceFormatError, match="no _embedded"):
        parse_indev_feed({k: v for k, v in feed.items() if k != "_embedded"})
    with pytest.raises(NiceFormatError, match="no Reference or Title"):
        parse_indev_feed({"_embedded": {}})
    feed["IdNumber"] = "four"
    with pytest.raises(NiceFormatError, match="not a number"):
        parse_indev_feed(feed)


def test_consultation_notice_ta10914():
    notice = parse_consultation_notice(fixture_text("indev-html_gid-ta10914_consultation_html-content-5.html"))
    assert notice.closing_date == date(2023, 3, 14)
    assert notice.document_links == (
        ("Appraisal consultation document (online commenting)",
         "https://www.nice.org.uk/consultations/2095/1/recommendations"),
        ("Appraisal consultation document (PDF version)", "/guidance/GID-TA10914/documents/129"),
    )


def test_consultation_notice_without_closing_date_raises():
    with pytest.raises(NiceFormatError, match="Closing date"):
        parse_consultation_notice("<div><p>You can now comment on this draft guidance.</p></div>")
