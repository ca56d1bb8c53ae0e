"""Build every figure set once from a model run."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import date

import numpy as np

from ..core import impact as core
from ..core.capacity import RCR_GROWTH_PERCENT
from ..planning import deadlines_for
from .capacity import capacity_figures
from .periods import standard_periods
from .sets import (
    AppraisalFigures,
    AppraisalTrustFigures,
    GroupFigures,
    LazyPeriods,
    PipelineFigures,
    Reasons,
    TrustFigures,
    NOT_FUNDED,
    _frozen,
    appraisal_reasons,
    group,
    period_figures,
)
from .values import Figure, Kind

ALLIANCE_CODE = "ALL"
ALLIANCE_NAME = "All trusts in the alliance"
ENGLAND_CODE = "ENG"


def build_figures(
    result: core.ImpactResult,
    *,
    today: date,
    unpriced_regimens: tuple[str, ...] = (),
    baselines: Mapping[str, tuple[float | None, float | None, float | None]] | None = None,
    growth_percent: float = RCR_GROWTH_PERCENT,
    price_label: str = "list prices",
    icb_names: Mapping[str, str] | None = None,
    not_funded: frozenset[str] = frozenset(),
    left_out: Mapping | None = None,
) -> PipelineFigures:
    """Every figure of ``result``.

    ``baselines`` maps a trust code to its demand today (chair-hours, aseptic staff hours, clinic
    appointments a week; None where not entered); ``unpriced_regimens`` names the regimens with a
    medicine the viewer has no price for; ``icb_names`` names the ICBs by code; ``not_funded`` holds the
    keys of appraisals with no funding requirement (not recommended: known zeros, no years from a start);
    ``left_out`` maps an appraisal's id to why the model could not run it (``input_checks.LeftOut``): its
    figures are all "not yet known" with that reason.
    """
    left_out = left_out or {}
    left_out_problem = {str(key): item.problem for key, item in left_out.items()}
    grid_start = result.week_starts[0].date() if len(result.week_starts) else today
    n_weeks = len(result.week_starts)
    baselines = baselines or {}
    icb_names = icb_names or {}
    trusts = result.trusts
    icbs: dict[str, list[str]] = {}
    for trust in trusts:
        icbs.setdefault(trust.icb, []).append(trust.code)

    appraisals: dict[str, AppraisalFigures] = {}
    all_keys: list[str] | None = None
    for a, appraisal in enumerate(result.appraisals):
        funded = appraisal.key not in not_funded
        reasons = appraisal_reasons(appraisal, unpriced_regimens, funded=funded)
        if appraisal.key in left_out_problem:
            reasons = Reasons(everything=left_out_problem[appraisal.key])
        start_week = result.start_weeks[a]
        periods = standard_periods(grid_start, n_weeks, start_week, today,
                                   "the start date is not yet known" if funded else NOT_FUNDED)
        all_keys = all_keys or [p.key for p in periods]
        national_in, national_out = result.national_brought_in[a], result.national_displaced[a]
        by_trust = {}
        for t, trust in enumerate(trusts):
            brought_in = result.appraisal_trust_weekly(appraisal.key, trust.code, "brought in").to_numpy().T
            displaced = result.appraisal_trust_weekly(appraisal.key, trust.code, "displaced").to_numpy().T
            eligible = float(result.local_eligible_per_year[a, t])
            by_trust[trust.code] = AppraisalTrustFigures(
                periods=_periods_of(periods, brought_in, displaced, reasons, trust.capacity),
                appraisal_key=appraisal.key,
                trust_code=trust.code,
                trust_name=trust.name,
                icb=trust.icb,
                eligible_per_year=(
                    Figure.unknown(reasons.everything, "patients a year", Kind.PATIENTS)
                    if "eligible" in reasons.everything else Figure.of(eligible, "patients a year", Kind.PATIENTS)
                ),
                share=float(result.shares[a, t]),
                share_source=core.SHARE_SOURCES[int(result.share_source_index[a, t])],
            )
        keys = [p.key for p in periods]
        members = list(by_trust.values())
        by_icb = {
            icb: group(icb, icb_names.get(icb, icb), [by_trust[c] for c in codes], keys, codes,
                       [by_trust[c].eligible_per_year for c in codes], noun="trusts")
            for icb, codes in icbs.items()
        }
        alliance = group(ALLIANCE_CODE, ALLIANCE_NAME, members, keys, [t.code for t in trusts],
                         [m.eligible_per_year for m in members], noun="trusts")
        england_periods = _periods_of(periods, national_in, national_out, reasons, None)
        national_eligible = _national_eligible(result, a)
        england = GroupFigures(
            periods=england_periods, code=ENGLAND_CODE, name="England",
            eligible_per_year=(
                Figure.unknown(reasons.everything, "patients a year", Kind.PATIENTS)
                if "eligible" in reasons.everything else Figure.of(national_eligible, "patients a year", Kind.PATIENTS)
            ),
            parts=("England",),
        )
        own_unpriced = tuple(sorted({u.regimen.name for u in (*appraisal.brings_in, *appraisal.displaces)}
                                    & set(unpriced_regimens)))
        appraisals[appraisal.key] = AppraisalFigures(
            key=appraisal.key, name=appraisal.name, effective_start=appraisal.effective_start,
            by_trust=_frozen(by_trust), by_icb=_frozen(by_icb), alliance=alliance, england=england,
            unpriced_regimens=own_unpriced, reasons=reasons,
        )

    periods = standard_periods(grid_start, n_weeks, 0, today)
    keys = all_keys or [p.key for p in periods]
    trust_figures = {}
    for t, trust in enumerate(trusts):
        parts = [appraisals[a.key].by_trust[trust.code] for a in result.appraisals]
        pipeline = group(trust.code, trust.name, parts, keys, [a.key for a in result.appraisals],
                         [p.eligible_per_year for p in parts], noun="appraisals")
        weekly = result.trust_weekly(trust.code)
        chair, aseptic, clinic = baselines.get(trust.code, (None, None, None))
        trust_figures[trust.code] = TrustFigures(
            code=trust.code, name=trust.name, icb=trust.icb, pipeline=pipeline,
            capacity=capacity_figures(
                trust.capacity,
                baseline_chair_hours_per_week=chair,
                baseline_aseptic_hours_per_week=aseptic,
                baseline_clinic_appointments_per_week=clinic,
                pipeline_weekly={m: weekly[m].to_numpy() for m in ("chair_hours", "aseptic_hours", "clinic_appointments")},
                grid_start=grid_start, today=today, growth_percent=growth_percent,
            ) if n_weeks else (),
            chair_capacity=trust.capacity,
        )
    icb_figures = {
        icb: group(icb, icb_names.get(icb, icb), [trust_figures[c].pipeline for c in codes], keys, codes,
                   [trust_figures[c].pipeline.eligible_per_year for c in codes], by_name=False)
        for icb, codes in icbs.items()
    }
    alliance = group(ALLIANCE_CODE, ALLIANCE_NAME, [f.pipeline for f in trust_figures.values()], keys,
                     list(trust_figures), [f.pipeline.eligible_per_year for f in trust_figures.values()], by_name=False)
    return PipelineFigures(
        scenario=result.scenario, price_label=price_label, figures_date=today, grid_start=grid_start,
        n_weeks=n_weeks, growth_percent=growth_percent, periods=tuple(periods),
        appraisals=_frozen(appraisals), trusts=_frozen(trust_figures), icbs=_frozen(icb_figures),
        alliance=alliance, unpriced_regimens=tuple(unpriced_regimens), left_out=_frozen(dict(left_out)),
    )


def _periods_of(periods, brought_in, displaced, reasons, capacity) -> LazyPeriods:
    """Each period's figures of one series pair, worked out when first read."""
    by_key = {p.key: p for p in periods}
    return LazyPeriods(by_key, lambda key: period_figures(by_key[key], brought_in, displaced, reasons, capacity))


