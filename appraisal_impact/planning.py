"""From stored rows to the calculation core's inputs: the deadlines of an appraisal.

(The impact model's wiring lives in `impact_service.py`.)
"""

from __future__ import annotations

from .core.deadlines import DeadlineOverride, Deadlines, Milestones, compute_deadlines
from .models import Appraisal


def deadlines_for(appraisal: Appraisal) -> Deadlines:
    """The deadlines of one appraisal, each with the rule that made it."""
    milestones = Milestones(
        draft_guidance=appraisal.draft_guidance_date,
        final_draft_guidance=appraisal.fdg_date,
        expected_publication=None if appraisal.expected_publication_tbc else appraisal.expected_publication_date,
        publication=appraisal.publication_date,
        marketing_authorisation=appraisal.marketing_authorisation_date,
    )
    override = (
        DeadlineOverride(appraisal.deadline_override, appraisal.deadline_override_reason)
        if appraisal.deadline_override
        else None
    )
    return compute_deadlines(
        milestones,
        process=appraisal.process,
        recommendation=appraisal.recommendation,
        is_cancer=appraisal.is_cancer,
        override=override,
    )
