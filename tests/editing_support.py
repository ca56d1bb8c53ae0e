"""Shared by the editing tests: one signed-in user of each kind, and small helpers.

Users here have lower-case e-mail addresses (sign-in lower-cases what is typed), one per role, and the
variations the confidentiality rules need (a pharmacist not allowed confidential prices, alliance staff).
"""

from __future__ import annotations

import html as html_module
import re

import pytest
from sqlmodel import select

from appraisal_impact.models import AuditEntry, Regimen, Role, Trust
from tests.conftest import make_user, sign_in

PEOPLE = {
    "viewer": dict(role=Role.viewer),
    "pharmacist": dict(role=Role.pharmacist, trust_ods="RHM", confidential=True),
    "pharmacist_no_pas": dict(role=Role.pharmacist, trust_ods="RHM", confidential=False),
    "other_pharmacist": dict(role=Role.pharmacist, trust_ods="R0D", confidential=True),
    "lead": dict(role=Role.lead, confidential=True),
    "alliance": dict(role=Role.alliance),
    "admin": dict(role=Role.admin, confidential=True),
}


@pytest.fixture
def people(seeded):
    """A user of each kind (see PEOPLE), on the seeded example data."""
    return {
        key: make_user(seeded, spec["role"], email=f"{key.replace('_', '.')}@example.nhs.uk", name=f"{key.replace('_', ' ').title()}",
                       trust_ods=spec.get("trust_ods"), confidential=spec.get("confidential", False))
        for key, spec in PEOPLE.items()
    }


def signed_in(app, user):
    """A fresh client signed in as `user`."""
    client = app.test_client()
    sign_in(client, user)
    return client


def text_of(response) -> str:
    return response.get_data(as_text=True)


def error_summary_links(html: str) -> list[tuple[str, str]]:
    """(href, text) of each link in the NHS error summary."""
    summary = re.search(r'nhsuk-error-summary__list.*?</ul>', html, re.S)
    if not summary:
        return []
    return [(href, html_module.unescape(re.sub(r"\s+", " ", text).strip())) for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', summary.group(0), re.S)]


def trust(session, ods: str) -> Trust:
    return session.exec(select(Trust).where(Trust.ods_code == ods)).one()


def regimen_named(session, name: str) -> Regimen | None:
    session.expire_all()
    return session.exec(select(Regimen).where(Regimen.name == name)).first()


def audit_rows(session, entity: str, entity_id: int) -> list[AuditEntry]:
    session.expire_all()
    return list(session.exec(select(AuditEntry).where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id).order_by(AuditEntry.id)))


def count(session, model) -> int:
    session.expire_all()
    return len(session.exec(select(model)).all())