def _national_eligible(result: core.ImpactResult, a: int) -> float:
    """England's eligible people a year in year 1, with the run's eligible multiplier."""
    shares = result.shares[a]
    with_share = np.flatnonzero(shares > 0)
    if with_share.size:
        t = with_share[0]
        return float(result.local_eligible_per_year[a, t] / shares[t])
    return float(result.appraisals[a].national_eligible_per_year)


# --- from the database ----------------------------------------------------------------------------

_CACHE: OrderedDict[tuple, tuple[object, PipelineFigures]] = OrderedDict()
_LOCK = threading.Lock()
_CACHE_SIZE = 16


def growth_percent_of(reference_values: Mapping) -> float:
    """The alliance's baseline growth rate [%/year] (reference value), else the RCR default."""
    row = reference_values.get("baseline_sact_growth_pct")
    return float(row.value) if row is not None and row.value is not None else RCR_GROWTH_PERCENT


def pipeline_figures(session, *, scenario: str = "central", prices=None, today: date | None = None) -> PipelineFigures:
    """Every figure of the stored pipeline, for a scenario and what the viewer may see (default list
    prices), as at ``today``: the one call every page, file, the API and commands make."""
    from .. import queries
    from ..impact_service import PriceView, pipeline_impact

    prices = prices or PriceView.list_only()
    today = today or date.today()
    loaded, result = pipeline_impact(session, scenario=scenario, prices=prices, today=today)
    key = (id(result), today)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is result:
            _CACHE.move_to_end(key)
            return hit[1]
    reference = queries.reference_values(session=session)
    figures = figures_of_loaded(loaded, result, today=today, growth_percent=growth_percent_of(reference),
                                price_label=prices.label(),
                                icb_names={i.ods_code: i.name for i in queries.list_icbs(session=session)})
    with _LOCK:
        _CACHE[key] = (result, figures)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return figures



