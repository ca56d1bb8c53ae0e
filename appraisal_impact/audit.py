"""Changing a row the safe way: check its version, record every field changed (who, when, old, new).

`apply_changes` is the one path by which pages, imports and the NICE refresh edit data, so that nothing
is silently overwritten and everything is on the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel

from .models import AuditEntry, DateChange, utcnow

DATE_FIELDS_WITH_HISTORY = {
    "draft_guidance_date",
    "fdg_date",
    "expected_publication_date",
    "publication_date",
    "marketing_authorisation_date",
    "deadline_override",
    "status",
    "recommendation",
}


class EditConflict(Exception):
    """Someone else saved this row after the editor opened it."""

    def __init__(self, current: SQLModel, expected_version: int):
        super().__init__(f"{type(current).__name__} {current.id} changed since version {expected_version}")
        self.current = current
        self.expected_version = expected_version


@dataclass(frozen=True)
class Actor:
    """Who makes a change: a signed-in user, or the system (seed, NICE refresh, command line)."""

    user_id: int | None
    name: str
    origin: str = "web"


SYSTEM = Actor(None, "system", "cli")


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if hasattr(value, "value"):
        return str(value.value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def entity_name(row: SQLModel) -> str:
    return type(row).__tablename__


def record(session: Session, actor: Actor, row: SQLModel, action: str, field: str = "", old: Any = None, new: Any = None) -> AuditEntry:
    entry = AuditEntry(
        user_id=actor.user_id,
        user_name=actor.name,
        entity=entity_name(row),
        entity_id=row.id,
        action=action,
        field=field,
        old_value=as_text(old),
        new_value=as_text(new),
        origin=actor.origin,
    )
    session.add(entry)
    return entry


def record_created(session: Session, actor: Actor, row: SQLModel, summary: str = "") -> AuditEntry:
    """Record that `row` was created (flush first so it has an id)."""
    session.flush()
    return record(session, actor, row, "create", new=summary or getattr(row, "name", "") or getattr(row, "title", ""))


def record_deleted(session: Session, actor: Actor, row: SQLModel, summary: str = "") -> AuditEntry:
    return record(session, actor, row, "delete", old=summary or getattr(row, "name", "") or getattr(row, "title", ""))


def apply_changes(
    session: Session,
    actor: Actor,
    row: SQLModel,
    new_values: dict[str, Any],
    *,
    expected_version: int | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Set `new_values` on `row`, recording each field that really changes; bump `version`.

    Raises EditConflict, changing nothing, when `expected_version` is given and the row's version differs.
    The caller commits. Returns {field: (old, new)} for the fields that changed.
    """
    if expected_version is not None and getattr(row, "version", None) != expected_version:
        raise EditConflict(row, expected_version)
    changes: dict[str, tuple[Any, Any]] = {}
    for field, new in new_values.items():
        old = getattr(row, field)
        if as_text(old) == as_text(new):
            continue
        changes[field] = (old, new)
    if not changes:
        return changes
    for field, (old, new) in changes.items():
        setattr(row, field, new)
        record(session, actor, row, "update", field, old, new)
        if entity_name(row) == "appraisal" and field in DATE_FIELDS_WITH_HISTORY:
            session.add(
                DateChange(
                    appraisal_id=row.id,
                    field=field,
                    old_value=as_text(old),
                    new_value=as_text(new),
                    changed_by_id=actor.user_id,
                    origin=actor.origin,
                )
            )
    # `version` goes up on flush (SQLAlchemy's version counter, see models._versioned).
    if hasattr(row, "updated_at"):
        row.updated_at = utcnow()
    session.add(row)
    return changes


def actor_for(user) -> Actor:
    """The Actor for a signed-in user (a SignedInUser or a User row)."""
    return Actor(user.id, user.name, "web")
