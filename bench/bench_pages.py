"""Page latency of the lead's pages, after an edit, and of the live preview, on 127.0.0.1 only. Not a test.

    .venv/bin/python -m bench.bench_pages                 # example data, then national scale
    .venv/bin/python -m bench.bench_pages --requests 50 --seconds 60 --edits 20 --only national

For each data set it builds a fresh SQLite file in a temporary folder (the seeded example data; or the
seeds plus synthetic trusts and appraisals up to 150 trusts and 300 appraisals), serves the app with
werkzeug's threaded server in a thread on 127.0.0.1 (a free port), signs in as a SACT lead, and times
the dashboard, a trust view and an appraisal view: one cold request each (first computation after
start-up), then up to --requests requests each, stopping early after --seconds per page. It prints the
median and 95th-percentile latency of the warm requests, and the cold one. Targets: p95 < 150 ms with
the example data, < 500 ms at national scale.

Then two cases of issue #16:

- After an edit: --edits times for each page (dashboard, trust view, appraisal view, ICB summary), save a
  trust's patients a year for the appraisal through the real form (CSRF token, version; the figure changes
  every time), then time the next request of the page: the first to show the changed figures. Targets: under
  100 ms with the example data, under 300 ms at national scale.
- Live preview: the server's time to answer the preview htmx asks for as someone types, for a pharmacist's
  patients a year at their trust and for the lead's appraisal assumptions (up to --requests each, a
  different figure each time). Target: under 50 ms with the example data.

The load on the machine (`uptime`'s load averages) is printed beside each data set's figures.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import requests
from sqlmodel import Session, select
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from appraisal_impact import create_app
from appraisal_impact.db import create_schema, make_engine
from appraisal_impact.models import (
    Appraisal,
    AppraisalRegimen,
    Icb,
    Readiness,
    Regimen,
    Role,
    Trust,
    UptakeYear,
    User,
)
from appraisal_impact.seeding import seed_database

from .common import csrf_token, form_fields, machine_load, percentile, sign_in

PASSWORD = "benchmark password, not secret"
LEAD_EMAIL = "bench.lead@example.nhs.uk"
TARGETS_MS = {"example": 150, "national": 500}
AFTER_EDIT_TARGETS_MS = {"example": 100, "national": 300}
PREVIEW_TARGET_MS = 50
EDITED_TRUST = "RHM"
SITES = ("Lung", "Breast", "Gynaecological", "Haematological", "Urological", "Colorectal", "Skin", "Upper GI")
RECOMMENDATIONS = ("recommended", "optimised", "managed access", None, None, "not recommended")


@dataclass(frozen=True)
class Pages:
    dashboard: str
    trust: str
    appraisal: str
    icb_summary: str
    appraisal_id: int


def _pages(session: Session) -> Pages:
    """The pages timed: the edited trust's view and its ICB's summary, the first appraisal's view."""
    first = session.exec(select(Appraisal).order_by(Appraisal.id)).first()
    trust = session.exec(select(Trust).where(Trust.ods_code == EDITED_TRUST)).one()
    icb = session.get(Icb, trust.icb_id)
    return Pages("/dashboard", f"/trusts/{EDITED_TRUST}/impact", f"/appraisals/{first.id}/impact",
                 f"/summaries/icbs/{icb.ods_code}", first.id)


