"""Appraisal assumptions, a trust's own figures and its capacity: roles on the server, validation, no lost
updates, the history, and the live preview from unsaved values."""

from __future__ import annotations

import re
from datetime import date

import pytest
from markupsafe import escape
from sqlmodel import select

from appraisal_impact.models import (
    Appraisal,
    AppraisalRegimen,
    AuditEntry,
    DateChange,
    Drug,
    DrugPack,
    FigureSource,
    FunnelStep,
    Regimen,
    Trust,
    TrustAppraisalOverride,
    TrustRegimenOverride,
    UptakeYear,
)
from tests.editing_support import audit_rows, count, error_summary_links, people, regimen_named, signed_in, text_of, trust  # noqa: F401


def appraisal_by_ta(session, ta: str) -> Appraisal:
    session.expire_all()
    return session.exec(select(Appraisal).where(Appraisal.ta_number == ta)).one()


def form_values(html: str, action: str) -> dict[str, str]:
    """The fields of the form posting to `action`, as a browser would send them (first option when none chosen)."""
    form = re.search(r'<form method="post" action="%s".*?</form>' % re.escape(action), html, re.S).group(0)
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name:
            continue
        kind = re.search(r'type="([^"]+)"', tag)
        if kind and kind.group(1) in ("checkbox", "radio") and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1).replace("&amp;", "&").replace("&#39;", "'") if value else ""
    for select_html in re.findall(r"<select.*?</select>", form, re.S):
        name = re.search(r'name="([^"]+)"', select_html).group(1)
        chosen = re.search(r'<option value="([^"]*)" selected', select_html) or re.search(r'<option value="([^"]*)"', select_html)
        data[name] = chosen.group(1)
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>(.*?)</textarea>', form, re.S):
        data[name] = value.replace("&amp;", "&").replace("&#39;", "'")
    data["action"] = "save"
    return data


# --- roles, on the server ----------------------------------------------------------------------------

EVERYONE = ("viewer", "pharmacist", "pharmacist_no_pas", "other_pharmacist", "lead", "alliance", "admin")
LIBRARY_EDITORS = {"pharmacist", "pharmacist_no_pas", "other_pharmacist", "lead", "admin"}
RHM_EDITORS = {"pharmacist", "pharmacist_no_pas", "lead", "admin"}
ANYTHING_EDITORS = {"lead", "admin"}
PAS_ENTRY = {"pharmacist", "other_pharmacist", "lead", "admin"}

# (method, url template, who may) – every route that changes data, and the pages that lead to them.
EDIT_ROUTES = [
    ("GET", "/regimens/new", LIBRARY_EDITORS),
    ("POST", "/regimens/new", LIBRARY_EDITORS),
    ("GET", "/regimens/{regimen}/edit", LIBRARY_EDITORS),
    ("POST", "/regimens/{regimen}/edit", LIBRARY_EDITORS),
    ("POST", "/regimens/preview", LIBRARY_EDITORS),
    ("GET", "/drugs/new", LIBRARY_EDITORS),
    ("POST", "/drugs/new", LIBRARY_EDITORS),
    ("GET", "/drugs/{drug}/packs/new", LIBRARY_EDITORS),
    ("POST", "/drugs/{drug}/packs/new", LIBRARY_EDITORS),
    ("GET", "/packs/{pack}/edit", LIBRARY_EDITORS),
    ("POST", "/packs/{pack}/edit", LIBRARY_EDITORS),
    ("GET", "/packs/{pack}/confidential-price", PAS_ENTRY),
    ("POST", "/packs/{pack}/confidential-price", PAS_ENTRY),
    ("GET", "/imports", LIBRARY_EDITORS),
    ("POST", "/imports/preview", LIBRARY_EDITORS),
    ("POST", "/imports/confirm", LIBRARY_EDITORS),
    ("GET", "/appraisals/{appraisal}/assumptions", ANYTHING_EDITORS),
    ("POST", "/appraisals/{appraisal}/assumptions", ANYTHING_EDITORS),
    ("POST", "/appraisals/{appraisal}/assumptions/preview", ANYTHING_EDITORS),
    ("GET", "/trusts/RHM/capacity", RHM_EDITORS),
    ("POST", "/trusts/RHM/capacity", RHM_EDITORS),
    ("POST", "/trusts/RHM/capacity/preview", RHM_EDITORS),
    ("GET", "/trusts/RHM/appraisals/{appraisal}/patients", RHM_EDITORS),
    ("POST", "/trusts/RHM/appraisals/{appraisal}/patients", RHM_EDITORS),
    ("POST", "/trusts/RHM/appraisals/{appraisal}/patients/preview", RHM_EDITORS),
    ("POST", "/trusts/RHM/appraisals/{appraisal}/patients/remove", RHM_EDITORS),
    ("GET", "/trusts/RHM/regimens/{regimen}/local", RHM_EDITORS),
    ("POST", "/trusts/RHM/regimens/{regimen}/local", RHM_EDITORS),
    ("POST", "/trusts/RHM/regimens/{regimen}/local/preview", RHM_EDITORS),
    ("POST", "/trusts/RHM/regimens/{regimen}/local/remove", RHM_EDITORS),
]
SWEEP = [(method, url, who) for method, url, allowed in EDIT_ROUTES for who in EVERYONE if who not in allowed]


