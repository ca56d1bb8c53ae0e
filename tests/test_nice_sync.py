"""nice_sync: add by reference, refresh (and every way it can fail), refresh_all, discover; and `flask nice`.

NICE is a local fake (tests/nice/nice_support.FakeNice) serving pages built from the shared fixtures in
<repo>/../shared/fixtures/nice; never the internet. Expected values are read from those fixtures by hand:
indev-feed_project_gid-ta10914.json is daratumumab for untreated myeloma, GID-TA10914, ID4014, process STA,
status InProgress, draft guidance 21 February 2023, committee 7 June 2023, expected publication 23 August 2023.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from appraisal_impact import nice_sync, queries
from appraisal_impact.audit import Actor
from appraisal_impact.models import Appraisal, AuditEntry, DateChange, NiceCandidate
from appraisal_impact.nice import NiceClient, NiceFetchError
from appraisal_impact.nice.references import indevelopment_list_url
from appraisal_impact.planning import deadlines_for
from appraisal_impact.queries import nice as queries_nice
from tests.nice.nice_support import FakeNice, FakeTime, Reply, next_data_page, page_props_from_feed

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = REPO_ROOT / ".." / "shared" / "fixtures" / "nice"

TA10914_PATH = "/guidance/indevelopment/gid-ta10914"
TA10730_PATH = "/guidance/indevelopment/gid-ta10730"
TA10914_TITLE = ("Daratumumab with lenalidomide and dexamethasone for untreated multiple myeloma when stem cell "
                 "transplant is unsuitable")
FIRST_READ = datetime(2025, 5, 1, 9, 30, tzinfo=UTC)
SECOND_READ = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)
ALLIANCE = Actor(None, "Alliance tester", "web")


def feed(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def with_expected_publication(feed_json: dict, shown: str) -> dict:
    """A copy of a project feed whose "Expected publication" row shows `shown` ("20 December 2023", "TBC")."""
    changed = copy.deepcopy(feed_json)
    rows = changed["_embedded"]["nice.indev:provisional-schedule-list"]["_embedded"]["nice.indev:provisional-schedule"]
    for row in rows:
        if row["Column1"] == "Expected publication":
            row["Column2"] = shown
    return changed


def project_page(feed_json: dict) -> str:
    """The live-style page (data in __NEXT_DATA__) NICE serves for a project."""
    return next_data_page(page_props_from_feed(feed_json))


class Clock:
    """What NiceClient calls `now`: the time a test says the read happened."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


@pytest.fixture
def fake_nice():
    server = FakeNice().start()
    yield server
    server.stop()


@pytest.fixture
def read_clock():
    return Clock(FIRST_READ)


@pytest.fixture
def nice_client(fake_nice, read_clock):
    time = FakeTime()
    with NiceClient(contact="sact@example.nhs.uk", base_url=fake_nice.url, read_timeout=0.3,
                    clock=time.clock, sleep=time.sleep, now=read_clock) as client:
        yield client


@pytest.fixture
def tracked(db, fake_nice, nice_client):
    """GID-TA10914 added from NICE (the unmodified fixture), as the user would after the preview."""
    fake_nice.add(TA10914_PATH, Reply(200, project_page(feed("indev-feed_project_gid-ta10914.json"))))
    appraisal = nice_sync.add_appraisal(db, ALLIANCE, nice_sync.preview_add("GID-TA10914", nice_client))
    db.commit()
    return appraisal


SYNCED = nice_sync.SYNCED_FIELDS + ("nice_url", "nice_last_read_at")


def snapshot(appraisal: Appraisal) -> dict:
    return {name: getattr(appraisal, name) for name in SYNCED}


# --- add -----------------------------------------------------------------------------------------


def test_preview_saves_nothing(db, fake_nice, nice_client):
    fake_nice.add(TA10914_PATH, Reply(200, project_page(feed("indev-feed_project_gid-ta10914.json"))))
    read = nice_sync.preview_add("https://www.nice.org.uk/guidance/indevelopment/gid-ta10914", nice_client)
    assert (read.gid, read.id_number, read.title) == ("GID-TA10914", "ID4014", TA10914_TITLE)
    assert db.exec(select(Appraisal)).all() == []


def test_add_creates_the_appraisal_with_the_fixture_values_and_sources(db, tracked):
    row = db.get(Appraisal, tracked.id)
    assert snapshot(row) == {
        "title": TA10914_TITLE,
        "gid": "GID-TA10914",
        "id_number": "ID4014",
        "ta_number": None,
        "process": "single technology appraisal",  # NICE says "STA"
        "status": "in development",  # NICE says "InProgress" / "In progress"
        "nice_status": "In progress",  # NICE's own words, kept
        "draft_guidance_date": date(2023, 2, 21),
        "fdg_date": None,
        "expected_publication_date": date(2023, 8, 23),
        "expected_publication_tbc": False,
        "publication_date": None,
        "recommendation": None,
        "nice_url": "https://www.nice.org.uk/guidance/indevelopment/gid-ta10914",
        "nice_last_read_at": datetime(2025, 5, 1, 9, 30),
    }
    assert row.is_cancer
    created = db.exec(select(AuditEntry).where(AuditEntry.entity == "appraisal", AuditEntry.action == "create")).all()
    assert [(e.entity_id, e.user_name, e.new_value) for e in created] == [(row.id, "Alliance tester", TA10914_TITLE)]
    sources = queries.figure_sources(session=db, entity="appraisal", entity_id=row.id)
    assert sources["expected_publication_date"].source == "NICE website, read 1 May 2025"
    assert sources["draft_guidance_date"].source == "NICE website, read 1 May 2025"
    assert "fdg_date" not in sources  # NICE gave no final draft guidance date: no source claimed
    # Funding deadline before any move: 3 calendar months after 23 August 2023 (PMG19), planned.
    assert deadlines_for(row).funding_deadline.date == date(2023, 11, 23)


