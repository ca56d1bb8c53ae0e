"""Run every benchmark in turn: `make bench` (or `.venv/bin/python -m bench`), at a small size that finishes in
a few minutes; `make bench BENCH_SIZE=full` (or `.venv/bin/python -m bench --full`) at the sizes issue #16
measures (50 users for 60 s on each database; 40 requests a page; 10 edits a page).

    .venv/bin/python -m bench --only bench_load         # one of them
"""

import argparse
import importlib
import inspect
import sys

SMALL = {
    "bench.bench_seeded": [],
    "bench.bench_model": [],
    "bench.bench_pages": ["--requests", "10", "--seconds", "10", "--edits", "3"],
    "bench.profile_pages": ["--repeats", "3", "--top", "10"],
    "bench.bench_load": ["--users", "10", "--seconds", "20", "--one-user", "5"],
}
FULL = {name: [] for name in SMALL}

parser = argparse.ArgumentParser(description="Run every benchmark in turn.")
parser.add_argument("--full", action="store_true", help="the sizes issue #16 measures (15 minutes or more)")
parser.add_argument("--only", choices=[name.removeprefix("bench.") for name in SMALL], help="one benchmark only")
args = parser.parse_args()

for name, argv in (FULL if args.full else SMALL).items():
    if args.only and name != f"bench.{args.only}":
        continue
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError:
        print(f"({name} not present)")
        continue
    print(f"\n===== {name} {' '.join(argv)} =====")
    sys.stdout.flush()
    if inspect.signature(module.main).parameters:
        module.main(argv)
    else:
        module.main()
    sys.stdout.flush()