def scenario_figures(session, scenario_id: int, *, scenario: str = "central", prices=None,
                     today: date | None = None) -> PipelineFigures:
    """Every figure of a stored what-if scenario (issue #17), built exactly as :func:`pipeline_figures`
    builds the baseline's, from the scenario's run (``impact_service.scenario_impact``, cached), its
    baseline growth included. Capacity changed from a later date is not in these figures yet."""
    from .. import queries
    from ..impact_service import PriceView, scenario_impact

    prices = prices or PriceView.list_only()
    today = today or date.today()
    loaded, applied, result = scenario_impact(session, scenario_id, scenario=scenario, prices=prices, today=today)
    key = (id(result), today)
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is result:
            _CACHE.move_to_end(key)
            return hit[1]
    figures = figures_of_loaded(loaded, result, today=today, growth_percent=applied.growth_percent_per_year,
                                price_label=prices.label(),
                                icb_names={i.ods_code: i.name for i in queries.list_icbs(session=session)})
    with _LOCK:
        _CACHE[key] = (result, figures)
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return figures

def figures_of_loaded(loaded, result: core.ImpactResult, *, today: date, growth_percent: float,
                      price_label: str, icb_names: Mapping[str, str] | None = None,
                      baselines: Mapping | None = None) -> PipelineFigures:
    """:func:`build_figures` with the stored trusts' baselines (or ``baselines`` given, e.g. a draft)."""
    stored = {
        code: (row.baseline_chair_hours_per_week, row.baseline_aseptic_hours_per_week,
               row.baseline_clinic_appointments_per_week)
        for code, row in loaded.trust_rows.items()
    }
    not_funded = frozenset(str(key) for key, row in loaded.appraisal_rows.items()
                           if not deadlines_for(row).has_funding_requirement)
    return build_figures(result, today=today, unpriced_regimens=loaded.unpriced_regimens,
                         baselines={**stored, **(baselines or {})}, growth_percent=growth_percent,
                         price_label=price_label, icb_names=icb_names, not_funded=not_funded,
                         left_out=getattr(loaded, "left_out", {}))
