"""The NICE updates pages: add by reference (preview, confirm), refresh buttons, discovered list, roles, CSRF.

The app's NICE client is a real NiceClient pointed at a local fake NICE serving the shared fixtures
(see tests/test_nice_sync.py for the fixture values used here).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from appraisal_impact.models import Appraisal, AuditEntry, DateChange, NiceCandidate, Role
from appraisal_impact.nice import NiceClient
from appraisal_impact.nice.references import indevelopment_list_url
from tests.conftest import make_user, sign_in
from tests.nice.nice_support import FakeNice, FakeTime, Reply
from tests.test_nice_sync import (
    FIXTURES,
    PUBLISHED_TA917,
    RECOMMENDATIONS_TA917,
    BARRETTS,
    FIRST_READ,
    LIST_PATH,
    SECOND_READ,
    TA10914_PATH,
    TA10914_TITLE,
    Clock,
    document_like_fixture,
    feed,
    list_page,
    project_page,
    with_expected_publication,
)


@pytest.fixture
def fake_nice():
    server = FakeNice().start()
    yield server
    server.stop()


@pytest.fixture
def read_clock():
    return Clock(FIRST_READ)


def point_at(app, fake_nice, read_clock):
    time = FakeTime()
    app.extensions["nice_client_factory"] = lambda config: NiceClient(
        contact=config["NICE_CONTACT"], base_url=fake_nice.url, read_timeout=0.3, clock=time.clock,
        sleep=time.sleep, now=read_clock)


@pytest.fixture
def nice_app(app, fake_nice, read_clock):
    point_at(app, fake_nice, read_clock)
    fake_nice.add(TA10914_PATH, Reply(200, project_page(feed("indev-feed_project_gid-ta10914.json"))))
    return app


@pytest.fixture
def alliance_client(nice_app, users):
    client = nice_app.test_client()
    sign_in(client, users["alliance"])
    return client


def text_of(response) -> str:
    return response.get_data(as_text=True)


def fingerprint_in(html: str) -> str:
    return re.search(r'name="fingerprint" value="([0-9a-f]+)"', html)[1]


def add_ta10914(client) -> int:
    preview = client.get("/nice/add", query_string={"reference": "GID-TA10914"})
    response = client.post("/nice/add", data={"reference": "GID-TA10914", "fingerprint": fingerprint_in(text_of(preview))})
    assert response.status_code == 302
    return int(re.search(r"/appraisals/(\d+)$", response.headers["Location"])[1])


# --- roles ---------------------------------------------------------------------------------------

POSTS = ["/nice/refresh", "/nice/discover", "/nice/add", "/nice/appraisals/1/refresh",
         "/nice/candidates/1/accept", "/nice/candidates/1/dismiss", "/nice/candidates/1/restore",
         "/nice/saved-page", "/nice/saved-page/1/confirm"]


@pytest.mark.parametrize("role", ["viewer", "pharmacist"])
def test_viewers_and_pharmacists_are_refused(nice_app, seeded, fake_nice, role):
    # Users of our own: the `users` pharmacist's mixed-case e-mail does not sign in (sign-in lower-cases).
    user = make_user(seeded, Role(role), email=f"{role}@example.nhs.uk", trust_ods="RHM" if role == "pharmacist" else None)
    client = nice_app.test_client()
    sign_in(client, user)
    assert client.get("/nice").status_code == 403
    assert client.get("/nice/add", query_string={"reference": "GID-TA10914"}).status_code == 403
    for path in POSTS:
        assert client.post(path, data={"reference": "GID-TA10914"}).status_code == 403, path
    assert fake_nice.paths() == []  # NICE was never read for them
    assert "NICE updates" not in text_of(client.get("/pipeline"))


@pytest.mark.parametrize("role", ["alliance", "lead", "admin"])
def test_alliance_leads_and_admins_see_the_page_and_the_nav_link(nice_app, users, role):
    client = nice_app.test_client()
    sign_in(client, users[role])
    page = text_of(client.get("/nice"))
    assert "<h1>NICE updates</h1>" in page
    assert 'href="/nice"' in text_of(client.get("/pipeline"))


def test_signed_out_is_sent_to_sign_in(nice_app):
    response = nice_app.test_client().get("/nice")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


# --- add by reference ----------------------------------------------------------------------------


def test_preview_shows_every_field_with_its_source_and_saves_nothing(alliance_client, seeded, fake_nice):
    count = len(seeded.exec(select(Appraisal)).all())
    response = alliance_client.get("/nice/add",
                                   query_string={"reference": "https://www.nice.org.uk/guidance/indevelopment/gid-ta10914"})
    page = text_of(response)
    assert response.status_code == 200
    for shown in (TA10914_TITLE, "GID-TA10914", "ID4014", "single technology appraisal (NICE: STA)",
                  "in development (NICE: In progress)", "21 February 2023", "23 August 2023",
                  "12 January 2023, 7 June 2023", "Confirm and add", "NICE website, read 1 May 2025"):
        assert shown in page, shown
    assert f"Source: <a href=\"{fake_nice.url}{TA10914_PATH}\"" in page
    assert "1 May 2025 at 09:30 UTC" in page
    assert len(seeded.exec(select(Appraisal)).all()) == count


def test_confirm_and_add_creates_the_appraisal(alliance_client, seeded, users):
    appraisal_id = add_ta10914(alliance_client)
    seeded.expire_all()
    row = seeded.get(Appraisal, appraisal_id)
    assert (row.title, row.gid, row.id_number, row.status, row.expected_publication_date, row.draft_guidance_date) == (
        TA10914_TITLE, "GID-TA10914", "ID4014", "in development", date(2023, 8, 23), date(2023, 2, 21))
    created = seeded.exec(select(AuditEntry).where(AuditEntry.entity == "appraisal",
                                                   AuditEntry.entity_id == appraisal_id)).all()
    assert [(e.action, e.user_id) for e in created] == [("create", users["alliance"].id)]
    page = text_of(alliance_client.get(f"/appraisals/{appraisal_id}"))
    assert "Added GID-TA10914" in page  # the flash after the redirect
    assert "NICE website, last read 1 May 2025 at 09:30 UTC" in page
    assert "Refresh from NICE" in page
    assert "Source: NICE website, read 1 May 2025" in page  # beside the dates


def test_confirming_what_nice_no_longer_shows_saves_nothing(alliance_client, seeded, fake_nice):
    preview = alliance_client.get("/nice/add", query_string={"reference": "GID-TA10914"})
    moved = with_expected_publication(feed("indev-feed_project_gid-ta10914.json"), "20 December 2023")
    fake_nice.add(TA10914_PATH, Reply(200, project_page(moved)))
    response = alliance_client.post("/nice/add", data={"reference": "GID-TA10914",
                                                       "fingerprint": fingerprint_in(text_of(preview))})
    assert response.status_code == 409
    assert "NICE has changed since you checked" in text_of(response)
    assert "20 December 2023" in text_of(response)
    assert seeded.exec(select(Appraisal).where(Appraisal.gid == "GID-TA10914")).first() is None


def test_adding_twice_goes_to_the_tracked_appraisal(alliance_client, seeded):
    preview = text_of(alliance_client.get("/nice/add", query_string={"reference": "GID-TA10914"}))
    form = {"reference": "GID-TA10914", "fingerprint": fingerprint_in(preview)}
    first = alliance_client.post("/nice/add", data=form).headers["Location"]
    again = alliance_client.get("/nice/add", query_string={"reference": "GID-TA10914"})
    assert "Already tracked" in text_of(again) and "Confirm and add" not in text_of(again)
    response = alliance_client.post("/nice/add", data=form)  # the same form sent twice
    assert response.headers["Location"] == first
    assert "is already tracked: nothing was added" in text_of(alliance_client.get(first))
    assert len(seeded.exec(select(Appraisal).where(Appraisal.gid == "GID-TA10914")).all()) == 1


@pytest.mark.parametrize("pasted", ["pembrolizumab", "", "https://example.com/guidance/ta1037", "GID-"])
def test_bad_reference_shows_the_nhs_error_pattern(alliance_client, fake_nice, pasted):
    response = alliance_client.get("/nice/add", query_string={"reference": pasted})
    page = text_of(response)
    assert response.status_code == 400
    assert "<title>Error: NICE updates" in page
    assert "There is a problem" in page
    message = ("Enter a NICE web address, GID (like GID-TA10914), ID number (like ID4014) or TA number "
               "(like TA1037)")
    assert page.count(message) == 2  # in the summary and beside the field
    assert 'href="#reference"' in page
    assert f'value="{pasted}"' in page  # input kept
    assert fake_nice.paths() == []


def test_nice_failure_on_preview_says_why(alliance_client, fake_nice):
    fake_nice.add(TA10914_PATH, Reply(404, "<h1>Page not found</h1>"))
    response = alliance_client.get("/nice/add", query_string={"reference": "GID-TA10914"})
    assert response.status_code == 502
    assert "Could not read GID-TA10914 from NICE: NICE says page not found (404)" in text_of(response)


# --- refresh -------------------------------------------------------------------------------------


def test_refresh_button_moves_the_date_into_history_and_what_changed(alliance_client, seeded, fake_nice,
                                                                      read_clock, users):
    appraisal_id = add_ta10914(alliance_client)
    moved = with_expected_publication(feed("indev-feed_project_gid-ta10914.json"), "20 December 2023")
    fake_nice.add(TA10914_PATH, Reply(200, project_page(moved)))
    read_clock.moment = SECOND_READ

    response = alliance_client.post(f"/nice/appraisals/{appraisal_id}/refresh")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/appraisals/{appraisal_id}")
    page = text_of(alliance_client.get(f"/appraisals/{appraisal_id}"))
    assert "expected publication changed from 23 August 2023 to 20 December 2023" in page
    assert "NICE website, last read 2 June 2025 at 06:00 UTC" in page
    # Deadline: 3 calendar months from 20 December 2023.
    assert "20 March 2024" in page
    moves = seeded.exec(select(DateChange).where(DateChange.appraisal_id == appraisal_id)).all()
    assert [(m.old_value, m.new_value, m.origin, m.changed_by_id) for m in moves] == [
        ("2023-08-23", "2023-12-20", "NICE refresh", users["alliance"].id)]
    # The lead's "what changed" shows the move.
    lead = alliance_client.application.test_client()
    sign_in(lead, users["lead"])
    since = (date.today() - timedelta(days=1)).isoformat()
    changes = text_of(lead.get("/dashboard/changes", query_string={"since": since}))
    assert "23 August 2023" in changes and "20 December 2023" in changes


@pytest.mark.parametrize("reply, reason", [
    (Reply(500, "oops"), "NICE returned server error 500 three times"),
    (Reply(200, "<h1>We're making improvements</h1>"),
     "the page did not look like a NICE appraisal page (NICE may have changed its page layout): "
        "no project information found"),
    (Reply(hang=True), "NICE did not answer within 0.3 seconds"),
])
def test_failed_refresh_button_keeps_data_and_says_why(alliance_client, seeded, fake_nice, read_clock,
                                                        reply, reason):
    appraisal_id = add_ta10914(alliance_client)
    fake_nice.add(TA10914_PATH, reply)
    read_clock.moment = SECOND_READ
    alliance_client.post(f"/nice/appraisals/{appraisal_id}/refresh")
    page = text_of(alliance_client.get(f"/appraisals/{appraisal_id}"))
    message = f"Could not refresh GID-TA10914 ({TA10914_TITLE}) from NICE: {reason}"
    assert message in page.replace("&#39;", "'")
    assert "Last read failed" in page
    assert "NICE website, last read 1 May 2025 at 09:30 UTC" in page  # the last successful read
    seeded.expire_all()
    row = seeded.get(Appraisal, appraisal_id)
    assert (row.expected_publication_date, row.nice_last_read_at) == (date(2023, 8, 23), datetime(2025, 5, 1, 9, 30))


def test_refresh_all_button_reports_each_appraisal(alliance_client, seeded, fake_nice, read_clock):
    add_ta10914(alliance_client)
    moved = with_expected_publication(feed("indev-feed_project_gid-ta10914.json"), "20 December 2023")
    fake_nice.add(TA10914_PATH, Reply(200, project_page(moved)))
    response = alliance_client.post("/nice/refresh")
    assert response.status_code == 302  # to the background job's page (the tests run jobs at once)
    page = text_of(alliance_client.get(response.headers["Location"]))
    # The seeded example appraisals are left alone: only GID-TA10914 is read.
    assert "Refreshed 1 appraisal from NICE: 1 changed, 0 unchanged, 0 failed." in page
    assert "expected publication changed from 23 August 2023 to 20 December 2023" in page
    assert [p for p in fake_nice.paths() if "/guidance/ta" in p] == []


def test_refresh_buttons_need_the_csrf_token(csrf_app, fake_nice, read_clock):
    point_at(csrf_app, fake_nice, read_clock)
    with Session(csrf_app.extensions["appraisal_impact.engine"], expire_on_commit=False) as session:
        user = make_user(session, Role.alliance)
        appraisal = Appraisal(title="Tracked", gid="GID-TA10914")
        session.add(appraisal)
        session.commit()
    client = csrf_app.test_client()
    page = text_of(client.get("/sign-in"))
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    client.post("/sign-in", data={"email": user.email, "password": "correct horse battery staple",
                                  "csrf_token": token})
    assert client.post("/nice/refresh").status_code == 400
    assert client.post(f"/nice/appraisals/{appraisal.id}/refresh").status_code == 400
    assert fake_nice.paths() == []


# --- discovered list -----------------------------------------------------------------------------


TALQUETAMAB = "Talquetamab for treating relapsed multiple myeloma"


def test_discover_accept_and_dismiss(alliance_client, seeded, fake_nice):
    daratumumab = document_like_fixture(TA10914_TITLE + " [ID4014]", "GID-TA10914", "2023-08-23T00:00:00")
    talquetamab = document_like_fixture(TALQUETAMAB + " [ID6244]", "GID-TA11173")
    fake_nice.add(LIST_PATH, Reply(200, list_page([daratumumab, talquetamab])))
    assert alliance_client.post("/nice/discover").status_code == 302
    page = text_of(alliance_client.get("/nice")).replace("&#39;", "'")
    assert "Found 2 new cancer appraisals on NICE's in-development list; 10 of 12 listed items not offered" in page
    assert TALQUETAMAB in page and TA10914_TITLE in page
    assert "23 August 2023" in page  # its expected publication, from the list
    # Why each was picked, in the classifier's words.
    assert "Title names 'myeloma' (myeloma)" in page
    # What was not offered, and why: the fixture's NICE guidelines, although the list asked for TAs.
    assert "Not offered on the last look (10)" in page
    assert "Not a technology appraisal (10)" in page
    assert f"{BARRETTS}</a>: not a technology appraisal (NICE guideline)" in page

    talq = seeded.exec(select(NiceCandidate).where(NiceCandidate.gid == "GID-TA11173")).one()
    assert alliance_client.post(f"/nice/candidates/{talq.id}/dismiss").status_code == 302
    offered = seeded.exec(select(NiceCandidate).where(NiceCandidate.gid == "GID-TA10914")).one()
    response = alliance_client.post(f"/nice/candidates/{offered.id}/accept")
    assert response.status_code == 302 and "/appraisals/" in response.headers["Location"]

    # Discover again: the dismissed one stays dismissed, the accepted one is tracked.
    alliance_client.post("/nice/discover")
    seeded.expire_all()
    decisions = {c.gid: c.decision for c in seeded.exec(select(NiceCandidate)).all()}
    assert decisions == {"GID-TA11173": "dismissed", "GID-TA10914": "accepted"}
    page = text_of(alliance_client.get("/nice"))
    assert "No new cancer appraisals are waiting for a decision." in page
    assert "Dismissed (1)" in page
    assert seeded.exec(select(Appraisal).where(Appraisal.gid == "GID-TA10914")).one().title == TA10914_TITLE


def test_accept_that_cannot_read_nice_keeps_the_candidate(alliance_client, seeded, fake_nice):
    talquetamab = document_like_fixture(TALQUETAMAB + " [ID6244]", "GID-TA11173")
    fake_nice.add(LIST_PATH, Reply(200, list_page([talquetamab])))
    alliance_client.post("/nice/discover")
    talq = seeded.exec(select(NiceCandidate).where(NiceCandidate.gid == "GID-TA11173")).one()
    # The fake serves no page for GID-TA11173: NICE says not found.
    alliance_client.post(f"/nice/candidates/{talq.id}/accept")
    page = text_of(alliance_client.get("/nice"))
    assert "Could not read GID-TA11173 from NICE: NICE says page not found (404)" in page
    seeded.expire_all()
    assert seeded.get(NiceCandidate, talq.id).decision == "new"


class EditedDuringRead:
    """A NICE client that, while NICE is being read, lets someone else save the appraisal."""

    def __init__(self, client: NiceClient, engine, appraisal_id: int):
        self.client, self.engine, self.appraisal_id = client, engine, appraisal_id
        self.base_url = client.base_url

    def fetch(self, url, *, reference=None):
        with Session(self.engine) as other_editor:
            row = other_editor.get(Appraisal, self.appraisal_id)
            row.medicine = "Daratumumab"
            other_editor.add(row)
            other_editor.commit()
        return self.client.fetch(url, reference=reference)

    def close(self):
        self.client.close()


def test_refresh_during_someone_elses_save_keeps_their_change(alliance_client, nice_app, seeded, fake_nice,
                                                              read_clock):
    appraisal_id = add_ta10914(alliance_client)
    moved = with_expected_publication(feed("indev-feed_project_gid-ta10914.json"), "20 December 2023")
    fake_nice.add(TA10914_PATH, Reply(200, project_page(moved)))
    real_factory = nice_app.extensions["nice_client_factory"]
    engine = nice_app.extensions["appraisal_impact.engine"]
    nice_app.extensions["nice_client_factory"] = lambda config: EditedDuringRead(real_factory(config), engine,
                                                                                 appraisal_id)
    alliance_client.post(f"/nice/appraisals/{appraisal_id}/refresh")
    page = text_of(alliance_client.get(f"/appraisals/{appraisal_id}"))
    assert "was changed by someone else while NICE was being read" in page
    seeded.expire_all()
    row = seeded.get(Appraisal, appraisal_id)
    assert (row.medicine, row.expected_publication_date) == ("Daratumumab", date(2023, 8, 23))


def test_preview_of_a_guideline_warns_it_is_not_a_technology_appraisal(alliance_client, fake_nice):
    fake_nice.add("/guidance/indevelopment/gid-ng10237",
                  Reply(200, (FIXTURES / "snapshot_indev-project-page_gid-ng10237.html").read_text(encoding="utf-8")))
    page = text_of(alliance_client.get("/nice/add", query_string={"reference": "GID-NG10237"}))
    assert "Not a technology appraisal" in page
    assert "Adrenal insufficiency: acute and long-term management" in page
    assert "No: " in page  # not about cancer, with the reason


def test_the_app_reads_the_real_nice_by_default_naming_its_contact(app):
    factory = app.extensions["nice_client_factory"]
    client = factory({"NICE_CONTACT": "sact.team@example.nhs.uk"})
    assert (client.base_url, client.user_agent) == ("https://www.nice.org.uk",
                                                    "AppraisalImpact/0.1 (+sact.team@example.nhs.uk)")
    client.close()


def test_add_by_id_number_finds_the_project_through_nices_list(alliance_client, fake_nice):
    listing = document_like_fixture(TA10914_TITLE + " [ID4014]", "GID-TA10914", "2023-08-23T00:00:00")
    fake_nice.add(indevelopment_list_url(query="ID4014", page_size=50, base_url=""), Reply(200, list_page([listing])))
    page = text_of(alliance_client.get("/nice/add", query_string={"reference": "ID4014"}))
    assert "GID-TA10914" in page and "23 August 2023" in page
    assert "Confirm and add" in page


def test_add_published_ta_shows_the_recommendation_and_its_chapter(alliance_client, seeded, fake_nice):
    fake_nice.add("/guidance/ta917", Reply(200, PUBLISHED_TA917))
    fake_nice.add("/guidance/ta917/chapter/1-Recommendations", Reply(200, RECOMMENDATIONS_TA917))
    # The seeded example data holds a TA917 already: take it out of the way for this test.
    for example in seeded.exec(select(Appraisal).where(Appraisal.ta_number == "TA917")).all():
        example.ta_number = None
        seeded.add(example)
    seeded.commit()
    page = text_of(alliance_client.get("/nice/add", query_string={"reference": "TA917"}))
    assert "Recommended: “1.1 Daratumumab plus lenalidomide" in page
    assert f'<a href="{fake_nice.url}/guidance/ta917/chapter/1-Recommendations"' in page
    assert "25 October 2023" in page
    response = alliance_client.post("/nice/add", data={"reference": "TA917", "fingerprint": fingerprint_in(page)})
    row = seeded.get(Appraisal, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert (row.ta_number, row.status, row.recommendation, row.publication_date) == (
        "TA917", "published", "recommended", date(2023, 10, 25))


# --- issue 12: when NICE says no, the saved-page fallback -----------------------------------------

import io  # noqa: E402

from appraisal_impact.models import NiceSavedPage  # noqa: E402
from appraisal_impact.planning import deadlines_for  # noqa: E402
from tests.nice.nice_support import published_ta_page, recommendations_chapter  # noqa: E402
from tests.test_nice_sync import LU177_TITLE, NEW_TA_RECOMMENDATION  # noqa: E402

TA1200_CHAPTER = "https://www.nice.org.uk/guidance/ta1200/chapter/1-Recommendations"


def ta1200_chapter() -> str:
    return recommendations_chapter(LU177_TITLE, "TA1200", [NEW_TA_RECOMMENDATION], published="2026-01-14")


def upload(client, html: str, name="Lutetium chapter 1.html", **fields):
    data = {"page_file": (io.BytesIO(html.encode("utf-8")), name), **fields}
    return client.post("/nice/saved-page", data=data, content_type="multipart/form-data")


def test_403_on_refresh_names_the_appraisal_changes_nothing_and_offers_the_saved_page(alliance_client, seeded,
                                                                                       fake_nice):
    appraisal_id = add_ta10914(alliance_client)
    fake_nice.add(TA10914_PATH, Reply(403, "<h1>Access denied</h1>"))
    alliance_client.post(f"/nice/appraisals/{appraisal_id}/refresh")
    page = text_of(alliance_client.get(f"/appraisals/{appraisal_id}"))
    assert (f"Could not refresh GID-TA10914 ({TA10914_TITLE}) from NICE: NICE refused to let this tool read the "
            "page (403 Forbidden) Nothing was changed.") in page
    assert "Read a saved NICE page" in page
    assert f'href="/nice?appraisal_id={appraisal_id}#saved-page"' in page
    seeded.expire_all()
    assert seeded.get(Appraisal, appraisal_id).expected_publication_date == date(2023, 8, 23)


def test_upload_a_saved_page_check_then_confirm_adds_it_with_its_deadline(alliance_client, seeded):
    response = upload(alliance_client, ta1200_chapter(), page_url=TA1200_CHAPTER)
    assert response.status_code == 200
    page = text_of(response)
    assert "Read from a NICE page saved from a browser" in page and "Lutetium chapter 1.html" in page
    assert "Recommended: “1.1 Lutetium-177 vipivotide tetraxetan can be used" in page
    assert "14 January 2026" in page
    assert "Source: NICE page saved from a browser, read" in page
    assert seeded.exec(select(Appraisal).where(Appraisal.ta_number == "TA1200")).all() == []  # not yet
    action = re.search(r'<form method="post" action="(/nice/saved-page/\d+/confirm)"', page)[1]

    confirmed = alliance_client.post(action, data={"fingerprint": fingerprint_in(page)})
    assert confirmed.status_code == 302
    row = seeded.get(Appraisal, int(confirmed.headers["Location"].rsplit("/", 1)[1]))
    assert (row.ta_number, row.status, row.recommendation, row.publication_date) == (
        "TA1200", "published", "recommended", date(2026, 1, 14))
    assert deadlines_for(row).funding_deadline.date == date(2026, 4, 14)
    assert seeded.exec(select(NiceSavedPage)).one().appraisal_id == row.id
    # Confirming twice changes nothing more.
    again = alliance_client.post(action, data={"fingerprint": fingerprint_in(page)})
    assert again.status_code == 302
    assert len(seeded.exec(select(Appraisal).where(Appraisal.ta_number == "TA1200")).all()) == 1


def test_saved_page_from_an_appraisals_page_updates_that_appraisal(alliance_client, seeded, fake_nice):
    appraisal_id = add_ta10914(alliance_client)
    form = text_of(alliance_client.get("/nice", query_string={"appraisal_id": appraisal_id}))
    assert f"For {TA10914_TITLE}" in form and f'name="appraisal_id" value="{appraisal_id}"' in form
    title = ("Daratumumab with lenalidomide and dexamethasone for untreated multiple myeloma when a stem cell "
             "transplant is unsuitable")
    chapter = recommendations_chapter(title, "TA1999", [
        "1.1 Daratumumab plus lenalidomide and dexamethasone can be used as an option to treat untreated multiple "
        "myeloma in adults when a stem cell transplant is unsuitable, only if they have had no more than 1 previous "
        "therapy."], published="2025-11-05")
    preview = upload(alliance_client, chapter, appraisal_id=str(appraisal_id))
    page = text_of(preview)
    assert preview.status_code == 200 and "Confirm and update" in page and "Optimised: “1.1 Daratumumab" in page
    action = re.search(r'<form method="post" action="(/nice/saved-page/\d+/confirm)"', page)[1]
    response = alliance_client.post(action, data={"fingerprint": fingerprint_in(page),
                                                  "appraisal_id": str(appraisal_id)})
    assert response.headers["Location"].endswith(f"/appraisals/{appraisal_id}")
    seeded.expire_all()
    row = seeded.get(Appraisal, appraisal_id)
    assert (row.gid, row.ta_number, row.recommendation, row.publication_date) == (
        "GID-TA10914", "TA1999", "optimised", date(2025, 11, 5))
    origins = {e.origin for e in seeded.exec(select(AuditEntry).where(AuditEntry.entity_id == appraisal_id,
                                                                       AuditEntry.field == "ta_number")).all()}
    assert origins == {"NICE page uploaded"}


def test_pasted_address_and_html_go_through_the_same_check(alliance_client, seeded):
    response = alliance_client.post("/nice/saved-page", data={"page_url": TA1200_CHAPTER,
                                                              "page_html": ta1200_chapter()})
    assert response.status_code == 200
    assert "Recommended: “1.1 Lutetium-177" in text_of(response) and "pasted HTML" in text_of(response)


@pytest.mark.parametrize(("data", "field", "message"), [
    ({}, "page_file", "Choose the NICE page you saved from your browser, or paste its HTML"),
    ({"page_html": "<h1>Hello</h1>", "page_url": "https://example.com/guidance/ta1200"}, "page_url",
     "is not a nice.org.uk address"),
    ({"page_html": "<html><body><h1>We're making improvements</h1></body></html>"}, "page_html",
     "The tool could not read this page: saved NICE page: not a NICE project page"),
])
def test_a_saved_page_that_cannot_be_read_is_an_nhs_error_and_saves_nothing(alliance_client, seeded, data, field,
                                                                             message):
    response = alliance_client.post("/nice/saved-page", data=data)
    assert response.status_code == 400
    page = text_of(response).replace("&#39;", "'")
    assert "There is a problem" in page and f'href="#{field}"' in page and "<title>Error: " in page
    assert page.count(message) == 2  # in the summary and beside the field
    assert seeded.exec(select(NiceSavedPage)).all() == []


def test_a_saved_page_about_another_appraisal_is_refused(alliance_client, seeded):
    appraisal_id = add_ta10914(alliance_client)
    feed_page = (FIXTURES / "indev-feed_project_gid-ta10730.json").read_text(encoding="utf-8")
    response = upload(alliance_client, feed_page, name="gid-ta10730.json", appraisal_id=str(appraisal_id))
    assert response.status_code == 400
    assert "the saved page is about GID-TA10730, not GID-TA10914" in text_of(response)
    assert seeded.exec(select(NiceSavedPage)).all() == []


def test_saved_page_forms_need_the_csrf_token(csrf_app):
    with Session(csrf_app.extensions["appraisal_impact.engine"], expire_on_commit=False) as session:
        user = make_user(session, Role.alliance)
    client = csrf_app.test_client()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text_of(client.get("/sign-in")))[1]
    client.post("/sign-in", data={"email": user.email, "password": "correct horse battery staple",
                                  "csrf_token": token})
    assert client.post("/nice/saved-page", data={"page_html": ta1200_chapter()}).status_code == 400
    page = text_of(client.get("/nice"))
    token = re.search(r'action="/nice/saved-page"[^>]*>\s*<input type="hidden" name="csrf_token" value="([^"]+)"',
                      page)[1]
    preview = client.post("/nice/saved-page", data={"page_html": ta1200_chapter(), "csrf_token": token})
    assert preview.status_code == 200
    action = re.search(r'<form method="post" action="(/nice/saved-page/\d+/confirm)"', text_of(preview))[1]
    assert client.post(action, data={"fingerprint": fingerprint_in(text_of(preview))}).status_code == 400


def test_nices_own_status_words_are_shown_beside_the_tools(alliance_client, seeded, fake_nice):
    appraisal_id = add_ta10914(alliance_client)
    from tests.nice.nice_support import next_data_page, project_page_props

    props = project_page_props(feed("indev-feed_project_gid-ta10914.json"), status="Impacted by COVID-19")
    fake_nice.add(TA10914_PATH, Reply(200, next_data_page(props)))
    alliance_client.post(f"/nice/appraisals/{appraisal_id}/refresh")
    page = text_of(alliance_client.get(f"/appraisals/{appraisal_id}"))
    assert "status changed from in development to suspended" in page
    assert "Status on NICE: “Impacted by COVID-19” (shown here as suspended)" in page
    assert "GID-TA10914, ID4014; suspended (NICE: Impacted by COVID-19)" in text_of(alliance_client.get("/nice"))


def test_403_on_add_by_reference_offers_the_saved_page(alliance_client, fake_nice):
    fake_nice.add(TA10914_PATH, Reply(403, "<h1>Access denied</h1>"))
    response = alliance_client.get("/nice/add", query_string={"reference": "GID-TA10914"})
    assert response.status_code == 502
    page = text_of(response)
    assert ("Could not read GID-TA10914 from NICE: NICE refused to let this tool read the page (403 Forbidden) "
            "Nothing was changed. If the page opens in your browser, save it") in page
    assert 'id="saved-page"' in page
