"""Configuration from the environment, with safe defaults for a single-user SQLite install."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def _secret_key(instance_path: Path) -> str:
    """SECRET_KEY from the environment, else one generated once into instance/ (never committed)."""
    if os.environ.get("SECRET_KEY"):
        return os.environ["SECRET_KEY"]
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def from_environment(instance_path: Path) -> dict:
    """The app's settings: DATABASE_URL (default: SQLite under instance/), SECRET_KEY and a few more."""
    instance_path.mkdir(parents=True, exist_ok=True)
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance_path / 'appraisal_impact.sqlite'}"
        ),
        "NICE_CONTACT": os.environ.get("NICE_CONTACT", "wessex.alliance@example.nhs.uk"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "SHARE_LINK_DAYS": int(os.environ.get("SHARE_LINK_DAYS", "30")),
        # Nothing bigger than this is read from any request (413): an import is at most 2 MB, sent back
        # base64 with its confirmation (about 2.7 MB as a form field).
        "MAX_CONTENT_LENGTH": int(float(os.environ.get("MAX_UPLOAD_MB", "8")) * 1024 * 1024),
        "MAX_FORM_MEMORY_SIZE": 4 * 1024 * 1024,
    }
