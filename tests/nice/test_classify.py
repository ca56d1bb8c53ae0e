"""Cancer classification by title.

FIXTURE_TITLES are every title in ../shared/fixtures/nice, each answer decided by reading it.
WRITTEN_TITLES are realistic NICE appraisal titles written for these tests (not from the
fixtures) to cover the terms and exclusions the fixtures do not.
"""

import json

import pytest
from .nice_support import fixture_text

from appraisal_impact.nice.classify import classify_title
from appraisal_impact.nice.parse import parse_guidance_list, parse_indev_feed, parse_search_results

FIXTURE_TITLES = [
    # in-development list
    ("Adults with complex needs: social work interventions including assessment, care management and support", False, None),
    ("Advocacy services for adults with health and social care needs", False, None),
    ("Assessment, referral and management of Adrenal dysfunction", False, None),
    ("Asthma: diagnosis, monitoring and chronic asthma management", False, None),
    # A guideline, not a SACT appraisal, but its title is about cancer; the TA-only list filter keeps it out.
    ("Barrett's oesophagus: medical management, endoscopic treatment, follow up and stage 1 adenocarcinoma", True,
     "carcinoma"),
    ("Blepharitis: antimicrobial prescribing", False, None),
    ("Cardiovascular disease: risk assessment and reduction, including lipid modification", False, None),
    ("Conjunctivitis: antimicrobial prescribing", False, None),
    ("COVID-19 rapid guideline: managing the long-term effects of COVID-19 (update)", False, None),
    ("Depression in adults: treatment and management (update)", False, None),
    # published list
    ("COVID-19 rapid guideline: managing COVID-19", False, None),
    ("Chronic kidney disease: assessment and management", False, None),
    ("Babies, children and young people's experience of healthcare", False, None),
    ("Obstructive sleep apnoea/hypopnoea syndrome and obesity hypoventilation syndrome in over 16s", False, None),
    ("Antenatal care", False, None),
    ("Bronchiolitis in children: diagnosis and management", False, None),
    ("COVID-19 rapid guideline: vaccine-induced immune thrombocytopenia and thrombosis (VITT)", False, None),
    ("Clostridioides difficile infection: antimicrobial prescribing", False, None),
    # Transplant for blood cancers among others, but the title names no cancer: left for a person to add.
    ("COVID-19 rapid guideline: haematopoietic stem cell transplantation", False, None),
    # "terminated" mock (topic selection test data)
    ("DG11", False, None), ("DG-ID322", False, None), ("TAID330", False, None), ("TEST Project IP", False, None),
    ("Idam476Nov112021a", False, None), ("DG321", False, None), ("TA321-2", False, None), ("DG329", False, None),
    ("DG323", False, None), ("MTG323", False, None),
    # InDev project feeds
    ("Daratumumab with lenalidomide and dexamethasone for untreated multiple myeloma when stem cell transplant is "
     "unsuitable", True, "myeloma"),
    ("Lu vipivotide tetraxetan for treating PSMA-positive hormone-relapsed metastatic prostate cancer after 2 or "
     "more therapies", True, "cancer"),
    ("Adrenal insufficiency: acute and long-term management", False, None),
]

