"""Issue 12, points 3–5 on NICE's own feeds (../shared/fixtures/nice-more): odd dates never fail a read,
ID numbers in every title form, and the cancer classifier's known misses on real TA titles."""

import copy
import json
import re
from datetime import date

import pytest

from appraisal_impact.nice.classify import classify_title
from appraisal_impact.nice.parse import (
    EventKind,
    parse_indev_feed,
    parse_indev_page_props,
    parse_nice_date,
    read_date_leniently,
    split_title,
)

from .nice_support import fixture_text, more_fixture_text, page_props_from_feed


def _feed(name):
    return json.loads(more_fixture_text(name))


# --- 3. dates ------------------------------------------------------------------------------------


def test_timeline_row_with_a_time_is_read_as_its_day():
    # HST10037 (suspended): "09 October 2020 (14:00)" Scoping workshop.
    project = parse_indev_feed(_feed("indev-feed_project_gid-hst10037.json"))
    workshop = next(e for e in project.timeline if e.label == "Scoping workshop")
    assert (workshop.start, workshop.date_text, workshop.readable) == (date(2020, 10, 9), "09 October 2020 (14:00)",
                                                                       True)
    assert project.status == "Suspended" and project.notes == ()


def test_strong_tbc_is_tbc():
    # TAG383: every schedule row reads "<strong>TBC</strong>"; the older labels name committee meetings.
    project = parse_indev_feed(_feed("indev-feed_project_gid-tag383.json"))
    assert [(e.label, e.date_text, e.tbc) for e in project.provisional_schedule] == [
        ("Closing date for invited submissions / evidence submission", "TBC", True),
        ("1st appraisal committee meeting", "TBC", True),
        ("2nd appraisal committee meeting", "TBC", True),
    ]
    assert [e.kind for e in project.provisional_schedule[1:]] == [EventKind.COMMITTEE_MEETING] * 2
    assert [e.number for e in project.provisional_schedule[1:]] == [1, 2]


@pytest.mark.parametrize(("text", "expected"), [
    ("09 October 2020 (14:00)", date(2020, 10, 9)),
    ("<strong>TBC</strong>", None),
    ("12 May 2025, 2pm", date(2025, 5, 12)),
    ("3 June 2025 at 10.30", date(2025, 6, 3)),
])
def test_dates_nice_writes_with_extras(text, expected):
    assert parse_nice_date(text) == expected


def test_an_unreadable_row_is_kept_as_text_and_noted_never_fatal():
    feed = json.loads(fixture_text("indev-feed_project_gid-ta10914.json"))
    odd = copy.deepcopy(feed)
    rows = odd["_embedded"]["nice.indev:timeline-list"]["_embedded"]["nice.indev:timeline"]
    rows[0]["Column1"] = "Spring 2024"  # a row the tool does not use, in a form no parser knows
    for project in (parse_indev_feed(odd), parse_indev_page_props(page_props_from_feed(odd))):
        row = next(e for e in project.timeline if e.date_text == "Spring 2024")
        assert (row.start, row.readable, row.tbc) == (None, False, False)
        assert len(project.notes) == 1 and "“Spring 2024” could not be read; kept as NICE wrote it" in project.notes[0]
        # Everything the tool uses is still read (fixture: expected publication 23 August 2023).
        assert project.expected_publication_date == date(2023, 8, 23)


def test_an_unreadable_expected_publication_is_no_date_and_not_tbc():
    feed = json.loads(fixture_text("indev-feed_project_gid-ta10914.json"))
    rows = feed["_embedded"]["nice.indev:provisional-schedule-list"]["_embedded"]["nice.indev:provisional-schedule"]
    next(r for r in rows if r["Column1"] == "Expected publication")["Column2"] = "Late summer 2023"
    # The live page's data: no date and not TBC (so a refresh leaves the stored date alone), and a note.
    project = parse_indev_page_props(page_props_from_feed(feed))
    assert (project.expected_publication_date, project.expected_publication_tbc) == (None, False)
    assert any("“Late summer 2023” could not be read" in note for note in project.notes)
    # The raw feed also carries PublishedDate (2023-08-23T00:00:00), NICE's expected date while in progress.
    from_feed = parse_indev_feed(feed)
    assert from_feed.expected_publication_date == date(2023, 8, 23)
    assert any("“Late summer 2023” could not be read" in note for note in from_feed.notes)


def test_lenient_dates():
    assert read_date_leniently("soon") == (None, False)
    assert read_date_leniently("TBC") == (None, True)
    assert read_date_leniently("2023-08-23T00:00:00") == (date(2023, 8, 23), True)