def test_adding_an_appraisal_already_tracked_is_refused(db, tracked, nice_client):
    read = nice_sync.preview_add("GID-TA10914", nice_client)
    with pytest.raises(nice_sync.AlreadyTracked):
        nice_sync.add_appraisal(db, ALLIANCE, read)
    db.rollback()
    assert len(db.exec(select(Appraisal)).all()) == 1


# --- refresh -------------------------------------------------------------------------------------


def test_refresh_that_moves_expected_publication(db, tracked, fake_nice, nice_client, read_clock):
    moved = with_expected_publication(feed("indev-feed_project_gid-ta10914.json"), "20 December 2023")
    fake_nice.add(TA10914_PATH, Reply(200, project_page(moved)))
    read_clock.moment = SECOND_READ
    row = db.get(Appraisal, tracked.id)

    outcome = nice_sync.refresh_appraisal(db, ALLIANCE, row, nice_client)
    db.commit()

    assert outcome.ok
    assert [(c.field, c.old, c.new) for c in outcome.changes] == [
        ("expected_publication_date", date(2023, 8, 23), date(2023, 12, 20))]
    assert outcome.line() == (f"changed GID-TA10914 ({TA10914_TITLE}): expected publication changed from "
                              "23 August 2023 to 20 December 2023")
    row = db.get(Appraisal, tracked.id)
    assert row.expected_publication_date == date(2023, 12, 20)
    assert row.nice_last_read_at == datetime(2025, 6, 2, 6, 0)
    audit_rows = db.exec(select(AuditEntry).where(AuditEntry.action == "update")).all()
    assert [(e.field, e.old_value, e.new_value, e.origin) for e in audit_rows] == [
        ("expected_publication_date", "2023-08-23", "2023-12-20", "NICE refresh")]
    # What the lead's "what changed" reads: the appraisal's DateChange rows.
    moves = queries.date_changes(session=db, appraisal_id=row.id)
    assert [(m.field, m.old_value, m.new_value, m.origin) for m in moves] == [
        ("expected_publication_date", "2023-08-23", "2023-12-20", "NICE refresh")]
    # Deadlines recompute: 3 calendar months from 20 December 2023.
    assert deadlines_for(row).funding_deadline.date == date(2024, 3, 20)
    sources = queries.figure_sources(session=db, entity="appraisal", entity_id=row.id)
    assert sources["expected_publication_date"].source == "NICE website, read 2 June 2025"


def test_refresh_with_nothing_changed_records_nothing_but_the_read(db, tracked, read_clock, nice_client):
    read_clock.moment = SECOND_READ
    before = db.get(Appraisal, tracked.id).version
    outcome = nice_sync.refresh_appraisal(db, ALLIANCE, db.get(Appraisal, tracked.id), nice_client)
    db.commit()
    assert outcome.ok and not outcome.changed
    assert outcome.line() == f"unchanged GID-TA10914 ({TA10914_TITLE})"
    assert db.exec(select(AuditEntry).where(AuditEntry.action == "update")).all() == []
    assert db.exec(select(DateChange)).all() == []
    row = db.get(Appraisal, tracked.id)
    assert row.nice_last_read_at == datetime(2025, 6, 2, 6, 0)
    assert row.version == before + 1  # only the read time moved


def test_expected_publication_now_tbc_is_a_change_keeping_the_old_date_in_history(db, tracked, fake_nice,
                                                                                   nice_client):
    tbc = with_expected_publication(feed("indev-feed_project_gid-ta10914.json"), "TBC")
    fake_nice.add(TA10914_PATH, Reply(200, project_page(tbc)))
    outcome = nice_sync.refresh_appraisal(db, ALLIANCE, db.get(Appraisal, tracked.id), nice_client)
    db.commit()
    row = db.get(Appraisal, tracked.id)
    assert (row.expected_publication_date, row.expected_publication_tbc) == (None, True)
    assert {c.field for c in outcome.changes} == {"expected_publication_date", "expected_publication_tbc"}
    moves = queries.date_changes(session=db, appraisal_id=row.id)
    assert [(m.field, m.old_value, m.new_value) for m in moves] == [("expected_publication_date", "2023-08-23", "TBC")]
    assert deadlines_for(row).funding_deadline.date is None  # not yet known, never guessed
    assert "to TBC" in outcome.line()


