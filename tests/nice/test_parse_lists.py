"""Guidance list pages: search JSON (same shape as __NEXT_DATA__ pageProps.results) and table fallback."""

import json
from datetime import date

import pytest
from .nice_support import fixture_text, next_data_page

from appraisal_impact.nice.errors import NiceFormatError
from appraisal_impact.nice.parse import parse_guidance_list, parse_search_results
from appraisal_impact.nice.references import NiceReference, ReferenceKind

INDEVELOPMENT_TITLES = [
    "Adults with complex needs: social work interventions including assessment, care management and support",
    "Advocacy services for adults with health and social care needs",
    "Assessment, referral and management of Adrenal dysfunction",
    "Asthma: diagnosis, monitoring and chronic asthma management",
    "Barrett's oesophagus: medical management, endoscopic treatment, follow up and stage 1 adenocarcinoma",
    "Blepharitis: antimicrobial prescribing",
    "Cardiovascular disease: risk assessment and reduction, including lipid modification",
    "Conjunctivitis: antimicrobial prescribing",
    "COVID-19 rapid guideline: managing the long-term effects of COVID-19 (update)",
    "Depression in adults: treatment and management (update)",
]
PUBLISHED_ROWS = [
    # title, reference number, published, last updated
    ("Cardiovascular disease: risk assessment and reduction, including lipid modification", "CG181",
     date(2014, 7, 18), date(2021, 10, 6)),
    ("COVID-19 rapid guideline: managing COVID-19", "NG191", date(2021, 3, 23), date(2021, 10, 4)),
    ("Chronic kidney disease: assessment and management", "NG203", date(2021, 8, 25), date(2021, 8, 25)),
    ("Babies, children and young people's experience of healthcare", "NG204", date(2021, 8, 25), date(2021, 8, 25)),
    ("Obstructive sleep apnoea/hypopnoea syndrome and obesity hypoventilation syndrome in over 16s", "NG202",
     date(2021, 8, 20), date(2021, 8, 20)),
    ("Antenatal care", "NG201", date(2021, 8, 19), date(2021, 8, 19)),
    ("Bronchiolitis in children: diagnosis and management", "NG9", date(2015, 6, 1), date(2021, 8, 9)),
    ("COVID-19 rapid guideline: vaccine-induced immune thrombocytopenia and thrombosis (VITT)", "NG200",
     date(2021, 7, 29), date(2021, 7, 29)),
    ("Clostridioides difficile infection: antimicrobial prescribing", "NG199", date(2021, 7, 23), date(2021, 7, 23)),
    ("COVID-19 rapid guideline: haematopoietic stem cell transplantation", "NG164", date(2020, 4, 1), date(2021, 7, 22)),
]
TERMINATED_ROWS = [
    # title, GID in the link, result type
    ("DG11", "GID-DG10162", "Diagnostics guidance"),
    ("DG-ID322", "GID-DG10161", "Diagnostics guidance"),
    ("TAID330", "GID-TA10409", "Technology appraisal guidance"),
    ("TEST Project IP", "GID-IPG10126", "Interventional procedures guidance"),
    ("Idam476Nov112021a", "GID-DG10175", "Diagnostics guidance"),
    ("DG321", "GID-DG10167", "Diagnostics guidance"),
    ("TA321-2", "GID-IPG10130", "Interventional procedures guidance"),
    ("DG329", "GID-DG10177", "Diagnostics guidance"),
    ("DG323", "GID-DG10172", "Diagnostics guidance"),
    ("MTG323", "GID-MT590", "Medical technologies guidance"),
]


def test_indevelopment_search_json():
    listing = parse_search_results(fixture_text("search-api_guidance-indevelopment.json"))
    assert (listing.total, listing.first_result, listing.last_result, listing.source) == (65, 1, 10, "search_json")
    assert listing.has_more
    assert [e.title for e in listing.entries] == INDEVELOPMENT_TITLES
    first, last = listing.entries[0], listing.entries[-1]
    assert first.url == "https://www.nice.org.uk/guidance/indevelopment/gid-ng10145"
    assert first.reference == NiceReference(ReferenceKind.GID, "GID-NG10145")
    assert first.guidance_type == "NICE guideline"
    assert first.status == "In development"
    assert first.expected_publication_date is None
    assert last.reference == NiceReference(ReferenceKind.GID, "GID-CGWAVE0725")
    assert last.expected_publication_date == date(2022, 12, 5)
    assert listing.entries[5].guidance_type == "Antimicrobial prescribing guideline"
    assert all(e.guidance_ref is None and e.publication_date is None for e in listing.entries)