@pytest.fixture
def ids(seeded):
    regimen = seeded.exec(select(Regimen)).first()
    pack = seeded.exec(select(DrugPack)).first()
    appraisal = seeded.exec(select(Appraisal).where(Appraisal.ta_number == "TA1037")).one()
    return {"regimen": regimen.id, "drug": pack.drug_id, "pack": pack.id, "appraisal": appraisal.id}


@pytest.mark.parametrize("method, url, who", SWEEP)
def test_forbidden_actions_answer_403_whatever_the_client_sends(app, db, people, ids, method, url, who):
    client = signed_in(app, people[who])
    before = count(db, AuditEntry)
    target = url.format(**ids)
    if method == "GET":
        response = client.get(target)
    else:
        response = client.post(target, data={"version": "1", "action": "save", "name": "x", "cycle_length_days": "21",
                                             "patients_per_year": "5", "note": "x", "chairs": "1", "source": "x", "price": "1",
                                             "trust": "RHM", "kind": "prices"}, headers={"HX-Request": "true"})
    assert response.status_code == 403, (method, target, who, response.status_code)
    assert count(db, AuditEntry) == before


@pytest.mark.parametrize("method, url", [(m, u) for m, u, _ in EDIT_ROUTES])
def test_signed_out_visitors_never_reach_an_edit_route(client, seeded, ids, method, url):
    target = url.format(**ids)
    response = client.get(target) if method == "GET" else client.post(target, data={})
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


@pytest.mark.parametrize("who", sorted(RHM_EDITORS))
def test_those_allowed_open_the_trust_pages(app, people, ids, who):
    client = signed_in(app, people[who])
    for url in ("/trusts/RHM/capacity", f"/trusts/RHM/appraisals/{ids['appraisal']}/patients", f"/trusts/RHM/regimens/{ids['regimen']}/local"):
        assert client.get(url).status_code == 200, url


def test_the_local_figures_page_is_read_only_for_others(app, people):
    html = text_of(signed_in(app, people["other_pharmacist"]).get("/trusts/RHM/local"))
    assert "Local figures" in html and "Set local timings" not in html and "/trusts/RHM/capacity" not in html


def test_edit_links_appear_only_for_those_allowed(app, seeded, people, ids):
    lead_page = text_of(signed_in(app, people["lead"]).get(f"/appraisals/{ids['appraisal']}"))
    viewer_page = text_of(signed_in(app, people["viewer"]).get(f"/appraisals/{ids['appraisal']}"))
    pharmacist_trust = text_of(signed_in(app, people["pharmacist"]).get("/trusts/RHM"))
    other_trust = text_of(signed_in(app, people["other_pharmacist"]).get("/trusts/RHM"))
    assert "Change this appraisal" in lead_page and "Change this appraisal" not in viewer_page
    assert "Change the capacity figures" in pharmacist_trust and "Change the capacity figures" not in other_trust


# --- an appraisal's assumptions ----------------------------------------------------------------------


