"""The nightly NICE refresh: when it is due (setting ``NICE_REFRESH_AT``, "HH:MM" in UTC, or "off")."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time

OFF = ("", "off", "never", "none")


def refresh_time(setting: str | None) -> time | None:
    """The time of day of the nightly refresh, or None when it is turned off."""
    if setting is None or setting.strip().lower() in OFF:
        return None
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", setting.strip())
    if not match:
        raise ValueError(f"NICE_REFRESH_AT must be a time like 02:30 (UTC), or off; not {setting!r}")
    return time(int(match[1]), int(match[2]))


def as_cron(at: time) -> str:
    """The same time as a cron line (procrastinate's periodic tasks; UTC)."""
    return f"{at.minute} {at.hour} * * *"


def due_night(now: datetime, at: time) -> date | None:
    """The night whose refresh is due at `now` (UTC): today once `at` has passed, else none yet.
    A worker started after `at` catches up today's refresh (once: see `nightly_params`)."""
    return now.date() if now.time() >= at else None


def nightly_params(night: date) -> dict:
    """The nightly job's parameters: they name the night, so that each night's refresh is made once."""
    return {"night": night.isoformat(), "actor_name": "nightly schedule", "origin": "NICE refresh"}


def nightly_params_json(night: date) -> str:
    return json.dumps(nightly_params(night), sort_keys=True)
