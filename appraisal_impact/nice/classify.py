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

More exclusions (from 604 real TA titles, NICE's feed of all projects): "oral mucositis" and "hearing
loss" in people having (cisplatin) chemotherapy; bone-targeted agents (denosumab, zoledronic acid,
"bone loss"); prevention ("Prostate cancer (prevention) - dutasteride", "reducing the risk of … cancer");
"tumour-induced osteomalacia". "non-malignant" is masked like TNF, so it never reads as "malignant".
Terms added the same way: "Mastocytosis (systemic)" (NICE's older word order), post-transplant
lymphoproliferative disorder, and conditioning "in haematological diseases".

Radiotherapy (intensity-modulated radiotherapy, NBTXR-3) is cancer but not SACT: such a title is
``is_cancer`` and not ``is_sact``, and the reason says so. A drug given *with* radiotherapy is SACT.

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
    ("systemic mastocytosis", r"systemic mastocytosis|mastocytosis \(systemic\)"),
    ("post-transplant lymphoproliferative disorder", r"(?:post-transplant )?lymphoproliferative disorders?"),
    # Conditioning chemotherapy before a stem cell transplant for blood cancers ("… in haematological
    # diseases"); "non-malignant" diseases are masked first, so they do not reach this term.
    ("haematological malignancy", r"haematological (?:diseases?|malignancies|malignancy|disorders?)"),
    ("macroglobulinaemia", r"macroglobulina?emia|waldenstr[öo]m'?s?"),
    ("AL amyloidosis", r"(?:AL|light[- ]chain) amyloidosis"),
)

_EXCLUSIONS: tuple[tuple[str, str], ...] = (
    ("cancer pain", r"cancer[- ]pain"),
    ("cancer-related fatigue", r"cancer[- ]related fatigue"),
    ("cancer cachexia", r"cancer cachexia|cachexia"),
    ("chemotherapy-induced side effect", r"chemotherapy[- ]induced"),
    # "in people having chemotherapy", "… and having cisplatin chemotherapy" (but not "having had chemotherapy",
    # which describes the population of a SACT appraisal).
    ("supportive care during chemotherapy", r"(?:having|receiving|undergoing) (?!had\b)(?:[\w-]+ ){0,2}chemotherapy"),
    ("tumour lysis syndrome", r"tumou?r lysis"),
    ("hypercalcaemia of malignancy", r"hypercalca?emia of malignancy"),
    ("skeletal-related events", r"skeletal[- ]related events?"),
    ("malignant pleural effusion", r"malignant pleural effusions?"),
    ("oral mucositis", r"(?:oral )?mucositis"),
    ("hearing loss from chemotherapy", r"hearing loss|ototoxicity"),
    ("tumour-induced osteomalacia", r"tumou?r[- ]induced osteomalacia"),
    ("bone-targeted agent", r"denosumab|zoledronic acid|bisphosphonates?|bone loss"),
    ("prevention", r"\(prevention\)|(?:preventing|prevention of|reducing the risk of) (?:[\w-]+ ){0,3}(?:cancer|tumou?rs?)"),
)

# Phrases that contain a term but do not mean cancer; removed before terms are matched.
_MASKED = re.compile(r"\btumou?r necrosis factor\b|\bnon-?\s?malignan(?:t|cy|cies)\b", re.IGNORECASE)

# Cancer treatments that are not SACT: the appraised technology itself is radiotherapy (or a product
# activated by it). "Nivolumab with radiotherapy for glioblastoma" is SACT: the technology is nivolumab.
_NOT_SACT_TECHNOLOGY = re.compile(
    r"^(?:intensity[- ]modulated radiotherapy|(?:stereotactic |proton beam |selective internal )?radiotherapy|"
    r"radiation therapy|IMRT|SABR|brachytherapy|NBTXR-?3|hafnium oxide nanoparticles)\b",
    re.IGNORECASE,
)


def appraised_technology(title: str) -> str:
    """The technology a TA title names: before " for " ("NBTXR-3 for treating …"), or after " - " in
    older titles ("Prostate cancer - intensity modulated radiotherapy [ID17]")."""
    cleaned = re.sub(r"\s*[\[(]\s*(?:ID\s*)?\d+\s*[\])]\s*$|\s+ID\s*\d+\s*$", "", " ".join(title.split()))
    if " - " in cleaned:
        return cleaned.rsplit(" - ", 1)[1].strip()
    return re.split(r"\s+for\s+", cleaned, maxsplit=1, flags=re.IGNORECASE)[0].strip()


def _compile(rules: tuple[tuple[str, str], ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    # (?<!\w)…(?!\w) rather than \b…\b, so patterns may begin or end with a bracket: "(prevention)".
    return tuple((name, re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)) for name, pattern in rules)


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
    # Set when the title is about cancer but the technology is not SACT (radiotherapy): not for the pipeline.
    not_sact: str | None = None

    @property
    def is_sact(self) -> bool:
        """A candidate for the SACT pipeline: about cancer, and the technology is not radiotherapy."""
        return self.is_cancer and self.not_sact is None


def classify_title(title: str) -> CancerClassification:
    """Classify one appraisal title (see the module docstring for the terms and exclusions)."""
    for name, pattern in _EXCLUSION_PATTERNS:
        if match := pattern.search(title):
            return CancerClassification(
                is_cancer=False,
                rule=name,
                matched=match[0],
                reason=f"excluded: '{match[0]}' ({name}) is not a SACT regimen for cancer",
            )
    searchable = _MASKED.sub(" ", title)
    for name, pattern in _TERM_PATTERNS:
        if match := pattern.search(searchable):
            technology = appraised_technology(title)
            if radiotherapy := _NOT_SACT_TECHNOLOGY.search(technology):
                return CancerClassification(
                    is_cancer=True, rule=name, matched=match[0],
                    reason=(f"title names '{match[0]}' ({name}), but the technology, '{radiotherapy[0]}', is "
                            "radiotherapy: cancer, not SACT"),
                    not_sact="radiotherapy",
                )
            return CancerClassification(
                is_cancer=True, rule=name, matched=match[0], reason=f"title names '{match[0]}' ({name})"
            )
    masked = _MASKED.search(title)
    if masked is None:
        return CancerClassification(is_cancer=False, rule=None, matched=None, reason="no cancer term in the title")
    if masked[0].lower().startswith("non"):
        reason = f"'{masked[0]}' means not cancer; no other cancer term in the title"
        rule = "non-malignant"
    else:
        reason = f"'{masked[0]}' is a drug target, not a tumour; no cancer term in the title"
        rule = "tumour necrosis factor"
    return CancerClassification(is_cancer=False, rule=rule, matched=masked[0], reason=reason)