PUBLISHED_TA917 = """<html><body><main><h1>Daratumumab with lenalidomide and dexamethasone for untreated multiple
myeloma when a stem cell transplant is unsuitable</h1><ul><li>Technology appraisal guidance</li>
<li>Reference number: TA917</li><li>Published: <time datetime="2023-10-25">25 October 2023</time></li></ul>
</main></body></html>"""
RECOMMENDATIONS_TA917 = """<html><body><main><h2>1 Recommendations</h2><p>1.1 Daratumumab plus lenalidomide
and dexamethasone is recommended, within its marketing authorisation, as an option for untreated multiple myeloma
in adults when a stem cell transplant is unsuitable. It is recommended only if the company provides it according
to the commercial arrangement.</p></main></body></html>"""


def test_publication_fills_new_fields_and_keeps_those_the_ta_page_does_not_carry(db, tracked, fake_nice,
                                                                                  nice_client):
    fake_nice.add(TA10914_PATH, Reply(301, "", {"Location": "/guidance/ta917"}))
    fake_nice.add("/guidance/ta917", Reply(200, PUBLISHED_TA917))
    fake_nice.add("/guidance/ta917/chapter/1-Recommendations", Reply(200, RECOMMENDATIONS_TA917))
    outcome = nice_sync.refresh_appraisal(db, ALLIANCE, db.get(Appraisal, tracked.id), nice_client)
    db.commit()
    row = db.get(Appraisal, tracked.id)
    assert outcome.ok
    assert (row.ta_number, row.status, row.publication_date, row.recommendation) == (
        "TA917", "published", date(2023, 10, 25), "recommended")
    # The TA page has no schedule: the stored draft guidance, expected publication and process stay.
    assert (row.draft_guidance_date, row.expected_publication_date, row.process, row.id_number) == (
        date(2023, 2, 21), date(2023, 8, 23), "single technology appraisal", "ID4014")
    assert row.nice_url == "https://www.nice.org.uk/guidance/ta917"
    moves = {m.field: (m.old_value, m.new_value) for m in queries.date_changes(session=db, appraisal_id=row.id)}
    assert moves == {"status": ("in development", "published"), "publication_date": ("", "2023-10-25"),
                     "recommendation": ("", "recommended")}
    # Published: 3 calendar months from 25 October 2023.
    assert deadlines_for(row).funding_deadline.date == date(2024, 1, 25)


def _hang(fake_nice):
    fake_nice.add(TA10914_PATH, Reply(hang=True))


SAVE_THE_PAGE = (" Nothing was changed. If the page opens in your browser, save it (or copy its address and HTML) "
                 "and add it on the NICE updates page under “Read a saved NICE page”: it is read the same way and you "
                 "confirm before anything is saved.")
FAILURES = {
    "timeout": (_hang, "NICE did not answer within 0.3 seconds"),
    "404": (lambda f: f.add(TA10914_PATH, Reply(404, "<h1>Page not found</h1>")), "NICE says page not found (404)"),
    "500": (lambda f: f.add(TA10914_PATH, Reply(500, "oops")), "NICE returned server error 500 three times"),
    "unrecognised page": (
        lambda f: f.add(TA10914_PATH, Reply(200, "<html><body><h1>We're making improvements</h1></body></html>")),
        "the page did not look like a NICE appraisal page (NICE may have changed its page layout): "
        "no project information found" + SAVE_THE_PAGE),
    "403": (lambda f: f.add(TA10914_PATH, Reply(403, "<h1>Access denied</h1>")),
            "NICE refused to let this tool read the page (403 Forbidden)" + SAVE_THE_PAGE),
    "429": (lambda f: f.add(TA10914_PATH, Reply(429, "slow down", {"Retry-After": "1"})),
            "NICE asked us to slow down (429) three times; try again later" + SAVE_THE_PAGE),
}


@pytest.mark.parametrize("failure", list(FAILURES))
def test_failed_refresh_changes_nothing_and_says_why(db, tracked, fake_nice, nice_client, read_clock, failure):
    arrange, reason = FAILURES[failure]
    arrange(fake_nice)
    read_clock.moment = SECOND_READ
    before = snapshot(db.get(Appraisal, tracked.id))
    audit_before = len(db.exec(select(AuditEntry)).all())

    outcome = nice_sync.refresh_appraisal(db, ALLIANCE, db.get(Appraisal, tracked.id), nice_client)
    db.commit()

    row = db.get(Appraisal, tracked.id)
    assert snapshot(row) == before  # every field, and the last successful read time
    assert row.nice_last_read_at == datetime(2025, 5, 1, 9, 30)
    message = f"Could not refresh GID-TA10914 ({TA10914_TITLE}) from NICE: {reason}"
    assert not outcome.ok and outcome.message == message
    assert row.nice_last_read_status == message
    assert row.nice_last_error == message and row.nice_last_error_at is not None
    assert len(db.exec(select(AuditEntry)).all()) == audit_before
    assert db.exec(select(DateChange)).all() == []


def closed_port_url() -> str:
    """The address of a server that has just stopped: connecting there is refused."""
    server = FakeNice().start()
    url = server.url
    server.stop()
    return url