def _lead(session: Session) -> None:
    session.add(User(email=LEAD_EMAIL, name="Benchmark lead", role=Role.lead, can_see_confidential_prices=True,
                     password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")))
    session.commit()


def build_example(database: Path, today: date) -> Pages:
    """The repository's seeds (six Wessex trusts, eight example appraisals)."""
    engine = make_engine(f"sqlite:///{database}")
    create_schema(engine)
    with Session(engine, expire_on_commit=False) as session:
        seed_database(session, None, today=today)
        session.commit()
        _lead(session)
        pages = _pages(session)
    engine.dispose()
    return pages


def build_national(database: Path, today: date, n_trusts: int = 150, n_appraisals: int = 300, seed: int = 20260601) -> Pages:
    """The seeds, then synthetic trusts and appraisals (fixed random seed) up to the national sizes."""
    rng = random.Random(seed)
    engine = make_engine(f"sqlite:///{database}")
    create_schema(engine)
    with Session(engine, expire_on_commit=False) as session:
        seed_database(session, None, today=today)
        session.commit()
        icbs = [Icb(ods_code=f"Q{n:02d}", name=f"Synthetic ICB {n}", population=1_300_000) for n in range(40)]
        session.add_all(icbs)
        session.flush()
        existing = len(session.exec(select(Trust)).all())
        for n in range(n_trusts - existing):
            chairs = rng.randint(8, 45)
            session.add(Trust(
                ods_code=f"S{n:03d}", name=f"Synthetic Hospitals NHS Trust {n:03d}", icb_id=icbs[n % len(icbs)].id,
                catchment_population=rng.randint(150_000, 700_000), chairs=chairs, chair_hours_per_day=9, days_per_week=5,
                target_utilisation=0.85, baseline_chair_hours_per_week=chairs * 9 * 5 * 0.85 * rng.uniform(0.8, 0.97),
                aseptic_hours_per_week=chairs * 10, baseline_aseptic_hours_per_week=chairs * 10 * rng.uniform(0.8, 0.95),
                clinic_slots_per_week=chairs * 22, baseline_clinic_appointments_per_week=chairs * 22 * rng.uniform(0.8, 0.95),
            ))
        regimens = session.exec(select(Regimen)).all()
        existing = len(session.exec(select(Appraisal)).all())
        for n in range(n_appraisals - existing):
            offset = rng.randint(-300, 500)
            recommendation = rng.choice(RECOMMENDATIONS)
            published = recommendation is not None and offset < 0
            appraisal = Appraisal(
                title=f"Synthetic medicine {n:03d} for a synthetic indication", gid=f"GID-TA9{n:04d}",
                medicine=f"Synthetic medicine {n:03d}", tumour_site=rng.choice(SITES),
                status="published" if published else "in development", recommendation=recommendation,
                draft_guidance_date=today + timedelta(days=offset - 60), fdg_date=today + timedelta(days=offset - 30),
                expected_publication_date=today + timedelta(days=offset), publication_date=today + timedelta(days=offset) if published else None,
                marketing_authorisation_date=today + timedelta(days=offset - rng.randint(30, 400)),
                national_eligible_per_year=rng.randint(100, 3000), source="synthetic benchmark data",
            )
            session.add(appraisal)
            session.flush()
            first, last = rng.uniform(10, 40), rng.uniform(40, 70)
            for year in range(1, 6):
                session.add(UptakeYear(appraisal_id=appraisal.id, year=year, percent=first + (last - first) * (year - 1) / 4))
            brought, displaced = rng.sample(regimens, 2)
            session.add(AppraisalRegimen(appraisal_id=appraisal.id, regimen_id=brought.id, role="brings in", share_pct=100))
            if rng.random() < 0.5:
                session.add(AppraisalRegimen(appraisal_id=appraisal.id, regimen_id=displaced.id, role="displaces", share_pct=rng.choice((30, 50, 80))))
        session.commit()
        trusts = session.exec(select(Trust)).all()
        appraisals = session.exec(select(Appraisal)).all()
        for trust in trusts:
            for appraisal in rng.sample(appraisals, 20):
                session.add(Readiness(trust_id=trust.id, appraisal_id=appraisal.id, status=rng.choice(("assessing", "ready", "implemented"))))
        session.commit()
        _lead(session)
        pages = _pages(session)
    engine.dispose()
    return pages


class Server:
    """The app on 127.0.0.1, werkzeug's threaded server in a daemon thread."""

    def __init__(self, database: Path):
        self.app = create_app({"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "benchmark-only", "TESTING": False})
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *_exc):
        self.server.shutdown()
        self.thread.join(timeout=5)
        self.app.extensions["appraisal_impact.engine"].dispose()


def time_page(http: requests.Session, url: str, requests_count: int, seconds: float) -> tuple[float, list[float]]:
    def once() -> float:
        start = time.perf_counter()
        response = http.get(url, timeout=60)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url}: HTTP {response.status_code}")
        return elapsed

    cold = once()
    warm: list[float] = []
    deadline = time.monotonic() + seconds
    while len(warm) < requests_count and time.monotonic() < deadline:
        warm.append(once())
    return cold, warm


def save_patients(http: requests.Session, base: str, appraisal_id: int, patients_per_year: int) -> float:
    """Save the edited trust's patients a year for the appraisal through the real form; the save's time [ms]."""
    path = f"/trusts/{EDITED_TRUST}/appraisals/{appraisal_id}/patients"
    page = http.get(base + path, timeout=60)
    data = form_fields(page.text, path) | {"patients_per_year": str(patients_per_year), "note": "Benchmark: after an edit"}
    start = time.perf_counter()
    response = http.post(base + path, data=data, allow_redirects=False, timeout=60)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 302:
        raise SystemExit(f"save of {path}: HTTP {response.status_code}")
    return elapsed


def after_an_edit(http: requests.Session, base: str, pages: Pages, edits: int, name: str) -> None:
    """Each page's next request after a save that changes the figures it shows."""
    target = AFTER_EDIT_TARGETS_MS[name]
    patients = iter(range(10, 100_000, 30))  # a wide step: charts are cached by what they draw
    save_times: list[float] = []
    print(f"  after an edit ({EDITED_TRUST}'s patients a year for appraisal {pages.appraisal_id} saved before each request, "
          f"{edits} times a page; {machine_load()}):")
    for label, path in (("dashboard", pages.dashboard), ("trust view", pages.trust), ("appraisal view", pages.appraisal),
                        ("ICB summary", pages.icb_summary)):
        http.get(base + path, timeout=60)  # warm, so only the edit's recomputation is timed
        times = []
        for _ in range(edits):
            save_times.append(save_patients(http, base, pages.appraisal_id, next(patients)))
            start = time.perf_counter()
            response = http.get(base + path, timeout=60)
            times.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
        median, p95 = statistics.median(times), percentile(times, 0.95)
        print(f"    {label:15} {path:32} n={len(times):3}  median {median:7.1f} ms  p95 {p95:7.1f} ms  "
              f"(target < {target} ms: {'met' if p95 < target else 'NOT met'})")
    print(f"    {'the save itself':15} {'(POST, to its redirect)':32} n={len(save_times):3}  median {statistics.median(save_times):7.1f} ms  "
          f"p95 {percentile(save_times, 0.95):7.1f} ms")


def live_preview(http: requests.Session, base: str, pages: Pages, requests_count: int, seconds: float) -> None:
    """The server's answer to the preview htmx asks for as someone types (a different figure each time)."""
    print(f"  live preview (up to {requests_count} requests each; {machine_load()}):")
    cases = []
    patients_path = f"/trusts/{EDITED_TRUST}/appraisals/{pages.appraisal_id}/patients"
    page = http.get(base + patients_path, timeout=60).text
    cases.append(("pharmacist's patients a year", patients_path, form_fields(page, patients_path), csrf_token(page),
                  lambda data, n: data | {"patients_per_year": str(12 + n % 50)}))
    assumptions_path = f"/appraisals/{pages.appraisal_id}/assumptions"
    page = http.get(base + assumptions_path, timeout=60).text
    fields = form_fields(page, assumptions_path)
    eligible = float(fields.get("national_eligible_per_year") or 1000)
    cases.append(("lead's appraisal assumptions", assumptions_path, fields, csrf_token(page),
                  lambda data, n: data | {"national_eligible_per_year": str(int(eligible) + 1 + n % 50)}))
    for label, path, fields, token, typed in cases:
        times: list[float] = []
        deadline = time.monotonic() + seconds
        n = 0
        while n <= requests_count and time.monotonic() < deadline:
            start = time.perf_counter()
            response = http.post(f"{base}{path}/preview", data=typed(fields, n), timeout=60,
                                 headers={"HX-Request": "true", "X-CSRFToken": token})
            elapsed = (time.perf_counter() - start) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{path}/preview: HTTP {response.status_code}")
            if n:  # the first is a warm-up
                times.append(elapsed)
            n += 1
        median, p95 = statistics.median(times), percentile(times, 0.95)
        print(f"    {label:30} {path + '/preview':42} n={len(times):3}  median {median:7.1f} ms  p95 {p95:7.1f} ms  "
              f"(target < {PREVIEW_TARGET_MS} ms: {'met' if median < PREVIEW_TARGET_MS else 'NOT met'})")


def run(name: str, builder, requests_count: int, seconds: float, edits: int, today: date) -> list[tuple]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
        database = Path(folder) / f"{name}.sqlite"
        started = time.perf_counter()
        pages = builder(database, today)
        print(f"\n{name}: data built in {time.perf_counter() - started:.1f} s ({database.name})")
        rows = []
        with Server(database) as server:
            http = sign_in(server.url, LEAD_EMAIL, PASSWORD)
            print(f"  warm pages ({machine_load()}):")
            for label, path in (("dashboard", pages.dashboard), ("trust view", pages.trust), ("appraisal view", pages.appraisal),
                                ("ICB summary", pages.icb_summary)):
                cold, warm = time_page(http, server.url + path, requests_count, seconds)
                median, p95 = statistics.median(warm), percentile(warm, 0.95)
                target = TARGETS_MS[name]
                rows.append((name, label, len(warm), cold, median, p95, target))
                print(f"    {label:15} {path:32} n={len(warm):3}  cold {cold:7.1f} ms  median {median:7.1f} ms  "
                      f"p95 {p95:7.1f} ms  (target p95 < {target} ms: {'met' if p95 < target else 'NOT met'})")
            after_an_edit(http, server.url, pages, edits, name)
            live_preview(http, server.url, pages, requests_count, seconds)
        return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="warm requests per page (at most)")
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit per page")
    parser.add_argument("--edits", type=int, default=10, help="saves before each page's next request (after an edit)")
    parser.add_argument("--only", choices=("example", "national"), help="one data set only")
    args = parser.parse_args(argv)
    requests_count = max(1, min(args.requests, 1000))
    seconds = max(1.0, min(args.seconds, 600.0))
    today = date.today()
    builders = {"example": build_example, "national": build_national}
    for name, builder in builders.items():
        if args.only in (None, name):
            run(name, builder, requests_count, seconds, max(1, min(args.edits, 200)), today)


if __name__ == "__main__":
    main()