@pytest.fixture
def ta1037(db):
    return appraisal_by_ta(db, "TA1037")


def _assumptions(client, appraisal) -> dict[str, str]:
    url = f"/appraisals/{appraisal.id}/assumptions"
    return form_values(text_of(client.get(url)), url)


def test_a_lead_changes_eligible_uptake_regimens_and_dates_on_the_record(app, db, people, ta1037):
    client = signed_in(app, people["lead"])
    data = _assumptions(client, ta1037)
    version = ta1037.version
    nivo = regimen_named(db, "Nivolumab 480 mg q4w adjuvant (12 months)")
    data.update({
        "national_eligible_per_year": "400", "eligible_source": "Local audit 2026", "uptake_2": "40",
        "regimens-9-regimen_id": str(nivo.id), "regimens-9-role": "displaces", "regimens-9-share_pct": "25", "regimens-9-source": "MDT estimate",
        "draft_guidance_date-day": "2", "draft_guidance_date-month": "2", "draft_guidance_date-year": "2026",
    })
    response = client.post(f"/appraisals/{ta1037.id}/assumptions", data=data)
    assert response.status_code == 302, text_of(response)[:3000]
    saved = appraisal_by_ta(db, "TA1037")
    assert saved.national_eligible_per_year == 400 and saved.draft_guidance_date == date(2026, 2, 2) and saved.version == version + 1
    assert db.exec(select(UptakeYear).where(UptakeYear.appraisal_id == saved.id, UptakeYear.year == 2)).one().percent == 40
    link = db.exec(select(AppraisalRegimen).where(AppraisalRegimen.appraisal_id == saved.id, AppraisalRegimen.regimen_id == nivo.id)).one()
    assert (link.role, link.share_pct, link.source) == ("displaces", 25, "MDT estimate")
    fields = {e.field: e for e in audit_rows(db, "appraisal", saved.id)}
    assert (fields["national_eligible_per_year"].old_value, fields["national_eligible_per_year"].new_value) == ("352", "400")
    assert fields["national_eligible_per_year"].user_name == "Lead"
    assert "uptake year 2 (%)" in fields and f"regimen displaces: {nivo.name}" in fields
    assert db.exec(select(DateChange).where(DateChange.appraisal_id == saved.id, DateChange.field == "draft_guidance_date")).first()
    source = db.exec(select(FigureSource).where(FigureSource.entity == "appraisal", FigureSource.entity_id == saved.id,
                                                FigureSource.field == "national_eligible_per_year")).one()
    assert source.source == "Local audit 2026" and source.entered_by_id == people["lead"].id
    page = text_of(client.get(f"/appraisals/{saved.id}"))
    assert "Eligible people a year (England)" in page and "Uptake year 2 (%)" in page


def test_the_funnel_builder_shows_the_running_result_and_saves_the_product(app, db, people, ta1037):
    client = signed_in(app, people["lead"])
    data = _assumptions(client, ta1037)
    data.update({"eligible_method": "funnel",
                 "funnel_steps-0-name": "Diagnosed a year", "funnel_steps-0-value": "5000", "funnel_steps-0-source": "NDRS 2023",
                 "funnel_steps-1-name": "Stage II-IIIA", "funnel_steps-1-value": "60", "funnel_steps-1-source": "NDRS",
                 "funnel_steps-2-name": "Fit for treatment", "funnel_steps-2-value": "50", "funnel_steps-2-source": "MDT"})
    preview = text_of(client.post(f"/appraisals/{ta1037.id}/assumptions/preview", data=data, headers={"HX-Request": "true"}))
    assert re.search(r'id="funnel-running-1" hx-swap-oob="true">3,000<', preview)
    assert re.search(r'id="funnel-running-2" hx-swap-oob="true">1,500<', preview)
    assert client.post(f"/appraisals/{ta1037.id}/assumptions", data=data).status_code == 302
    saved = appraisal_by_ta(db, "TA1037")
    assert saved.eligible_from_funnel and saved.national_eligible_per_year == 1500
    steps = db.exec(select(FunnelStep).where(FunnelStep.appraisal_id == saved.id).order_by(FunnelStep.position)).all()
    assert [(s.name, s.value, s.source) for s in steps] == [("Diagnosed a year", 5000, "NDRS 2023"), ("Stage II-IIIA", 60, "NDRS"), ("Fit for treatment", 50, "MDT")]
    page = text_of(client.get(f"/appraisals/{saved.id}/assumptions"))
    assert re.search(r'id="funnel-running-2">1,500<', page)


