"""Is a NICE appraisal about cancer? Decided from its title, because NICE's lists have no cancer filter.

The answer is a candidate for the pipeline, not a final word: a person confirms it. So the rules
prefer to include a borderline title and always say why.

Terms (word-boundary matches, case-insensitive; "…" means any word stem may precede, so
"adenocarcinoma", "osteosarcoma", "neuroblastoma", "oligodendroglioma" match):

- cancer(s), …carcinoma, carcinoid, …sarcoma, …blastoma, …glioma, astrocytoma, ependymoma,
  mesothelioma, melanoma, myeloma, plasmacytoma, thymoma, seminoma, …lymphoma, Hodgkin,
  leukaemia / leukemia, mycosis fungoides, Sézary syndrome
- tumour / tumor(s) (solid, neuroendocrine, GIST, desmoid, tenosynovial giant cell: all treated
  by oncology services), neoplasm(s) / neoplasia, malignant / malignancy, metastatic / metastases
- myelodysplastic (syndromes), myelofibrosis, polycythaemia vera, essential thrombocythaemia,
  systemic mastocytosis, Waldenström's / macroglobulinaemia: myeloid and lymphoid neoplasms
  that haematology day units treat with SACT
- AL (light-chain) amyloidosis: not a cancer, but a plasma cell disorder treated with SACT
  regimens (daratumumab, bortezomib); other amyloidoses (transthyretin) do not match.

Exclusions, checked first, for titles about supportive care rather than a SACT regimen:
"cancer pain", "cancer-related fatigue", "cancer cachexia", "chemotherapy-induced …",
"… in people having chemotherapy", "tumour lysis syndrome", "hypercalcaemia of malignancy",
"skeletal-related events" (bone-targeted agents), "malignant pleural effusion".
"tumour necrosis factor" (TNF inhibitors for arthritis and bowel disease) is not a tumour: it is
masked before terms are matched, so "TNF inhibitors for … lymphoma" would still count.

Known gaps: benign tumours NICE names otherwise (plexiform neurofibromas), and titles that name
only a biomarker ("NTRK fusion-positive solid …" is caught by "tumours"; "HER2-positive …"
alone is not).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TERMS: tuple[tuple[str, str], ...] = (
    ("cancer", r"cancers?"),
    ("carcinoma", r"\w*carcinomas?"),
    ("carcinoid", r"carcinoids?"),
    ("sarcoma", r"\w*sarcomas?"),
    ("blastoma", r"\w*blastomas?"),
    ("glioma", r"\w*gliomas?"),
    ("astrocytoma", r"astrocytomas?"),
    ("ependymoma", r"ependymomas?"),
    ("mesothelioma", r"mesotheliomas?"),
    ("melanoma", r"melanomas?"),
    ("myeloma", r"myelomas?"),
    ("plasmacytoma", r"plasmacytomas?"),
    ("thymoma", r"thymomas?"),
    ("seminoma", r"seminomas?"),
    ("lymphoma", r"\w*lymphomas?"),
    ("Hodgkin", r"hodgkin'?s?"),
    ("leukaemia", r"leuka?emias?"),
    ("mycosis fungoides", r"mycosis fungoides"),
    ("Sézary syndrome", r"s[ée]zary"),
    ("tumour", r"tumou?rs?"),
    ("neoplasm", r"neoplasms?|neoplasia"),
    ("malignancy", r"malignan(?:t|cy|cies)"),
    ("metastatic", r"metasta(?:tic|ses|sis)"),
    ("myelodysplastic", r"myelodysplastic"),
    ("myelofibrosis", r"myelofibrosis"),
    ("polycythaemia vera", r"polycyth(?:a)?emia vera"),
    ("essential thrombocythaemia", r"essential thrombocyth(?:a)?emia"),
    ("systemic mastocytosis", r"systemic mastocytosis"),
    ("macroglobulinaemia", r"macroglobulina?emia|waldenstr[öo]m'?s?"),
    ("AL amyloidosis", r"(?:AL|light[- ]chain) amyloidosis"),
)

_EXCLUSIONS: tuple[tuple[str, str], ...] = (
    ("cancer pain", r"cancer[- ]pain"),
    ("cancer-related fatigue", r"cancer[- ]related fatigue"),
    ("cancer cachexia", r"cancer cachexia|cachexia"),
    ("chemotherapy-induced side effect", r"chemotherapy[- ]induced"),
    ("supportive care during chemotherapy", r"(?:people|adults|children) (?:having|receiving|undergoing) chemotherapy"),
    ("tumour lysis syndrome", r"tumou?r lysis"),
    ("hypercalcaemia of malignancy", r"hypercalca?emia of malignancy"),
    ("skeletal-related events", r"skeletal[- ]related events?"),
    ("malignant pleural effusion", r"malignant pleural effusions?"),
)

# Phrases that contain a term but do not mean cancer; removed before terms are matched.
_MASKED = re.compile(r"\btumou?r necrosis factor\b", re.IGNORECASE)


def _compile(rules: tuple[tuple[str, str], ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((name, re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE)) for name, pattern in rules)


_TERM_PATTERNS = _compile(_TERMS)
_EXCLUSION_PATTERNS = _compile(_EXCLUSIONS)


@dataclass(frozen=True)
class CancerClassification:
    """Whether a title is a cancer (SACT) appraisal, with the rule that decided it.

    ``rule`` is the term or exclusion name ("myeloma", "cancer pain"); ``matched`` the words
    found in the title; ``reason`` a sentence for the user.
    """

    is_cancer: bool
    rule: str | None
    matched: str | None
    reason: str


def classify_title(title: str) -> CancerClassification:
    """Classify one appraisal title (see the module docstring for the terms and exclusions)."""
    for name, pattern in _EXCLUSION_PATTERNS:
        if match := pattern.search(title):
            return CancerClassification(
                is_cancer=False,
                rule=name,
                matched=match[0],
                reason=f"excluded: '{match[0]}' is supportive care, not a SACT regimen ({name})",
            )
    searchable = _MASKED.sub(" ", title)
    for name, pattern in _TERM_PATTERNS:
        if match := pattern.search(searchable):
            return CancerClassification(
                is_cancer=True, rule=name, matched=match[0], reason=f"title names '{match[0]}' ({name})"
            )
    masked = _MASKED.search(title)
    return CancerClassification(
        is_cancer=False,
        rule="tumour necrosis factor" if masked else None,
        matched=masked[0] if masked else None,
        reason=(
            f"'{masked[0]}' is a drug target, not a tumour; no cancer term in the title"
            if masked
            else "no cancer term in the title"
        ),
    )
