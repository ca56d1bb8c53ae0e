"""Where a page's time goes: cProfile of the lead's pages, warm and after an edit, and the live preview. Not a test.

    .venv/bin/python -m bench.profile_pages                  # example data
    .venv/bin/python -m bench.profile_pages --national       # 150 trusts, 300 appraisals
    .venv/bin/python -m bench.profile_pages --repeats 10 --top 20 --dump /tmp/profiles   # + .prof files (snakeviz)

The app runs in this process (Flask's test client, CSRF on, signed in as a SACT lead through the real
sign-in form) on a fresh SQLite copy of the seeded example. For each case it times the request without the
profiler, then profiles --repeats requests and prints:

- where the time goes, by layer (own time of every function, grouped: the app's code, templates, database,
  charts, pandas, numpy, Flask and werkzeug, the rest);
- the app's own functions (and templates) with the most cumulative time: what to make faster or cache;
- the functions with the most own time, whatever their library: the leaves the time is spent in.

Cases: the dashboard, `/appraisals/<first>/impact`, `/trusts/RHM/impact` and the ICB summary of RHM's ICB,
each warm (asked for again, nothing changed) and after an edit (RHM's patients a year for the first appraisal
saved through the real form just before each profiled request); then a pharmacist's live preview of patients
a year. The profiler slows Python code (not C) by a factor that varies: read the shares, not the totals.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

from appraisal_impact import create_app

from .bench_pages import EDITED_TRUST, LEAD_EMAIL, PASSWORD, build_example, build_national
from .common import csrf_token, form_fields, machine_load

LAYERS = (  # the first that matches a function's file (or a built-in's name) names its layer
    ("templates", ("/templates/", "jinja2", "markupsafe", "nhsuk_frontend_jinja")),
    ("the app's code", ("/appraisal_impact/",)),
    ("database", ("sqlalchemy", "sqlmodel", "sqlite3", "psycopg", "pydantic")),
    ("charts (matplotlib)", ("matplotlib", "PIL", "fontTools")),
    ("pandas", ("pandas",)),
    ("numpy", ("numpy",)),
    ("Flask and werkzeug", ("flask", "werkzeug", "itsdangerous", "wtforms")),
)


def layer(function: tuple[str, int, str]) -> str:
    file_name, _line, name = function
    where = file_name if file_name != "~" else name
    for label, marks in LAYERS:
        if any(mark in where for mark in marks):
            return label
    return "built-ins and the rest" if file_name == "~" else "other libraries"


def where(function: tuple[str, int, str]) -> str:
    """A function as a short `file:line(name)`, relative to the repository or the library."""
    file_name, line, name = function
    if file_name == "~":
        return name
    if "/site-packages/" in file_name:
        file_name = file_name.split("/site-packages/", 1)[1]
    elif "/appraisal_impact/" in file_name:
        file_name = "appraisal_impact/" + file_name.split("/appraisal_impact/", 1)[1]
    elif "/templates/" in file_name:
        file_name = "templates/" + file_name.split("/templates/", 1)[1]
    elif "/lib/" in file_name:
        file_name = file_name.split("/lib/", 1)[1]
    return f"{file_name}:{line}({name})"


def summarise(profile: cProfile.Profile, repeats: int, top: int) -> None:
    stats = pstats.Stats(profile)
    entries = stats.stats  # {function: (primitive calls, calls, own time, cumulative time, callers)}
    total = sum(own for _p, _c, own, _cum, _callers in entries.values())
    by_layer: dict[str, float] = defaultdict(float)
    for function, (_p, _c, own, _cum, _callers) in entries.items():
        by_layer[layer(function)] += own
    print(f"      profiled: {1000 * total / repeats:.1f} ms a request (with the profiler's overhead)")
    print("      by layer (own time): " + ", ".join(
        f"{label} {100 * seconds / total:.0f}%" for label, seconds in sorted(by_layer.items(), key=lambda item: -item[1])
        if seconds / total >= 0.01))
    ours = [(cum, calls, function) for function, (_p, calls, _own, cum, _callers) in entries.items()
            if "/appraisal_impact/" in function[0] or "/templates/" in function[0]]
    print(f"      the app's functions and templates by cumulative time (ms a request, calls a request):")
    for cum, calls, function in sorted(ours, key=lambda item: -item[0])[:top]:
        print(f"        {1000 * cum / repeats:8.1f} ms {calls / repeats:8.0f}x  {where(function)}")
    leaves = sorted(((own, calls, function) for function, (_p, calls, own, _cum, _callers) in entries.items()),
                    key=lambda item: -item[0])
    print(f"      most own time, any library:")
    for own, calls, function in leaves[: max(5, top // 2)]:
        print(f"        {1000 * own / repeats:8.1f} ms {calls / repeats:8.0f}x  {where(function)}  [{layer(function)}]")


class Browser:
    """The test client signed in as the benchmark's lead, with the real CSRF tokens."""

    def __init__(self, app):
        self.client = app.test_client()
        page = self.client.get("/sign-in").get_data(as_text=True)
        response = self.client.post("/sign-in", data=form_fields(page, "/sign-in") | {"email": LEAD_EMAIL, "password": PASSWORD})
        if response.status_code != 302:
            raise SystemExit(f"could not sign in: HTTP {response.status_code}")
        self.patients = iter(range(10, 100_000, 30))  # a wide step: charts are cached by what they draw

    def get(self, path: str) -> None:
        response = self.client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")

    def save_patients(self, appraisal_id: int) -> None:
        path = f"/trusts/{EDITED_TRUST}/appraisals/{appraisal_id}/patients"
        page = self.client.get(path).get_data(as_text=True)
        data = form_fields(page, path) | {"patients_per_year": str(next(self.patients)), "note": "Benchmark: profile after an edit"}
        response = self.client.post(path, data=data)
        if response.status_code != 302:
            raise SystemExit(f"save of {path}: HTTP {response.status_code}")

    def preview_request(self, appraisal_id: int):
        path = f"/trusts/{EDITED_TRUST}/appraisals/{appraisal_id}/patients"
        page = self.client.get(path).get_data(as_text=True)
        fields, token = form_fields(page, path), csrf_token(page)

        def ask() -> None:
            data = fields | {"patients_per_year": str(next(self.patients) % 97 + 3)}
            response = self.client.post(f"{path}/preview", data=data, headers={"HX-Request": "true", "X-CSRFToken": token})
            if response.status_code != 200:
                raise SystemExit(f"{path}/preview: HTTP {response.status_code}")

        return ask


