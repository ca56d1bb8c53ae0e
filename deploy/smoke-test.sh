#!/usr/bin/env bash
# Follow docs/deploy.md on this machine and check the result: a fresh database, the production
# configuration, gunicorn (deploy/gunicorn.conf.py) and the job worker on 127.0.0.1; /health and
# /health/ready answer, the worker runs a job, a backup restores, and the app refuses an unsafe start.
# Then stop both and drop the database.
#
#   deploy/smoke-test.sh                      # PostgreSQL at postgresql://postgres@127.0.0.1:5432
#   PG_SERVER_URL=postgresql://me@db:5432 deploy/smoke-test.sh
#   SMOKE_DATABASE=sqlite deploy/smoke-test.sh  # the same with a SQLite file (a small single-machine install)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
PG_SERVER_URL=${PG_SERVER_URL:-postgresql://postgres@127.0.0.1:5432}
work=$(mktemp -d)
web="" worker="" database=""

say() { echo "smoke-test: $*"; }
fail() { echo "smoke-test: FAILED: $*" >&2; for log in "$work"/*.log; do [ -f "$log" ] && { echo "--- $log"; tail -n 40 "$log"; } >&2; done; exit 1; }

cleanup() {
  for pid in $web $worker; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in $web $worker; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$database" ]; then psql "$PG_SERVER_URL/postgres" -qc "DROP DATABASE IF EXISTS $database WITH (FORCE)" >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# 1. The database and the service's settings (docs/deploy.md: "Install").
if [ "${SMOKE_DATABASE:-postgresql}" = sqlite ]; then
  DATABASE_URL="sqlite:///$work/appraisal_impact.sqlite"
else
  database="appraisal_impact_smoke_$$_$RANDOM"
  psql "$PG_SERVER_URL/postgres" -qc "CREATE DATABASE $database" >/dev/null
  DATABASE_URL="$PG_SERVER_URL/$database"
fi
export DATABASE_URL APP_ENV=production SESSION_COOKIE_SECURE=1 NICE_REFRESH_AT=off FLASK_APP=wsgi.py
SECRET_KEY=$($PY -c 'import secrets; print(secrets.token_hex(32))')
export SECRET_KEY
unset FLASK_DEBUG JOBS_RUNNER APPRAISAL_IMPACT_MAINTENANCE TESTING || true

# 2. The schema, as the web unit's ExecStartPre does.
$PY -m flask db-upgrade > "$work/upgrade.log" 2>&1 || fail "flask db-upgrade"
$PY -m flask production check > "$work/check.log" 2>&1 || fail "flask production check"
say "schema migrated; production check passed"

# 3. The two services, as the systemd units start them.
$PY -m gunicorn --config deploy/gunicorn.conf.py --bind "127.0.0.1:$port" wsgi:app > "$work/web.log" 2>&1 &
web=$!
$PY -m flask jobs worker > "$work/worker.log" 2>&1 &
worker=$!

# 4. Health and readiness.
$PY - "$port" <<'PYTHON' || fail "health or readiness"
import json, sys, time, urllib.request, urllib.error
base = f"http://127.0.0.1:{sys.argv[1]}"
def get(path):
    try:
        with urllib.request.urlopen(base + path, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)
deadline = time.monotonic() + 60
while True:
    try:
        status, body = get("/health")
        break
    except (urllib.error.URLError, ConnectionError):
        if time.monotonic() > deadline:
            raise SystemExit("gunicorn did not answer")
        time.sleep(0.3)
assert (status, body) == (200, {"status": "ok", "database": "ok"}), (status, body)
status, body = get("/health/ready")
assert (status, body) == (200, {"status": "ok", "database": "ok", "migrations": "at head"}), (status, body)
print("smoke-test: /health and /health/ready answer 200")
PYTHON

# 5. The worker runs a job submitted as the web app submits one.
$PY - <<'PYTHON' || fail "the job worker"
import time
from sqlmodel import Session
from appraisal_impact import create_app, jobs
from appraisal_impact.models import BackgroundJob
app = create_app()
engine = app.extensions["appraisal_impact.engine"]
with Session(engine, expire_on_commit=False) as session:
    job = jobs.submit(app, session, jobs.NICE_REFRESH_ALL, {"actor_name": "smoke test"}, requested_by_name="smoke test")
deadline = time.monotonic() + 60
while True:
    with Session(engine) as session:
        row = session.get(BackgroundJob, job.id)
    if row.state in ("done", "failed") or time.monotonic() > deadline:
        break
    time.sleep(0.3)
assert (row.state, row.message) == ("done", "Refreshed 0 appraisals from NICE: 0 changed, 0 unchanged, 0 failed."), (row.state, row.message)
if app.config["JOBS_RUNNER"] == "procrastinate":
    from appraisal_impact.jobs import queue
    queue.close(app)
print(f"smoke-test: the job worker ({app.config['JOBS_RUNNER']}) ran a job")
PYTHON

# 6. Backup and restore with the live services (docs/deploy.md: "Backup and restore").
$PY -m flask backup create "$work/backup.dump" > "$work/backup.log" 2>&1 || fail "flask backup create"
kill -TERM "$web" "$worker"; wait "$web" "$worker" 2>/dev/null || true; web="" worker=""
$PY -m flask backup restore --yes "$work/backup.dump" >> "$work/backup.log" 2>&1 || fail "flask backup restore"
say "backed up and restored; services stopped cleanly"

# 7. The production configuration refuses an unsafe start.
if SECRET_KEY=test-secret-key $PY -m flask production check > "$work/refuse.log" 2>&1; then fail "a public SECRET_KEY was accepted"; fi
if SECRET_KEY=test-secret-key $PY -c 'from appraisal_impact import create_app; create_app()' >> "$work/refuse.log" 2>&1; then
  fail "the app started with a public SECRET_KEY"
fi
grep -q "Refusing to start in production" "$work/refuse.log" || fail "no refusal message"
say "an unsafe configuration is refused"
echo "smoke-test: passed"