def test_network_error_changes_nothing(db, tracked, read_clock):
    time = FakeTime()
    with NiceClient(contact="sact@example.nhs.uk", base_url=closed_port_url(), clock=time.clock, sleep=time.sleep,
                    now=read_clock) as client:
        outcome = nice_sync.refresh_appraisal(db, ALLIANCE, db.get(Appraisal, tracked.id), client)
    db.commit()
    row = db.get(Appraisal, tracked.id)
    assert not outcome.ok
    assert outcome.message == (f"Could not refresh GID-TA10914 ({TA10914_TITLE}) from NICE: "
                               "could not connect to NICE (network error)")
    assert row.expected_publication_date == date(2023, 8, 23)
    assert row.nice_last_read_at == datetime(2025, 5, 1, 9, 30)


# --- refresh_all ---------------------------------------------------------------------------------

LU177_TITLE = ("Lu vipivotide tetraxetan for treating PSMA-positive hormone-relapsed metastatic prostate cancer "
               "after 2 or more therapies")


def test_refresh_all_reads_each_appraisal_on_its_own(db, tracked, fake_nice, nice_client, read_clock):
    fake_nice.add(TA10730_PATH, Reply(200, project_page(feed("indev-feed_project_gid-ta10730.json"))))
    lu177 = nice_sync.add_appraisal(db, ALLIANCE, nice_sync.preview_add("GID-TA10730", nice_client))
    assert lu177.process == "single technology appraisal"  # NICE says "STA 2018"
    example = Appraisal(title="Example appraisal", ta_number="TA1037", is_example=True,
                        expected_publication_date=date(2026, 7, 1))
    untracked = Appraisal(title="Appraisal with no NICE reference")
    db.add_all([example, untracked])
    db.commit()
    # The Lu-177 read now fails; the daratumumab one moves its date.
    fake_nice.add(TA10730_PATH, Reply(500, "oops"))
    moved = with_expected_publication(feed("indev-feed_project_gid-ta10914.json"), "20 December 2023")
    fake_nice.add(TA10914_PATH, Reply(200, project_page(moved)))
    read_clock.moment = SECOND_READ

    outcomes = nice_sync.refresh_all(db, Actor(None, "scheduler", "cli"), nice_client)

    # By title: daratumumab, then Lu-177; the example and the unreferenced appraisal are not read.
    assert [(o.label, o.ok) for o in outcomes] == [
        (f"GID-TA10914 ({TA10914_TITLE})", True), (f"GID-TA10730 ({LU177_TITLE})", False)]
    assert outcomes[1].message == (f"Could not refresh GID-TA10730 ({LU177_TITLE}) from NICE: "
                                   "NICE returned server error 500 three times")
    db.expire_all()
    assert db.get(Appraisal, tracked.id).expected_publication_date == date(2023, 12, 20)
    assert db.get(Appraisal, example.id).expected_publication_date == date(2026, 7, 1)
    assert "/guidance/ta1037" not in fake_nice.paths()
    moves = db.exec(select(DateChange)).all()
    assert [(m.appraisal_id, m.origin, m.changed_by_id) for m in moves] == [(tracked.id, "NICE refresh", None)]


# --- discover ------------------------------------------------------------------------------------

LIST_PATH = indevelopment_list_url(page=1, page_size=50, base_url="")


def list_page(extra_documents: list[dict] = ()) -> str:
    """NICE's in-development list from the search fixture (10 documents), as one page (of 10 + extras).

    The fixture says "65 results"; its count is set to what this page holds so the list ends here."""
    results = json.loads((FIXTURES / "search-api_guidance-indevelopment.json").read_text(encoding="utf-8"))
    results["documents"] = results["documents"] + list(extra_documents)
    results.update(resultCount=len(results["documents"]), firstResult=1, lastResult=len(results["documents"]))
    return next_data_page({"results": results})


def document_like_fixture(title: str, gid: str, expected: str | None = None) -> dict:
    """A list entry shaped like the fixture's first document, for a technology appraisal."""
    results = json.loads((FIXTURES / "search-api_guidance-indevelopment.json").read_text(encoding="utf-8"))
    document = dict(results["documents"][0])
    document.update(title=title, id=gid, url=f"https://www.nice.org.uk/guidance/indevelopment/{gid.lower()}",
                    niceResultType="Technology appraisal guidance", expectedPublicationDate=expected)
    return document


BARRETTS = "Barrett's oesophagus: medical management, endoscopic treatment, follow up and stage 1 adenocarcinoma"


def test_discover_checks_guidance_type_and_says_what_it_skipped_and_why(db, fake_nice, nice_client):
    fake_nice.add(LIST_PATH, Reply(200, list_page()))
    report = nice_sync.discover_with_report(db, nice_client)
    db.commit()
    # The fixture's ten items are all NICE guidelines or antimicrobial prescribing guidelines, although the list
    # was asked for technology appraisals: none is offered. Barrett's oesophagus ... adenocarcinoma is about
    # cancer, but an NG: the guidance type of each item is checked, not only the list's filter.
    assert report.new == () and report.listed == 10
    assert db.exec(select(NiceCandidate)).all() == []
    reasons = {item.title: item.reason for item in report.skipped}
    assert reasons[BARRETTS] == "not a technology appraisal (NICE guideline)"
    assert reasons["Blepharitis: antimicrobial prescribing"] == "not a technology appraisal (Antimicrobial prescribing guideline)"
    assert len(reasons) == 10
    assert list(report.skipped_by_kind()) == ["not a technology appraisal"]


