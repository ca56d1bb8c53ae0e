"""read_appraisal and discover_*: the parsers and the client together, against a local fake NICE."""

import json
import re
from datetime import UTC, date, datetime

import pytest

from appraisal_impact.nice.client import NiceClient
from appraisal_impact.nice.errors import NiceFetchError, NiceReferenceError
from appraisal_impact.nice.parse import EventKind, RecommendationType
from appraisal_impact.nice.reader import (
    FIELD_NAMES,
    discover_appraisals,
    discover_cancer_appraisals,
    read_appraisal,
    resolve_id_number,
)
from appraisal_impact.nice.references import indevelopment_list_url, parse_reference

from .nice_support import Reply, fixture_text, next_data_page, page_props_from_feed

READ_AT = datetime(2025, 5, 1, 9, 30, tzinfo=UTC)
TA10914_PATH = "/guidance/indevelopment/gid-ta10914"


@pytest.fixture
def client(fake_nice, fake_time):
    with NiceClient(contact="sact@example.nhs.uk", base_url=fake_nice.url, read_timeout=0.3,
                    clock=fake_time.clock, sleep=fake_time.sleep, now=lambda: READ_AT) as nice_client:
        yield nice_client


def _project_page(feed_fixture: str, **changes) -> str:
    props = page_props_from_feed(json.loads(fixture_text(feed_fixture)))
    props.update(changes)
    return next_data_page(props)


def _list_path(page=1, page_size=50, query=None):
    return indevelopment_list_url(page=page, page_size=page_size, query=query, base_url="")


def _list_page(documents, total):
    results = json.loads(fixture_text("search-api_guidance-indevelopment.json"))
    results.update(documents=documents, resultCount=total, firstResult=1, lastResult=len(documents))
    return next_data_page({"results": results})


def _document(title, gid, expected=None):
    return {"id": gid, "title": title, "url": f"https://www.nice.org.uk/guidance/indevelopment/{gid.lower()}",
            "guidanceRef": None, "niceResultType": "Technology appraisal guidance",
            "guidanceStatus": ["In development"], "expectedPublicationDate": expected,
            "publicationDate": None, "lastUpdated": None}


def test_read_in_development_project_by_url(fake_nice, client):
    fake_nice.add(TA10914_PATH, Reply(200, _project_page("indev-feed_project_gid-ta10914.json")))
    read = read_appraisal("https://www.nice.org.uk/guidance/indevelopment/gid-ta10914/documents", client)
    assert read.as_fields() == {
        "title": "Daratumumab with lenalidomide and dexamethasone for untreated multiple myeloma when stem cell "
                 "transplant is unsuitable",
        "gid": "GID-TA10914",
        "id_number": "ID4014",
        "ta_number": None,
        "process": "STA",
        "status": "In progress",
        "draft_guidance_date": date(2023, 2, 21),
        "fdg_date": None,
        "expected_publication_date": date(2023, 8, 23),
        "expected_publication_tbc": False,
        "publication_date": None,
        "recommendation": None,
        "committee_dates": (date(2023, 1, 12), date(2023, 6, 7)),
    }
    assert tuple(read.as_fields()) == FIELD_NAMES
    assert read.cancer.is_cancer and read.cancer.rule == "myeloma"
    assert read.source_url == fake_nice.url + TA10914_PATH
    assert read.read_at == READ_AT
    assert [p.url for p in read.pages] == [fake_nice.url + TA10914_PATH]
    assert read.provisional_schedule[0].kind is EventKind.DRAFT_GUIDANCE
    assert not read.is_published


