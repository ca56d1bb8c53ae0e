"""Checks on the model's stored inputs before it runs: which appraisals cannot be modelled, and why.

Every stored figure an appraisal's impact depends on (its own figures, its uptake and funnel, the
regimens it brings in or displaces, their components, the packs and prices of their drugs, trusts' own
figures for it) is checked against its clinical bound (`bounds.BOUNDS`). An appraisal with a figure out
of bounds is left out of the run (`impact_service.pipeline_impact`) with a plain-English reason and a
link to the field that needs fixing; the rest of the pipeline is modelled as usual.

A figure gets out of bounds only past the forms (an old row, a direct database edit, an import from
before a bound existed): the forms, the importer and the seed loader refuse such figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from . import models as m
from .bounds import row_problems


@dataclass(frozen=True)
class LeftOut:
    """An appraisal the model could not run, why (in words a user reads), and where to fix it.

    `fix_endpoint` and `fix_values` build the link with `url_for`; `fix_anchor` is the field's id.
    """

    appraisal_id: int
    title: str
    problem: str
    fix_text: str = ""
    fix_endpoint: str | None = None
    fix_values: tuple[tuple[str, Any], ...] = ()
    fix_anchor: str = ""

    @property
    def fix_arguments(self) -> dict[str, Any]:
        return dict(self.fix_values)


class AppraisalLeftOut(Exception):
    """Raised by code asked for the figures of an appraisal the model left out; the app shows why (200)."""

    def __init__(self, left_out: LeftOut):
        super().__init__(left_out.problem)
        self.left_out = left_out


@dataclass(frozen=True)
class _Fix:
    problem: str
    fix_text: str
    endpoint: str
    values: tuple[tuple[str, Any], ...]
    anchor: str


def unmodellable(session: Session, *, confidential: bool = True) -> dict[int, LeftOut]:
    """Appraisals whose stored inputs are out of bounds, by id: the first problem found for each.

    `confidential`: whether confidential prices take part (they replace list prices for some users).
    """
    drugs = {d.id: d for d in session.exec(select(m.Drug))}
    pack_fixes: dict[int, list[_Fix]] = {}  # by drug id
    packs = list(session.exec(select(m.DrugPack)))
    pack_drug = {p.id: p.drug_id for p in packs}
    for pack in packs:
        for column, message in row_problems(pack):
            pack_fixes.setdefault(pack.drug_id, []).append(_Fix(
                f"{drugs[pack.drug_id].name}, pack '{pack.description}': {message}", "Change the pack",
                "regimens.pack_edit", (("pack_id", pack.id),), column))
    if confidential:
        for price in session.exec(select(m.ConfidentialPrice)):
            for column, message in row_problems(price):
                drug_id = pack_drug.get(price.drug_pack_id)
                pack_fixes.setdefault(drug_id, []).append(_Fix(
                    f"{drugs[drug_id].name}, a confidential price: {message}", "Change the confidential price",
                    "regimens.confidential_price", (("pack_id", price.drug_pack_id),), column))

    regimen_fixes: dict[int, list[_Fix]] = {}
    regimens = {r.id: r for r in session.exec(select(m.Regimen))}
    for regimen in regimens.values():
        for column, message in row_problems(regimen):
            regimen_fixes.setdefault(regimen.id, []).append(_Fix(
                f"Regimen '{regimen.name}': {message}", "Change the regimen", "regimens.edit",
                (("regimen_id", regimen.id),), column))
    components: dict[int, list[m.RegimenComponent]] = {}
    for component in session.exec(select(m.RegimenComponent).order_by(m.RegimenComponent.position, m.RegimenComponent.id)):
        components.setdefault(component.regimen_id, []).append(component)
    for regimen_id, rows in components.items():
        name = regimens[regimen_id].name if regimen_id in regimens else "?"
        for index, component in enumerate(rows):
            for column, message in row_problems(component):
                regimen_fixes.setdefault(regimen_id, []).append(_Fix(
                    f"Regimen '{name}', {drugs[component.drug_id].name}: {message}", "Change the regimen",
                    "regimens.edit", (("regimen_id", regimen_id),), f"components-{index}-{column}"))
            regimen_fixes.setdefault(regimen_id, []).extend(pack_fixes.get(component.drug_id, []))

    trusts = {t.id: t for t in session.exec(select(m.Trust))}
    for local in session.exec(select(m.TrustRegimenOverride)):
        for column, message in row_problems(local):
            regimen_fixes.setdefault(local.regimen_id, []).append(_Fix(
                f"{trusts[local.trust_id].name}'s own figures for regimen '{regimens[local.regimen_id].name}': {message}",
                "Change the trust's figures", "editing.regimen_override",
                (("ods_code", trusts[local.trust_id].ods_code), ("regimen_id", local.regimen_id)), column))

    appraisal_fixes: dict[int, list[_Fix]] = {}

    def appraisal_fix(appraisal_id: int, message: str, anchor: str) -> None:
        appraisal_fixes.setdefault(appraisal_id, []).append(_Fix(
            message, "Change the appraisal's assumptions", "editing.appraisal", (("appraisal_id", appraisal_id),), anchor))

    appraisals = list(session.exec(select(m.Appraisal).order_by(m.Appraisal.id)))
    for appraisal in appraisals:
        for column, message in row_problems(appraisal):
            appraisal_fix(appraisal.id, message, column)
    for uptake in session.exec(select(m.UptakeYear)):
        for _column, message in row_problems(uptake):
            appraisal_fix(uptake.appraisal_id, f"Uptake in year {uptake.year}: {message}", f"uptake_{uptake.year}")
    steps: dict[int, list[m.FunnelStep]] = {}
    for step in session.exec(select(m.FunnelStep).order_by(m.FunnelStep.position, m.FunnelStep.id)):
        steps.setdefault(step.appraisal_id, []).append(step)
    for appraisal_id, rows in steps.items():
        # the first step of a funnel is a count; in a branched funnel, the first step of each path is
        branched = any(step.path for step in rows)
        first_of_path = {}
        for step in rows:
            first_of_path.setdefault(step.path, step.id)
        for index, step in enumerate(rows):
            is_count = first_of_path[step.path] == step.id if branched and step.path else (not branched and index == 0)
            for _column, message in row_problems(step, first_step=is_count):
                appraisal_fix(appraisal_id, f"Funnel step '{step.name}': {message}", f"funnel_steps-{index}-value")
    links: dict[int, list[m.AppraisalRegimen]] = {}
    for link in session.exec(select(m.AppraisalRegimen).order_by(m.AppraisalRegimen.id)):
        links.setdefault(link.appraisal_id, []).append(link)
    for appraisal_id, rows in links.items():
        for index, link in enumerate(rows):
            for _column, message in row_problems(link):
                appraisal_fix(appraisal_id, f"Regimen '{regimens[link.regimen_id].name}': {message}", f"regimens-{index}-share_pct")
            appraisal_fixes.setdefault(appraisal_id, []).extend(regimen_fixes.get(link.regimen_id, []))
    for local in session.exec(select(m.TrustAppraisalOverride)):
        for column, message in row_problems(local):
            appraisal_fixes.setdefault(local.appraisal_id, []).append(_Fix(
                f"{trusts[local.trust_id].name}'s own patients a year: {message}", "Change the trust's figure",
                "editing.appraisal_override", (("ods_code", trusts[local.trust_id].ods_code), ("appraisal_id", local.appraisal_id)),
                column))

    out = {}
    for appraisal in appraisals:
        fixes = appraisal_fixes.get(appraisal.id)
        if fixes:
            first = fixes[0]
            out[appraisal.id] = LeftOut(appraisal.id, appraisal.title, first.problem, first.fix_text, first.endpoint,
                                        first.values, first.anchor)
    return out