def test_discover_skips_items_without_a_gid_other_programmes_and_radiotherapy_saying_why(db, fake_nice, nice_client):
    no_gid = document_like_fixture("Nivolumab for treating relapsed mesothelioma [ID5100]", "GID-TA11500")
    no_gid["url"] = "https://www.nice.org.uk/guidance/indevelopment/HTG900"  # as in NICE's deferred list
    hst = document_like_fixture("Arimoclomol for treating Niemann-Pick disease Type C [ID1312]", "GID-HST10037")
    hst["niceResultType"] = "Highly specialised technology"
    radiotherapy = document_like_fixture("NBTXR-3 for treating soft tissue sarcoma [ID1050]", "GID-TA10271")
    not_cancer = document_like_fixture("Atogepant for preventing migraine [ID5090]", "GID-TA10992")
    myeloma = document_like_fixture("Talquetamab for treating relapsed multiple myeloma [ID6244]", "GID-TA11173")
    fake_nice.add(LIST_PATH, Reply(200, list_page([no_gid, hst, radiotherapy, not_cancer, myeloma])))

    report = nice_sync.discover_with_report(db, nice_client)
    db.commit()

    assert [(c.gid, c.matched_term, c.reason) for c in report.new] == [
        ("GID-TA11173", "myeloma", "title names 'myeloma' (myeloma)")]
    reasons = {item.title: item.reason for item in report.skipped}
    assert reasons["Nivolumab for treating relapsed mesothelioma"] == (
        "no GID in its NICE address (https://www.nice.org.uk/guidance/indevelopment/HTG900)")
    assert reasons["Arimoclomol for treating Niemann-Pick disease Type C"] == (
        "not a technology appraisal (Highly specialised technology)")
    assert reasons["NBTXR-3 for treating soft tissue sarcoma"] == (
        "title names 'sarcoma' (sarcoma), but the technology, 'NBTXR-3', is radiotherapy: cancer, not SACT")
    assert reasons["Atogepant for preventing migraine"] == "not about cancer: no cancer term in the title"
    groups = report.skipped_by_kind()
    assert {key: len(items) for key, items in groups.items()} == {
        "not a technology appraisal": 11, "no GID": 1, "cancer, not SACT": 1, "not about cancer": 1}


def test_discover_skips_tracked_and_keeps_dismissed_dismissed(db, tracked, fake_nice, nice_client):
    talquetamab = document_like_fixture("Talquetamab for treating relapsed multiple myeloma [ID6244]",
                                        "GID-TA11173", "2025-08-20T00:00:00")
    teclistamab = document_like_fixture("Teclistamab for treating relapsed myeloma ID5087", "GID-TA11057")
    already_tracked = document_like_fixture(TA10914_TITLE + " [ID4014]", "GID-TA10914", "2023-08-23T00:00:00")
    fake_nice.add(LIST_PATH, Reply(200, list_page([talquetamab, teclistamab, already_tracked])))

    first = nice_sync.discover(db, nice_client)
    db.commit()
    assert sorted(c.gid for c in first) == ["GID-TA11057", "GID-TA11173"]  # not GID-TA10914: tracked
    talq = next(c for c in first if c.gid == "GID-TA11173")
    assert (talq.title, talq.expected_publication, talq.matched_term) == (
        "Talquetamab for treating relapsed multiple myeloma", "20 August 2025", "myeloma")

    teclistamab_row = next(c for c in first if c.gid == "GID-TA11057")
    assert teclistamab_row.title == "Teclistamab for treating relapsed myeloma"  # "ID5087" is not in the title
    nice_sync.decide(db, ALLIANCE, teclistamab_row, "dismissed")
    db.commit()

    again = nice_sync.discover(db, nice_client)
    db.commit()
    assert again == []  # nothing new
    stored = {c.gid: c.decision for c in db.exec(select(NiceCandidate)).all()}
    assert stored == {"GID-TA11057": "dismissed", "GID-TA11173": "new"}


def test_accept_reads_the_candidate_and_tracks_it(db, fake_nice, nice_client):
    lu177 = document_like_fixture(LU177_TITLE + " [ID3840]", "GID-TA10730")
    fake_nice.add(LIST_PATH, Reply(200, list_page([lu177])))
    fake_nice.add(TA10730_PATH, Reply(200, project_page(feed("indev-feed_project_gid-ta10730.json"))))
    nice_sync.discover(db, nice_client)
    db.commit()
    candidate = db.exec(select(NiceCandidate).where(NiceCandidate.gid == "GID-TA10730")).one()

    appraisal = nice_sync.accept_candidate(db, ALLIANCE, candidate, nice_client)
    db.commit()

    assert (appraisal.gid, appraisal.id_number, appraisal.title) == ("GID-TA10730", "ID3840", LU177_TITLE)
    assert db.get(NiceCandidate, candidate.id).decision == "accepted"
    assert nice_sync.discover(db, nice_client) == []  # tracked now: not offered again


def test_discover_failure_stores_nothing(db, fake_nice, nice_client):
    fake_nice.add(LIST_PATH, Reply(200, "<h1>Maintenance</h1>"))
    with pytest.raises(NiceFetchError):
        nice_sync.discover(db, nice_client)
    db.rollback()
    assert db.exec(select(NiceCandidate)).all() == []