def test_published_search_json():
    listing = parse_search_results(fixture_text("search-api_guidance-published.json"))
    assert (listing.total, listing.first_result, listing.last_result) == (350, 1, 10)
    assert [(e.title, e.guidance_ref, e.publication_date, e.last_updated) for e in listing.entries] == PUBLISHED_ROWS
    assert {e.status for e in listing.entries} == {"Published"}
    assert listing.entries[0].url == "https://www.nice.org.uk/guidance/cg181"
    # Guidelines are not appraisals: no reference is read from their addresses.
    assert all(e.reference is None for e in listing.entries)


def test_terminated_search_json_holds_topic_selection_results():
    listing = parse_search_results(fixture_text("search-api_guidance-terminated.json"))
    assert (listing.total, listing.first_result, listing.last_result) == (13, 1, 10)
    assert [(e.title, str(e.reference), e.guidance_type) for e in listing.entries] == TERMINATED_ROWS
    assert {e.status for e in listing.entries} == {"Topic selection"}
    assert listing.entries[2].url == "https://test.nice.org.uk/guidance/indevelopment/GID-TA10409"
    assert listing.entries[2].reference.is_technology_appraisal


def test_indevelopment_table_fallback():
    listing = parse_guidance_list(fixture_text("snapshot_guidance-indevelopment-list.html"))
    assert (listing.total, listing.first_result, listing.last_result, listing.source) == (65, 1, 10, "table")
    assert [e.title for e in listing.entries] == INDEVELOPMENT_TITLES
    assert [e.guidance_type for e in listing.entries] == (
        ["NICE guideline"] * 5 + ["Antimicrobial prescribing guideline", "NICE guideline",
                                  "Antimicrobial prescribing guideline", "NICE guideline", "NICE guideline"]
    )
    # "TBC" in every row but the last, which reads "5 December 2022".
    assert [e.expected_publication_date for e in listing.entries] == [None] * 9 + [date(2022, 12, 5)]
    assert listing.entries[0].url == "https://next-web-tests.nice.org.uk/guidance/indevelopment/gid-ng10145"
    assert listing.entries[0].reference == NiceReference(ReferenceKind.GID, "GID-NG10145")


def test_published_table_fallback():
    listing = parse_guidance_list(fixture_text("snapshot_guidance-published-list.html"))
    assert (listing.total, listing.last_result) == (350, 10)
    assert [(e.title, e.guidance_ref, e.publication_date, e.last_updated) for e in listing.entries] == PUBLISHED_ROWS


def test_terminated_table_fallback():
    listing = parse_guidance_list(fixture_text("snapshot_guidance-terminated-list.html"))
    assert listing.total == 13
    assert [(e.title, str(e.reference)) for e in listing.entries] == [(t, g) for t, g, _ in TERMINATED_ROWS]
    assert all(e.terminated_date is None and e.guidance_ref is None for e in listing.entries)


def test_next_data_is_read_before_the_table():
    results = json.loads(fixture_text("search-api_guidance-indevelopment.json"))
    results["documents"] = results["documents"][:2]
    page = next_data_page({"results": results}, body=fixture_text("snapshot_guidance-published-list.html"))
    listing = parse_guidance_list(page)
    assert listing.source == "next_data"
    assert [e.title for e in listing.entries] == INDEVELOPMENT_TITLES[:2]


def test_table_columns_are_found_by_header_text_not_position():
    html = """<table id="results"><thead><tr><th>Expected publication date</th><th>Title</th></tr></thead>
    <tbody><tr><td>23 August 2023</td><td><a href="/guidance/indevelopment/gid-ta10914">Daratumumab</a></td></tr>
    </tbody></table>"""
    entry = parse_guidance_list(html).entries[0]
    assert (entry.title, entry.expected_publication_date, str(entry.reference)) == (
        "Daratumumab", date(2023, 8, 23), "GID-TA10914")


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<html><body><p>Maintenance</p></body></html>", "no results table"),
        ('<table id="results"><thead><tr><th>Name</th></tr></thead><tbody></tbody></table>', "no Title column"),
        ('<table id="results"><thead><tr><th>Title</th><th>Type</th></tr></thead>'
         '<tbody><tr><td><a href="/x">X</a></td></tr></tbody></table>', "1 cells for 2 headers"),
        ('<script id="__NEXT_DATA__" type="application/json">{"props": {"pageProps": {}}}</script>', "has no results"),
        ('<script id="__NEXT_DATA__" type="application/json">{"props": </script>', "not valid JSON"),
    ],
)
def test_list_shape_not_understood_raises(html, message):
    with pytest.raises(NiceFormatError, match=message):
        parse_guidance_list(html)


def test_search_json_without_documents_or_failed_raises():
    with pytest.raises(NiceFormatError, match="no documents"):
        parse_search_results({"resultCount": 3})
    with pytest.raises(NiceFormatError, match="search failed: index offline"):
        parse_search_results({"failed": True, "errorMessage": "index offline", "documents": []})
    with pytest.raises(NiceFormatError, match="no title or url"):
        parse_search_results({"documents": [{"id": "1", "title": "", "url": "/x"}]})
