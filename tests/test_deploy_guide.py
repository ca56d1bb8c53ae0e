"""The deploy guide is true: deploy/smoke-test.sh starts the production configuration as docs/deploy.md
says (gunicorn and the job worker on 127.0.0.1) and checks it; the systemd units run commands that exist."""

from __future__ import annotations

import os
import re
import shlex
import subprocess

from sqlalchemy.engine import make_url

from appraisal_impact import PROJECT_ROOT, create_app
from tests.conftest import TEST_DATABASE_URL

DEPLOY = PROJECT_ROOT / "deploy"


def test_the_smoke_test_starts_the_production_configuration_and_stops_it():
    """On PostgreSQL (the guide's database) in the PostgreSQL run of the suite, on a SQLite file otherwise."""
    env = {**os.environ, "PYTHON": str(PROJECT_ROOT / ".venv" / "bin" / "python")}
    for name in ("APP_ENV", "SECRET_KEY", "DATABASE_URL", "FLASK_DEBUG", "JOBS_RUNNER"):
        env.pop(name, None)
    if TEST_DATABASE_URL:
        server = make_url(TEST_DATABASE_URL).set(database="", query={})
        env["PG_SERVER_URL"] = server.render_as_string(hide_password=False).rstrip("/")
    else:
        env["SMOKE_DATABASE"] = "sqlite"
    result = subprocess.run(["bash", str(DEPLOY / "smoke-test.sh")], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    for step in ("/health and /health/ready answer 200", "ran a job", "backed up and restored",
                 "an unsafe configuration is refused", "smoke-test: passed"):
        assert step in result.stdout
    assert ("(procrastinate)" if TEST_DATABASE_URL else "(local)") in result.stdout


def unit_commands(unit_file: str) -> list[list[str]]:
    lines = (DEPLOY / unit_file).read_text().splitlines()
    return [shlex.split(line.split("=", 1)[1]) for line in lines if re.match(r"Exec(Start|StartPre)=", line)]


def test_the_systemd_units_run_commands_the_app_has():
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "x" * 40, "TESTING": True})
    commands = {" ".join(words[1:]) for unit in ("appraisal-impact.service", "appraisal-impact-worker.service")
                for words in unit_commands(unit) if words[0].endswith("/flask")}
    assert commands == {"db-upgrade", "jobs worker"}
    assert "db-upgrade" in app.cli.commands and "worker" in app.cli.commands["jobs"].commands
    assert "create" in app.cli.commands["backup"].commands
    web = unit_commands("appraisal-impact.service")
    gunicorn = next(words for words in web if words[0].endswith("/gunicorn"))
    assert gunicorn[1:] == ["--config", "deploy/gunicorn.conf.py", "wsgi:app"]
    assert (PROJECT_ROOT / gunicorn[2]).is_file() and (PROJECT_ROOT / "wsgi.py").is_file()
    for unit in ("appraisal-impact.service", "appraisal-impact-worker.service", "appraisal-impact-backup.service"):
        text = (DEPLOY / unit).read_text()
        assert "EnvironmentFile=/etc/appraisal-impact/env" in text and "User=appraisal-impact" in text
    settings = (DEPLOY / "appraisal-impact.env.example").read_text()
    assert "APP_ENV=production" in settings and re.search(r"^SECRET_KEY=$", settings, re.M)  # never a real key here