# --- 4. ID numbers in titles ------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "title", "id_number"), [
    ("Selumetinib for treating differentiated thyroid cancer ID1079",
     "Selumetinib for treating differentiated thyroid cancer", "ID1079"),
    ("Bevacizumab for untreated malignant pleural mesothelioma (ID1183)",
     "Bevacizumab for untreated malignant pleural mesothelioma", "ID1183"),
    ("Asunercept for treating glioblastoma [1301]", "Asunercept for treating glioblastoma", "ID1301"),
    ("Pembrolizumab for adjuvant treatment of resected non-small-cell lung cancer [ID3907 ]",
     "Pembrolizumab for adjuvant treatment of resected non-small-cell lung cancer", "ID3907"),
    ("Leriglitazone for treating X-linked andrenoleukodystrophy [ID 3903]",
     "Leriglitazone for treating X-linked andrenoleukodystrophy", "ID3903"),
    ("Ataluren for treating Duchenne muscular dystrophy with a nonsense mutation in the dystrophin gene (review of "
     "HST3) ID1642", "Ataluren for treating Duchenne muscular dystrophy with a nonsense mutation in the dystrophin "
     "gene (review of HST3)", "ID1642"),
    ("Talquetamab for treating relapsed multiple myeloma [ID6244]",
     "Talquetamab for treating relapsed multiple myeloma", "ID6244"),
    ("Empagliflozin for treating type 2 diabetes", "Empagliflozin for treating type 2 diabetes", None),
    ("Guidance (2019 update)", "Guidance (2019 update)", None),
])
def test_split_title_reads_every_form(raw, title, id_number):
    assert split_title(raw) == (title, id_number)


def _feed_ta_titles():
    projects = _feed("indev-feed_gidprojects_all.json")["_embedded"]["nice.indev:indevelopment-project"]
    return [p["Title"] for p in projects if p.get("ProjectType") == "TA"]


def test_no_id_number_is_left_inside_any_of_604_real_ta_titles():
    titles = _feed_ta_titles()
    assert len(titles) == 604
    left = [split_title(t)[0] for t in titles if re.search(r"\bID\s*\d+|\[\s*\d+\s*\]", split_title(t)[0])]
    assert left == []
    # The issue counted 113 titles (19%) in forms other than a trailing "[IDnnnn]".
    old_form = re.compile(r"\s*\[(ID\d+)\]\s*$", re.IGNORECASE)
    newly_read = [t for t in titles if split_title(t)[1] and not old_form.search(" ".join(t.split()))]
    assert len(newly_read) == 113


# --- 5. the classifier's known misses (titles from NICE's feed of all projects) -----------------------


@pytest.mark.parametrize(("title", "about_cancer", "sact", "deciding_words"), [
    ("Treosulfan with fludarabine for non-malignant disease before allogeneic stem cell transplant [ID1540]",
     False, False, "non-malignant"),
    ("Rivogenlecleucel for treating haematological non-malignant diseases in children and young people undergoing "
     "haploidentical haematopoietic stem cell transplant [ID1496]", False, False, "non-malignant"),
    ("Dusquetide for treating oral mucositis during chemoradiation for head and neck cancer [ID3830]",
     False, False, "oral mucositis"),
    ("Sodium thiosulfate for preventing hearing loss in people with cancer who are under 18 and having cisplatin "
     "chemotherapy [ID1001]", False, False, "having cisplatin chemotherapy"),
    ("Bone metastases (hormone refractory prostate cancer) - denosumab [ID405]", False, False, "denosumab"),
    ("Bone loss (therapy-induced) in non-metastatic breast cancer - denosumab [ID83]", False, False, "Bone loss"),
    ("Prostate cancer (prevention) - dutasteride [ID75]", False, False, "(prevention)"),
    ("Burosumab for treating FGF23-related hypophosphataemia in tumour-induced osteomalacia [ID3924 ]",
     False, False, "tumour-induced osteomalacia"),
    ("Prostate cancer - intensity modulated radiotherapy [ID17]", True, False, "intensity modulated radiotherapy"),
    ("NBTXR-3 for treating soft tissue sarcoma [ID1050]", True, False, "NBTXR-3"),
    ("Mastocytosis (systemic) - masitinib [ID781] ", True, True, "Mastocytosis (systemic)"),
    ("ATA129 for treating post-transplant lymphoproliferative disorder caused by the Epstein-Barr virus ID1203",
     True, True, "post-transplant lymphoproliferative disorder"),
    ("Melphalan for conditioning treatment before allogeneic haematopoietic stem cell transplant in haematological "
     "diseases [ID3969]", True, True, "haematological diseases"),
    # Not misses: a drug given with radiotherapy is SACT; "having had chemotherapy" describes the population.
    ("Nivolumab with temozolomide and radiotherapy for newly diagnosed glioblastoma with MGMT methylation  [ID1582]",
     True, True, "glioblastoma"),
    ("Pembrolizumab for treating advanced cervical cancer in people having had platinum-based chemotherapy",
     True, True, "cancer"),
])
def test_known_misses_and_the_words_that_decided(title, about_cancer, sact, deciding_words):
    result = classify_title(title)
    assert (result.is_cancer, result.is_sact) == (about_cancer, sact)
    assert f"'{deciding_words}'" in result.reason


def test_radiotherapy_reason_says_cancer_but_not_sact():
    assert classify_title("NBTXR-3 for treating soft tissue sarcoma [ID1050]").reason == (
        "title names 'sarcoma' (sarcoma), but the technology, 'NBTXR-3', is radiotherapy: cancer, not SACT")