# --- flask nice refresh / discover -----------------------------------------------------------------


@pytest.fixture
def cli_app(app, fake_nice, read_clock):
    """The app with its NICE client pointed at the fake."""
    time = FakeTime()
    app.extensions["nice_client_factory"] = lambda config: NiceClient(
        contact=config["NICE_CONTACT"], base_url=fake_nice.url, read_timeout=0.3, clock=time.clock,
        sleep=time.sleep, now=read_clock)
    return app


def test_flask_nice_refresh_exit_code_0_when_every_read_works(cli_app, tracked, fake_nice):
    moved = with_expected_publication(feed("indev-feed_project_gid-ta10914.json"), "20 December 2023")
    fake_nice.add(TA10914_PATH, Reply(200, project_page(moved)))
    result = cli_app.test_cli_runner().invoke(args=["nice", "refresh"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"changed GID-TA10914 ({TA10914_TITLE}): expected publication changed from 23 August 2023 to 20 December 2023",
        "1 appraisal(s) read: 1 changed, 0 unchanged, 0 failed.",
    ]


def test_flask_nice_refresh_exit_code_1_when_any_read_fails(cli_app, db, tracked, fake_nice, nice_client):
    fake_nice.add(TA10730_PATH, Reply(200, project_page(feed("indev-feed_project_gid-ta10730.json"))))
    nice_sync.add_appraisal(db, ALLIANCE, nice_sync.preview_add("GID-TA10730", nice_client))
    db.commit()
    fake_nice.add(TA10730_PATH, Reply(404, "<h1>Page not found</h1>"))
    result = cli_app.test_cli_runner().invoke(args=["nice", "refresh"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"unchanged GID-TA10914 ({TA10914_TITLE})",
        f"FAILED: Could not refresh GID-TA10730 ({LU177_TITLE}) from NICE: "
        "NICE says page not found (404)",
        "2 appraisal(s) read: 0 changed, 1 unchanged, 1 failed.",
    ]


def test_flask_nice_discover(cli_app, db, fake_nice):
    talquetamab = document_like_fixture("Talquetamab for treating relapsed multiple myeloma [ID6244]", "GID-TA11173")
    fake_nice.add(LIST_PATH, Reply(200, list_page([talquetamab])))
    result = cli_app.test_cli_runner().invoke(args=["nice", "discover"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == ("new GID-TA11173: Talquetamab for treating relapsed multiple myeloma (expected publication "
                        "TBC; title names 'myeloma' (myeloma))")
    assert f"skipped {BARRETTS}: not a technology appraisal (NICE guideline)" in lines
    assert lines[-1] == "1 new cancer appraisal(s) offered; 10 of 11 listed item(s) skipped."
    assert [c.gid for c in db.exec(select(NiceCandidate)).all()] == ["GID-TA11173"]


def test_publication_under_a_ta_number_already_tracked_is_not_copied(db, tracked, fake_nice, nice_client):
    twin = Appraisal(title="Daratumumab (entered by hand)", ta_number="TA917")
    db.add(twin)
    db.commit()
    fake_nice.add(TA10914_PATH, Reply(301, "", {"Location": "/guidance/ta917"}))
    fake_nice.add("/guidance/ta917", Reply(200, PUBLISHED_TA917))
    fake_nice.add("/guidance/ta917/chapter/1-Recommendations", Reply(200, RECOMMENDATIONS_TA917))
    outcome = nice_sync.refresh_appraisal(db, ALLIANCE, db.get(Appraisal, tracked.id), nice_client)
    db.commit()
    row = db.get(Appraisal, tracked.id)
    assert outcome.ok
    assert (row.ta_number, row.status, row.publication_date) == (None, "published", date(2023, 10, 25))
    assert row.nice_url == "https://www.nice.org.uk/guidance/indevelopment/gid-ta10914"
    assert outcome.notes == (f"NICE gives it TA917, which is already tracked as TA917 (Daratumumab (entered by "
                             "hand)); the TA number was not copied: merge or remove one of them",)
    assert "(note: NICE gives it TA917" in outcome.line()
    assert "Note: NICE gives it TA917" in row.nice_last_read_status


def test_a_candidate_added_by_reference_meanwhile_is_no_longer_offered(db, fake_nice, nice_client):
    daratumumab = document_like_fixture(TA10914_TITLE + " [ID4014]", "GID-TA10914", "2023-08-23T00:00:00")
    talquetamab = document_like_fixture("Talquetamab for treating relapsed multiple myeloma [ID6244]", "GID-TA11173")
    fake_nice.add(LIST_PATH, Reply(200, list_page([daratumumab, talquetamab])))
    fake_nice.add(TA10914_PATH, Reply(200, project_page(feed("indev-feed_project_gid-ta10914.json"))))
    nice_sync.discover(db, nice_client)
    db.commit()
    nice_sync.add_appraisal(db, ALLIANCE, nice_sync.preview_add("GID-TA10914", nice_client))
    db.commit()
    nice_sync.discover(db, nice_client)
    db.commit()
    assert [c.gid for c in queries_nice.candidates(session=db, decision="new")] == ["GID-TA11173"]


# --- issue 12: page families, today's wording, odd rows, saved pages ---------------------------------

from tests.nice.nice_support import (  # noqa: E402
    more_fixture_text,
    project_page_props,
    published_ta_page,
    recommendations_chapter,
    terminated_ta_page,
)

NEW_TA = "TA1200"  # invented for the test: GID-TA10730 published in today's wording
NEW_TA_RECOMMENDATION = (
    "1.1 Lutetium-177 vipivotide tetraxetan can be used, within its marketing authorisation, as an option to treat "
    "PSMA-positive hormone-relapsed metastatic prostate cancer in adults after 2 or more therapies. It can only be "
    "used if the company provides it according to the commercial arrangement.")


def serve_new_ta(fake_nice) -> None:
    fake_nice.add(TA10730_PATH, Reply(301, "", {"Location": "/guidance/ta1200"}))
    fake_nice.add("/guidance/ta1200", Reply(200, published_ta_page(LU177_TITLE, NEW_TA, published="2026-01-14")))
    fake_nice.add("/guidance/ta1200/chapter/1-Recommendations", Reply(200, recommendations_chapter(
        LU177_TITLE, NEW_TA, [NEW_TA_RECOMMENDATION], published="2026-01-14",
        why=["Cabazitaxel is not recommended after 2 therapies in this population."])))


@pytest.fixture
def tracked_lu177(db, fake_nice, nice_client):
    fake_nice.add(TA10730_PATH, Reply(200, project_page(feed("indev-feed_project_gid-ta10730.json"))))
    appraisal = nice_sync.add_appraisal(db, ALLIANCE, nice_sync.preview_add("GID-TA10730", nice_client))
    db.commit()
    return appraisal


def test_newly_published_ta_in_todays_wording_gets_recommendation_publication_and_deadline(
        db, tracked_lu177, fake_nice, nice_client, read_clock):
    serve_new_ta(fake_nice)
    read_clock.moment = datetime(2026, 1, 20, 7, 0, tzinfo=UTC)
    outcome = nice_sync.refresh_appraisal(db, ALLIANCE, db.get(Appraisal, tracked_lu177.id), nice_client)
    db.commit()
    row = db.get(Appraisal, tracked_lu177.id)
    assert outcome.ok, outcome.message
    assert (row.gid, row.ta_number, row.status, row.nice_status, row.publication_date, row.recommendation) == (
        "GID-TA10730", "TA1200", "published", "Published", date(2026, 1, 14), "recommended")
    assert row.nice_url == "https://www.nice.org.uk/guidance/ta1200"
    # 3 calendar months from publication on 14 January 2026 (PMG19).
    assert deadlines_for(row).funding_deadline.date == date(2026, 4, 14)
    moves = {m.field: (m.old_value, m.new_value) for m in queries.date_changes(session=db, appraisal_id=row.id)}
    assert moves == {"status": ("in development", "published"), "publication_date": ("", "2026-01-14"),
                     "recommendation": ("", "recommended")}


@pytest.mark.parametrize(("family_path", "nice_words", "status"), [
    ("/guidance/awaiting-development/gid-ta10914", "Proposed", "awaiting development"),
    ("/guidance/discontinued/gid-ta10914", "Discontinued", "discontinued"),
    ("/guidance/indevelopment/gid-ta10914", "Suspended", "suspended"),
    ("/guidance/indevelopment/gid-ta10914", "Impacted by COVID-19", "suspended"),
])
def test_each_page_family_maps_to_a_status_in_the_history(db, tracked, fake_nice, nice_client, family_path,
                                                          nice_words, status):
    props = project_page_props(feed("indev-feed_project_gid-ta10914.json"), status=nice_words)
    if family_path != TA10914_PATH:
        fake_nice.add(TA10914_PATH, Reply(301, "", {"Location": family_path}))
    fake_nice.add(family_path, Reply(200, next_data_page(props)))
    outcome = nice_sync.refresh_appraisal(db, ALLIANCE, db.get(Appraisal, tracked.id), nice_client)
    db.commit()
    row = db.get(Appraisal, tracked.id)
    assert outcome.ok and (row.status, row.nice_status) == (status, nice_words)
    moves = [(m.field, m.old_value, m.new_value, m.origin) for m in queries.date_changes(session=db, appraisal_id=row.id)]
    assert moves == [("status", "in development", status, "NICE refresh")]


def test_a_family_without_status_words_on_the_page_takes_the_family(db, tracked, fake_nice, nice_client):
    props = project_page_props(feed("indev-feed_project_gid-ta10914.json"), status=None)
    fake_nice.add(TA10914_PATH, Reply(301, "", {"Location": "/guidance/discontinued/gid-ta10914"}))
    fake_nice.add("/guidance/discontinued/gid-ta10914", Reply(200, next_data_page(props)))
    nice_sync.refresh_appraisal(db, ALLIANCE, db.get(Appraisal, tracked.id), nice_client)
    db.commit()
    assert db.get(Appraisal, tracked.id).status == "discontinued"


def test_an_unknown_status_word_leaves_the_status_and_says_so(db, tracked, fake_nice, nice_client):
    props = project_page_props(feed("indev-feed_project_gid-ta10914.json"), status="Paused pending review")
    fake_nice.add(TA10914_PATH, Reply(200, next_data_page(props)))
    outcome = nice_sync.refresh_appraisal(db, ALLIANCE, db.get(Appraisal, tracked.id), nice_client)
    db.commit()
    row = db.get(Appraisal, tracked.id)
    assert (row.status, row.nice_status) == ("in development", "Paused pending review")
    assert outcome.notes == ("NICE's status “Paused pending review” is not one the tool knows: the status was left "
                             "as it was",)


def test_terminated_ta_sets_status_and_recommendation(db, fake_nice, nice_client):
    title = "Pemigatinib for treating relapsed myeloid or lymphoid neoplasms with FGFR1 rearrangement"
    fake_nice.add("/guidance/ta1002", Reply(301, "", {"Location": "/guidance/terminated/ta1002"}))
    fake_nice.add("/guidance/terminated/ta1002", Reply(200, terminated_ta_page(
        title, "TA1002", terminated="2024-09-05",
        sentence="NICE is unable to make a recommendation on pemigatinib because Incyte did not provide an evidence "
                 "submission.")))
    appraisal = nice_sync.add_appraisal(db, ALLIANCE, nice_sync.preview_add("TA1002", nice_client))
    db.commit()
    assert (appraisal.status, appraisal.recommendation, appraisal.publication_date) == (
        "terminated", "terminated", None)
    assert deadlines_for(appraisal).funding_deadline is None or deadlines_for(appraisal).funding_deadline.date is None


def test_an_odd_row_is_noted_and_the_read_still_applies(db, tracked, fake_nice, nice_client):
    moved = with_expected_publication(feed("indev-feed_project_gid-ta10914.json"), "20 December 2023")
    rows = moved["_embedded"]["nice.indev:timeline-list"]["_embedded"]["nice.indev:timeline"]
    rows[0]["Column1"] = "Spring 2024"
    fake_nice.add(TA10914_PATH, Reply(200, project_page(moved)))
    outcome = nice_sync.refresh_appraisal(db, ALLIANCE, db.get(Appraisal, tracked.id), nice_client)
    db.commit()
    row = db.get(Appraisal, tracked.id)
    assert outcome.ok and row.expected_publication_date == date(2023, 12, 20)
    assert len(outcome.notes) == 1 and "“Spring 2024” could not be read" in outcome.notes[0]
    assert "Note: Timeline row" in row.nice_last_read_status


def test_discovery_on_nices_proposed_list_offers_only_cancer_tas(db, fake_nice, nice_client):
    # NICE's awaiting-development (proposed) search response: quality standards, HSTs and TAs mixed.
    results = json.loads(more_fixture_text("search-api_guidance-proposed.json"))
    results.update(resultCount=len(results["documents"]), firstResult=1, lastResult=len(results["documents"]))
    fake_nice.add(LIST_PATH, Reply(200, next_data_page({"results": results})))
    report = nice_sync.discover_with_report(db, nice_client)
    db.commit()
    # Of its ten items: amcenestrant (breast cancer) and atezolizumab (ovarian cancer) are cancer TAs.
    assert sorted(c.gid for c in report.new) == ["GID-TA10574", "GID-TA10803"]
    groups = {key: len(items) for key, items in report.skipped_by_kind().items()}
    assert groups == {"not a technology appraisal": 7, "not about cancer": 1}


def test_saved_page_updates_the_chosen_appraisal_recorded_as_uploaded(db, tracked_lu177):
    page = recommendations_chapter(LU177_TITLE, NEW_TA, [NEW_TA_RECOMMENDATION], published="2026-01-14")
    read = nice_sync.preview_saved_page(page, url="https://www.nice.org.uk/guidance/ta1200/chapter/1-Recommendations",
                                        read_at=datetime(2026, 1, 20, 7, 0, tzinfo=UTC))
    assert nice_sync.tracked_match(db, read) is None  # a TA page does not name the GID: the person chooses
    appraisal, outcome = nice_sync.save_saved_page(db, ALLIANCE, read, db.get(Appraisal, tracked_lu177.id))
    db.commit()
    row = db.get(Appraisal, tracked_lu177.id)
    assert appraisal.id == row.id and outcome.ok
    assert (row.ta_number, row.publication_date, row.recommendation) == ("TA1200", date(2026, 1, 14), "recommended")
    assert {m.origin for m in queries.date_changes(session=db, appraisal_id=row.id)} == {"NICE page uploaded"}
    sources = queries.figure_sources(session=db, entity="appraisal", entity_id=row.id)
    assert sources["publication_date"].source == "NICE website page saved from a browser, read 20 January 2026"
    assert deadlines_for(row).funding_deadline.date == date(2026, 4, 14)


def test_saved_page_about_another_appraisal_is_refused(db, tracked):
    tracked_row = db.get(Appraisal, tracked.id)
    tracked_row.ta_number = "TA917"
    db.commit()
    page = recommendations_chapter(LU177_TITLE, NEW_TA, [NEW_TA_RECOMMENDATION], published="2026-01-14")
    read = nice_sync.preview_saved_page(page, url=None, read_at=datetime(2026, 1, 20, tzinfo=UTC))
    with pytest.raises(ValueError, match="the saved page is about TA1200, not TA917"):
        nice_sync.save_saved_page(db, ALLIANCE, read, db.get(Appraisal, tracked.id))
