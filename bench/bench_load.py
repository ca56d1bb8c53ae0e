"""Many signed-in people at once, while pharmacists save: the app under load, as `make run` serves it. Not a test.

    .venv/bin/python -m bench.bench_load                          # 50 users, 60 s, SQLite then PostgreSQL
    .venv/bin/python -m bench.bench_load --users 10 --seconds 20  # quick
    .venv/bin/python -m bench.bench_load --database sqlite

For each database it builds a fresh copy of the seeded example the way `make run` does (`flask db-upgrade`,
`flask seed`, in a temporary folder for SQLite or in a schema of its own in PostgreSQL's `test` database at
127.0.0.1:5432, dropped afterwards), adds the benchmark's users, and starts gunicorn as `make run` starts it
(`--preload --workers 2`, access log on) on 127.0.0.1 only. Then, after every user has signed in, for
--seconds (and at most --max-requests requests):

- 9 in 10 users browse: each picks one of the dashboard, an appraisal, an appraisal's impact, a trust, a
  trust's impact, an ICB summary, an appraisal summary, or a static file, then thinks (0.5 to 1.5 s);
- 1 in 10 are pharmacists (at least two; two or three to a trust, so they sometimes edit the same figure): each opens the
  form for their trust's patients a year for an appraisal, or its local timings for a regimen, types (the
  live preview is asked for, as htmx asks), then saves through the real form with its CSRF token and
  version. A save is landed (redirect), or refused as a conflict (409: someone saved first); anything else
  is an error.

It prints requests a second, each page's p50 / p95 / p99 and errors, saves landed and conflicts, the server's
CPU time a request, and the static file measured in the same run (the floor) with each page's median as a
multiple of it. The load on the machine is printed beside the figures: on a shared machine they move with it.
Goals (issue #16): p95 under 300 ms for every page, no errors, every save landed or refused as a conflict,
every page's median within 5x the static file.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

import requests
from sqlalchemy import text
from sqlmodel import Session, select
from werkzeug.security import generate_password_hash

from appraisal_impact import PROJECT_ROOT
from appraisal_impact.db import make_engine
from appraisal_impact.models import Appraisal, AppraisalRegimen, Icb, Role, Trust, User

from .common import csrf_token, form_fields, machine_load, percentile, sign_in

PASSWORD = "benchmark password, not secret"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
BIN = PROJECT_ROOT / ".venv" / "bin"
TARGET_P95_MS = 300
TARGET_STATIC_RATIO = 5
BROWSER_ROLES = (Role.lead, Role.alliance, Role.viewer)
PHARMACIST_TRUSTS = 2  # pharmacists share this many trusts, so two of them sometimes edit the same figure
EDITED_APPRAISALS = 4  # ... and the same few appraisals and regimens
EDITED_REGIMENS = 3
STATIC_PATH = "/static/app.css"


# --- the data and the server ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """What the users visit: the example's ids and codes, read from the database after seeding."""

    appraisal_ids: list[int]
    trust_codes: list[str]
    icb_codes: list[str]
    icb_of_trust: dict[str, str]
    edited_regimen_ids: list[int]


@contextmanager
def sqlite_database():
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        yield f"sqlite:///{Path(folder) / 'load.sqlite'}"


@contextmanager
def postgres_database():
    """A schema of our own in the `test` database (search_path in the URL), dropped afterwards."""
    schema = f"bench_load_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def postgres_answers() -> bool:
    try:
        engine = make_engine(PG_URL)
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


def server_environment(database_url: str) -> dict[str, str]:
    return os.environ | {
        "DATABASE_URL": database_url,
        "SECRET_KEY": "benchmark-only-secret",
        "EXAMPLE_PASSWORD": PASSWORD,  # the example users' password: nothing is written to instance/
        "FLASK_APP": "wsgi.py",
    }