def test_add_a_funnel_step_without_javascript(app, db, people, ta1037):
    client = signed_in(app, people["lead"])
    data = _assumptions(client, ta1037) | {"action": "add:funnel_steps"}
    html = text_of(client.post(f"/appraisals/{ta1037.id}/assumptions", data=data))
    assert 'name="funnel_steps-1-name"' in html and "There is a problem" not in html
    assert appraisal_by_ta(db, "TA1037").version == ta1037.version


BAD_ASSUMPTIONS = [
    ({"regimens-0-share_pct": "120"}, "regimens-0-share_pct", "The share must be between 0% and 100%"),
    ({"regimens-0-regimen_id": ""}, "regimens-0-regimen_id", "Choose a regimen, or remove this row"),
    ({"national_eligible_per_year": "a few hundred"}, "national_eligible_per_year", "Eligible people a year must be a number, like 352"),
    ({"uptake_1": "130"}, "uptake_1", "Uptake in year 1 must be between 0% and 100%"),
    ({"uptake_3": ""}, "uptake_3", "Enter the uptake in year 3, or leave the later years blank"),
    ({"draft_guidance_date-day": "1", "draft_guidance_date-month": "6", "draft_guidance_date-year": "2027"},
     "draft_guidance_date-day", "Draft guidance (1 June 2027) must be on or before"),
    ({"fdg_date-day": "31", "fdg_date-month": "2", "fdg_date-year": "2026"}, "fdg_date-day", "Final draft guidance must be a real date"),
    ({"publication_date-year": ""}, "publication_date-day", "Publication must include a year"),
]


@pytest.mark.parametrize("changes, anchor, message", BAD_ASSUMPTIONS)
def test_bad_assumptions_are_refused_and_nothing_is_saved(app, db, people, ta1037, changes, anchor, message):
    client = signed_in(app, people["lead"])
    data = _assumptions(client, ta1037) | changes
    before = (count(db, AuditEntry), count(db, AppraisalRegimen), count(db, UptakeYear), ta1037.version)
    response = client.post(f"/appraisals/{ta1037.id}/assumptions", data=data)
    html = text_of(response)
    assert response.status_code == 400 and "<title>Error: " in html
    assert any(href == f"#{anchor}" and message in text for href, text in error_summary_links(html)), error_summary_links(html)
    assert (count(db, AuditEntry), count(db, AppraisalRegimen), count(db, UptakeYear), appraisal_by_ta(db, "TA1037").version) == before


def test_shares_of_regimens_brought_in_cannot_add_up_to_more_than_100(app, db, people, ta1037):
    client = signed_in(app, people["lead"])
    data = _assumptions(client, ta1037)
    other = regimen_named(db, "Atezolizumab 1200 mg q3w adjuvant (1 year)")
    data.update({"regimens-0-share_pct": "70", "regimens-8-regimen_id": str(other.id), "regimens-8-role": "brings in", "regimens-8-share_pct": "50"})
    html = text_of(client.post(f"/appraisals/{ta1037.id}/assumptions", data=data))
    assert "add up to 120%: they must add up to 100% or less" in html


def test_two_leads_editing_an_appraisal_the_second_is_refused(app, db, people, ta1037):
    first, second = signed_in(app, people["lead"]), signed_in(app, people["admin"])
    first_data, second_data = _assumptions(first, ta1037), _assumptions(second, ta1037)
    assert first.post(f"/appraisals/{ta1037.id}/assumptions", data=first_data | {"uptake_1": "33"}).status_code == 302
    response = second.post(f"/appraisals/{ta1037.id}/assumptions", data=second_data | {"national_eligible_per_year": "999"})
    html = text_of(response)
    assert response.status_code == 409 and "Your changes were not saved" in html and "Uptake year 1 (%)" in html
    saved = appraisal_by_ta(db, "TA1037")
    assert saved.national_eligible_per_year == 352
    assert db.exec(select(UptakeYear).where(UptakeYear.appraisal_id == saved.id, UptakeYear.year == 1)).one().percent == 33


