"""Regimens given in phases (domain guide §4, last paragraph).

Many regimens change within a course: loading doses, a switch of dose and interval, treatment before
and after surgery with a gap between. A regimen is then an ordered list of phases, each with its own
schedule (cycle length, attendance days, cycles or "until progression", stop rule) and resources
(chair, pharmacy, clinic, drug, delivery HRG), a share of patients who go on to it from the previous
phase, and a gap before it.

Phase k starts on day offset_k = offset_(k−1) + (cycles cap × L)_(k−1) + gap_k of the patient's
treatment: the previous phase's last possible cycle's end, then the gap. A patient reaches phase k
when they go on (share_k) and did not progress during an "until progression" phase before it
(exp(−ln2 × cap × L / M) for each): a phase after an uncapped until-progression phase cannot be
reached, so that is refused. Everyone who starts is counted once (the first phase starts them; later
phases add patients on treatment, attendances, time and cost, never new patients).

Examples (tested): pembrolizumab 200 mg q3w × 6 then 400 mg q6w; daratumumab SC weekly × 8, two-weekly
× 8 (to week 24), then four-weekly until progression; perioperative durvalumab (NICE TA1030) 4 × q3w,
a gap for surgery, then up to 12 × q4w for the 66% who go on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .impact import Regimen


@dataclass(frozen=True)
class TreatmentPhase:
    """One phase of a regimen.

    Attributes
    ----------
    regimen : the phase's schedule (counted from the phase's own first day) and resources.
    share_going_on : of the patients who complete the previous phase, the fraction who go on to
        this one [fraction]; ignored for the first phase.
    gap_days : days between the end of the previous phase (its last possible cycle's end) and
        this phase's first cycle [days], e.g. for surgery; ignored for the first phase.
    """

    regimen: Regimen
    share_going_on: float = 1.0
    gap_days: int = 0


def phased_regimens(phases: Sequence[TreatmentPhase], course: str | None = None) -> tuple[Regimen, ...]:
    """Each phase as a :class:`Regimen` the model runs: its schedule moved to the day the phase
    starts and weighted by the chance of reaching it, all named as one ``course`` (default: the
    first phase's name). Bring every one of them in (or displace them) with the same share."""
    if not phases:
        raise ValueError("a regimen needs at least one phase")
    course = course or phases[0].regimen.name
    offset, share, preceding = 0, 1.0, []
    out = []
    for index, phase in enumerate(phases):
        if not 0 <= phase.share_going_on <= 1:
            raise ValueError("the share going on to a phase is a fraction from 0 to 1")
        if index:
            previous = phases[index - 1].regimen.schedule
            if math.isinf(previous.days_at_risk):
                raise ValueError(
                    f"phase {index + 1} follows an 'until progression' phase with no cap: nobody would reach it"
                )
            if phase.gap_days < 0:
                raise ValueError("a gap before a phase cannot be negative")
            offset += int(previous.days_at_risk) + phase.gap_days
            share *= phase.share_going_on
            preceding.append((previous.days_at_risk, previous.median_time_on_treatment_days))
        schedule = replace(phase.regimen.schedule, offset_days=offset, share_reaching=share,
                           preceding_phases=tuple(preceding))
        out.append(replace(phase.regimen, schedule=schedule, course=course))
    return tuple(out)