WRITTEN_TITLES = [
    ("Pembrolizumab for adjuvant treatment of resected non-small-cell lung cancer", True, "cancer"),
    ("Nivolumab for adjuvant treatment of completely resected melanoma", True, "melanoma"),
    ("Zanubrutinib for treating chronic lymphocytic leukaemia", True, "leukaemia"),
    ("Blinatumomab for Philadelphia-chromosome-negative acute lymphoblastic leukemia", True, "leukaemia"),
    ("Glofitamab for treating relapsed or refractory diffuse large B-cell lymphoma", True, "lymphoma"),
    ("Brentuximab vedotin for untreated advanced Hodgkin lymphoma", True, "lymphoma"),
    ("Lenvatinib for untreated advanced hepatocellular carcinoma", True, "carcinoma"),
    ("Trabectedin for advanced soft tissue sarcoma", True, "sarcoma"),
    ("Mifamurtide for treating osteosarcoma", True, "sarcoma"),
    ("Dinutuximab beta for treating neuroblastoma", True, "blastoma"),
    ("Vorasidenib for treating astrocytoma or oligodendroglioma with an IDH1 or IDH2 mutation", True, "glioma"),
    ("Nivolumab with ipilimumab for untreated unresectable malignant pleural mesothelioma", True, "mesothelioma"),
    ("Entrectinib for treating NTRK fusion-positive solid tumours", True, "tumour"),
    ("Lutetium (177Lu) oxodotreotide for treating unresectable or metastatic neuroendocrine tumours", True, "tumour"),
    ("Avapritinib for treating unresectable or metastatic gastrointestinal stromal tumors", True, "tumour"),
    ("Pemigatinib for treating relapsed or refractory myeloid or lymphoid neoplasms with FGFR1 rearrangement",
     True, "neoplasm"),
    ("Luspatercept for treating anaemia caused by myelodysplastic syndromes", True, "myelodysplastic"),
    ("Momelotinib for treating myelofibrosis-related splenomegaly or symptoms", True, "myelofibrosis"),
    ("Ropeginterferon alfa-2b for treating polycythaemia vera", True, "polycythaemia vera"),
    ("Zanubrutinib for treating Waldenström's macroglobulinaemia", True, "macroglobulinaemia"),
    ("Avapritinib for treating advanced systemic mastocytosis", True, "systemic mastocytosis"),
    ("Daratumumab in combination for untreated AL amyloidosis", True, "AL amyloidosis"),
    ("Mogamulizumab for previously treated mycosis fungoides and Sézary syndrome", True, "mycosis fungoides"),
    ("Tafamidis for treating transthyretin amyloidosis with cardiomyopathy", False, None),
    ("Denosumab for the prevention of skeletal-related events in adults with bone metastases from solid tumours",
     False, "skeletal-related events"),
    ("Netupitant and palonosetron for preventing chemotherapy-induced nausea and vomiting", False,
     "chemotherapy-induced side effect"),
    ("Pegfilgrastim for preventing neutropenia in people having chemotherapy for cancer", False,
     "supportive care during chemotherapy"),
    ("Naloxegol for opioid-induced constipation in cancer pain", False, "cancer pain"),
    ("Methylphenidate for cancer-related fatigue", False, "cancer-related fatigue"),
    ("Rasburicase for preventing tumour lysis syndrome", False, "tumour lysis syndrome"),
    ("Zoledronic acid for hypercalcaemia of malignancy", False, "hypercalcaemia of malignancy"),
    ("Tumour necrosis factor alpha inhibitors for ankylosing spondylitis", False, "tumour necrosis factor"),
    ("Adalimumab, a tumor necrosis factor inhibitor, for hidradenitis suppurativa", False, "tumour necrosis factor"),
    ("Dupilumab for treating moderate to severe atopic dermatitis", False, None),
    # Word boundaries: "precancerous" and "tumourigenic" are not the terms "cancer" and "tumour".
    ("Imiquimod for precancerous actinic keratosis", False, None),
    ("Tumourigenic risk of growth hormone in children", False, None),
]


@pytest.mark.parametrize(("title", "is_cancer", "rule"), FIXTURE_TITLES + WRITTEN_TITLES)
def test_classify_title(title, is_cancer, rule):
    result = classify_title(title)
    assert result.is_cancer is is_cancer, result.reason
    assert result.rule == rule
    if rule is None:
        assert result.reason == "no cancer term in the title"
    else:
        assert result.matched.lower() in title.lower()


def test_reason_names_the_term_or_exclusion():
    assert classify_title("Talquetamab for treating relapsed multiple myeloma").reason == "title names 'myeloma' (myeloma)"
    assert classify_title("Olanzapine for chemotherapy-induced nausea").reason == (
        "excluded: 'chemotherapy-induced' (chemotherapy-induced side effect) is not a SACT regimen for cancer"
    )


def test_fixture_title_table_covers_every_title_in_the_fixtures():
    titles = set()
    for name in ("search-api_guidance-indevelopment.json", "search-api_guidance-published.json",
                 "search-api_guidance-terminated.json"):
        titles |= {e.title for e in parse_search_results(fixture_text(name)).entries}
    for name in ("snapshot_guidance-indevelopment-list.html", "snapshot_guidance-published-list.html",
                 "snapshot_guidance-terminated-list.html"):
        titles |= {e.title for e in parse_guidance_list(fixture_text(name)).entries}
    for name in ("indev-feed_project_gid-ta10914.json", "indev-feed_project_gid-ta10730.json",
                 "indev-feed_project_gid-ng10237.json"):
        titles.add(parse_indev_feed(json.loads(fixture_text(name))).title)
    assert titles == {title for title, _, _ in FIXTURE_TITLES}
