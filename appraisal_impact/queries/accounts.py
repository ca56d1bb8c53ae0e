"""Queries for accounts: users, signed-in sessions, sign-in events and invite/reset links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from ..models import AccountLink, SignInEvent, SignInSession, Trust, User


def list_users(*, session: Session) -> list[tuple[User, str]]:
    """Every user, active first then by name, with their trust's name ("" for none)."""
    query = (
        select(User, Trust.name)
        .join(Trust, col(Trust.id) == User.trust_id, isouter=True)
        .order_by(col(User.active).desc(), User.name, User.id)
    )
    return [(user, trust_name or "") for user, trust_name in session.exec(query)]


def sign_in_session_by_hash(*, session: Session, token_hash: str) -> SignInSession | None:
    return session.exec(select(SignInSession).where(SignInSession.token_hash == token_hash)).first()


def end_sign_in_sessions(*, session: Session, user_id: int, at: datetime, reason: str,
                         keep_session_id: int | None = None) -> int:
    """End every open session of a user (but `keep_session_id`); returns how many ended. The caller commits."""
    query = (
        update(SignInSession)
        .where(col(SignInSession.user_id) == user_id, col(SignInSession.ended_at).is_(None))
        .values(ended_at=at, ended_reason=reason)
    )
    if keep_session_id is not None:
        query = query.where(col(SignInSession.id) != keep_session_id)
    return session.execute(query).rowcount


def count_open_sessions(*, session: Session, user_id: int) -> int:
    query = select(SignInSession.id).where(SignInSession.user_id == user_id, col(SignInSession.ended_at).is_(None))
    return len(list(session.exec(query)))


def recent_sign_in_events(*, session: Session, limit: int = 50, user_id: int | None = None) -> list[SignInEvent]:
    """The latest sign-in events, newest first (all users, or one)."""
    query = select(SignInEvent).order_by(col(SignInEvent.at).desc(), col(SignInEvent.id).desc()).limit(limit)
    if user_id is not None:
        query = query.where(SignInEvent.user_id == user_id)
    return list(session.exec(query))


def account_link_by_hash(*, session: Session, token_hash: str) -> AccountLink | None:
    return session.exec(select(AccountLink).where(AccountLink.token_hash == token_hash)).first()


def retire_account_links(*, session: Session, user_id: int, at: datetime) -> None:
    """Make every unused link of a user unusable (a newer one was sent, or the password was set)."""
    session.execute(
        update(AccountLink)
        .where(col(AccountLink.user_id) == user_id, col(AccountLink.used_at).is_(None))
        .values(used_at=at)
    )


def claim_user_version(*, session: Session, user_id: int, expected_version: int) -> bool:
    """Move a user's version on from `expected_version`, atomically; False if someone else already has."""
    result = session.execute(
        update(User).where(col(User.id) == user_id, col(User.version) == expected_version)
        .values(version=expected_version + 1)
    )
    return result.rowcount == 1
