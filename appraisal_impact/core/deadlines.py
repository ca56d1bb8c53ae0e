"""Funding deadlines and the effective start of an appraisal, from its milestones.

Every date comes back as a :class:`DatedRule`: the date (or ``None`` meaning "not yet
known" -- never a guessed date), the rule in plain English and its source, so that a
page can show the rule beside the date.

Rules (domain guide §3):

* statutory funding deadline: 3 calendar months from publication of final guidance
  (NICE PMG19); same day number 3 months later, clamped to the last day of that month;
* fast track appraisal: 30 days from publication;
* NHS England's "90 days from publication": a note, not the deadline;
* before publication: a *planned* deadline from the expected publication date;
* cancer interim funding: for a positive draft recommendation, funding starts at the
  later of marketing authorisation and positive draft guidance; this is the effective
  start, the date a trust may first be asked to treat; otherwise the effective start is
  the funding deadline;
* a user override (NHS England varying the period) replaces the deadline, with its reason;
* Wales: 2 months from first publication of final draft guidance (reference only).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

PMG19 = "NICE PMG19, 'varying the funding requirement'"
FAST_TRACK_SOURCE = "NICE PMG19: fast track appraisals funded within 30 days"
NHSE_90_DAYS = "NHS England: 90 days from publication"
INTERIM_FUNDING_SOURCE = "NICE TA implementation chapters (e.g. TA1023 §4): cancer interim funding"
WALES_SOURCE = "Welsh Government: 2 months from first publication of final draft guidance"


class Process(StrEnum):
    """NICE appraisal process."""

    SINGLE = "single technology appraisal"
    FAST_TRACK = "fast track"
    MULTIPLE = "multiple technology appraisal"
    CANCER_DRUGS_FUND_REVIEW = "cancer drugs fund review"


class Recommendation(StrEnum):
    """NICE types of recommendation (draft while in development, final once published)."""

    RECOMMENDED = "recommended"
    OPTIMISED = "optimised"
    MANAGED_ACCESS = "managed access"
    ONLY_IN_RESEARCH = "only in research"
    NOT_RECOMMENDED = "not recommended"
    TERMINATED = "terminated"


POSITIVE_RECOMMENDATIONS = frozenset(
    {Recommendation.RECOMMENDED, Recommendation.OPTIMISED, Recommendation.MANAGED_ACCESS}
)

_PROCESS_ALIASES = {
    "sta": Process.SINGLE,
    "single technology appraisal": Process.SINGLE,
    "fast track": Process.FAST_TRACK,
    "fast track appraisal": Process.FAST_TRACK,
    "fta": Process.FAST_TRACK,
    "mta": Process.MULTIPLE,
    "multiple technology appraisal": Process.MULTIPLE,
    "cancer drugs fund review": Process.CANCER_DRUGS_FUND_REVIEW,
    "cdf review": Process.CANCER_DRUGS_FUND_REVIEW,
}

_RECOMMENDATION_ALIASES = {
    "recommended": Recommendation.RECOMMENDED,
    "optimised": Recommendation.OPTIMISED,
    "optimized": Recommendation.OPTIMISED,
    "managed access": Recommendation.MANAGED_ACCESS,
    "recommended for use with managed access": Recommendation.MANAGED_ACCESS,
    "cancer drugs fund": Recommendation.MANAGED_ACCESS,
    "recommended for use within the cancer drugs fund": Recommendation.MANAGED_ACCESS,
    "only in research": Recommendation.ONLY_IN_RESEARCH,
    "not recommended": Recommendation.NOT_RECOMMENDED,
    "terminated": Recommendation.TERMINATED,
    "terminated appraisal": Recommendation.TERMINATED,
}


def parse_process(value: str | Process) -> Process:
    """Read a process name as NICE or a user writes it (case and spacing ignored)."""
    key = " ".join(str(value).lower().replace("-", " ").split())
    try:
        return _PROCESS_ALIASES[key]
    except KeyError:
        raise ValueError(f"unknown appraisal process: {value!r}") from None


def parse_recommendation(value: str | Recommendation | None) -> Recommendation | None:
    """Read a recommendation type; ``None`` or "" means none yet (in development)."""
    if value is None or not str(value).strip():
        return None
    key = " ".join(str(value).lower().replace("-", " ").split())
    try:
        return _RECOMMENDATION_ALIASES[key]
    except KeyError:
        raise ValueError(f"unknown recommendation: {value!r}") from None


@dataclass(frozen=True)
class DatedRule:
    """A date with the rule that gives it and the rule's source.

    ``date is None`` means "not yet known"; the rule then says why.
    """

    date: date | None
    rule: str
    source: str

    @property
    def is_known(self) -> bool:
        return self.date is not None


@dataclass(frozen=True)
class Milestones:
    """Dates of an appraisal; ``None`` means unknown or "TBC"."""

    draft_guidance: date | None = None
    final_draft_guidance: date | None = None
    expected_publication: date | None = None
    publication: date | None = None
    marketing_authorisation: date | None = None


@dataclass(frozen=True)
class DeadlineOverride:
    """A user-entered funding deadline, e.g. NHS England varying the period."""

    date: date
    reason: str
    entered_by: str = ""


@dataclass(frozen=True)
class Deadlines:
    """Deadlines of one appraisal.

    Attributes
    ----------
    funding_deadline : the deadline to plan to: the override if one is given, else the
        rule-based deadline (statutory once published, planned before).
    rule_based_deadline : the deadline the rules give, whether or not overridden.
    ninety_day_note : publication + 90 days (NHS England wording), a note only.
    effective_start : the date a trust may first be asked to treat.
    wales_note : final draft guidance + 2 months, reference only.
    is_planned : True while the deadline rests on the *expected* publication date.
    is_overridden : True when a user override replaced the deadline.
    has_funding_requirement : False for negative recommendations.
    """

    funding_deadline: DatedRule
    rule_based_deadline: DatedRule
    ninety_day_note: DatedRule
    effective_start: DatedRule
    wales_note: DatedRule
    is_planned: bool
    is_overridden: bool
    has_funding_requirement: bool


def add_calendar_months(start: date, months: int) -> date:
    """Same day number ``months`` later, clamped to the last day of that month.

    31 Jan 2025 + 3 → 30 Apr 2025; 30 Nov 2023 + 3 → 29 Feb 2024.
    """
    month_index = start.month - 1 + months
    year = start.year + month_index // 12
    month = month_index % 12 + 1
    last_day = calendar.monthrange(year, month)[1]
    return date(year, month, min(start.day, last_day))


def _format(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def compute_deadlines(
    milestones: Milestones,
    *,
    process: str | Process = Process.SINGLE,
    recommendation: str | Recommendation | None = None,
    is_cancer: bool = True,
    override: DeadlineOverride | None = None,
) -> Deadlines:
    """Deadlines and effective start of one appraisal (rules in the module docstring)."""
    process = parse_process(process)
    recommendation = parse_recommendation(recommendation)
    is_fast_track = process is Process.FAST_TRACK

    wales_note = (
        DatedRule(
            add_calendar_months(milestones.final_draft_guidance, 2),
            "2 months from first publication of final draft guidance (Wales, reference only)",
            WALES_SOURCE,
        )
        if milestones.final_draft_guidance
        else DatedRule(None, "not yet known: final draft guidance date not known", WALES_SOURCE)
    )

    if recommendation is not None and recommendation not in POSITIVE_RECOMMENDATIONS:
        no_requirement = DatedRule(
            None, f"no funding requirement: {recommendation.value}", PMG19
        )
        return Deadlines(
            funding_deadline=no_requirement,
            rule_based_deadline=no_requirement,
            ninety_day_note=DatedRule(None, f"no funding requirement: {recommendation.value}", NHSE_90_DAYS),
            effective_start=DatedRule(None, f"no funding requirement: {recommendation.value}", PMG19),
            wales_note=wales_note,
            is_planned=False,
            is_overridden=False,
            has_funding_requirement=False,
        )

    if milestones.publication is not None:
        publication, basis, is_planned = milestones.publication, "publication of final guidance", False
    elif milestones.expected_publication is not None:
        publication, basis, is_planned = (
            milestones.expected_publication,
            "expected publication of final guidance (planned: based on expected publication)",
            True,
        )
    else:
        publication, basis, is_planned = None, "", False

    if publication is None:
        rule_based = DatedRule(
            None, "not yet known: publication date not known (TBC)",
            FAST_TRACK_SOURCE if is_fast_track else PMG19,
        )
        ninety_days = DatedRule(None, "not yet known: publication date not known (TBC)", NHSE_90_DAYS)
    else:
        if is_fast_track:
            rule_based = DatedRule(
                publication + timedelta(days=30), f"30 days from {basis} (fast track)", FAST_TRACK_SOURCE
            )
        else:
            rule_based = DatedRule(
                add_calendar_months(publication, 3),
                f"3 calendar months from {basis} (NICE PMG19)",
                PMG19,
            )
        ninety_days = DatedRule(
            publication + timedelta(days=90),
            f"90 days from {basis} (NHS England wording; a note, the statutory date governs)",
            NHSE_90_DAYS,
        )

    if override is not None:
        replaced = (
            f"{rule_based.rule}: {_format(rule_based.date)}" if rule_based.date else rule_based.rule
        )
        funding_deadline = DatedRule(
            override.date,
            f"user override: {override.reason} (replaces {replaced})",
            f"user override{' by ' + override.entered_by if override.entered_by else ''}",
        )
    else:
        funding_deadline = rule_based

    effective_start = _effective_start(milestones, recommendation, is_cancer, funding_deadline)
    return Deadlines(
        funding_deadline=funding_deadline,
        rule_based_deadline=rule_based,
        ninety_day_note=ninety_days,
        effective_start=effective_start,
        wales_note=wales_note,
        is_planned=is_planned and override is None,
        is_overridden=override is not None,
        has_funding_requirement=True,
    )


def _effective_start(
    milestones: Milestones,
    recommendation: Recommendation | None,
    is_cancer: bool,
    funding_deadline: DatedRule,
) -> DatedRule:
    if is_cancer and recommendation in POSITIVE_RECOMMENDATIONS:
        authorisation, draft = milestones.marketing_authorisation, milestones.draft_guidance
        if authorisation is not None and draft is not None:
            later = max(authorisation, draft)
            which = "marketing authorisation" if authorisation >= draft else "positive draft guidance"
            return DatedRule(
                later,
                f"interim funding: later of marketing authorisation and positive draft guidance ({which})",
                INTERIM_FUNDING_SOURCE,
            )
        missing = " and ".join(
            name for name, value in (("marketing authorisation", authorisation), ("draft guidance", draft))
            if value is None
        )
        if funding_deadline.date is None:
            return DatedRule(
                None,
                f"not yet known: interim funding needs the {missing} date, and the funding deadline is not known",
                INTERIM_FUNDING_SOURCE,
            )
        return DatedRule(
            funding_deadline.date,
            f"funding deadline ({funding_deadline.rule}); interim funding start not known: {missing} date missing",
            funding_deadline.source,
        )
    if funding_deadline.date is None:
        # the deadline's own rule already says it is not yet known, and why
        return DatedRule(None, funding_deadline.rule, funding_deadline.source)
    return DatedRule(funding_deadline.date, f"funding deadline: {funding_deadline.rule}", funding_deadline.source)
