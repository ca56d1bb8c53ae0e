"""A figure people read: a number with its unit and kind, or "not yet known" with the reason why.

Never 0 for unknown: a figure the model cannot work out (no start date, no price, no treatment, no
capacity entered) has ``value is None`` and a ``reason`` in words a user reads.

Formatting rules (one place, used by pages, files, the API and the command line):

- patients: whole people at 10 or more, one decimal place below 10 ("4.6", "12", "1,204");
- hours, appointments, attendances a week: one decimal place below 100, whole above ("3.4", "1,700");
- chairs: one decimal place ("0.4 chairs");
- money: to £1 ("£12,345") or, where a table needs it short, to £1,000 ("£12k"; one decimal below
  £10k: "£1.2k");
- never "-0" or "-0.0": a figure that rounds to zero is shown without a sign.

Totals (:func:`total`) add the unrounded parts; a total with some parts not yet known keeps the sum
of the known parts and says how many are missing ("2 of 6 not yet known"); a total whose every part
is unknown is itself not yet known. :func:`rounding_note` says when the rounded parts do not add
up to the rounded total.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum


class Kind(StrEnum):
    """How a figure is rounded and written."""

    PATIENTS = "patients"
    RATE = "rate"  # hours, appointments, attendances, items a week
    CHAIRS = "chairs"
    MONEY = "money"
    PERCENT = "percent"


NOT_YET_KNOWN = "not yet known"


@dataclass(frozen=True)
class Figure:
    """One figure.

    Attributes
    ----------
    value : the unrounded number in ``unit``, or None when not yet known.
    unit : what it counts, in words ("patients", "chair-hours a week", "£").
    kind : how it is rounded and written (:class:`Kind`).
    reason : why it is not yet known (empty when known); for a total with some parts unknown,
        why those parts are unknown.
    part_names, missing : for a total, the parts it adds (appraisal keys, trust codes) and those not
        yet known (the value is the sum of the others); ``part_noun`` names them ("appraisals").
    """

    value: float | None
    unit: str
    kind: Kind = Kind.RATE
    reason: str = ""
    part_names: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    part_noun: str = ""

    @classmethod
    def unknown(cls, reason: str, unit: str, kind: Kind = Kind.RATE) -> Figure:
        return cls(None, unit, kind, reason or NOT_YET_KNOWN)

    @property
    def parts(self) -> int:
        """How many parts a total adds (1 for a plain figure)."""
        return len(self.part_names) or 1

    @property
    def unknown_parts(self) -> int:
        """How many of a total's parts are not yet known (the value is the sum of the others)."""
        return len(self.missing)

    @classmethod
    def of(cls, value: float | None, unit: str, kind: Kind = Kind.RATE, reason: str = "") -> Figure:
        """A figure from a number; None or NaN is not yet known (with ``reason``)."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return cls.unknown(reason, unit, kind)
        return cls(float(value), unit, kind)

    @property
    def is_known(self) -> bool:
        return self.value is not None

    @property
    def is_partial(self) -> bool:
        """A total with some (not all) parts not yet known."""
        return self.is_known and self.unknown_parts > 0

    def scaled(self, factor: float, unit: str | None = None, kind: Kind | None = None) -> Figure:
        return replace(self, value=None if self.value is None else self.value * factor,
                       unit=unit or self.unit, kind=kind or self.kind)

    # --- precision and words

    @property
    def places(self) -> int:
        """Decimal places this figure is shown with (its stated precision)."""
        return places_for(self.value, self.kind)

    def rounded(self, money: str = "pounds") -> float | None:
        """The value at the precision it is shown with (None when not yet known)."""
        if self.value is None:
            return None
        if self.kind is Kind.MONEY and money == "thousands":
            return _no_negative_zero(round(self.value / 1000, _thousand_places(self.value))) * 1000
        return _no_negative_zero(round(self.value, self.places))

    def text(self, money: str = "pounds", *, with_unit: bool = False) -> str:
        """The figure as written on a page: "4.6", "1,204", "£12,345", "£12k" or "not yet known"."""
        if self.value is None:
            return NOT_YET_KNOWN
        written = format_value(self.value, self.kind, money)
        if with_unit and self.kind not in (Kind.MONEY, Kind.PERCENT) and self.unit:
            written = f"{written} {self.unit}"
        return written

    @property
    def note(self) -> str:
        """What a reader must know beside the number: the reason it is not yet known, or how many
        parts of a total are missing ("2 of 6 not yet known: start date not yet known")."""
        if self.value is None:
            return self.reason
        if self.unknown_parts:
            noun = f" {self.part_noun}" if self.part_noun else ""
            return f"{self.unknown_parts} of {self.parts}{noun} not yet known" + (f": {self.reason}" if self.reason else "")
        return ""

    def as_json(self, places: int | None = None) -> float | None:
        """The value for JSON: rounded to ``places`` (default 2; money to £1), None when unknown."""
        if self.value is None:
            return None
        if places is None:
            places = 0 if self.kind is Kind.MONEY else 2
        return _no_negative_zero(round(self.value, places))

    def __str__(self) -> str:
        return self.text()


def _no_negative_zero(value: float) -> float:
    return 0.0 if value == 0 else value


def places_for(value: float | None, kind: Kind) -> int:
    """Decimal places for a value of this kind (see the module docstring)."""
    if value is None:
        return 0
    if kind is Kind.PATIENTS:
        return 0 if abs(value) >= 9.95 else 1
    if kind is Kind.CHAIRS:
        return 1
    if kind is Kind.MONEY:
        return 0
    if kind is Kind.PERCENT:
        return 0 if abs(value) >= 10 else 1
    return 0 if abs(value) >= 99.95 else 1


def _thousand_places(value: float) -> int:
    return 0 if abs(value) >= 9950 else 1


def format_value(value: float, kind: Kind, money: str = "pounds") -> str:
    """A number written by the rules above, with no "-0"."""
    if kind is Kind.MONEY:
        if money == "thousands":
            places = _thousand_places(value)
            amount = _no_negative_zero(round(value / 1000, places))
            return f"{'-' if amount < 0 else ''}£{abs(amount):,.{places}f}k"
        amount = _no_negative_zero(round(value))
        return f"{'-' if amount < 0 else ''}£{abs(amount):,.0f}"
    places = places_for(value, kind)
    amount = _no_negative_zero(round(value, places))
    text = f"{amount:,.{places}f}"
    return f"{text}%" if kind is Kind.PERCENT else text


def number_text(value: float | None, kind: Kind | str = Kind.RATE, money: str = "pounds") -> str:
    """A bare number by the same rules (for figures built outside a set, e.g. a chart's description)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return NOT_YET_KNOWN
    return format_value(float(value), Kind(kind), money)


def total(parts: Iterable[Figure], *, unit: str | None = None, kind: Kind | None = None,
          names: Iterable[str] | None = None, noun: str | None = None,
          empty_reason: str = "nothing to add up") -> Figure:
    """The sum of unrounded parts; unknown parts are counted (and their reasons kept), not taken as 0.

    ``names`` names the parts at this level (e.g. appraisal keys: "1 of 8 appraisals not yet known",
    where a part partly unknown counts as unknown); without them a total of totals counts the parts'
    own parts (trusts' pipeline totals add up to "1 of 8 appraisals"). Every part unknown → not yet
    known (with the parts' reason); no parts at all → not yet known with ``empty_reason``.
    """
    parts = list(parts)
    if not parts:
        return Figure.unknown(empty_reason, unit or "", kind or Kind.RATE)
    unit = unit if unit is not None else parts[0].unit
    kind = kind if kind is not None else parts[0].kind
    universe: dict[str, None] = {}
    missing: dict[str, None] = {}
    if names is not None:
        for name, part in zip(list(names), parts):
            universe[name] = None
            if part.value is None or part.missing:
                missing[name] = None
    else:
        for index, part in enumerate(parts):
            own = part.part_names or (f"#{index}",)
            universe.update(dict.fromkeys(own))
            if part.value is None:
                missing.update(dict.fromkeys(own))
            else:
                missing.update(dict.fromkeys(part.missing))
    noun = noun if noun is not None else next((p.part_noun for p in parts if p.part_noun), "")
    reason = "; ".join(_unique(p.reason for p in parts if p.reason and (p.value is None or p.missing)))
    known = [p.value for p in parts if p.value is not None]
    if not known:
        return Figure(None, unit, kind, reason or NOT_YET_KNOWN, tuple(universe), tuple(universe), noun)
    return Figure(math.fsum(known), unit, kind, reason, tuple(universe), tuple(missing), noun)


def share_of(part: Figure, whole: Figure) -> Figure:
    """``part`` as a percentage of ``whole`` [%]; not yet known when either is, or the whole is not above 0."""
    if part.value is None or whole.value is None or whole.value <= 0:
        return Figure.unknown(part.reason or whole.reason or "nothing to compare with", "%", Kind.PERCENT)
    return Figure(part.value / whole.value * 100, "%", Kind.PERCENT)


def rounding_note(parts: Iterable[Figure], whole: Figure, money: str = "pounds") -> str:
    """"Rounded figures may not add up to the total, which is worked out before rounding." when the
    parts as shown do not add up to the total as shown; else ""."""
    shown = [p.rounded(money) for p in parts]
    if whole.value is None:
        return ""
    shown_sum = math.fsum(v for v in shown if v is not None)
    whole_shown = whole.rounded(money)
    tolerance = 10 ** -(whole.places + 3) if not (whole.kind is Kind.MONEY and money == "thousands") else 1e-6
    if abs(shown_sum - whole_shown) > tolerance:
        return ROUNDING_NOTE
    return ""


ROUNDING_NOTE = "Figures are rounded after adding up, so the rows may not add up exactly to the total."


def _unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)
