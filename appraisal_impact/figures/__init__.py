"""The figures layer: the one place the model's results become the figures people read.

Every page, file, the API, ``flask impact`` and the live previews take their numbers from here and
only choose which to show; none works a figure out. A figure is defined once, with its unit and what
it counts, in :class:`sets.PeriodFigures` (fields' metadata) and the sets that hold it.

How it fits together
--------------------
``pipeline_figures(session, scenario=..., prices=..., today=...)`` runs the model through
``impact_service.pipeline_impact`` (cached) and returns :class:`PipelineFigures`::

    figures = pipeline_figures(session, prices=PriceView.for_user(user), today=today)
    at_rhm = figures.at(appraisal.id, "RHM")            # one appraisal at one trust
    at_rhm.year1.new_patients                          # Figure: people starting it in year 1
    at_rhm.steady_state.chair_hours_per_week.text()    # "3.4" (net of displaced treatments)
    figures.appraisal(appraisal.id).by_icb["QRL"]      # the ICB's total for the appraisal
    figures.appraisal(appraisal.id).alliance, .england
    figures.trusts["RHM"].pipeline.steady_state        # the whole pipeline at a trust
    figures.trusts["RHM"].capacity                     # capacity, baseline, pipeline, headroom
    figures.icbs["QRL"], figures.alliance              # the whole pipeline at an ICB, the alliance

The previews build their own model run on unsaved values and pass it to :func:`build_figures`, so a
draft's figures are defined exactly as a saved appraisal's.

Definitions (one of each)
-------------------------
- *New patients* are people starting the new medicine (brought in); the *net change in patients*
  (brought in − displaced) is a separate figure, labelled so.
- *Patients on treatment* is the mean number on the new medicine in a period; *people treated* is
  everyone with at least one cycle in it (on treatment when it begins + starting during it).
- Time and cost are net of the treatments displaced; gross and displaced sit beside them.
- Periods (:mod:`.periods`): years 1–5 from the effective start, NHS financial years (April–March),
  the next 12 months, and once fully running (the last year of the one horizon, the model's grid).
- Capacity (:mod:`.capacity`): one function, at a stated date, defaults from ``core.capacity``.

Unknown is never zero (:mod:`.values`): a figure without a start date, a treatment, an eligible
population, a price or a capacity is "not yet known" with its reason; totals add unrounded parts and
say how many parts are unknown. Pages write "not yet known" and the reason; CSV and Excel leave the
cell blank with a reason column; JSON gives null and the reason under "not_yet_known".
"""

from .build import ALLIANCE_CODE, build_figures, figures_of_loaded, growth_percent_of, pipeline_figures, scenario_figures
from .capacity import (
    CAPACITY_AT_MONTHS,
    ResourceCapacity,
    capacity_figures,
    capacity_of_trust_row,
    chair_capacity_of_trust_row,
    trust_capacity,
)
from .periods import NEXT_12_MONTHS, STEADY_STATE, STEADY_STATE_WORDS, Period
from .sets import (
    AppraisalFigures,
    AppraisalTrustFigures,
    GroupFigures,
    PeriodFigures,
    PipelineFigures,
    Reasons,
    TrustFigures,
    appraisal_reasons,
)
from .values import NOT_YET_KNOWN, ROUNDING_NOTE, Figure, Kind, number_text, rounding_note, share_of, total

__all__ = [
    "ALLIANCE_CODE", "AppraisalFigures", "AppraisalTrustFigures", "CAPACITY_AT_MONTHS", "Figure", "GroupFigures",
    "Kind", "NEXT_12_MONTHS", "NOT_YET_KNOWN", "Period", "PeriodFigures", "PipelineFigures", "ROUNDING_NOTE",
    "Reasons", "ResourceCapacity", "STEADY_STATE", "STEADY_STATE_WORDS", "TrustFigures", "appraisal_reasons",
    "build_figures", "capacity_figures", "capacity_of_trust_row", "chair_capacity_of_trust_row", "figures_of_loaded", "growth_percent_of",
    "number_text", "pipeline_figures", "rounding_note", "scenario_figures", "share_of", "total", "trust_capacity",
]
