"""Confidential prices never overwrite each other silently: a version checked on every save (409 conflict
page), one price per pack and trust (a unique rule, existing duplicates merged by migration 0006 with an
audit of the merge), and concurrent saves on a real database where every save but one is refused."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from appraisal_impact import create_app
from appraisal_impact.db import create_schema, make_engine
from appraisal_impact.models import AuditEntry, ConfidentialPrice, Drug, DrugPack, Role, Trust
from appraisal_impact.seeding import seed_database
from tests.conftest import PASSWORD, TEST_DATABASE_URL, _empty_postgres_tables, make_user
from tests.editing_support import people, signed_in, text_of, trust  # noqa: F401

SAVERS = 8


def pack_of(session, drug: str, description: str) -> DrugPack:
    drug_row = session.exec(select(Drug).where(Drug.name == drug)).one()
    return session.exec(select(DrugPack).where(DrugPack.drug_id == drug_row.id, DrugPack.description == description)).one()


def versions_on(page: str) -> str:
    return re.search(r'name="versions" type="hidden" value="([^"]*)"', page).group(1)


def test_a_save_over_a_price_changed_since_the_page_opened_is_a_conflict(app, db, people):
    pack = pack_of(db, "Nivolumab", "240 mg vial")
    first, second = signed_in(app, people["pharmacist"]), signed_in(app, people["lead"])
    url = f"/packs/{pack.id}/confidential-price"
    assert versions_on(text_of(first.get(url))).count(":0") >= 1
    first_page, second_page = text_of(first.get(url)), text_of(second.get(url))
    assert "RHM:0" in versions_on(first_page) and "RHM:0" in versions_on(second_page)
    assert first.post(url, data={"trust": "RHM", "price": "1000", "versions": versions_on(first_page)}).status_code == 302
    # the second editor opened the page before the first saved: their save of a new price is refused
    response = second.post(url, data={"trust": "RHM", "price": "2000", "versions": versions_on(second_page)})
    assert response.status_code == 409
    assert "1,000" in text_of(response) or "1000" in text_of(response)  # they see what is saved now
    saved = db.exec(select(ConfidentialPrice).where(ConfidentialPrice.drug_pack_id == pack.id)).all()
    assert [(p.price, p.version) for p in saved] == [(1000, 1)]
    # reopened, they see version 1 and may change it; a third save from the old page is refused
    reopened = text_of(second.get(url))
    assert "RHM:1" in versions_on(reopened)
    assert second.post(url, data={"trust": "RHM", "price": "2000", "versions": versions_on(reopened)}).status_code == 302
    assert first.post(url, data={"trust": "RHM", "price": "3000", "versions": "RHM:1"}).status_code == 409
    db.expire_all()
    saved = db.exec(select(ConfidentialPrice).where(ConfidentialPrice.drug_pack_id == pack.id)).one()
    assert (saved.price, saved.version) == (2000, 2)


def test_the_database_refuses_a_second_price_for_the_same_pack_and_trust(db, people):
    pack = pack_of(db, "Nivolumab", "240 mg vial")
    for trust_id in (trust(db, "RHM").id, None):  # a trust's own, and alliance-wide (NULL trust)
        db.add(ConfidentialPrice(drug_pack_id=pack.id, trust_id=trust_id, price=1))
        db.commit()
        db.add(ConfidentialPrice(drug_pack_id=pack.id, trust_id=trust_id, price=2))
        with pytest.raises(IntegrityError):
            db.commit()
        db.rollback()


# --- concurrent saves on a real database (a file for SQLite: separate connections) -----------------------


@pytest.fixture
def shared_app(tmp_path, database_url):
    """The app on a database that concurrent requests reach through their own connections."""
    url = f"sqlite:///{tmp_path / 'race.sqlite'}" if database_url.startswith("sqlite") else database_url
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                      "SERVER_NAME": "localhost"})
    engine = app.extensions["appraisal_impact.engine"]
    if url.startswith("sqlite"):
        create_schema(engine)
    with Session(engine, expire_on_commit=False) as session:
        seed_database(session, None, today=None)
        session.commit()
        editors = [make_user(session, Role.pharmacist, trust_ods="RHM", confidential=True, email=f"editor{n}@example.nhs.uk")
                   for n in range(SAVERS)]
        pack_id = pack_of(session, "Nivolumab", "240 mg vial").id
    yield app, editors, pack_id
    if not url.startswith("sqlite"):
        _empty_postgres_tables(engine)
    engine.dispose()


def _save_all_at_once(app, editors, pack_id, prices):
    """Every editor opens the page, then all save at the same moment. Returns (price, status) pairs."""
    url = f"/packs/{pack_id}/confidential-price"
    clients = []
    for editor in editors:
        client = app.test_client()
        assert client.post("/sign-in", data={"email": editor.email, "password": PASSWORD}).status_code == 302
        clients.append((client, versions_on(text_of(client.get(url)))))
    start = threading.Barrier(len(clients))

    def save(args):
        (client, versions), price = args
        start.wait()
        return price, client.post(url, data={"trust": "RHM", "price": str(price), "versions": versions}).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(save, zip(clients, prices)))


def test_concurrent_saves_none_silently_lost(shared_app):
    app, editors, pack_id = shared_app
    engine = app.extensions["appraisal_impact.engine"]

    def saved_rows():
        with Session(engine) as session:
            rhm = session.exec(select(Trust).where(Trust.ods_code == "RHM")).one()
            return session.exec(select(ConfidentialPrice).where(ConfidentialPrice.drug_pack_id == pack_id,
                                                                ConfidentialPrice.trust_id == rhm.id)).all()

    # first saves: nobody had a price when they opened the page
    outcomes = _save_all_at_once(app, editors, pack_id, [1000 + n for n in range(SAVERS)])
    winners = [price for price, status in outcomes if status == 302]
    assert len(winners) == 1, outcomes
    assert all(status == 409 for _price, status in outcomes if _price not in winners), outcomes
    rows = saved_rows()
    assert [(r.price, r.version) for r in rows] == [(winners[0], 1)]

    # changes: everyone opened the page at version 1
    outcomes = _save_all_at_once(app, editors, pack_id, [2000 + n for n in range(SAVERS)])
    winners = [price for price, status in outcomes if status == 302]
    assert len(winners) == 1, outcomes
    assert all(status == 409 for _price, status in outcomes if _price not in winners), outcomes
    rows = saved_rows()
    assert [(r.price, r.version) for r in rows] == [(winners[0], 2)]
    # the record holds exactly the saves that happened: one create, one change of price
    with Session(engine) as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.entity == "confidentialprice",
                                                        AuditEntry.entity_id == rows[0].id)).all()
    assert sorted((e.action, e.field) for e in entries) == [("create", ""), ("update", "price")]


# --- the migration merges duplicates ---------------------------------------------------------------------


def _migrated_engine(tmp_path, name: str):
    if not TEST_DATABASE_URL:
        return make_engine(f"sqlite:///{tmp_path / 'migrated.sqlite'}")
    admin = make_engine(TEST_DATABASE_URL)
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
    admin.dispose()
    separator = "&" if "?" in TEST_DATABASE_URL else "?"
    return make_engine(f"{TEST_DATABASE_URL}{separator}options={quote(f'-csearch_path={name}')}")


def test_migration_0006_merges_duplicates_keeping_the_newest_and_audits_the_merge(tmp_path, worker_id):
    from alembic import command
    from alembic.config import Config

    from appraisal_impact import PROJECT_ROOT

    engine = _migrated_engine(tmp_path, f"migration_0006_{worker_id}")
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["engine"] = engine
    command.upgrade(config, "0003")
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO icb (id, ods_code, name, population_source) VALUES (1, 'QRL', 'ICB', '')"))
        connection.execute(text("INSERT INTO trust (id, ods_code, name, icb_id, notes, version) VALUES (1, 'RHM', 'Trust', 1, '', 1)"))
        connection.execute(text("INSERT INTO drug (id, name, is_oral) VALUES (1, 'Testmab', false)"))
        connection.execute(text(
            "INSERT INTO drugpack (id, drug_id, description, pack_mg, list_price, price_source, is_estimate, version) "
            "VALUES (1, 1, '100 mg vial', 100, 500, 'test', false, 1)"))
        for price_id, trust_id, price, entered in [
            (1, 1, 100.0, "2026-01-01 09:00:00"),   # RHM, oldest
            (2, 1, 120.0, "2026-03-01 09:00:00"),   # RHM, newest: kept
            (3, 1, 110.0, "2026-02-01 09:00:00"),   # RHM
            (4, None, 90.0, "2026-01-05 09:00:00"),  # alliance-wide
            (5, None, 95.0, "2026-01-05 09:00:00"),  # alliance-wide, same time, higher id: kept
            (6, None, 80.0, "2025-12-01 09:00:00"),
        ]:
            connection.execute(text(
                "INSERT INTO confidentialprice (id, drug_pack_id, trust_id, price, note, entered_at) "
                "VALUES (:id, 1, :trust, :price, '', :at)"), {"id": price_id, "trust": trust_id, "price": price, "at": entered})
    command.upgrade(config, "0006")
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT id, price, trust_scope, version FROM confidentialprice ORDER BY id")).all()
        merges = connection.execute(text(
            "SELECT entity_id, action, field, old_value, new_value, user_name FROM auditentry "
            "WHERE entity = 'confidentialprice' ORDER BY entity_id")).all()
    assert [tuple(row) for row in kept] == [(2, 120.0, 1, 1), (5, 95.0, 0, 1)]
    assert [(m.entity_id, m.action, m.field, m.user_name) for m in merges] == [
        (1, "delete", "merged duplicate", "migration 0006"), (3, "delete", "merged duplicate", "migration 0006"),
        (4, "delete", "merged duplicate", "migration 0006"), (6, "delete", "merged duplicate", "migration 0006"),
    ]
    assert merges[0].old_value.startswith("100 ") and merges[0].new_value.startswith("kept price 2: 120")
    # and from now on the database itself refuses a duplicate
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO confidentialprice (drug_pack_id, trust_id, trust_scope, price, note, entered_at, version) "
            "VALUES (1, NULL, 0, 1, '', '2026-04-01 00:00:00', 1)"))
    command.downgrade(config, "0003")
    engine.dispose()
