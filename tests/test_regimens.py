"""The regimen editor: add and change regimens with their components, validation with clinical bounds,
rows added and removed with and without JavaScript, the live preview, no lost updates, and the history."""

from __future__ import annotations

import re
from markupsafe import escape as html_escape

import pytest
from sqlalchemy import text
from sqlmodel import select

from appraisal_impact.db import AuditRecordIsAppendOnly
from appraisal_impact.models import AuditEntry, Drug, Regimen, RegimenComponent
from tests.editing_support import audit_rows, count, error_summary_links, people, regimen_named, signed_in, text_of  # noqa: F401

NEW_NAME = "Testumab 200 mg + Newdrugumab 5 mg/kg q3w"


def regimen_form(**overrides) -> dict[str, str]:
    """A valid new regimen with two components (one of them a drug not yet in the library)."""
    data = {
        "name": NEW_NAME, "indication": "Test indication", "tumour_site": "Lung",
        "cycle_length_days": "21", "attendance_days": "1,8", "max_cycles": "", "median_time_on_treatment_days": "180",
        "max_years": "2", "verification_minutes_per_cycle": "10", "clinic_type": "nurse-led review", "clinic_minutes": "20",
        "clinic_every_n_cycles": "1", "delivery_hrg_first": "SB12Z", "source": "Test protocol v1", "version": "0",
        "components-0-drug": "Pembrolizumab", "components-0-dose": "200", "components-0-dose_basis": "mg",
        "components-0-route": "IV", "components-0-days": "1", "components-0-chair_minutes_first_cycle": "60",
        "components-0-chair_minutes_later_cycles": "30", "components-0-aseptic_items": "1", "components-0-aseptic_minutes_per_item": "51",
        "components-1-drug": "Newdrugumab", "components-1-dose": "5", "components-1-dose_basis": "mg/kg",
        "components-1-route": "IV", "components-1-days": "1,8", "components-1-chair_minutes_first_cycle": "90",
        "components-1-chair_minutes_later_cycles": "45", "components-1-aseptic_items": "1", "components-1-aseptic_minutes_per_item": "51",
        "action": "save",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def edit_form_for(client, regimen_id: int) -> dict[str, str]:
    """What the edit page holds: every input's name and value, as a browser would post them."""
    html = text_of(client.get(f"/regimens/{regimen_id}/edit"))
    form = re.search(r'<form method="post" action="/regimens/%d/edit".*?</form>' % regimen_id, html, re.S).group(0)
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or 'type="checkbox"' in tag and "checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1).replace("&amp;", "&") if value else ""
    for select_html in re.findall(r"<select.*?</select>", form, re.S):
        name = re.search(r'name="([^"]+)"', select_html).group(1)
        chosen = re.search(r'<option value="([^"]*)" selected', select_html) or re.search(r'<option value="([^"]*)"', select_html)
        data[name] = chosen.group(1)
    for area in re.findall(r"<textarea[^>]*name=\"([^\"]+)\"[^>]*>(.*?)</textarea>", form, re.S):
        data[area[0]] = area[1]
    data["action"] = "save"
    return data


# --- reading -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["viewer", "pharmacist", "lead", "alliance", "admin"])
def test_everyone_signed_in_reads_the_library(app, seeded, people, who):
    client = signed_in(app, people[who])
    regimen = seeded.exec(select(Regimen)).first()
    for url in ("/regimens", f"/regimens/{regimen.id}", "/drugs", "/drugs/1"):
        assert client.get(url).status_code == 200, url


def test_signed_out_visitors_are_sent_to_sign_in(client, seeded):
    response = client.get("/regimens/new")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_viewers_see_no_edit_buttons(app, seeded, people):
    html = text_of(signed_in(app, people["viewer"]).get("/regimens"))
    assert "Add a regimen" not in html and "Import regimens" not in html


# --- adding ------------------------------------------------------------------------------------------


def test_pharmacist_adds_a_regimen_with_two_components(app, db, people):
    client = signed_in(app, people["pharmacist"])
    assert client.get("/regimens/new").status_code == 200
    response = client.post("/regimens/new", data=regimen_form())
    assert response.status_code == 302, text_of(response)[:2000]
    regimen = regimen_named(db, NEW_NAME)
    assert regimen is not None and regimen.cycle_length_days == 21 and regimen.attendance_days == "1,8"
    components = db.exec(select(RegimenComponent).where(RegimenComponent.regimen_id == regimen.id).order_by(RegimenComponent.position)).all()
    assert [(c.dose, c.chair_minutes_first_cycle, c.days) for c in components] == [(200, 60, "1"), (5, 90, "1,8")]
    new_drug = db.exec(select(Drug).where(Drug.name == "Newdrugumab")).one()
    assert components[1].drug_id == new_drug.id
    entries = audit_rows(db, "regimen", regimen.id)
    assert entries[0].action == "create" and entries[0].user_name == "Pharmacist" and entries[0].new_value == NEW_NAME
    assert [e.field for e in entries[1:]] == ["component 1 added", "component 2 added"]
    page = text_of(client.get(response.headers["Location"]))
    assert "Newdrugumab" in page and "Component 1 added" in page


def test_names_are_unique_in_the_library(app, db, people):
    client = signed_in(app, people["pharmacist"])
    existing = db.exec(select(Regimen)).first()
    before = count(db, Regimen)
    response = client.post("/regimens/new", data=regimen_form(name=existing.name.upper()))
    assert response.status_code == 400 and "is already in the library" in text_of(response)
    assert count(db, Regimen) == before


# --- validation --------------------------------------------------------------------------------------

BAD_INPUT = [
    ("cycle_length_days", "0", "cycle_length_days", "The cycle length must be between 1 and 365 days"),
    ("cycle_length_days", "400", "cycle_length_days", "The cycle length must be between 1 and 365 days"),
    ("cycle_length_days", "three weeks", "cycle_length_days", "The cycle length must be a whole number of days, like 21"),
    ("cycle_length_days", "", "cycle_length_days", "Enter the cycle length in days"),
    ("components-0-dose", "-5", "components-0-dose", "The dose must be more than 0 and at most 100,000"),
    ("components-0-dose", "0", "components-0-dose", "The dose must be more than 0 and at most 100,000"),
    ("components-1-dose", "lots", "components-1-dose", "The dose must be a number, like 200 or 5.4"),
    ("components-0-chair_minutes_first_cycle", "2000", "components-0-chair_minutes_first_cycle", "Chair minutes for the first cycle must be between 0 and 1,440 (a whole day)"),
    ("components-0-chair_minutes_later_cycles", "-1", "components-0-chair_minutes_later_cycles", "Chair minutes for later cycles must be between 0 and 1,440 (a whole day)"),
    ("components-0-chair_minutes_later_cycles", "an hour", "components-0-chair_minutes_later_cycles", "Chair minutes for later cycles must be a number, like 30"),
    ("attendance_days", "1,30", "attendance_days", "Attendance days must be between day 1 and day 21 of the cycle"),
    ("attendance_days", "first day", "attendance_days", "Enter the attendance days as numbers separated by commas, like 1,8"),
    ("components-1-days", "1,15", "components-1-days", "Day 15 is not an attendance day of the regimen (1, 8)"),
    ("max_years", "-1", "max_years", "The stop rule must be more than 0 and at most 10 years"),
    ("clinic_every_n_cycles", "1.5", "clinic_every_n_cycles", "How often the clinic is must be a whole number of cycles, like 1"),
    ("name", "", "name", "Enter the regimen's name"),
]


@pytest.mark.parametrize("field, value, anchor, message", BAD_INPUT)
def test_bad_input_is_refused_with_the_nhs_error_pattern_and_nothing_saved(app, db, people, field, value, anchor, message):
    client = signed_in(app, people["pharmacist"])
    regimens_before, drugs_before, audit_before = count(db, Regimen), count(db, Drug), count(db, AuditEntry)
    response = client.post("/regimens/new", data=regimen_form(**{field: value}))
    html = text_of(response)
    assert response.status_code == 400
    assert "<title>Error: " in html and "There is a problem" in html
    links = error_summary_links(html)
    assert any(href == f"#{anchor}" and message in link_text for href, link_text in links), links
    assert f'id="{anchor}-error"' in html and str(html_escape(message)) in html  # the message beside the field
    if value:
        assert f'value="{value}"' in html  # the user's input kept
    assert (count(db, Regimen), count(db, Drug), count(db, AuditEntry)) == (regimens_before, drugs_before, audit_before)


def test_a_stop_rule_is_needed(app, db, people):
    client = signed_in(app, people["pharmacist"])
    response = client.post("/regimens/new", data=regimen_form(median_time_on_treatment_days="", max_years="", max_cycles=""))
    assert response.status_code == 400
    assert "Enter a stop rule" in text_of(response)
    assert regimen_named(db, NEW_NAME) is None


def test_all_problems_are_listed_at_once_in_page_order(app, people):
    client = signed_in(app, people["pharmacist"])
    response = client.post("/regimens/new", data=regimen_form(cycle_length_days="0", **{"components-1-dose": "-1"}))
    anchors = [href for href, _ in error_summary_links(text_of(response))]
    assert anchors == ["#cycle_length_days", "#components-1-dose"]
    assert "Component 2: The dose must be more than 0" in text_of(response)


# --- component rows, with and without JavaScript -----------------------------------------------------


def test_add_another_component_without_javascript_rerenders_with_one_more_row(app, db, people):
    client = signed_in(app, people["pharmacist"])
    response = client.post("/regimens/new", data=regimen_form(action="add:components"))
    html = text_of(response)
    assert response.status_code == 200 and "<html" in html
    assert 'name="components-2-drug"' in html and 'name="components-3-drug"' not in html
    assert 'value="Newdrugumab"' in html and 'value="Test protocol v1"' not in html or "Test protocol v1" in html
    assert "There is a problem" not in html  # an empty new row is not an error yet
    assert regimen_named(db, NEW_NAME) is None


def test_add_another_component_with_htmx_returns_only_the_rows(app, people):
    client = signed_in(app, people["pharmacist"])
    response = client.post("/regimens/new", data=regimen_form(action="add:components"), headers={"HX-Request": "true"})
    html = text_of(response)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="components">')
    assert html.count('class="nhsuk-fieldset app-component"') == 3
    assert "HX-Request" in response.headers["Vary"]


def test_remove_a_component_renumbers_the_rows_and_keeps_what_was_typed(app, db, people):
    client = signed_in(app, people["pharmacist"])
    response = client.post("/regimens/new", data=regimen_form(action="remove:components:0"))
    html = text_of(response)
    assert 'name="components-0-drug"' in html and 'name="components-1-drug"' not in html
    assert re.search(r'name="components-0-drug" type="text" value="Newdrugumab"', html)
    assert regimen_named(db, NEW_NAME) is None


def test_the_last_component_cannot_be_removed(app, people):
    client = signed_in(app, people["pharmacist"])
    data = {k: v for k, v in regimen_form(action="remove:components:0").items() if not k.startswith("components-1-")}
    html = text_of(client.post("/regimens/new", data=data))
    assert 'name="components-0-drug"' in html and "Remove component" not in html


# --- changing, history and no lost updates -----------------------------------------------------------


@pytest.fixture
def pembro(db):
    return regimen_named(db, "Pembrolizumab 200 mg q3w")


def test_every_change_is_on_the_record_who_field_old_new(app, db, people, pembro):
    client = signed_in(app, people["pharmacist"])
    data = edit_form_for(client, pembro.id)
    version = pembro.version
    data.update({"cycle_length_days": "28", "components-0-chair_minutes_first_cycle": "75"})
    response = client.post(f"/regimens/{pembro.id}/edit", data=data)
    assert response.status_code == 302, text_of(response)[:3000]
    entries = {e.field: e for e in audit_rows(db, "regimen", pembro.id)}
    cycle = entries["cycle_length_days"]
    assert (cycle.user_name, cycle.old_value, cycle.new_value, cycle.user_id) == ("Pharmacist", "21", "28", people["pharmacist"].id)
    chair = entries["component 1 (Pembrolizumab) chair minutes, first cycle"]
    assert (chair.old_value, chair.new_value) == ("50", "75")
    db.expire_all()
    assert db.get(Regimen, pembro.id).version == version + 1
    page = text_of(client.get(f"/regimens/{pembro.id}"))
    assert "History of changes" in page and "Cycle length (days)" in page and "Pharmacist" in page


def test_saving_without_changes_records_nothing(app, db, people, pembro):
    client = signed_in(app, people["pharmacist"])
    before = count(db, AuditEntry)
    response = client.post(f"/regimens/{pembro.id}/edit", data=edit_form_for(client, pembro.id))
    assert response.status_code == 302
    assert count(db, AuditEntry) == before


def test_a_component_only_change_is_a_new_version(app, db, people, pembro):
    version = pembro.version
    client = signed_in(app, people["pharmacist"])
    data = edit_form_for(client, pembro.id)
    data["components-0-aseptic_minutes_per_item"] = "60"
    assert client.post(f"/regimens/{pembro.id}/edit", data=data).status_code == 302
    db.expire_all()
    assert db.get(Regimen, pembro.id).version == version + 1


def test_two_editors_the_second_is_refused_and_shown_what_changed(app, db, people, pembro):
    first, second = signed_in(app, people["pharmacist"]), signed_in(app, people["lead"])
    first_form, second_form = edit_form_for(first, pembro.id), edit_form_for(second, pembro.id)
    first_form["components-0-chair_minutes_first_cycle"] = "65"
    assert first.post(f"/regimens/{pembro.id}/edit", data=first_form).status_code == 302

    second_form.update({"components-0-chair_minutes_first_cycle": "99", "cycle_length_days": "28"})
    response = second.post(f"/regimens/{pembro.id}/edit", data=second_form)
    html = text_of(response)
    assert response.status_code == 409
    assert "Your changes were not saved" in html and "after you opened it" in html
    assert "Pharmacist" in html and ">65<" in html  # who changed what, meanwhile
    assert "Cycle length (days)" in html and ">28<" in html and ">21<" in html  # yours beside the saved one
    differences = html[html.index('id="conflict-differences"'):]
    assert re.search(r"Component 1 \(Pembrolizumab\): chair minutes, first cycle</th><td>50</td>\s*<td><strong>99</strong> <span[^>]*>Your change</span></td>\s*<td><strong>65</strong> <span[^>]*>Changed meanwhile", differences)
    db.expire_all()
    saved = db.get(Regimen, pembro.id)
    component = db.exec(select(RegimenComponent).where(RegimenComponent.regimen_id == pembro.id)).one()
    assert saved.cycle_length_days == 21 and component.chair_minutes_first_cycle == 65  # nothing overwritten
    assert not [e for e in audit_rows(db, "regimen", pembro.id) if e.user_name == "Lead"]


def test_a_race_between_check_and_save_is_refused_too(app, db, people, pembro, monkeypatch):
    """Another save lands after the version check but before the UPDATE: SQLAlchemy's version counter refuses."""
    from appraisal_impact.views import regimens as view

    real_apply = view.audit.apply_changes

    def apply_then_someone_else_saves(session, actor, row, values, expected_version=None):
        changes = real_apply(session, actor, row, values, expected_version=expected_version)
        with app.app_context():
            from appraisal_impact.db import engine

            with engine().connect() as other:
                other.execute(text("UPDATE regimen SET version = version + 1, indication = 'changed elsewhere' WHERE id = :id"), {"id": row.id})
                other.commit()
        return changes

    monkeypatch.setattr(view.audit, "apply_changes", apply_then_someone_else_saves)
    client = signed_in(app, people["pharmacist"])
    data = edit_form_for(client, pembro.id)
    data["cycle_length_days"] = "28"
    response = client.post(f"/regimens/{pembro.id}/edit", data=data)
    assert response.status_code == 409 and "Your changes were not saved" in text_of(response)
    db.expire_all()
    saved = db.get(Regimen, pembro.id)
    assert saved.cycle_length_days == 21 and saved.indication == "changed elsewhere"
    assert not [e for e in audit_rows(db, "regimen", pembro.id) if e.field == "cycle_length_days"]


def test_a_component_of_another_regimen_cannot_be_changed_through_this_one(app, db, people, pembro):
    other = regimen_named(db, "Nivolumab 480 mg q4w adjuvant (12 months)")
    other_component = db.exec(select(RegimenComponent).where(RegimenComponent.regimen_id == other.id)).one()
    client = signed_in(app, people["pharmacist"])
    data = edit_form_for(client, pembro.id)
    data["components-0-component_id"] = str(other_component.id)
    data["components-0-chair_minutes_first_cycle"] = "5"
    assert client.post(f"/regimens/{pembro.id}/edit", data=data).status_code == 302
    db.expire_all()
    assert db.get(RegimenComponent, other_component.id).chair_minutes_first_cycle == other_component.chair_minutes_first_cycle


def test_a_form_without_its_version_is_refused(app, db, people, pembro):
    client = signed_in(app, people["pharmacist"])
    data = edit_form_for(client, pembro.id)
    data["version"] = "not a number"
    assert client.post(f"/regimens/{pembro.id}/edit", data=data).status_code == 400


# --- the audit record cannot be edited ---------------------------------------------------------------


def test_no_route_changes_the_audit_record(app):
    for rule in app.url_map.iter_rules():
        if rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            assert "audit" not in rule.rule and "history" not in rule.rule, rule.rule


def test_the_orm_refuses_to_change_or_delete_an_audit_entry(app, db, people, pembro):
    client = signed_in(app, people["pharmacist"])
    data = edit_form_for(client, pembro.id)
    data["cycle_length_days"] = "28"
    client.post(f"/regimens/{pembro.id}/edit", data=data)
    entry = audit_rows(db, "regimen", pembro.id)[-1]
    entry.new_value = "tampered"
    with pytest.raises(AuditRecordIsAppendOnly):
        db.flush()
    db.rollback()
    db.delete(db.get(AuditEntry, entry.id))
    with pytest.raises(AuditRecordIsAppendOnly):
        db.flush()
    db.rollback()


# --- the live preview --------------------------------------------------------------------------------


def _chair_hours(html: str, line: str) -> float:
    cell = re.search(r'data-measure="chair_hours_per_week" data-line="%s">([^<]+)<' % re.escape(line), html)
    return float(cell.group(1).replace(",", ""))


def test_the_preview_shows_the_unsaved_regimen_and_saves_nothing(app, db, people):
    client = signed_in(app, people["pharmacist"])
    before = (count(db, Regimen), count(db, AuditEntry), count(db, Drug))
    headers = {"HX-Request": "true"}
    short = text_of(client.post("/regimens/preview", data=regimen_form(), headers=headers))
    long = text_of(client.post("/regimens/preview", data=regimen_form(**{"components-1-chair_minutes_later_cycles": "180"}), headers=headers))
    assert "<html" not in short and "Impact at University Hospital Southampton" in short and "Not saved" in short
    # the preview labels the figures layer's "new patients starting" as such
    for measure in ("New patients starting, year 1", "Chair hours a week", "Chairs", "Aseptic hours a week", "Clinic appointments a week", "Cost, year 1"):
        assert measure in short
    assert _chair_hours(long, "10 new patients a year") > _chair_hours(short, "10 new patients a year")
    assert (count(db, Regimen), count(db, AuditEntry), count(db, Drug)) == before


def test_the_preview_waits_for_a_complete_form(app, people):
    client = signed_in(app, people["pharmacist"])
    html = text_of(client.post("/regimens/preview", data=regimen_form(cycle_length_days="0"), headers={"HX-Request": "true"}))
    assert "The preview will update when the form is complete" in html and "The cycle length must be between 1 and 365 days" in html


def test_the_preview_of_a_regimen_in_appraisals_shows_each_appraisal(app, db, people):
    regimen = regimen_named(db, "Pembrolizumab 400 mg q6w adjuvant (1 year)")
    client = signed_in(app, people["pharmacist"])
    data = edit_form_for(client, regimen.id)
    data["regimen_id"] = str(regimen.id)
    html = text_of(client.post("/regimens/preview", data=data, headers={"HX-Request": "true"}))
    assert "TA1037" in html


def test_without_javascript_the_preview_button_shows_the_impact_and_saves_nothing(app, db, people):
    client = signed_in(app, people["pharmacist"])
    html = text_of(client.post("/regimens/new", data=regimen_form(action="preview")))
    assert "<html" in html and "Chair hours a week" in html and 'id="preview-table"' in html
    assert regimen_named(db, NEW_NAME) is None


# --- CSRF, as in production --------------------------------------------------------------------------


def test_with_csrf_protection_the_form_and_htmx_requests_carry_the_token(csrf_app):
    from datetime import date

    from sqlmodel import Session

    from appraisal_impact.models import Role
    from appraisal_impact.seeding import seed_database
    from tests.conftest import PASSWORD, make_user

    with Session(csrf_app.extensions["appraisal_impact.engine"], expire_on_commit=False) as session:
        seed_database(session, None, today=date(2026, 6, 1))
        session.commit()
        user = make_user(session, Role.pharmacist, trust_ods="RHM", email="csrf.pharmacist@example.nhs.uk")
    client = csrf_app.test_client()

    def token(html: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    sign_in_page = text_of(client.get("/sign-in"))
    assert client.post("/sign-in", data={"email": user.email, "password": PASSWORD, "csrf_token": token(sign_in_page)}).status_code == 302
    editor = text_of(client.get("/regimens/new"))
    assert client.post("/regimens/new", data=regimen_form()).status_code == 400  # no token: refused
    header_token = re.search(r'id="csrf" data-token="([^"]+)"', editor).group(1)  # what app.js sends with htmx
    preview_response = client.post("/regimens/preview", data=regimen_form(), headers={"HX-Request": "true", "X-CSRFToken": header_token})
    assert preview_response.status_code == 200 and "Chair hours a week" in text_of(preview_response)
    assert client.post("/regimens/new", data=regimen_form() | {"csrf_token": token(editor)}).status_code == 302


# --- what people read: units and sources ------------------------------------------------------------


def test_the_history_shows_doses_in_mg_per_square_metre_as_the_form_does(app, db, people):
    client = signed_in(app, people["pharmacist"])
    assert client.post("/regimens/new", data=regimen_form()).status_code == 302
    regimen = regimen_named(db, NEW_NAME)
    data = edit_form_for(client, regimen.id) | {"components-1-dose": "175", "components-1-dose_basis": "mg/m2", "action": "save"}
    assert client.post(f"/regimens/{regimen.id}/edit", data=data).status_code == 302
    assert any("mg/m2" in (e.new_value or "") for e in audit_rows(db, "regimen", regimen.id))  # the record keeps the stored value
    page = text_of(client.get(f"/regimens/{regimen.id}"))
    history = re.search(r"History of changes.*?</table>", page, re.S).group(0)
    assert "mg/m²" in history and "mg/m2" not in history


@pytest.mark.parametrize("text, words, is_estimate", [
    ("[estimate] planning default, replace with local figures", "Planning default: replace with your trust's figure", True),
    ("[Estimate] interpolated between NICE TA1092 year 1 (43%) and year 5 (63%)", "Interpolated between NICE TA1092 year 1 (43%) and year 5 (63%)", True),
    ("NICE TA830 list price", "NICE TA830 list price", False),
    ("", "", False),
    (None, "", False),
])
def test_a_source_reads_in_plain_words(text, words, is_estimate):
    from appraisal_impact.views.editing import is_estimate_source, plain_source

    assert plain_source(text) == words and is_estimate_source(text) is is_estimate