def test_the_appraisal_preview_shows_each_trust_and_saves_nothing(app, db, people, ta1037):
    client = signed_in(app, people["lead"])
    data = _assumptions(client, ta1037)
    before = (count(db, AuditEntry), appraisal_by_ta(db, "TA1037").version)
    low = text_of(client.post(f"/appraisals/{ta1037.id}/assumptions/preview", data=data | {"national_eligible_per_year": "3520"}, headers={"HX-Request": "true"}))
    high = text_of(client.post(f"/appraisals/{ta1037.id}/assumptions/preview", data=data | {"national_eligible_per_year": "35200"}, headers={"HX-Request": "true"}))
    assert "Alliance total" in low and "University Hospital Southampton NHS Foundation Trust" in low and "<html" not in low

    def total_chair_hours(html):
        row = re.search(r"Alliance total</th>(.*?)</tr>", html, re.S).group(1)
        return float(re.search(r'data-measure="chair_hours_per_week">([^<]+)<', row).group(1).replace(",", ""))

    assert total_chair_hours(high) == pytest.approx(10 * total_chair_hours(low), rel=0.02)
    assert (count(db, AuditEntry), appraisal_by_ta(db, "TA1037").version) == before


# --- a trust's patients a year for an appraisal ------------------------------------------------------


def test_a_pharmacist_sets_their_trusts_patients_a_year_beside_the_alliance_default(app, db, people, ta1037):
    client = signed_in(app, people["pharmacist"])
    url = f"/trusts/RHM/appraisals/{ta1037.id}/patients"
    page = text_of(client.get(url))
    assert "Alliance default: 4.0 a year (catchment population / England population)" in page
    response = client.post(url, data=form_values(page, url) | {"patients_per_year": "12", "note": "Our MDT list, 2025/26"})
    assert response.status_code == 302, text_of(response)[:2000]
    rhm = trust(db, "RHM")
    override = db.exec(select(TrustAppraisalOverride).where(TrustAppraisalOverride.trust_id == rhm.id)).one()
    assert (override.patients_per_year, override.note, override.entered_by_id) == (12, "Our MDT list, 2025/26", people["pharmacist"].id)
    entry = next(e for e in audit_rows(db, "trust", rhm.id) if e.field == "patients a year for TA1037")
    assert (entry.user_name, entry.old_value, entry.new_value) == ("Pharmacist", "", "12")
    assert "Patients a year for ta1037" in text_of(client.get("/trusts/RHM"))  # the trust page's history
    assert "12" in text_of(client.get("/trusts/RHM/local"))


@pytest.mark.parametrize("value, message", [("-3", "Patients a year must be between 0 and 100,000"), ("twelve", "Patients a year must be a number, like 24"),
                                            ("", "Enter the patients a year your trust expects")])
def test_bad_patients_a_year_is_refused(app, db, people, ta1037, value, message):
    client = signed_in(app, people["pharmacist"])
    url = f"/trusts/RHM/appraisals/{ta1037.id}/patients"
    response = client.post(url, data=form_values(text_of(client.get(url)), url) | {"patients_per_year": value, "note": "x"})
    assert response.status_code == 400 and message in text_of(response)
    assert count(db, TrustAppraisalOverride) == 0


def test_two_people_setting_the_same_trust_figure_the_second_is_refused(app, db, people, ta1037):
    url = f"/trusts/RHM/appraisals/{ta1037.id}/patients"
    first, second = signed_in(app, people["pharmacist"]), signed_in(app, people["lead"])
    first_data, second_data = form_values(text_of(first.get(url)), url), form_values(text_of(second.get(url)), url)
    assert first.post(url, data=first_data | {"patients_per_year": "12", "note": "MDT"}).status_code == 302
    response = second.post(url, data=second_data | {"patients_per_year": "30", "note": "guess"})
    assert response.status_code == 409
    assert db.exec(select(TrustAppraisalOverride)).one().patients_per_year == 12


