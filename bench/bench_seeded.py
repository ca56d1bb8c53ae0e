"""The real seeded Wessex example pipeline through the app's wiring: load from the database, then model.

    .venv/bin/python -m bench.bench_seeded

Prints the median time to read every stored row into the model's inputs, to run the model (all
appraisals × six trusts × 260 weeks), and to summarise every appraisal by trust. Not a test.
"""

from __future__ import annotations

import statistics
import time
from datetime import date

from sqlmodel import Session

from appraisal_impact import impact_service as svc
from appraisal_impact.core import impact as core
from appraisal_impact.db import create_schema, make_engine
from appraisal_impact.seeding import seed_database


def _median_ms(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    engine = make_engine("sqlite://")
    create_schema(engine)
    with Session(engine, expire_on_commit=False) as session:
        seed_database(session, None, today=date(2026, 6, 1))
        session.commit()
        loaded = svc.model_inputs(session, today=date(2026, 6, 1))
        n_appraisals, n_trusts = len(loaded.inputs.appraisals), len(loaded.inputs.trusts)
        load_ms = _median_ms(lambda: svc.model_inputs(session, today=date(2026, 6, 1)), 20)
        run_ms = _median_ms(lambda: core.run_model(loaded.inputs), 50)
        result = core.run_model(loaded.inputs)
        summary_ms = _median_ms(lambda: [result.appraisal_by_trust_summary(k) for k in result.appraisal_keys], 20)
    print(f"Seeded Wessex example: {n_appraisals} appraisals x {n_trusts} trusts x {core.HORIZON_WEEKS} weeks")
    print(f"  read stored rows into model inputs : {load_ms:8.2f} ms (median of 20)")
    print(f"  run the model (recompute)          : {run_ms:8.2f} ms (median of 50)   target < 20 ms: "
          f"{'met' if run_ms < 20 else 'NOT met'} ({20 / run_ms:.1f}x under)")
    print(f"  every appraisal's by-trust summary : {summary_ms:8.2f} ms (median of 20)")


if __name__ == "__main__":
    main()