def test_read_tbc_project_and_compare_with_an_earlier_read(fake_nice, client):
    earlier = {"expected_publication_date": date(2023, 8, 23), "expected_publication_tbc": False}
    schedule = [{"column1": "Expected publication", "column2": "TBC", "hidden": False}]
    fake_nice.add(TA10914_PATH, Reply(200, _project_page("indev-feed_project_gid-ta10914.json",
                                                         indevScheduleItems=schedule)))
    read = read_appraisal("GID-TA10914", client)
    assert (read.expected_publication_date, read.expected_publication_tbc) == (None, True)
    changes = read.changes_from({**read.as_fields(), **earlier})
    assert changes == {"expected_publication_date": (date(2023, 8, 23), None),
                       "expected_publication_tbc": (False, True)}


def test_read_project_from_html_without_next_data(fake_nice, client):
    fake_nice.add("/guidance/indevelopment/gid-ng10237",
                  Reply(200, fixture_text("snapshot_indev-project-page_gid-ng10237.html")))
    read = read_appraisal("gid-ng10237", client)
    assert (read.gid, read.title, read.status, read.process) == (
        "GID-NG10237", "Adrenal insufficiency: acute and long-term management", "In progress", "CG")
    assert read.expected_publication_date == date(2024, 4, 11)
    assert read.committee_dates == (date(2022, 5, 25),)
    assert not read.cancer.is_cancer


PUBLISHED_TA1027 = """<html><head><title>Overview</title></head><body><main>
<h1>Daratumumab with lenalidomide and dexamethasone for untreated multiple myeloma when a stem cell transplant
is unsuitable</h1><ul><li>Technology appraisal guidance</li><li>Reference number: TA917</li>
<li>Published: <time datetime="2023-10-25">25 October 2023</time></li></ul></main></body></html>"""
RECOMMENDATIONS_TA917 = """<html><body><main><h2>1 Recommendations</h2><p>1.1 Daratumumab plus lenalidomide
and dexamethasone is recommended, within its marketing authorisation, as an option for untreated multiple myeloma
in adults when a stem cell transplant is unsuitable. It is recommended only if the company provides it according
to the commercial arrangement.</p></main></body></html>"""


def test_finished_project_redirects_to_published_page_and_parser_switches(fake_nice, client):
    fake_nice.add(TA10914_PATH, Reply(301, "", {"Location": "/guidance/ta917"}))
    fake_nice.add("/guidance/ta917", Reply(200, PUBLISHED_TA1027))
    fake_nice.add("/guidance/ta917/chapter/1-Recommendations", Reply(200, RECOMMENDATIONS_TA917))
    read = read_appraisal("GID-TA10914", client)
    assert read.ta_number == "TA917"
    assert read.gid == "GID-TA10914"  # what was asked for stays known
    assert read.publication_date == date(2023, 10, 25)
    assert read.status == "Published"
    assert read.recommendation is RecommendationType.RECOMMENDED
    assert read.as_fields()["recommendation"] == "recommended"
    assert read.recommendation_sentence.startswith("1.1 Daratumumab plus lenalidomide")
    assert read.source_url == fake_nice.url + "/guidance/ta917"
    assert [p.url for p in read.pages] == [fake_nice.url + "/guidance/ta917",
                                           fake_nice.url + "/guidance/ta917/chapter/1-Recommendations"]
    assert read.is_published


def test_terminated_appraisal_by_ta_number(fake_nice, client):
    fake_nice.add("/guidance/ta1013", Reply(200, """<h1>Pemigatinib for treating relapsed myeloid or lymphoid
    neoplasms with FGFR1 rearrangements (terminated appraisal)</h1><ul><li>TA1013</li>
    <li>Published: 4 October 2024</li></ul>"""))
    fake_nice.add("/guidance/ta1013/chapter/1-Recommendations", Reply(200, """<main><h2>1 Recommendations</h2>
    <p>1.1 NICE is unable to make a recommendation on pemigatinib for treating relapsed or refractory myeloid or
    lymphoid neoplasms with FGFR1 rearrangements in adults. This is because Incyte did not provide an evidence
    submission.</p></main>"""))
    read = read_appraisal("https://www.nice.org.uk/guidance/ta1013", client)
    assert (read.ta_number, read.gid, read.status, read.recommendation) == (
        "TA1013", None, "Terminated", RecommendationType.TERMINATED)
    assert read.publication_date == date(2024, 10, 4)
    assert read.cancer.is_cancer and read.cancer.rule == "neoplasm"


