"""The seed files and their loader: real figures, estimate flags, idempotence, validation, example dates."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, func, select
from werkzeug.security import check_password_hash

from appraisal_impact.db import create_schema, make_engine
from appraisal_impact.models import (
    Appraisal,
    AppraisalRegimen,
    AuditEntry,
    DateChange,
    Drug,
    DrugPack,
    FigureSource,
    FunnelStep,
    HrgCost,
    Icb,
    ReferenceValue,
    Regimen,
    RegimenComponent,
    Trust,
    UptakeYear,
    User,
)
from appraisal_impact.seeding import FILE_COLUMNS, SEEDS_ROOT, SeedError, seed_database

TODAY = date(2026, 6, 1)


@pytest.fixture
def session():
    engine = make_engine("sqlite://")
    create_schema(engine)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@pytest.fixture
def seeded(session, tmp_path, monkeypatch):
    monkeypatch.delenv("EXAMPLE_PASSWORD", raising=False)
    seed_database(session, today=TODAY, credentials_file=tmp_path / "example-sign-in.txt")
    return session


def count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_counts_of_the_real_seeds(seeded):
    assert count(seeded, Icb) == 2
    assert count(seeded, Trust) == 6
    assert count(seeded, HrgCost) == 5
    assert count(seeded, Drug) == 9
    assert count(seeded, Regimen) >= 9
    assert count(seeded, Appraisal) == 8  # the seven resource-impact TAs and TA917 (a funnel)
    assert count(seeded, User) == 6


def test_specific_values(seeded):
    rhm = seeded.exec(select(Trust).where(Trust.ods_code == "RHM")).one()
    qrl = seeded.exec(select(Icb).where(Icb.ods_code == "QRL")).one()
    assert rhm.icb_id == qrl.id
    pembrolizumab = seeded.exec(select(Drug).where(Drug.name == "Pembrolizumab")).one()
    vial = seeded.exec(select(DrugPack).where(DrugPack.drug_id == pembrolizumab.id)).one()
    assert (vial.description, vial.pack_mg, vial.list_price) == ("100 mg vial", 100, 2630)
    assert "TA830" in vial.price_source
    sb15z = seeded.exec(select(HrgCost).where(HrgCost.code == "SB15Z")).one()
    assert (sb15z.cost, sb15z.cost_year, sb15z.is_estimate) == (332.83, "2018/19", False)
    england = seeded.exec(select(ReferenceValue).where(ReferenceValue.key == "england_population")).one()
    assert england.value == 57_690_300
    assert "ONS mid-2023" in england.source


def test_catchments_sum_to_about_the_icb_populations(seeded):
    for icb in seeded.exec(select(Icb)).all():
        trusts = seeded.exec(select(Trust).where(Trust.icb_id == icb.id)).all()
        catchment = sum(t.catchment_population for t in trusts)
        assert abs(catchment - icb.population) / icb.population < 0.02


def test_regimen_schedules(seeded):
    def regimen(name: str) -> Regimen:
        return seeded.exec(select(Regimen).where(Regimen.name == name)).one()

    atezolizumab = regimen("Atezolizumab 1200 mg q3w")
    (component,) = seeded.exec(
        select(RegimenComponent).where(RegimenComponent.regimen_id == atezolizumab.id)
    ).all()
    assert (atezolizumab.cycle_length_days, component.dose, component.chair_minutes_first_cycle,
            component.chair_minutes_later_cycles) == (21, 1200, 80, 50)
    sacituzumab = regimen("Sacituzumab govitecan 10 mg/kg D1+D8 q21d")
    assert sacituzumab.attendance_days == "1,8"
    osimertinib = regimen("Osimertinib 80 mg daily adjuvant (up to 3 years)")
    assert osimertinib.is_oral and osimertinib.max_years == 3 and osimertinib.delivery_hrg_first == "SB11Z"
    ev = regimen("Enfortumab vedotin + pembrolizumab q21d")
    assert count_components(seeded, ev) == 2


def count_components(session: Session, regimen: Regimen) -> int:
    return len(session.exec(select(RegimenComponent).where(RegimenComponent.regimen_id == regimen.id)).all())


def test_daratumumab_phases_give_the_licensed_schedule(seeded):
    """Weekly in weeks 1-8, two-weekly in weeks 9-24, then four-weekly: one regimen in three phases
    (regimen_phases.csv), its patients counted once."""
    from datetime import date

    from appraisal_impact import impact_service

    loaded = impact_service.model_inputs(seeded, today=date(2026, 6, 1))
    ta917 = next(a for a in loaded.inputs.appraisals if a.name.startswith("Daratumumab"))
    assert len(ta917.brings_in) == 3 and {use.regimen.course for use in ta917.brings_in} == {
        "Daratumumab SC 1800 mg weekly to week 8 then two-weekly to week 24 then four-weekly"}
    days = set()
    for use in ta917.brings_in:
        schedule = use.regimen.schedule
        for k in range(schedule.cycle_cap or 4):
            days |= {schedule.offset_days + k * schedule.cycle_length_days + d for d in schedule.attendance_days}
    # 1-based days of the licence: weekly 1..50, two-weekly 57..155, then every 28 days from 169
    licensed = {1 + 7 * w for w in range(8)} | {57 + 14 * w for w in range(8)} | {169 + 28 * w for w in range(4)}
    assert sorted(d for d in days if d <= 253) == sorted(licensed)
    # patients are counted once: only the first phase starts anyone
    assert [use.regimen.schedule.offset_days for use in ta917.brings_in] == [0, 56, 168]


def test_estimate_flags(seeded):
    for trust in seeded.exec(select(Trust)).all():
        chairs = seeded.exec(
            select(FigureSource).where(
                FigureSource.entity == "trust", FigureSource.entity_id == trust.id, FigureSource.field == "chairs"
            )
        ).one()
        assert chairs.is_estimate
        assert chairs.source == "[estimate] planning default, replace with local figures"
    qvv = seeded.exec(select(Icb).where(Icb.ods_code == "QVV")).one()
    population = seeded.exec(
        select(FigureSource).where(FigureSource.entity == "icb", FigureSource.entity_id == qvv.id)
    ).one()
    assert population.field == "population" and population.is_estimate
    assert seeded.exec(select(HrgCost).where(HrgCost.code == "SB11Z")).one().is_estimate
    assert seeded.exec(select(HrgCost).where(HrgCost.code == "SB12Z")).one().is_estimate
    weight = seeded.exec(select(ReferenceValue).where(ReferenceValue.key == "default_weight_kg")).one()
    assert weight.is_estimate and weight.value == 70
    ev_drug = seeded.exec(select(Drug).where(Drug.name == "Enfortumab vedotin")).one()
    for pack in seeded.exec(select(DrugPack).where(DrugPack.drug_id == ev_drug.id)).all():
        assert pack.list_price is None and "enter locally" in pack.price_source
    assert all(r.is_estimate for r in seeded.exec(select(Regimen)).all())
    interpolated = seeded.exec(select(UptakeYear).where(UptakeYear.source.contains("interpolated"))).all()
    assert interpolated == []  # every NICE year is as printed in its report's table 1
    from_tables = seeded.exec(select(UptakeYear).where(UptakeYear.source.contains("summary report, table 1"))).all()
    assert len(from_tables) == 15  # TA1037, TA1092, TA1030 × 5 years


def test_appraisal_figures_have_sources(seeded):
    ta1037 = seeded.exec(select(Appraisal).where(Appraisal.ta_number == "TA1037")).one()
    assert ta1037.national_eligible_per_year == 352
    eligible = seeded.exec(
        select(FigureSource).where(
            FigureSource.entity == "appraisal",
            FigureSource.entity_id == ta1037.id,
            FigureSource.field == "national_eligible_per_year",
        )
    ).one()
    assert "TA1037" in eligible.source and not eligible.is_estimate
    uptake = seeded.exec(select(UptakeYear).where(UptakeYear.appraisal_id == ta1037.id).order_by(UptakeYear.year)).all()
    # NICE TA1037 resource impact summary report, table 1, uptake row (not 108 / 358 = 30.1% in year 3)
    assert [u.percent for u in uptake] == [31.0, 32.0, 33.0, 34.0, 35.0]
    brings_in = seeded.exec(
        select(AppraisalRegimen).where(AppraisalRegimen.appraisal_id == ta1037.id, AppraisalRegimen.role == "brings in")
    ).one()
    assert seeded.get(Regimen, brings_in.regimen_id).name == "Pembrolizumab 400 mg q6w adjuvant (1 year)"


def test_funnel_appraisal(seeded):
    ta917 = seeded.exec(select(Appraisal).where(Appraisal.ta_number == "TA917")).one()
    assert ta917.eligible_from_funnel and ta917.national_eligible_per_year is None
    steps = seeded.exec(select(FunnelStep).where(FunnelStep.appraisal_id == ta917.id).order_by(FunnelStep.position)).all()
    assert [s.value for s in steps] == [5000, 60, 85]
    assert all(s.source for s in steps)


def test_no_invented_nice_references(seeded):
    """GID and ID numbers were not known: they are left blank, never made up."""
    for appraisal in seeded.exec(select(Appraisal)).all():
        assert appraisal.gid is None and appraisal.id_number is None
        assert appraisal.is_example


def test_every_seed_csv_states_its_sources():
    files = sorted(SEEDS_ROOT.glob("*/*.csv"))
    assert {f.name for f in files} == set(FILE_COLUMNS)
    for file in files:
        first_line = file.read_text(encoding="utf-8").splitlines()[0]
        comments = [line for line in file.read_text(encoding="utf-8").splitlines() if line.startswith("#")]
        assert first_line.startswith("#"), file
        assert any("source" in line.lower() for line in comments), file


def test_loading_twice_changes_nothing(seeded, tmp_path):
    tables = [Icb, Trust, Drug, DrugPack, Regimen, RegimenComponent, Appraisal, UptakeYear, FigureSource, User]
    before = {t.__name__: count(seeded, t) for t in tables}
    audit_before = count(seeded, AuditEntry)
    hashes = {u.email: u.password_hash for u in seeded.exec(select(User)).all()}

    report = seed_database(seeded, today=TODAY, credentials_file=tmp_path / "again.txt")

    assert report.created == 0 and report.updated == 0 and report.unchanged > 200
    assert {t.__name__: count(seeded, t) for t in tables} == before
    assert count(seeded, AuditEntry) == audit_before
    assert {u.email: u.password_hash for u in seeded.exec(select(User)).all()} == hashes
    assert not (tmp_path / "again.txt").exists()


def test_first_load_audits_every_created_row(session, tmp_path):
    report = seed_database(session, today=TODAY, credentials_file=tmp_path / "c.txt")
    entries = session.exec(select(AuditEntry)).all()
    assert len(entries) == report.created
    assert {(e.origin, e.user_id, e.user_name, e.action) for e in entries} == {("seed", None, "seed", "create")}
    assert report.files["trusts.csv"].created == 6


def test_example_users_get_generated_passwords_written_to_the_credentials_file(seeded, tmp_path):
    emails = set(seeded.exec(select(User.email)).all())
    assert emails == {
        "viewer@example.org",
        "pharmacist.rhm@example.org",
        "pharmacist.r0d@example.org",
        "lead@example.org",
        "alliance@example.org",
        "admin@example.org",
    }
    lines = (tmp_path / "example-sign-in.txt").read_text().splitlines()
    passwords = dict(line.split("\t") for line in lines if not line.startswith("#"))
    assert set(passwords) == emails
    lead = seeded.exec(select(User).where(User.email == "lead@example.org")).one()
    assert lead.is_example and check_password_hash(lead.password_hash, passwords["lead@example.org"])
    r0d = seeded.exec(select(Trust).where(Trust.ods_code == "R0D")).one()
    assert seeded.exec(select(User).where(User.email == "pharmacist.r0d@example.org")).one().trust_id == r0d.id


def test_example_password_from_the_environment(session, tmp_path, monkeypatch):
    monkeypatch.setenv("EXAMPLE_PASSWORD", "correct horse battery staple")
    report = seed_database(session, today=TODAY, credentials_file=tmp_path / "c.txt")
    viewer = session.exec(select(User).where(User.email == "viewer@example.org")).one()
    assert check_password_hash(viewer.password_hash, "correct horse battery staple")
    assert report.generated_passwords == {} and not (tmp_path / "c.txt").exists()


def test_no_password_is_committed_in_the_seeds():
    for file in SEEDS_ROOT.glob("*/*.csv"):
        data_lines = [line for line in file.read_text().splitlines() if not line.startswith("#")]
        assert not any("password" in line.lower() for line in data_lines), file


def test_example_dates_are_offsets_from_today(session, tmp_path):
    today = date(2030, 3, 15)
    seed_database(session, today=today, credentials_file=tmp_path / "c.txt")
    ta1037 = session.exec(select(Appraisal).where(Appraisal.ta_number == "TA1037")).one()
    assert ta1037.publication_date == today - timedelta(days=40)
    ta1030 = session.exec(select(Appraisal).where(Appraisal.ta_number == "TA1030")).one()
    assert ta1030.expected_publication_date == today + timedelta(days=95)
    ta1097 = session.exec(select(Appraisal).where(Appraisal.ta_number == "TA1097")).one()
    assert ta1097.expected_publication_date is None and ta1097.expected_publication_tbc


def test_example_dates_stay_put_unless_moved(seeded, tmp_path):
    later = TODAY + timedelta(days=30)
    report = seed_database(seeded, today=later, credentials_file=tmp_path / "c.txt")
    ta1030 = seeded.exec(select(Appraisal).where(Appraisal.ta_number == "TA1030")).one()
    assert report.updated == 0
    assert ta1030.expected_publication_date == TODAY + timedelta(days=95)

    moved = seed_database(seeded, today=later, credentials_file=tmp_path / "c.txt", move_example_dates=True)
    seeded.refresh(ta1030)
    assert moved.files["appraisals.csv"].updated == 8  # every example has at least one offset date
    assert ta1030.expected_publication_date == later + timedelta(days=95)
    history = seeded.exec(
        select(DateChange).where(DateChange.appraisal_id == ta1030.id, DateChange.field == "expected_publication_date")
    ).one()
    assert (history.old_value, history.new_value, history.origin) == (
        (TODAY + timedelta(days=95)).isoformat(), (later + timedelta(days=95)).isoformat(), "seed")


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_a_custom_folder_with_a_subset_of_files(session, tmp_path):
    folder = tmp_path / "seeds"
    write(folder, "icbs.csv", "# Source: test\nods_code,name,population,population_source,is_estimate\n"
                              "QXX,Test ICB,1000,test,false\n")
    write(folder, "reference_values.csv", "  # indented comment, source: test\n\n"
                                          "key,value,unit,label,source,is_estimate\n"
                                          "# a comment between rows\n"
                                          "england_population,\"1,000\",people,England,test,no\n")
    report = seed_database(session, folder, today=TODAY, credentials_file=tmp_path / "c.txt")
    assert set(report.files) == {"icbs.csv", "reference_values.csv", "figure sources"}
    assert (report.files["icbs.csv"].created, report.files["reference_values.csv"].created) == (1, 1)
    assert session.exec(select(ReferenceValue)).one().value == 1000
    assert count(session, Trust) == 0

    # a second folder can refer to what the first loaded
    second = tmp_path / "more"
    write(second, "trusts.csv", TRUST_HEADER + "RXX,Test Trust,QXX,,1000,4,8,5,0.8,100,,,,,test,true\n")
    seed_database(session, second, today=TODAY, credentials_file=tmp_path / "c.txt")
    assert session.exec(select(Trust)).one().chairs == 4


TRUST_HEADER = (
    "ods_code,name,icb_ods_code,notes,catchment_population,chairs,chair_hours_per_day,days_per_week,"
    "target_utilisation,baseline_chair_hours_per_week,aseptic_hours_per_week,baseline_aseptic_hours_per_week,"
    "clinic_slots_per_week,baseline_clinic_appointments_per_week,figures_source,figures_is_estimate\n"
)


@pytest.mark.parametrize(
    ("row", "column", "problem"),
    [
        ("RXX,Test Trust,QXX,,many,4,8,5,0.8,100,,,,,test,true", "catchment_population", "whole number"),
        ("RXX,Test Trust,QZZ,,1000,4,8,5,0.8,100,,,,,test,true", "icb_ods_code", "unknown ICB code 'QZZ'"),
        ("RXX,Test Trust,QXX,,1000,4,8,5,85,100,,,,,test,true", "target_utilisation", "fraction"),
        ("RXX,Test Trust,QXX,,1000,-4,8,5,0.8,100,,,,,test,true", "chairs", "must not be negative"),
        ("RXX,Test Trust,QXX,,1000,4,8,5,0.8,100,,,,,test", None, "expected 16 values, found 15"),
    ],
)
def test_a_bad_trust_row_names_file_line_and_column_and_loads_nothing(session, tmp_path, row, column, problem):
    folder = tmp_path / "bad"
    write(folder, "icbs.csv", "# Source: test\nods_code,name,population,population_source,is_estimate\n"
                              "QXX,Test ICB,1000,test,false\n")
    write(folder, "trusts.csv", "# Source: test\n# estimates\n" + TRUST_HEADER
          + "RYY,Good Trust,QXX,,1000,4,8,5,0.8,100,,,,,test,true\n" + row + "\n")
    with pytest.raises(SeedError) as caught:
        seed_database(session, folder, today=TODAY, credentials_file=tmp_path / "c.txt")
    assert (caught.value.file, caught.value.line, caught.value.column) == ("trusts.csv", 5, column)
    assert "trusts.csv, line 5" in str(caught.value) and problem in str(caught.value)
    assert count(session, Icb) == 0 and count(session, Trust) == 0 and count(session, AuditEntry) == 0


def test_unknown_regimen_in_the_example_pipeline_is_refused(session, tmp_path):
    folder = tmp_path / "bad"
    for name in ("appraisals.csv",):
        write(folder, name, (SEEDS_ROOT / "example" / name).read_text())
    write(folder, "appraisal_regimens.csv",
          "# Source: test\nappraisal,regimen,role,share_pct,source\n"
          "Atezolizumab for adjuvant treatment of resected non-small-cell lung cancer,Atezolizumab 9 mg,brings in,100,x\n")
    with pytest.raises(SeedError, match=r"appraisal_regimens.csv, line 3, column 'regimen': unknown regimen"):
        seed_database(session, folder, today=TODAY, credentials_file=tmp_path / "c.txt")
    assert count(session, Appraisal) == 0


def test_bad_rows_after_good_files_leave_the_database_as_it_was(seeded, tmp_path):
    """Validation happens before writing: a bad later file stops earlier files in the same load too."""
    folder = tmp_path / "bad"
    write(folder, "drugs.csv", "# Source: test\nname,is_oral\nNewdrugumab,false\n")
    write(folder, "drug_packs.csv", "# Source: test\ndrug,description,pack_mg,list_price,price_source,price_date,is_estimate\n"
                                    "Newdrugumab,10 mg vial,10,lots,test,,false\n")
    audit_before = count(seeded, AuditEntry)
    with pytest.raises(SeedError, match=r"drug_packs.csv, line 3, column 'list_price': expected a number"):
        seed_database(seeded, folder, today=TODAY)
    assert seeded.exec(select(Drug).where(Drug.name == "Newdrugumab")).first() is None
    assert count(seeded, AuditEntry) == audit_before


def test_unknown_file_and_unknown_column_are_refused(session, tmp_path):
    folder = tmp_path / "typo"
    write(folder, "trust.csv", "# Source: test\nods_code\nRXX\n")
    with pytest.raises(SeedError, match="trust.csv: unknown seed file"):
        seed_database(session, folder, today=TODAY)
    other = tmp_path / "column"
    write(other, "drugs.csv", "# Source: test\nname,is_oral,colour\nX,false,red\n")
    with pytest.raises(SeedError, match=r"drugs.csv, line 2, column 'colour': unknown column"):
        seed_database(session, other, today=TODAY)


def test_a_changed_seed_value_updates_and_audits(seeded, tmp_path):
    folder = tmp_path / "update"
    write(folder, "hrg_costs.csv", "# Source: test\ncode,description,cost,cost_year,source,is_estimate\n"
                                   "SB15Z,Deliver subsequent elements of a chemotherapy cycle,350,2023/24,NCC 2023/24,false\n")
    report = seed_database(seeded, folder, today=TODAY)
    assert report.files["hrg_costs.csv"].updated == 1
    assert seeded.exec(select(HrgCost).where(HrgCost.code == "SB15Z")).one().cost == 350
    changes = seeded.exec(select(AuditEntry).where(AuditEntry.entity == "hrgcost", AuditEntry.action == "update")).all()
    by_field = {c.field: (c.old_value, c.new_value) for c in changes}
    assert by_field["cost"] == ("332.83", "350")
    assert by_field["cost_year"] == ("2018/19", "2023/24")
    assert by_field["source"][1] == "NCC 2023/24"
    assert set(by_field) == {"cost", "cost_year", "source"}
