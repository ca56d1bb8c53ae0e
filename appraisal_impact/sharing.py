"""Share links and API tokens: making tokens, hashing them, and the rules on expiry (pure; no Flask, no database).

A token is 32 random bytes, URL-safe base64 (`secrets.token_urlsafe(32)`, 43 characters). It is shown once,
to the person who creates it; only its SHA-256 hash is kept, so a copy of the database does not hand out
working links. A link works until the end of its expiry date (UTC) unless it has been revoked.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import date, datetime, time, timedelta
from enum import StrEnum

TOKEN_BYTES = 32
MAX_LINK_DAYS = 365  # a link may last at most a year: board papers are re-issued at least yearly
SUMMARY_KINDS = {"icb": "ICB summary", "appraisal": "Appraisal summary"}

# token_urlsafe(32) gives 43 characters of [A-Za-z0-9_-]; anything else is not one of ours.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_token() -> str:
    """A fresh random token, to show once and never store."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest of a token: what the database keeps (64 characters)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def looks_like_token(token: str) -> bool:
    """True if `token` has the shape of one we issue (saves a query on junk)."""
    return bool(_TOKEN_SHAPE.match(token or ""))


def same_hash(stored: str, token: str) -> bool:
    """Constant-time check that `token` hashes to `stored`."""
    return hmac.compare_digest(stored, hash_token(token))


def bearer_token(authorization_header: str | None) -> str | None:
    """The token from an `Authorization: Bearer <token>` header, or None."""
    if not authorization_header:
        return None
    scheme, _, value = authorization_header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def default_expiry(today: date, days: int) -> date:
    """The expiry date a new link is offered with: `days` from today, within the maximum."""
    return today + timedelta(days=max(1, min(days, MAX_LINK_DAYS)))


def latest_expiry(today: date) -> date:
    return today + timedelta(days=MAX_LINK_DAYS)


def expiry_problem(expires_on: date | None, today: date) -> str | None:
    """Why `expires_on` cannot be a link's expiry date, in words for the form, or None if it can."""
    if expires_on is None:
        return "Enter the date the link stops working"
    if expires_on < today:
        return "The date the link stops working must be today or in the future"
    if expires_on > latest_expiry(today):
        return f"The date the link stops working must be within {MAX_LINK_DAYS} days of today"
    return None


def expires_at_end_of(expires_on: date) -> datetime:
    """The moment a link dated to expire on `expires_on` stops working: the end of that day, UTC (naive)."""
    return datetime.combine(expires_on + timedelta(days=1), time.min)


class LinkState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


LINK_STATE_LABELS = {LinkState.ACTIVE: "Active", LinkState.EXPIRED: "Expired", LinkState.REVOKED: "Withdrawn"}


def link_state(*, expires_at: datetime, revoked_at: datetime | None, now: datetime) -> LinkState:
    """Revoked (at once, whatever the time) beats expired; expired from the moment `expires_at` is reached."""
    if revoked_at is not None:
        return LinkState.REVOKED
    if now >= expires_at:
        return LinkState.EXPIRED
    return LinkState.ACTIVE


def last_day_of(expires_at: datetime) -> date:
    """The last day a link works on (the day before the moment it stops)."""
    return (expires_at - timedelta(microseconds=1)).date()