def test_missing_recommendations_chapter_fails_the_whole_read(fake_nice, client):
    fake_nice.add("/guidance/ta917", Reply(200, PUBLISHED_TA1027))
    with pytest.raises(NiceFetchError) as raised:
        read_appraisal("TA917", client)
    assert str(raised.value) == (
        "Could not read TA917 from NICE: could not read the recommendations (chapter 1): "
        "NICE says page not found (404)")


def test_unrecognised_page(fake_nice, client):
    fake_nice.add(TA10914_PATH, Reply(200, "<html><body><h1>We're making improvements</h1></body></html>"))
    with pytest.raises(NiceFetchError) as raised:
        read_appraisal("GID-TA10914", client)
    assert raised.value.reason == ("the page did not look like a NICE appraisal page (NICE may have changed its "
                                   "page layout): no project information found")


def test_redirect_somewhere_unexpected(fake_nice, client):
    fake_nice.add(TA10914_PATH, Reply(302, "", {"Location": "/search?q=gid-ta10914"}))
    fake_nice.add("/search?q=gid-ta10914", Reply(200, "<h1>Search</h1>"))
    with pytest.raises(NiceFetchError, match="did not look like a NICE appraisal page: NICE sent us to .*/search"):
        read_appraisal("GID-TA10914", client)


def test_project_page_for_another_gid_is_refused(fake_nice, client):
    fake_nice.add(TA10914_PATH, Reply(200, _project_page("indev-feed_project_gid-ta10730.json")))
    with pytest.raises(NiceFetchError, match=r"different project \(GID-TA10730\)"):
        read_appraisal("GID-TA10914", client)


def test_fetch_errors_pass_through_naming_the_appraisal(fake_nice, client):
    fake_nice.add(TA10914_PATH, Reply(500, "oops"))
    with pytest.raises(NiceFetchError) as raised:
        read_appraisal("GID-TA10914", client)
    assert str(raised.value) == "Could not read GID-TA10914 from NICE: NICE returned server error 500 three times"


def test_bad_input_is_a_reference_error(client):
    with pytest.raises(NiceReferenceError):
        read_appraisal("pembrolizumab", client)


def test_id_number_is_found_through_the_in_development_list(fake_nice, client):
    documents = [_document("Daratumumab with lenalidomide and dexamethasone for untreated multiple myeloma "
                           "[ID4014]", "GID-TA10914"),
                 _document("Something else mentioning ID4014 in its summary [ID5000]", "GID-TA11000")]
    fake_nice.add(_list_path(query="ID4014"), Reply(200, _list_page(documents, total=2)))
    fake_nice.add(TA10914_PATH, Reply(200, _project_page("indev-feed_project_gid-ta10914.json")))
    assert resolve_id_number("ID4014", client) == parse_reference("GID-TA10914")
    read = read_appraisal("[ID4014]", client)
    assert read.reference == parse_reference("ID4014")
    assert (read.gid, read.id_number) == ("GID-TA10914", "ID4014")
    assert len(read.pages) == 2  # the search, then the project


def test_id_number_not_in_the_list_says_what_to_paste_instead(fake_nice, client):
    fake_nice.add(_list_path(query="ID9999"), Reply(200, _list_page([], total=0)))
    with pytest.raises(NiceFetchError, match="ID9999 was not found .* paste its GID, TA number or web address"):
        read_appraisal("ID9999", client)


