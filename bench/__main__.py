"""Run every benchmark in turn: `make bench` (or `.venv/bin/python -m bench`)."""

import importlib
import sys

BENCHMARKS = ["bench.bench_seeded", "bench.bench_model", "bench.bench_pages"]

for name in BENCHMARKS:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError:
        print(f"({name} not present)")
        continue
    print(f"\n===== {name} =====")
    sys.stdout.flush()
    module.main()
