"""A regimen's schedule, and the weekly kernels it gives (domain guide §4.5–4.6).

Cycle k (k = 0, 1, ...) starts on day k × L of treatment, L the cycle length. A patient
receives cycle k with probability p_k:

* fixed course: p_k = 1 for k < max cycles;
* until progression: p_k = exp(−ln2 × k × L / M) for a median time on treatment M days,
  capped at max cycles and/or a stop rule in years.

A stop rule of Y years gives every cycle that starts before the stop date: cycle k is given
when k × L < Y × 365.25 days, so the cap is ceil(Y × 365.25 / L) cycles (a year of q6w is 9
cycles: days 0, 42, ... 336; 2 years of q3w is 35). Where both are set the smaller cap applies.

A patient who starts in week 0 (on its Monday) attends on day d (1-based) of cycle k in
week floor((k × L + d − 1) / 7). A kernel ``a[w]`` is the expected count in week w after a
start; a measure per week is the weekly starts convolved with its kernel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

DAYS_PER_YEAR = 365.25
# Past this many cycles an uncapped "until progression" tail adds < 1e-12 patients.
_NEGLIGIBLE_PROBABILITY = 1e-12


@dataclass(frozen=True)
class RegimenSchedule:
    """When a regimen's patients attend and how long they stay on it.

    Attributes
    ----------
    cycle_length_days : L [days], e.g. 21 for q3w.
    attendance_days : days within a cycle on which the patient attends the day unit
        (1-based), e.g. (1,) or (1, 8). Empty for oral regimens.
    max_cycles : fixed course length, or the cap for "until progression" [cycles].
    median_time_on_treatment_days : M [days]; ``None`` means a fixed course.
    max_years : stop rule, e.g. 2 for many checkpoint inhibitors [years]: every cycle that starts
        before the stop date is given (see :attr:`cycles_before_stop_date`).
    is_oral : oral regimen: no chair attendances, but cycles (verification, dispensing,
        clinic) still count.
    offset_days : for a later phase of a regimen (:mod:`.phases`): the day its first cycle starts,
        counted from the patient's first day of treatment [days].
    share_reaching : for a later phase: the product of the shares of patients going on to each
        phase so far [fraction].
    preceding_phases : for a later phase: (days at risk, median time on treatment or None) of each
        earlier phase; a patient reaches this phase only without progressing in an until-progression
        phase: exp(−ln2 × days / median) each.
    """

    cycle_length_days: int
    attendance_days: tuple[int, ...] = (1,)
    max_cycles: int | None = None
    median_time_on_treatment_days: float | None = None
    max_years: float | None = None
    is_oral: bool = False
    offset_days: int = 0
    share_reaching: float = 1.0
    preceding_phases: tuple[tuple[float, float | None], ...] = ()

    def __post_init__(self) -> None:
        if self.cycle_length_days <= 0:
            raise ValueError("cycle length must be positive")
        if self.median_time_on_treatment_days is None and self.max_cycles is None and self.max_years is None:
            raise ValueError("a fixed course needs max_cycles (or max_years)")
        if any(day < 1 or day > self.cycle_length_days for day in self.attendance_days):
            raise ValueError("attendance days must lie within the cycle (1-based)")

    @property
    def is_fixed_course(self) -> bool:
        return self.median_time_on_treatment_days is None

    @property
    def reach(self) -> float:
        """Chance a patient who starts the regimen reaches this phase [fraction] (1 for a first phase)."""
        survival = math.prod(
            1.0 if median is None else math.exp(-math.log(2) * days / median)
            for days, median in self.preceding_phases
        )
        return self.share_reaching * survival

    @property
    def chair_attendance_days(self) -> tuple[int, ...]:
        """Days that need a chair: none for an oral regimen."""
        return () if self.is_oral else tuple(sorted(set(self.attendance_days)))

    @property
    def cycle_cap(self) -> int | None:
        """Most cycles a patient can receive, or None if unlimited [cycles]."""
        caps = []
        if self.max_cycles is not None:
            caps.append(self.max_cycles)
        if self.max_years is not None:
            caps.append(self.cycles_before_stop_date)
        return min(caps) if caps else None

    @property
    def cycles_before_stop_date(self) -> int | None:
        """Cycles that start before the stop date of a stop rule in years [cycles]: cycle k (from 0)
        starts on day k × L and is given when k × L < max years × 365.25, i.e.
        ceil(max years × 365.25 / L) cycles (1 year q14d: 27; q21d: 18; q28d: 14; q42d: 9)."""
        if self.max_years is None:
            return None
        stop_day = self.max_years * DAYS_PER_YEAR
        # ceil, but a cycle starting exactly on the stop day is not given (k × L < stop day)
        return max(math.ceil(stop_day / self.cycle_length_days - 1e-9), 0)

    def with_time_on_treatment_scaled(self, multiplier: float) -> RegimenSchedule:
        """Median time on treatment × multiplier; a fixed course is unchanged."""
        if multiplier == 1.0 or (self.is_fixed_course and all(m is None for _, m in self.preceding_phases)):
            return self
        return replace(
            self,
            median_time_on_treatment_days=None if self.is_fixed_course else self.median_time_on_treatment_days * multiplier,
            preceding_phases=tuple((days, None if m is None else m * multiplier) for days, m in self.preceding_phases),
        )

    def cycle_probabilities(self, n_cycles: int | None = None) -> np.ndarray:
        """p_k for k = 0 .. (n_cycles or cap or negligible tail) − 1 (× the chance of reaching this phase)."""
        return self.reach * self._cycle_probabilities_in_phase(n_cycles)

    def _cycle_probabilities_in_phase(self, n_cycles: int | None = None) -> np.ndarray:
        cap = self.cycle_cap
        if self.is_fixed_course:
            count = cap if n_cycles is None else min(cap, n_cycles)
            return np.ones(count)
        decay_per_cycle = math.log(2) * self.cycle_length_days / self.median_time_on_treatment_days
        if n_cycles is None:
            n_cycles = cap if cap is not None else math.ceil(-math.log(_NEGLIGIBLE_PROBABILITY) / decay_per_cycle) + 1
        elif cap is not None:
            n_cycles = min(n_cycles, cap)
        return np.exp(-decay_per_cycle * np.arange(n_cycles))

    @property
    def expected_cycles(self) -> float:
        """Σ p_k: expected cycles per patient [cycles/patient]."""
        if not self.is_fixed_course and self.cycle_cap is None:
            ratio = math.exp(-math.log(2) * self.cycle_length_days / self.median_time_on_treatment_days)
            return self.reach / (1.0 - ratio)
        return float(self.cycle_probabilities().sum())

    @property
    def expected_chair_attendances(self) -> float:
        """Expected day-unit attendances per patient [attendances/patient]."""
        return self.expected_cycles * len(self.chair_attendance_days)

    @property
    def mean_days_on_treatment(self) -> float:
        """From the first attendance to the end of the last cycle received [days] (of this phase,
        averaged over everyone who starts the regimen)."""
        return self.expected_cycles * self.cycle_length_days

    @property
    def days_at_risk(self) -> float:
        """Days from this phase's start to its last possible cycle's end: cap × L [days] (infinite
        without a cap). A later phase follows at this day plus its gap."""
        cap = self.cycle_cap
        return math.inf if cap is None else cap * self.cycle_length_days

    def kernels(self, n_weeks: int) -> ScheduleKernels:
        """Weekly kernels over ``n_weeks`` weeks after a start (longer courses are cut)."""
        return _build_kernels(self, n_weeks)


@dataclass(frozen=True, eq=False)
class ScheduleKernels:
    """Expected counts per patient in week w after the patient starts (w = 0 .. n−1).

    Attributes (all read-only arrays of length ``n_weeks``)
    ----------
    starts : 1 in week 0 [patients].
    on_treatment : probability the patient is on treatment in week w [patients]:
        from the first attendance to the end of the last cycle received.
    attendances_first_cycle : chair attendances during cycle 0 [attendances].
    attendances_later_cycles : chair attendances during cycles 1, 2, ... [attendances].
    cycles : cycles starting in week w [cycles] (verification, clinic, drug, oral dispensing).
    first_attendances_of_cycle : the first chair attendance of each cycle [attendances]
        (delivery HRG SB12Z–SB14Z); the rest are subsequent elements (SB15Z).
    """

    n_weeks: int
    starts: np.ndarray = field(repr=False)
    on_treatment: np.ndarray = field(repr=False)
    attendances_first_cycle: np.ndarray = field(repr=False)
    attendances_later_cycles: np.ndarray = field(repr=False)
    cycles: np.ndarray = field(repr=False)
    first_attendances_of_cycle: np.ndarray = field(repr=False)

    @property
    def attendances(self) -> np.ndarray:
        return self.attendances_first_cycle + self.attendances_later_cycles

    def as_matrix(self) -> np.ndarray:
        """Rows in the order of :data:`KERNEL_ROWS` [n_rows, n_weeks]."""
        return np.stack([getattr(self, name) for name in KERNEL_ROWS])


KERNEL_ROWS = (
    "starts",
    "on_treatment",
    "attendances_first_cycle",
    "attendances_later_cycles",
    "cycles",
    "first_attendances_of_cycle",
)


def _build_kernels(schedule: RegimenSchedule, n_weeks: int) -> ScheduleKernels:
    length = schedule.cycle_length_days
    offset = schedule.offset_days
    # Cycles that can start inside the window: offset + k × L < 7 × n_weeks.
    n_cycles_in_window = max(-(-(7 * n_weeks - offset) // length), 0)
    probabilities = schedule.cycle_probabilities(n_cycles_in_window)
    cycle_start_days = offset + np.arange(probabilities.size) * length

    def weekly_counts(days: np.ndarray, weights: np.ndarray) -> np.ndarray:
        weeks = days // 7
        inside = weeks < n_weeks
        return np.bincount(weeks[inside], weights=weights[inside], minlength=n_weeks)

    starts = np.zeros(n_weeks)
    starts[0] = 1.0 if offset == 0 else 0.0  # a later phase starts nobody new

    cycles = weekly_counts(cycle_start_days, probabilities)

    # On treatment in week w if the patient received the cycle running on the week's Monday
    # (p_k falls with k, so any cycle starting later in the week implies that one).
    monday_days = 7 * np.arange(n_weeks) - offset
    cycle_on_monday = np.floor_divide(monday_days, length)
    on_treatment = np.zeros(n_weeks)
    covered = (monday_days >= 0) & (cycle_on_monday < probabilities.size)
    on_treatment[covered] = probabilities[cycle_on_monday[covered]]

    days = schedule.chair_attendance_days
    first_cycle = np.zeros(n_weeks)
    later_cycles = np.zeros(n_weeks)
    first_of_cycle = np.zeros(n_weeks)
    if days and probabilities.size:
        offsets = np.asarray(days) - 1
        attendance_days = cycle_start_days[:, None] + offsets[None, :]
        weights = np.broadcast_to(probabilities[:, None], attendance_days.shape)
        first_cycle = weekly_counts(attendance_days[0], weights[0])
        later_cycles = weekly_counts(attendance_days[1:].ravel(), weights[1:].ravel())
        first_of_cycle = weekly_counts(attendance_days[:, 0], weights[:, 0])

    arrays = dict(
        starts=starts,
        on_treatment=on_treatment,
        attendances_first_cycle=first_cycle,
        attendances_later_cycles=later_cycles,
        cycles=cycles,
        first_attendances_of_cycle=first_of_cycle,
    )
    for array in arrays.values():
        array.setflags(write=False)
    return ScheduleKernels(n_weeks=n_weeks, **arrays)
