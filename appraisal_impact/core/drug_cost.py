"""Drug cost per administration and per cycle (domain guide §4.8).

Prices passed in are whatever the caller is allowed to see (list or confidential): this
module never decides confidentiality. List prices exclude VAT, as quoted in NICE TAs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from functools import reduce

VAT_RATE = 0.20  # on medicines supplied in hospital; off by default as in NICE templates
DEFAULT_WEIGHT_KG = 70.0  # [estimate]
DEFAULT_BODY_SURFACE_AREA_M2 = 1.8  # [estimate]
PATIENT_SIZE_SOURCE = "[estimate] planning default: 70 kg, 1.8 m² (replace with local figures)"


class DoseBasis(StrEnum):
    FLAT = "mg"
    PER_KG = "mg/kg"
    PER_M2 = "mg/m2"


class Wastage(StrEnum):
    WHOLE_VIAL = "whole vial"  # cheapest combination of whole packs covering the dose
    EXACT_MG = "exact mg"  # dose banding / vial sharing: pay per mg used


@dataclass(frozen=True)
class Pack:
    """One pack (vial) of a drug: ``size_mg`` [mg] at ``price`` [£] excluding VAT."""

    size_mg: float
    price: float

    @property
    def price_per_mg(self) -> float:
        return self.price / self.size_mg


@dataclass(frozen=True)
class PatientSize:
    """Weight [kg] and body surface area [m²] used for dosing, with their source."""

    weight_kg: float = DEFAULT_WEIGHT_KG
    body_surface_area_m2: float = DEFAULT_BODY_SURFACE_AREA_M2
    source: str = PATIENT_SIZE_SOURCE


@dataclass(frozen=True)
class Dose:
    """A dose as prescribed: ``amount`` in units of ``basis``, capped at ``max_mg`` [mg]."""

    amount: float
    basis: DoseBasis = DoseBasis.FLAT
    max_mg: float | None = None


@dataclass(frozen=True)
class PackCombination:
    """Whole packs bought for one dose: (pack, count) pairs, cost [£], mg supplied [mg]."""

    packs: tuple[tuple[Pack, int], ...]
    cost: float
    mg_supplied: float

    @property
    def pack_count(self) -> int:
        return sum(count for _, count in self.packs)


@dataclass(frozen=True)
class AdministrationCost:
    """Cost of one administration.

    Attributes
    ----------
    dose_mg : dose given [mg] after any cap.
    cost : [£], including VAT if ``vat_included``.
    wastage : whole vial or exact mg.
    combination : packs bought (whole vial only).
    mg_wasted : mg supplied but not given [mg] (0 for exact mg).
    patient_size : weight and BSA used (stated so a reader sees them).
    vat_included : whether 20% VAT was added.
    """

    dose_mg: float
    cost: float
    wastage: Wastage
    combination: PackCombination | None
    mg_wasted: float
    patient_size: PatientSize
    vat_included: bool


def dose_mg(dose: Dose, patient: PatientSize = PatientSize()) -> float:
    """Dose per administration [mg]: flat, mg/kg × weight or mg/m² × BSA, then the cap."""
    basis = DoseBasis(dose.basis)
    if basis is DoseBasis.FLAT:
        amount = dose.amount
    elif basis is DoseBasis.PER_KG:
        amount = dose.amount * patient.weight_kg
    else:
        amount = dose.amount * patient.body_surface_area_m2
    return min(amount, dose.max_mg) if dose.max_mg is not None else amount


_MICROGRAMS_PER_MG = 1000


def cheapest_pack_combination(dose: float, packs: tuple[Pack, ...] | list[Pack]) -> PackCombination:
    """The cheapest combination of whole packs supplying at least ``dose`` [mg].

    An exact covering knapsack solved by dynamic programme over amounts in steps of the
    greatest common divisor of the pack sizes (in micrograms). Ties go to the fewer mg
    supplied, then the fewer packs.
    """
    if not packs:
        raise ValueError("no packs to choose from")
    if dose <= 0:
        return PackCombination((), 0.0, 0.0)
    sizes_ug = [round(pack.size_mg * _MICROGRAMS_PER_MG) for pack in packs]
    if min(sizes_ug) <= 0:
        raise ValueError("pack sizes must be positive")
    step = reduce(math.gcd, sizes_ug)
    # Round the dose up to the next step: any combination covers whole steps anyway.
    target_steps = math.ceil(round(dose * _MICROGRAMS_PER_MG, 6) / step)
    steps_per_pack = [size // step for size in sizes_ug]
    if target_steps > 2_000_000:
        raise ValueError("pack sizes too fine for this dose; round the pack sizes")

    # best[c] = (cost, steps supplied, packs, last pack index) to cover at least c steps.
    best: list[tuple[float, int, int, int]] = [(0.0, 0, 0, -1)]
    for covered in range(1, target_steps + 1):
        candidates = []
        for index, (pack, pack_steps) in enumerate(zip(packs, steps_per_pack)):
            rest_cost, rest_steps, rest_packs, _ = best[max(0, covered - pack_steps)]
            candidates.append((rest_cost + pack.price, rest_steps + pack_steps, rest_packs + 1, index))
        best.append(min(candidates))

    counts = [0] * len(packs)
    covered = target_steps
    while covered > 0:
        index = best[covered][3]
        counts[index] += 1
        covered = max(0, covered - steps_per_pack[index])
    chosen = tuple((pack, count) for pack, count in zip(packs, counts) if count)
    cost = sum(pack.price * count for pack, count in chosen)
    supplied = sum(pack.size_mg * count for pack, count in chosen)
    return PackCombination(chosen, cost, supplied)


def administration_cost(
    dose: Dose,
    packs: tuple[Pack, ...] | list[Pack],
    *,
    patient: PatientSize = PatientSize(),
    wastage: Wastage | str = Wastage.WHOLE_VIAL,
    include_vat: bool = False,
) -> AdministrationCost:
    """Cost of one administration [£] with whole-vial wastage or exact mg, optional VAT."""
    wastage = Wastage(wastage)
    given = dose_mg(dose, patient)
    if wastage is Wastage.WHOLE_VIAL:
        combination = cheapest_pack_combination(given, packs)
        cost, wasted = combination.cost, combination.mg_supplied - given
    else:
        combination = None
        cost, wasted = min(pack.price_per_mg for pack in packs) * given, 0.0
    if include_vat:
        cost *= 1 + VAT_RATE
    return AdministrationCost(given, cost, wastage, combination, wasted, patient, include_vat)


@dataclass(frozen=True)
class OralPack:
    """An oral pack: ``units`` tablets/capsules at ``price`` [£] excluding VAT."""

    units: int
    price: float


def oral_cost_per_cycle(
    pack: OralPack,
    *,
    units_per_day: float,
    cycle_length_days: int,
    include_vat: bool = False,
) -> float:
    """Oral drug cost per cycle [£], pro rata by tablets taken (as NICE templates do).

    Osimertinib 80 mg daily, 30 tablets £5,770, 28-day cycle: 28/30 × £5,770 = £5,385.33.
    VAT is off by default: oral medicines dispensed in outpatients or homecare carry none.
    """
    cost = cycle_length_days * units_per_day / pack.units * pack.price
    return cost * (1 + VAT_RATE) if include_vat else cost
