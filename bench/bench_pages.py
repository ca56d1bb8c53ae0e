"""Page latency of the lead's pages, against the app served on 127.0.0.1 only. Not a test.

    .venv/bin/python -m bench.bench_pages                 # example data, then national scale
    .venv/bin/python -m bench.bench_pages --requests 50 --seconds 60 --only national

For each data set it builds a fresh SQLite file in a temporary folder (the seeded example data; or the
seeds plus synthetic trusts and appraisals up to 150 trusts and 300 appraisals), serves the app with
werkzeug's threaded server in a thread on 127.0.0.1 (a free port), signs in as a SACT lead, and times
the dashboard, a trust view and an appraisal view: one cold request each (first computation after
start-up), then up to --requests requests each, stopping early after --seconds per page. It prints the
median and 95th-percentile latency of the warm requests, and the cold one. Targets: p95 < 150 ms with
the example data, < 500 ms at national scale.
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import re
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

PASSWORD = "benchmark password, not secret"
LEAD_EMAIL = "bench.lead@example.nhs.uk"
TARGETS_MS = {"example": 150, "national": 500}
SITES = ("Lung", "Breast", "Gynaecological", "Haematological", "Urological", "Colorectal", "Skin", "Upper GI")
RECOMMENDATIONS = ("recommended", "optimised", "managed access", None, None, "not recommended")


@dataclass(frozen=True)
class Pages:
    dashboard: str
    trust: str
    appraisal: str


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
        first = session.exec(select(Appraisal).order_by(Appraisal.id)).first()
    engine.dispose()
    return Pages("/dashboard", "/trusts/RHM/impact", f"/appraisals/{first.id}/impact")


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
        first = session.exec(select(Appraisal).order_by(Appraisal.id)).first()
    engine.dispose()
    return Pages("/dashboard", "/trusts/RHM/impact", f"/appraisals/{first.id}/impact")


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


def signed_in(url: str) -> requests.Session:
    http = requests.Session()
    page = http.get(f"{url}/sign-in", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = http.post(f"{url}/sign-in", data={"email": LEAD_EMAIL, "password": PASSWORD, "csrf_token": token},
                         allow_redirects=False, timeout=30)
    if response.status_code != 302:
        raise SystemExit(f"could not sign in: {response.status_code}")
    return http


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


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


def run(name: str, builder, requests_count: int, seconds: float, today: date) -> list[tuple]:
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
        database = Path(folder) / f"{name}.sqlite"
        started = time.perf_counter()
        pages = builder(database, today)
        print(f"\n{name}: data built in {time.perf_counter() - started:.1f} s ({database.name})")
        rows = []
        with Server(database) as server:
            http = signed_in(server.url)
            for label, path in (("dashboard", pages.dashboard), ("trust view", pages.trust), ("appraisal view", pages.appraisal)):
                cold, warm = time_page(http, server.url + path, requests_count, seconds)
                median, p95 = statistics.median(warm), percentile(warm, 0.95)
                target = TARGETS_MS[name]
                rows.append((name, label, len(warm), cold, median, p95, target))
                print(f"  {label:15} {path:32} n={len(warm):3}  cold {cold:7.1f} ms  median {median:7.1f} ms  "
                      f"p95 {p95:7.1f} ms  (target p95 < {target} ms: {'met' if p95 < target else 'NOT met'})")
        return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=40, help="warm requests per page (at most)")
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit per page")
    parser.add_argument("--only", choices=("example", "national"), help="one data set only")
    args = parser.parse_args(argv)
    requests_count = max(1, min(args.requests, 1000))
    seconds = max(1.0, min(args.seconds, 600.0))
    today = date.today()
    builders = {"example": build_example, "national": build_national}
    for name, builder in builders.items():
        if args.only in (None, name):
            run(name, builder, requests_count, seconds, today)


if __name__ == "__main__":
    main()