def build_site(database_url: str, n_browsers: int, n_pharmacists: int) -> tuple[Site, list[tuple[str, Role]], dict[str, str]]:
    """`flask db-upgrade` and `flask seed` as `make run` runs them, then one user per simulated person
    (cheap password hashes, so signing fifty people in does not load the server before the run)."""
    environment = server_environment(database_url)
    for command in (["db-upgrade"], ["seed"]):
        subprocess.run([str(BIN / "flask"), *command], cwd=PROJECT_ROOT, env=environment, check=True,
                       stdout=subprocess.DEVNULL)
    engine = make_engine(database_url)
    cheap_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    people: list[tuple[str, Role]] = []
    with Session(engine, expire_on_commit=False) as session:
        appraisal_ids = list(session.exec(select(Appraisal.id).order_by(Appraisal.id)).all())
        trusts = list(session.exec(select(Trust).order_by(Trust.ods_code)).all())
        icb_codes = list(session.exec(select(Icb.ods_code).order_by(Icb.ods_code)).all())
        linked = session.exec(select(AppraisalRegimen.regimen_id).order_by(AppraisalRegimen.id)).all()
        edited_regimens = list(dict.fromkeys(linked))[:EDITED_REGIMENS]
        for n in range(n_browsers):
            role = BROWSER_ROLES[n % len(BROWSER_ROLES)]
            email = f"browser{n:03d}@bench.example.org"
            session.add(User(email=email, name=f"Benchmark {role.value} {n}", role=role, password_hash=cheap_hash,
                             can_see_confidential_prices=role == Role.lead))
            people.append((email, role))
        for n in range(n_pharmacists):
            trust = trusts[(n // 2) % min(PHARMACIST_TRUSTS, len(trusts))]  # two to a trust: 5 are 3 + 2
            email = f"pharmacist{n:03d}@bench.example.org"
            session.add(User(email=email, name=f"Benchmark pharmacist {n} ({trust.ods_code})", role=Role.pharmacist,
                             trust_id=trust.id, password_hash=cheap_hash, can_see_confidential_prices=True))
            people.append((email, Role.pharmacist))
        session.commit()
        codes = {t.id: t.ods_code for t in trusts}
        pharmacist_trusts = {
            user.email: codes[user.trust_id]
            for user in session.exec(select(User).where(User.role == Role.pharmacist, User.email.like("%@bench.example.org")))
        }
        icb_of_trust = {t.ods_code: session.get(Icb, t.icb_id).ods_code for t in trusts if t.icb_id}
    engine.dispose()
    site = Site(appraisal_ids, [t.ods_code for t in trusts], icb_codes, icb_of_trust, edited_regimens)
    return site, people, pharmacist_trusts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(database_url: str, folder: Path):
    """gunicorn as `make run` starts it (2 workers, --preload, access log), on 127.0.0.1 only."""
    port = free_port()
    log = open(folder / "gunicorn.log", "w")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--preload", "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "--access-logfile", str(folder / "access.log"), "wsgi:app"],
        cwd=PROJECT_ROOT, env=server_environment(database_url), stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start: see {folder / 'gunicorn.log'}")
            time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def server_cpu_seconds(master_pid: int) -> float:
    """CPU time (user + system) of gunicorn's master and workers so far, from /proc (Linux)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    pids = [master_pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()]
    except OSError:
        return float("nan")
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


# --- the people -----------------------------------------------------------------------------------------


@dataclass
class Record:
    """Every timed request, and what happened to each save."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter = field(default_factory=Counter)
    saves: Counter = field(default_factory=Counter)
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Run:
    """The clock and the bounds every simulated person obeys."""

    def __init__(self, seconds: float, max_requests: int):
        self.seconds, self.max_requests = seconds, max_requests
        self.record = Record()
        self.start_line = threading.Event()
        self.started = self.ended = 0.0

    def open(self) -> bool:
        return (time.monotonic() < self.started + self.seconds and self.record.count < self.max_requests)

    def timed(self, label: str, http: requests.Session, method: str, url: str, *, expect=(200,), **kwargs):
        """One request, timed and recorded under `label`; None when it failed (recorded as an error)."""
        with self.record.lock:
            self.record.count += 1
        begun = time.perf_counter()
        try:
            response = http.request(method, url, timeout=30, allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            elapsed = time.perf_counter() - begun
            with self.record.lock:
                self.record.times[label].append(elapsed)
                self.record.errors[(label, type(exc).__name__)] += 1
            return None
        elapsed = time.perf_counter() - begun
        with self.record.lock:
            self.record.times[label].append(elapsed)
            if response.status_code not in expect:
                self.record.errors[(label, f"HTTP {response.status_code}")] += 1
        return response

    def think(self, rng: random.Random) -> None:
        time.sleep(rng.uniform(0.5, 1.5))


def browse(run: Run, http: requests.Session, site: Site, base: str, seed: int) -> None:
    rng = random.Random(seed)
    pages = [
        ("dashboard", lambda: "/dashboard"),
        ("appraisal", lambda: f"/appraisals/{rng.choice(site.appraisal_ids)}"),
        ("appraisal impact", lambda: f"/appraisals/{rng.choice(site.appraisal_ids)}/impact"),
        ("trust", lambda: f"/trusts/{rng.choice(site.trust_codes)}"),
        ("trust impact", lambda: f"/trusts/{rng.choice(site.trust_codes)}/impact"),
        ("ICB summary", lambda: f"/summaries/icbs/{rng.choice(site.icb_codes)}"),
        ("appraisal summary", lambda: f"/summaries/appraisals/{rng.choice(site.appraisal_ids)}"),
        ("static file", lambda: STATIC_PATH),
    ]
    run.start_line.wait()
    time.sleep(rng.uniform(0, 1))  # people do not all click in the same instant
    while run.open():
        label, path = rng.choice(pages)
        run.timed(label, http, "GET", base + path())
        run.think(rng)


def edit(run: Run, http: requests.Session, site: Site, base: str, trust_code: str, seed: int) -> None:
    """A pharmacist: open a form of their trust's own figures, type (live preview), save."""
    rng = random.Random(seed)
    run.start_line.wait()
    time.sleep(rng.uniform(0, 1))
    while run.open():
        if rng.random() < 0.5 or not site.edited_regimen_ids:
            path = f"/trusts/{trust_code}/appraisals/{rng.choice(site.appraisal_ids[:EDITED_APPRAISALS])}/patients"
            typed = {"patients_per_year": str(rng.randint(5, 80)), "note": "Benchmark: our MDT's estimate"}
        else:
            path = f"/trusts/{trust_code}/regimens/{rng.choice(site.edited_regimen_ids)}/local"
            typed = {"chair_minutes_first_cycle": str(rng.randint(30, 150)), "note": "Benchmark: timed on our unit"}
        page = run.timed("edit form", http, "GET", base + path)
        if page is None or page.status_code != 200:
            run.think(rng)
            continue
        data = form_fields(page.text, path) | typed
        run.think(rng)  # typing
        if not run.open():
            break
        run.timed("live preview", http, "POST", f"{base}{path}/preview", data=data,
                  headers={"HX-Request": "true", "X-CSRFToken": csrf_token(page.text)})
        run.think(rng)
        if not run.open():
            break
        saved = run.timed("save", http, "POST", base + path, data=data, expect=(302, 409))
        outcome = {302: "landed", 409: "refused as a conflict"}.get(saved.status_code if saved is not None else 0, "failed")
        with run.record.lock:
            run.record.saves[outcome] += 1
        if outcome == "landed":
            run.timed("page after a save", http, "GET", base + urlsplit(saved.headers["Location"]).path)
        run.think(rng)


def warm_up(people: list[tuple[str, Role]], base: str, site: Site) -> None:
    """Each page twice at once before the clock starts (not timed), so both workers have served it: the run
    measures a server in use, not its first computation after start-up."""
    paths = ["/dashboard", f"/appraisals/{site.appraisal_ids[0]}", f"/appraisals/{site.appraisal_ids[0]}/impact",
             f"/trusts/{site.trust_codes[0]}", f"/trusts/{site.trust_codes[0]}/impact",
             f"/summaries/icbs/{site.icb_codes[0]}", f"/summaries/appraisals/{site.appraisal_ids[0]}"]

    def visit_all() -> None:
        http = sign_in(base, people[0][0], PASSWORD)
        for path in paths:
            http.get(base + path, timeout=120)

    visitors = [threading.Thread(target=visit_all) for _worker in range(2)]
    for visitor in visitors:
        visitor.start()
    for visitor in visitors:
        visitor.join()


def one_user(people: list[tuple[str, Role]], base: str, site: Site, repeats: int) -> None:
    """Before the load: one signed-in user, warm, each page in turn, with the static file from the same server
    (issue #16, goal 3: every page's median within 5x the static file's)."""
    http = sign_in(base, people[0][0], PASSWORD)
    trust = "RHM" if "RHM" in site.trust_codes else site.trust_codes[0]
    icb, appraisal = site.icb_of_trust.get(trust, site.icb_codes[0]), site.appraisal_ids[0]
    paths = {"static file": STATIC_PATH, "dashboard": "/dashboard", "appraisal": f"/appraisals/{appraisal}",
             "appraisal impact": f"/appraisals/{appraisal}/impact", "trust": f"/trusts/{trust}",
             "trust impact": f"/trusts/{trust}/impact", "ICB summary": f"/summaries/icbs/{icb}",
             "appraisal summary": f"/summaries/appraisals/{appraisal}"}
    medians = {}
    print(f"  one user, warm, {repeats} requests a page, before the load ({machine_load()}):")
    print(f"  {'page':18} {'path':26} {'p50 ms':>8} {'p95 ms':>8} {'p50/static':>10}")
    for label, path in paths.items():
        http.get(base + path, timeout=120)
        times = []
        for _ in range(repeats):
            begun = time.perf_counter()
            response = http.get(base + path, timeout=120)
            times.append(1000 * (time.perf_counter() - begun))
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
        medians[label] = statistics.median(times)
        ratio = medians[label] / medians["static file"]
        print(f"  {label:18} {path:26} {medians[label]:8.1f} {percentile(times, 0.95):8.1f} {ratio:9.1f}x"
              + ("" if label == "static file" else f"  (goal within {TARGET_STATIC_RATIO}x: {'met' if ratio <= TARGET_STATIC_RATIO else 'NOT met'})"))


# --- one run and its report -----------------------------------------------------------------------------


def load(name: str, database, users: int, seconds: float, max_requests: int, single_user_repeats: int) -> None:
    n_pharmacists = max(2, round(users / 10)) if users >= 5 else min(1, users - 1)
    n_browsers = users - n_pharmacists
    with database() as database_url, tempfile.TemporaryDirectory(prefix="bench-load-server-") as folder:
        built = time.perf_counter()
        site, people, pharmacist_trusts = build_site(database_url, n_browsers, n_pharmacists)
        print(f"\n{name}: seeded example built in {time.perf_counter() - built:.1f} s: {len(site.appraisal_ids)} appraisals, "
              f"{len(site.trust_codes)} trusts; {n_browsers} browsing, {n_pharmacists} pharmacists "
              f"({', '.join(sorted(set(pharmacist_trusts.values())))})")
        with gunicorn(database_url, Path(folder)) as (base, master_pid):
            run = Run(seconds, max_requests)
            threads = []
            for n, (email, role) in enumerate(people):
                http = sign_in(base, email, PASSWORD)
                if role == Role.pharmacist:
                    target, args = edit, (run, http, site, base, pharmacist_trusts[email], 1000 + n)
                else:
                    target, args = browse, (run, http, site, base, n)
                threads.append(threading.Thread(target=target, args=args, daemon=True))
            warm_up(people, base, site)
            if single_user_repeats:
                one_user(people, base, site, single_user_repeats)
            for thread in threads:
                thread.start()
            load_before = machine_load()
            cpu_before, client_before = server_cpu_seconds(master_pid), time.process_time()
            run.started = time.monotonic()
            run.start_line.set()
            for thread in threads:
                thread.join(timeout=seconds + 120)
            run.ended = time.monotonic()
            server_cpu = server_cpu_seconds(master_pid) - cpu_before
            client_cpu = time.process_time() - client_before
            load_after = machine_load()
        report(name, run, users, n_pharmacists, load_before, load_after, server_cpu, client_cpu)


def report(name: str, run: Run, users: int, n_pharmacists: int, load_before: str, load_after: str,
           server_cpu: float, client_cpu: float) -> None:
    record = run.record
    elapsed = run.ended - run.started
    total = sum(len(t) for t in record.times.values())
    errors = sum(record.errors.values())
    print(f"  {name}: {users} users ({users - n_pharmacists} browsing, {n_pharmacists} pharmacists) for {elapsed:.1f} s")
    print(f"  machine: before {load_before}; after {load_after}")
    print(f"  {total} requests, {total / elapsed:.1f} requests/s, {errors} errors; gunicorn CPU {server_cpu:.1f} s "
          f"({1000 * server_cpu / max(total, 1):.1f} ms a request); this client's CPU {client_cpu:.1f} s")
    everything = [t for times in record.times.values() for t in times]
    static = record.times.get("static file", [])
    floor = statistics.median(static) if static else float("nan")
    print(f"  {'page':18} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6} {'p50/static':>10}")
    order = ["static file", "dashboard", "appraisal", "appraisal impact", "trust", "trust impact", "ICB summary",
             "appraisal summary", "edit form", "live preview", "save", "page after a save"]
    for label in order + sorted(set(record.times) - set(order)):
        times = record.times.get(label)
        if not times:
            continue
        page_errors = sum(n for (page, _), n in record.errors.items() if page == label)
        p50, p95, p99 = (1000 * statistics.median(times), 1000 * percentile(times, 0.95), 1000 * percentile(times, 0.99))
        print(f"  {label:18} {len(times):5} {p50:8.1f} {p95:8.1f} {p99:8.1f} {page_errors:6} {p50 / (1000 * floor):9.1f}x")
    if everything:
        print(f"  {'every request':18} {len(everything):5} {1000 * statistics.median(everything):8.1f} "
              f"{1000 * percentile(everything, 0.95):8.1f} {1000 * percentile(everything, 0.99):8.1f} {errors:6}")
    print(f"  saves: {record.saves['landed']} landed, {record.saves['refused as a conflict']} refused as a conflict, "
          f"{record.saves['failed']} failed")
    for (label, what), n in sorted(record.errors.items()):
        print(f"  error: {label}: {what} x{n}")
    pages = [label for label in record.times if label != "static file"]
    worst = max((percentile(record.times[p], 0.95) for p in pages), default=float("nan")) * 1000
    print(f"  goals: every page's p95 < {TARGET_P95_MS} ms: {'met' if worst < TARGET_P95_MS else 'NOT met'} (worst {worst:.0f} ms); "
          f"no errors: {'met' if errors == 0 else 'NOT met'}; every save landed or refused as a conflict: "
          f"{'met' if record.saves['failed'] == 0 else 'NOT met'}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="signed-in people at once (1 in 10 a pharmacist); default 50")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load lasts; default 60")
    parser.add_argument("--max-requests", type=int, default=10_000, help="stop after this many requests; default 10000")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--one-user", type=int, default=10, help="before the load, time each page this many times "
                        "for one user (0: skip); default 10")
    args = parser.parse_args(argv)
    users = max(1, min(args.users, 200))
    seconds = max(5.0, min(args.seconds, 600.0))
    max_requests = max(10, min(args.max_requests, 100_000))
    if not (BIN / "gunicorn").exists():
        raise SystemExit("run `make setup` first")
    if args.database in ("sqlite", "both"):
        load("SQLite", sqlite_database, users, seconds, max_requests, max(0, min(args.one_user, 200)))
    if args.database in ("postgresql", "both"):
        if postgres_answers():
            load("PostgreSQL", postgres_database, users, seconds, max_requests, max(0, min(args.one_user, 200)))
        else:
            print(f"\nPostgreSQL: no server answers at {PG_URL}: skipped")


if __name__ == "__main__":
    main()
