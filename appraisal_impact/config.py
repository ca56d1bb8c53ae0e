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


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None or value == "" else value.strip().lower() in ("1", "true", "yes", "on")


def _number(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value is None or value == "" else int(value)


def _private_instance_folder(instance_path: Path) -> None:
    """instance/ holds the secret key and the SQLite database: readable by this account only."""
    instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if instance_path.stat().st_uid == os.geteuid() and instance_path.stat().st_mode & 0o077:
        instance_path.chmod(0o700)


def from_environment(instance_path: Path) -> dict:
    """The app's settings: DATABASE_URL (default: SQLite under instance/), SECRET_KEY and a few more.

    Every setting is described in README.md ("Configuration")."""
    _private_instance_folder(instance_path)
    # APP_ENV=development (a laptop on plain http://127.0.0.1) turns off the Secure cookie and HSTS;
    # anything else is production, safe behind HTTPS.
    development = os.environ.get("APP_ENV", "production").strip().lower() == "development"
    return {
        "SECRET_KEY": _secret_key(instance_path),
        "APP_ENV": "development" if development else "production",
        "DATABASE_URL": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance_path / 'appraisal_impact.sqlite'}"
        ),
        "NICE_CONTACT": os.environ.get("NICE_CONTACT", "wessex.alliance@example.nhs.uk"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", not development),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": _flag("SESSION_COOKIE_SECURE", not development),
        # Sessions are kept on the server (SignInSession): these end them.
        "SESSION_IDLE_MINUTES": _number("SESSION_IDLE_MINUTES", 30),
        "SESSION_MAX_HOURS": _number("SESSION_MAX_HOURS", 12),
        # A form's CSRF token is good for this long (seconds); Flask-WTF's own default is an hour.
        "WTF_CSRF_TIME_LIMIT": _number("WTF_CSRF_TIME_LIMIT", 3600),
        "SHARE_LINK_DAYS": int(os.environ.get("SHARE_LINK_DAYS", "30")),
        "API_TOKEN_DAYS": _number("API_TOKEN_DAYS", 365),
        # Sign-in
        "PASSWORD_MIN_LENGTH": _number("PASSWORD_MIN_LENGTH", 12),
        "SIGN_IN_LIMIT_PER_ACCOUNT": os.environ.get("SIGN_IN_LIMIT_PER_ACCOUNT", "10 per 15 minutes"),
        "SIGN_IN_LIMIT_PER_ADDRESS": os.environ.get("SIGN_IN_LIMIT_PER_ADDRESS", "50 per 15 minutes"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "database://"),
        "RATELIMIT_STRATEGY": "fixed-window",
        "INVITE_LINK_HOURS": _number("INVITE_LINK_HOURS", 72),
        "RESET_LINK_HOURS": _number("RESET_LINK_HOURS", 24),
        # Email (invitations, reset links)
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": _number("MAIL_PORT", 25),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL", False),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "appraisal-impact@localhost"),
        "MAIL_TIMEOUT": _number("MAIL_TIMEOUT", 10),
        # Behind a reverse proxy
        "PROXY_COUNT": _number("PROXY_COUNT", 0),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "").rstrip("/"),
        "HSTS_SECONDS": _number("HSTS_SECONDS", 0 if development else 31536000),
        # Nothing bigger than this is read from any request (413): an import is at most 2 MB, sent back
        # base64 with its confirmation (about 2.7 MB as a form field).
        "MAX_CONTENT_LENGTH": int(float(os.environ.get("MAX_UPLOAD_MB", "8")) * 1024 * 1024),
        "MAX_FORM_MEMORY_SIZE": 4 * 1024 * 1024,
    }


# --- running for real: background jobs and the production checks (docs/deploy.md) ---------------

# Secret keys that are public (in this repository's tests and docs): never sign production sessions with them.
KNOWN_PUBLIC_SECRET_KEYS = frozenset({"test-secret-key", "dev", "development", "secret", "change-me", "changeme"})
MINIMUM_SECRET_KEY_LENGTH = 32


class UnsafeProductionSettings(RuntimeError):
    """The production configuration would not be safe: the message lists every reason."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("Refusing to start in production:\n- " + "\n- ".join(problems) + "\nSee docs/deploy.md.")


def deployment_settings() -> dict:
    """APP_ENV ("production" turns the checks on), the job runner and the nightly NICE refresh time."""
    settings = {
        "APP_ENV": os.environ.get("APP_ENV", "development"),
        "NICE_REFRESH_AT": os.environ.get("NICE_REFRESH_AT", "02:30"),
        "JOBS_POLL_SECONDS": float(os.environ.get("JOBS_POLL_SECONDS", "2")),
        "JOBS_KEEP_DAYS": int(os.environ.get("JOBS_KEEP_DAYS", "30")),
    }
    if os.environ.get("JOBS_RUNNER"):
        settings["JOBS_RUNNER"] = os.environ["JOBS_RUNNER"]
    return settings


def production_setting_problems(config: dict, instance_path: Path) -> list[str]:
    """Why these settings are unsafe for production (empty when they are fine)."""
    problems = []
    key = config.get("SECRET_KEY") or ""
    key_file = instance_path / "secret_key"
    generated = key_file.exists() and key_file.read_text().strip() == key
    if not key or generated:
        problems.append("SECRET_KEY is not set in the environment (the one generated into instance/ is for "
                        "development only): set a long random SECRET_KEY in the service's environment file.")
    elif key in KNOWN_PUBLIC_SECRET_KEYS or len(key) < MINIMUM_SECRET_KEY_LENGTH:
        problems.append(f"SECRET_KEY is a public example or shorter than {MINIMUM_SECRET_KEY_LENGTH} characters: "
                        "generate one with `python3 -c 'import secrets; print(secrets.token_hex(32))'`.")
    if config.get("DEBUG") or os.environ.get("FLASK_DEBUG", "").lower() in ("1", "true", "yes"):
        problems.append("Debug mode is on (FLASK_DEBUG or --debug): it shows code and lets anyone run it. Turn it off.")
    if config.get("TESTING"):
        problems.append("TESTING is on: it relaxes checks meant for real use. Turn it off.")
    return problems


def example_user_problems(engine) -> list[str]:
    """Example users (from the seeded example data, whose passwords are in a file) who can still sign in."""
    from sqlalchemy import inspect, text

    with engine.connect() as connection:
        if "user" not in inspect(connection).get_table_names():
            return []  # a new database, not yet migrated
        emails = connection.execute(
            text('SELECT email FROM "user" WHERE is_example = :yes AND active = :yes ORDER BY email'),
            {"yes": True}).scalars().all()
    if not emails:
        return []
    return [f"{len(emails)} example user(s) can sign in ({', '.join(emails[:3])}{', …' if len(emails) > 3 else ''}): "
            "the example data is not for real use. Start from an empty database, or deactivate them "
            "(APPRAISAL_IMPACT_MAINTENANCE=1 flask production deactivate-example-users)."]


def refuse_unsafe_production(app) -> None:
    """In production (APP_ENV=production), refuse to start unless the settings and the database are safe."""
    problems = production_setting_problems(app.config, Path(app.instance_path))
    if os.environ.get("APPRAISAL_IMPACT_MAINTENANCE") != "1":
        problems += example_user_problems(app.extensions["appraisal_impact.engine"])
    if problems:
        raise UnsafeProductionSettings(problems)