def test_discover_reads_every_page_and_classifies(fake_nice, client):
    page_one = [_document("Talquetamab for treating relapsed multiple myeloma [ID6244]", "GID-TA11173", "2025-08-20"),
                _document("Dupilumab for treating chronic spontaneous urticaria [ID6273]", "GID-TA11300")]
    page_two = [_document("Netupitant for preventing chemotherapy-induced nausea [ID7000]", "GID-TA11400"),
                _document("Zanubrutinib for treating chronic lymphocytic leukaemia [ID6100]", "GID-TA11500")]
    fake_nice.add(_list_path(page=1, page_size=2), Reply(200, _list_page(page_one, total=4)))
    page_two_html = _list_page(page_two, total=4).replace('"firstResult": 1, "lastResult": 2',
                                                          '"firstResult": 3, "lastResult": 4')
    fake_nice.add(_list_path(page=2, page_size=2), Reply(200, page_two_html))
    candidates = discover_appraisals(client, page_size=2)
    assert [(c.title, str(c.reference), c.id_number, c.cancer.is_cancer) for c in candidates] == [
        ("Talquetamab for treating relapsed multiple myeloma", "GID-TA11173", "ID6244", True),
        ("Dupilumab for treating chronic spontaneous urticaria", "GID-TA11300", "ID6273", False),
        ("Netupitant for preventing chemotherapy-induced nausea", "GID-TA11400", "ID7000", False),
        ("Zanubrutinib for treating chronic lymphocytic leukaemia", "GID-TA11500", "ID6100", True),
    ]
    assert candidates[0].expected_publication_date == date(2025, 8, 20)
    assert candidates[0].listed_at == READ_AT
    assert candidates[2].cancer.rule == "chemotherapy-induced side effect"
    assert fake_nice.paths() == [_list_path(page=1, page_size=2), _list_path(page=2, page_size=2)]
    assert [c.title for c in discover_cancer_appraisals(client, page_size=2)] == [
        "Talquetamab for treating relapsed multiple myeloma",
        "Zanubrutinib for treating chronic lymphocytic leukaemia",
    ]


def test_discover_from_table_fallback_stops_at_the_last_page(fake_nice, client):
    html = fixture_text("snapshot_guidance-indevelopment-list.html")  # "Showing 1 to 10 of 65"
    fake_nice.add(_list_path(page=1, page_size=10), Reply(200, html))
    last_page = re.sub(r"(of\s*)65", r"\g<1>10", html)  # "Showing 1 to 10 of 10"
    fake_nice.add(_list_path(page=2, page_size=10), Reply(200, last_page))
    with pytest.raises(NiceFetchError, match="longer than 1 pages"):
        discover_appraisals(client, page_size=10, max_pages=1)
    candidates = discover_appraisals(client, page_size=10, max_pages=7)
    # Pages repeat the same 10 rows here, so they are kept once each; the list ends when NICE says so.
    assert len(candidates) == 10
    assert [c.title for c in candidates if c.cancer.is_cancer] == [
        "Barrett's oesophagus: medical management, endoscopic treatment, follow up and stage 1 adenocarcinoma"]


def test_discover_list_of_unexpected_shape_fails(fake_nice, client):
    fake_nice.add(_list_path(page=1, page_size=50), Reply(200, "<h1>Maintenance</h1>"))
    with pytest.raises(NiceFetchError, match="the list page did not look as expected: no __NEXT_DATA__ and no results"):
        discover_appraisals(client)


@pytest.mark.parametrize("listed_title", [
    "Bevacizumab for untreated malignant pleural mesothelioma (ID1183)",
    "Bevacizumab for untreated malignant pleural mesothelioma ID1183",
    "Bevacizumab for untreated malignant pleural mesothelioma [1183]",
    "Bevacizumab for untreated malignant pleural mesothelioma [ID1183 ]",
])
def test_id_number_look_up_reads_every_title_form(fake_nice, client, listed_title):
    # Forms from NICE's feed of all projects (issue 12, point 4): the old reader only knew "[ID1183]".
    fake_nice.add(_list_path(query="ID1183"), Reply(200, _list_page([_document(listed_title, "GID-TAG480")], total=1)))
    assert resolve_id_number("ID1183", client) == parse_reference("GID-TAG480")