def test_going_back_to_the_alliance_share_is_on_the_record(app, db, people, ta1037):
    client = signed_in(app, people["pharmacist"])
    url = f"/trusts/RHM/appraisals/{ta1037.id}/patients"
    client.post(url, data=form_values(text_of(client.get(url)), url) | {"patients_per_year": "12", "note": "MDT"})
    assert client.post(f"{url}/remove").status_code == 302
    assert count(db, TrustAppraisalOverride) == 0
    entries = [e for e in audit_rows(db, "trust", trust(db, "RHM").id) if e.field == "patients a year for TA1037"]
    assert [(e.old_value, e.new_value) for e in entries] == [("", "12"), ("12", "")]


def test_the_patients_preview_compares_the_alliance_share_and_yours(app, people, ta1037):
    client = signed_in(app, people["pharmacist"])
    html = text_of(client.post(f"/trusts/RHM/appraisals/{ta1037.id}/patients/preview", data={"patients_per_year": "40"}, headers={"HX-Request": "true"}))
    assert "Alliance share" in html and "Your figure" in html

    def cell(line):
        return float(re.search(r'data-measure="new_patients_year1" data-line="%s">([^<]+)<' % line, html).group(1))

    assert cell("Your figure") == pytest.approx(10 * cell("Alliance share"), rel=0.05)


# --- a trust's local timings for a regimen -----------------------------------------------------------


def test_local_chair_minutes_show_the_alliance_figure_and_go_on_the_trust_record(app, db, people):
    pembro = regimen_named(db, "Pembrolizumab 200 mg q3w")
    client = signed_in(app, people["pharmacist"])
    url = f"/trusts/RHM/regimens/{pembro.id}/local"
    page = text_of(client.get(url))
    assert "Alliance figure: 50 minutes" in page and "Alliance figure: 10 minutes" in page
    response = client.post(url, data=form_values(page, url) | {"chair_minutes_first_cycle": "70", "note": "Day unit audit, May 2026"})
    assert response.status_code == 302, text_of(response)[:2000]
    override = db.exec(select(TrustRegimenOverride)).one()
    assert (override.chair_minutes_first_cycle, override.chair_minutes_later_cycles, override.trust_id) == (70, None, trust(db, "RHM").id)
    entry = next(e for e in audit_rows(db, "trust", override.trust_id) if e.field.endswith("chair minutes, first cycle"))
    assert (entry.user_name, entry.old_value, entry.new_value) == ("Pharmacist", "", "70")
    assert "70" in text_of(client.get(f"/regimens/{pembro.id}"))  # the library shows each trust's local figures


def test_local_timings_need_a_figure_and_bounds(app, db, people):
    pembro = regimen_named(db, "Pembrolizumab 200 mg q3w")
    client = signed_in(app, people["pharmacist"])
    url = f"/trusts/RHM/regimens/{pembro.id}/local"
    base = form_values(text_of(client.get(url)), url)
    assert "Enter at least one local figure" in text_of(client.post(url, data=base | {"note": "x"}))
    assert "Chair minutes for the first cycle must be between 0 and 1,440" in text_of(client.post(url, data=base | {"chair_minutes_first_cycle": "-10", "note": "x"}))
    assert "Chair minutes for later cycles must be between 0 and 1,440" in text_of(client.post(url, data=base | {"chair_minutes_later_cycles": "2000", "note": "x"}))
    assert "must be a whole number of cycles" in text_of(client.post(url, data=base | {"clinic_every_n_cycles": "every other", "note": "x"}))
    assert count(db, TrustRegimenOverride) == 0


def test_the_local_timing_preview_changes_with_the_chair_minutes(app, people, db):
    pembro = regimen_named(db, "Pembrolizumab 200 mg q3w")
    client = signed_in(app, people["pharmacist"])
    html = text_of(client.post(f"/trusts/RHM/regimens/{pembro.id}/local/preview", data={"chair_minutes_first_cycle": "100", "chair_minutes_later_cycles": "100", "preview_patients": "500"},
                               headers={"HX-Request": "true"}))

    def cell(line):
        return float(re.search(r'data-measure="chair_hours_per_week" data-line="%s">([^<]+)<' % line, html).group(1))

    assert cell("Your figures") == pytest.approx(2 * cell("Alliance figures"), rel=0.01)
    assert count(db, TrustRegimenOverride) == 0


