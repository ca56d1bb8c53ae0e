"""Issue 12, point 1: NICE's current recommendation wording, read from section 1 about the appraised technology.

The sentences are NICE's forms as domain.md §3 and the issue quote them (TA1121's live text for acoramidis:
"1.1 Acoramidis can be used, within its marketing authorisation, as an option to treat …"). The chapter pages
are built the way NICE's page code renders them (tests/nice/nice_support.py).
"""

import pytest

from appraisal_impact.nice.errors import NiceFormatError
from appraisal_impact.nice.parse import (
    RecommendationType,
    classify_recommendation,
    parse_published_guidance,
    parse_recommendations_page,
    technology_name,
)

from .nice_support import recommendations_chapter

R = RecommendationType
PRICE = "It can only be used if the company provides it according to the commercial arrangement."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Since about mid-2025.
        ("1.1 Acoramidis can be used, within its marketing authorisation, as an option to treat transthyretin "
         f"amyloidosis with cardiomyopathy (ATTR-CM) in adults. {PRICE}", R.RECOMMENDED),
        ("1.1 Zanubrutinib can be used as an option to treat relapsed follicular lymphoma in adults only if they "
         f"have had 2 or more systemic treatments. {PRICE}", R.OPTIMISED),
        ("1.1 Osimertinib can be used only if the cancer is EGFR mutation-positive and has been completely "
         "resected.", R.OPTIMISED),
        ("1.1 Sotorasib can be used with managed access as an option to treat KRAS G12C mutation-positive advanced "
         "non-small-cell lung cancer in adults.", R.MANAGED_ACCESS),
        ("1.1 Selpercatinib can be used within the Cancer Drugs Fund as an option to treat RET fusion-positive "
         "thyroid cancer.", R.MANAGED_ACCESS),
        ("1.1 Lutetium-177 can be used only in research to treat neuroendocrine tumours.", R.ONLY_IN_RESEARCH),
        # Draft guidance.
        ("1.1 Tarlatamab should not be used to treat extensive-stage small-cell lung cancer in adults whose "
         "cancer has progressed after platinum-based chemotherapy.", R.NOT_RECOMMENDED),
        ("1.1 Datopotamab deruxtecan cannot be used to treat hormone receptor-positive breast cancer.",
         R.NOT_RECOMMENDED),
        # Older forms still read.
        ("1.1 Pembrolizumab is recommended only if the company provides it according to the commercial "
         "arrangement.", R.RECOMMENDED),
        ("1.1 Lutetium-177 is recommended only in research for treating neuroendocrine tumours.", R.ONLY_IN_RESEARCH),
        ("1.1 NICE is unable to make a recommendation on pemigatinib because Incyte did not provide an evidence "
         "submission.", R.TERMINATED),
    ],
)
def test_every_form_nice_uses(text, expected):
    reading = classify_recommendation(text)
    assert reading.type is expected
    assert reading.sentence.startswith("1.1 ")


def test_the_price_condition_does_not_make_a_recommendation_optimised():
    reading = classify_recommendation(f"1.1 Acoramidis can be used as an option to treat ATTR-CM in adults. {PRICE}")
    assert reading.type is R.RECOMMENDED
    assert reading.sentence == "1.1 Acoramidis can be used as an option to treat ATTR-CM in adults."


def test_a_rationale_about_another_drug_does_not_decide():
    # Draft guidance: the appraised drug should not be used; the rationale says another one can be used with
    # managed access. Read from all the text, the positive rule would win; section 1's numbered
    # recommendations about the appraised drug decide.
    page = recommendations_chapter(
        "Tarlatamab for treating extensive-stage small-cell lung cancer after platinum-based chemotherapy",
        "TA1999",
        ["1.1 Tarlatamab should not be used, within its marketing authorisation, to treat extensive-stage small-cell "
         "lung cancer in adults whose cancer has progressed after platinum-based chemotherapy."],
        published="2026-02-11",
        why=["Usual treatment is topotecan. Lurbinectedin can be used with managed access for some people.",
             "The cost-effectiveness estimates for tarlatamab are above what NICE considers an acceptable use of "
             "NHS resources, so it should not be used."],
    )
    reading = parse_recommendations_page(page)
    assert reading.type is R.NOT_RECOMMENDED
    assert reading.sentence.startswith("1.1 Tarlatamab should not be used")


def test_a_numbered_recommendation_naming_another_drug_does_not_decide():
    text = ("1.1 Trastuzumab rezetecan should not be used to treat HER2-positive breast cancer.\n"
            "1.2 Trastuzumab deruxtecan can be used as set out in NICE's technology appraisal guidance on it.")
    assert classify_recommendation(text, technology_name("Trastuzumab rezetecan for treating HER2-positive breast "
                                                         "cancer")).type is R.NOT_RECOMMENDED
    # Without knowing the technology, the positive sentence would win (the older precedence for mixed chapters).
    assert classify_recommendation(text).type is R.RECOMMENDED


def test_new_wording_chapter_page_gives_heading_and_recommendation():
    page = recommendations_chapter(
        "Acoramidis for treating transthyretin amyloidosis with cardiomyopathy", "TA1121",
        ["1.1 Acoramidis can be used, within its marketing authorisation, as an option to treat transthyretin "
         f"amyloidosis with cardiomyopathy (ATTR-CM) in adults. {PRICE}"],
        published="2026-01-14",
        in_practice=["Acoramidis must be funded in the NHS in England for the condition and population in the "
                     "recommendation, if it is considered the most appropriate treatment option. This must be done "
                     "within 90 days of final publication of this guidance."],
        why=["Tafamidis is not recommended in NICE's guidance for ATTR-CM."],
    )
    heading = parse_published_guidance(page)
    assert (heading.ta_number, str(heading.publication_date)) == ("TA1121", "2026-01-14")
    reading = parse_recommendations_page(page)
    assert reading.type is R.RECOMMENDED
    assert reading.sentence.startswith("1.1 Acoramidis can be used, within its marketing authorisation")


@pytest.mark.parametrize(
    ("title", "name"),
    [("Acoramidis for treating ATTR-CM [ID6278]", "acoramidis"),
     ("Daratumumab with lenalidomide and dexamethasone for untreated multiple myeloma", "daratumumab"),
     ("Lutetium-177 vipivotide tetraxetan for treating prostate cancer", "lutetium-177 vipivotide tetraxetan"),
     ("Trastuzumab rezetecan for treating HER2-positive breast cancer", "trastuzumab rezetecan")],
)
def test_technology_name(title, name):
    assert technology_name(title) == name


def test_a_page_with_no_recommendation_sentence_still_says_so():
    with pytest.raises(NiceFormatError, match="no recommendation sentence found"):
        classify_recommendation("1.1 The committee will meet again in March.")