def profile_case(label: str, request, before, repeats: int, top: int, dump: Path | None) -> None:
    """Time `request` unprofiled, then profile it `repeats` times (`before` runs first each time, unprofiled)."""
    request()  # warm: the first computation after start-up is not what is profiled
    times = []
    for _ in range(repeats):
        before()
        start = time.perf_counter()
        request()
        times.append((time.perf_counter() - start) * 1000)
    profile = cProfile.Profile()
    for _ in range(repeats):
        before()
        profile.enable()
        request()
        profile.disable()
    print(f"\n    {label}: median {statistics.median(times):.1f} ms unprofiled (n={repeats}; {machine_load()})")
    summarise(profile, repeats, top)
    if dump is not None:
        dump.mkdir(parents=True, exist_ok=True)
        profile.dump_stats(dump / (label.replace(" ", "_").replace("/", "_") + ".prof"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="requests profiled in each case; default 5")
    parser.add_argument("--top", type=int, default=12, help="lines printed in each list; default 12")
    parser.add_argument("--national", action="store_true", help="national-scale data (150 trusts, 300 appraisals)")
    parser.add_argument("--dump", type=Path, help="also write each case's .prof file into this folder")
    args = parser.parse_args(argv)
    repeats, top = max(1, min(args.repeats, 100)), max(3, min(args.top, 100))
    builder = build_national if args.national else build_example
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as folder:
        database = Path(folder) / "profile.sqlite"
        pages = builder(database, date.today())
        app = create_app({"DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "benchmark-only", "TESTING": False})
        browser = Browser(app)
        print(f"Profile ({'national scale' if args.national else 'example data'}), cProfile, {repeats} requests a case")
        nothing = lambda: None  # noqa: E731
        for page_label, path in (("dashboard", pages.dashboard), ("appraisal view", pages.appraisal),
                                 ("trust view", pages.trust), ("ICB summary", pages.icb_summary)):
            profile_case(f"{page_label} {path}, warm", lambda path=path: browser.get(path), nothing, repeats, top, args.dump)
            profile_case(f"{page_label} {path}, after an edit", lambda path=path: browser.get(path),
                         lambda: browser.save_patients(pages.appraisal_id), repeats, top, args.dump)
        ask = browser.preview_request(pages.appraisal_id)
        profile_case(f"live preview /trusts/{EDITED_TRUST}/appraisals/{pages.appraisal_id}/patients/preview",
                     ask, nothing, repeats, top, args.dump)
        app.extensions["appraisal_impact.engine"].dispose()


if __name__ == "__main__":
    main()