# --- a trust's capacity ------------------------------------------------------------------------------


def test_capacity_changes_record_their_source_and_history(app, db, people):
    client = signed_in(app, people["pharmacist"])
    page = text_of(client.get("/trusts/RHM/capacity"))
    assert "Planning default if blank: 8 hours a day" in page
    data = form_values(page, "/trusts/RHM/capacity")
    assert data["target_utilisation"] == "85"  # shown as a percentage
    response = client.post("/trusts/RHM/capacity", data=data | {"chairs": "44", "source": "Chair audit, May 2026"})
    assert response.status_code == 302
    rhm = trust(db, "RHM")
    assert rhm.chairs == 44 and rhm.target_utilisation == 0.85
    source = db.exec(select(FigureSource).where(FigureSource.entity == "trust", FigureSource.entity_id == rhm.id, FigureSource.field == "chairs")).one()
    assert (source.source, source.is_estimate, source.entered_by_id) == ("Chair audit, May 2026", False, people["pharmacist"].id)
    entry = next(e for e in audit_rows(db, "trust", rhm.id) if e.field == "chairs")
    assert (entry.old_value, entry.new_value, entry.user_name) == ("40", "44", "Pharmacist")


@pytest.mark.parametrize("changes, message", [
    ({"chairs": "44"}, "Enter where the changed figures come from"),
    ({"target_utilisation": "150", "source": "x"}, "Target utilisation must be more than 0 and at most 100%"),
    ({"days_per_week": "8", "source": "x"}, "Days a week must be more than 0 and at most 7 days"),
    ({"chairs": "forty", "source": "x"}, "Chairs must be a whole number, like 40"),
])
def test_bad_capacity_figures_are_refused(app, db, people, changes, message):
    client = signed_in(app, people["pharmacist"])
    data = form_values(text_of(client.get("/trusts/RHM/capacity")), "/trusts/RHM/capacity")
    response = client.post("/trusts/RHM/capacity", data=data | changes)
    assert response.status_code == 400 and str(escape(message)) in text_of(response)
    assert trust(db, "RHM").chairs == 40


def test_capacity_edits_do_not_overwrite_each_other(app, db, people):
    first, second = signed_in(app, people["pharmacist"]), signed_in(app, people["lead"])
    first_data = form_values(text_of(first.get("/trusts/RHM/capacity")), "/trusts/RHM/capacity")
    second_data = form_values(text_of(second.get("/trusts/RHM/capacity")), "/trusts/RHM/capacity")
    assert first.post("/trusts/RHM/capacity", data=first_data | {"chairs": "44", "source": "audit"}).status_code == 302
    response = second.post("/trusts/RHM/capacity", data=second_data | {"chairs": "50", "source": "plan"})
    assert response.status_code == 409 and "Chairs" in text_of(response)
    assert trust(db, "RHM").chairs == 44


def test_the_capacity_preview_uses_the_unsaved_figures(app, people, db):
    client = signed_in(app, people["pharmacist"])
    data = form_values(text_of(client.get("/trusts/RHM/capacity")), "/trusts/RHM/capacity")
    html = text_of(client.post("/trusts/RHM/capacity/preview", data=data | {"chairs": "80"}, headers={"HX-Request": "true"}))
    row = re.search(r'<tr data-resource="chair_hours">(.*?)</tr>', html, re.S).group(1)
    # 80 chairs x 10 hours x 5 days x 85% = 3,400 chair-hours a week (whole above 100, figures layer)
    assert re.search(r'<td class="app-numeric">3,400</td>', row)
    assert trust(db, "RHM").chairs == 40


# --- what the pages say ------------------------------------------------------------------------------


def test_capacity_hints_say_estimate_in_plain_words(app, people):
    page = text_of(signed_in(app, people["pharmacist"]).get("/trusts/RHM/capacity"))
    assert "[estimate]" not in page.lower()
    note = re.search(r'id="chair_hours_per_day-note">(.*?)</div>', page, re.S).group(1)
    assert "nhsuk-tag" in note and ">Estimate<" in note
    assert "Planning default: replace with your trust&#39;s figure" in note or "Planning default: replace with your trust's figure" in note
    assert "Estimate:" not in page


def test_after_saving_local_timings_the_preview_shows_the_saved_figures(app, db, people):
    pembro = regimen_named(db, "Pembrolizumab 200 mg q3w")
    client = signed_in(app, people["pharmacist"])
    url = f"/trusts/RHM/regimens/{pembro.id}/local"
    opened = text_of(client.get(url))
    response = client.post(url, data=form_values(opened, url) | {"chair_minutes_first_cycle": "70", "note": "Day unit audit, May 2026"})
    assert response.status_code == 302
    saved = text_of(client.get(response.headers["Location"]))
    preview_box = re.search(r'<div id="preview".*?</div>\s*</div>', saved, re.S).group(0)
    assert "Not saved" not in preview_box
    assert 'data-line="Your saved figures"' in preview_box and 'data-line="Your figures"' not in preview_box
    # while the figures are changed again, the preview says they are not saved
    unsaved = text_of(client.post(f"{url}/preview", data={"chair_minutes_first_cycle": "90"}, headers={"HX-Request": "true"}))
    assert "Not saved" in unsaved and 'data-line="Your figures"' in unsaved


def test_the_waiting_preview_says_what_updates_it_with_and_without_javascript(app, db, people):
    client = signed_in(app, people["pharmacist"])
    pembro = regimen_named(db, "Pembrolizumab 200 mg q3w")
    url = f"/trusts/RHM/regimens/{pembro.id}/local"
    refused = text_of(client.post(url, data=form_values(text_of(client.get(url)), url) | {"chair_minutes_first_cycle": "-1", "note": "x"}))
    # this page has no button to update the preview: without JavaScript it shows once saved
    assert re.search(r'<noscript><p[^>]*>The impact of your figures shows here once they are saved', refused)
    assert re.search(r'class="nhsuk-body-s app-js-only">The impact shows here as you change the figures', refused)
    ta1037 = appraisal_by_ta(db, "TA1037")
    lead = signed_in(app, people["lead"])
    form_url = f"/appraisals/{ta1037.id}/assumptions"
    refused = text_of(lead.post(form_url, data=form_values(text_of(lead.get(form_url)), form_url) | {"uptake_1": "150"}))
    assert "Press Update the preview to see the impact of your figures before saving" in refused
    assert 'name="action" value="preview">Update the preview' in refused


def test_an_alliance_figure_of_one_cycle_is_singular(app, db, people):
    pembro = regimen_named(db, "Pembrolizumab 200 mg q3w")
    pembro.clinic_every_n_cycles = 1
    db.add(pembro)
    db.commit()
    page = text_of(signed_in(app, people["pharmacist"]).get(f"/trusts/RHM/regimens/{pembro.id}/local"))
    assert "Alliance figure: 1 cycle<" in page and "1 cycles" not in page


def test_a_stored_regimen_built_by_the_preview_matches_the_services_own(app, db, people):
    """The preview borrows impact_service's private wiring: if that changes, a draft must still be built as a saved regimen is."""
    from appraisal_impact import impact_service
    from appraisal_impact import preview as preview_module

    link = db.exec(select(AppraisalRegimen)).first()
    loaded = impact_service.model_inputs(db, prices=impact_service.PriceView.for_user(people["pharmacist"]), appraisal_ids={link.appraisal_id})
    uses = loaded.inputs.appraisals[0].brings_in + loaded.inputs.appraisals[0].displaces
    regimen = db.get(Regimen, link.regimen_id)
    services = next(use.regimen for use in uses if use.regimen.name == regimen.name)
    built = preview_module._Model(db, people["pharmacist"], {link.appraisal_id}).stored_regimen(regimen.id, None)
    for name in ("drug_cost_per_cycle", "chair_minutes_first_cycle", "chair_minutes_later_cycles", "aseptic_items_per_attendance",
                 "verification_minutes_per_cycle", "clinic_appointments_per_cycle"):
        assert getattr(built, name) == pytest.approx(getattr(services, name)), name
    assert built.drug_cost_per_cycle > 0
