"""Published TA pages and recommendation types.

There is no published-TA fixture in ../shared/fixtures/nice, so the pages here are small HTML
written for the test in the layout domain.md §6 describes, and the recommendation sentences are
short realistic sentences in NICE's wording.
"""

from datetime import date

import pytest

from appraisal_impact.nice.errors import NiceFormatError
from appraisal_impact.nice.parse import (
    PageKind,
    RecommendationType,
    classify_recommendation,
    page_kind_from_url,
    parse_published_guidance,
    parse_recommendations_page,
    recommendations_text,
)

R = RecommendationType


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.1 Pembrolizumab is recommended, within its marketing authorisation, as an option for the adjuvant "
         "treatment of non-small-cell lung cancer in adults.", R.RECOMMENDED),
        ("1.1 Durvalumab with platinum-based chemotherapy is recommended as an option for treating resectable "
         "non-small-cell lung cancer in adults.", R.RECOMMENDED),
        ("1.1 Trastuzumab deruxtecan is recommended, within its marketing authorisation, as an option for "
         "treating HER2-positive unresectable or metastatic breast cancer in adults. It is recommended only if "
         "the company provides it according to the commercial arrangement.", R.RECOMMENDED),
        ("1.1 Osimertinib is recommended as an option for treating EGFR mutation-positive non-small-cell lung "
         "cancer in adults, only if they have had complete tumour resection.", R.OPTIMISED),
        ("1.1 Atezolizumab is recommended, within its marketing authorisation, as an option for adjuvant treatment "
         "after complete tumour resection in adults, only if the tumours have PD-L1 expression on 50% or more.",
         R.OPTIMISED),
        ("1.1 Nivolumab is recommended for use within the Cancer Drugs Fund as an option for treating "
         "locally advanced unresectable oesophageal cancer.", R.MANAGED_ACCESS),
        ("1.1 Sotorasib is recommended for use with managed access as an option for treating KRAS G12C "
         "mutation-positive locally advanced or metastatic non-small-cell lung cancer.", R.MANAGED_ACCESS),
        ("1.1 Selpercatinib is recommended for use within the Cancer Drugs Fund as an option for treating "
         "thyroid cancer, only if the conditions in the managed access agreement are followed.", R.MANAGED_ACCESS),
        ("1.1 Lutetium-177 is recommended only in research for treating neuroendocrine tumours.", R.ONLY_IN_RESEARCH),
        ("1.1 Mobocertinib is not recommended, within its marketing authorisation, for treating EGFR exon 20 "
         "insertion mutation-positive advanced non-small-cell lung cancer. 1.2 This recommendation is not intended "
         "to affect treatment with mobocertinib that was started in the NHS before this guidance was published.",
         R.NOT_RECOMMENDED),
        ("1.1 Tisotumab vedotin is not recommended for use within the Cancer Drugs Fund for treating "
         "recurrent or metastatic cervical cancer.", R.NOT_RECOMMENDED),
        ("1.1 NICE is unable to make a recommendation on pemigatinib for treating relapsed myeloid or lymphoid "
         "neoplasms because Incyte did not provide an evidence submission.", R.TERMINATED),
        ("1.1 We are unable to make recommendations about zanubrutinib because no evidence submission was "
         "received from the company.", R.TERMINATED),
        ("1.1 Nivolumab is recommended for treating melanoma. 1.2 Nivolumab is not recommended for treating "
         "uveal melanoma.", R.RECOMMENDED),
    ],
)
def test_classify_recommendation(text, expected):
    reading = classify_recommendation(text)
    assert reading.type is expected
    assert reading.sentence in " ".join(text.split())


def test_classify_recommendation_returns_the_deciding_sentence():
    reading = classify_recommendation(
        "1.1 Enfortumab vedotin is recommended for use with managed access as an option for urothelial cancer. "
        "1.2 This recommendation is not intended to affect treatment started before publication."
    )
    assert reading.sentence == (
        "1.1 Enfortumab vedotin is recommended for use with managed access as an option for urothelial cancer."
    )


def test_text_without_a_recommendation_raises():
    with pytest.raises(NiceFormatError, match="no recommendation sentence"):
        classify_recommendation("This guidance has been updated. See the committee papers.")


PUBLISHED_PAGE = """<!DOCTYPE html><html><head>
<link rel="canonical" href="https://www.nice.org.uk/guidance/ta1037"></head><body>
<main><div class="page-header_x1Y2" id="content-start">
  <h1>Pembrolizumab for adjuvant treatment of resected non-small-cell lung cancer</h1>
  <ul class="PageHeader_meta__Abc12">
    <li>Technology appraisal guidance</li>
    <li>Reference number: TA1037</li>
    <li>Published: <time datetime="2025-02-19">19 February 2025</time></li>
    <li>Last updated: 2 April 2025</li>
  </ul></div>
  <nav><ul><li><a href="/guidance/ta1037/chapter/1-Recommendations">1 Recommendations</a></li></ul></nav>
</main></body></html>"""


def test_published_guidance_page():
    page = parse_published_guidance(PUBLISHED_PAGE)
    assert page.ta_number == "TA1037"
    assert page.title == "Pembrolizumab for adjuvant treatment of resected non-small-cell lung cancer"
    assert page.publication_date == date(2025, 2, 19)
    assert page.last_updated == date(2025, 4, 2)


def test_published_page_with_bare_ta_item_and_no_update():
    html = """<h1>Daratumumab for myeloma</h1><ul><li>TA917</li><li>Published:
    <time>25 October 2023</time></li></ul>"""
    page = parse_published_guidance(html)
    assert (page.ta_number, page.publication_date, page.last_updated) == ("TA917", date(2023, 10, 25), None)


def test_published_page_ta_number_from_canonical_link():
    html = ('<head><link rel="canonical" href="https://www.nice.org.uk/guidance/ta862"></head>'
            "<h1>Trastuzumab deruxtecan</h1><ul><li>Published: 12 January 2023</li></ul>")
    assert parse_published_guidance(html).ta_number == "TA862"


@pytest.mark.parametrize(
    ("html", "message"),
    [
        ("<ul><li>TA1037</li><li>Published: 1 May 2025</li></ul>", "no title"),
        ("<h1>Something</h1><ul><li>Published: 1 May 2025</li></ul>", "no TA number"),
        ("<h1>Something</h1><ul><li>TA1037</li></ul>", "no 'Published:' or 'Terminated:' date"),
    ],
)
def test_published_page_shape_not_understood_raises(html, message):
    with pytest.raises(NiceFormatError, match=message):
        parse_published_guidance(html)


def test_recommendations_page_reads_main_text_not_navigation():
    html = """<html><body><header><p>NICE is not recommended for everything</p></header>
    <main><nav><p>Cookies are not recommended</p></nav><h2>1 Recommendations</h2>
    <p>1.1 Pembrolizumab is recommended as an option for treating endometrial cancer in adults, only if
    they have had platinum-based chemotherapy.</p>
    <script>var x = "is not recommended";</script></main></body></html>"""
    assert "Cookies" not in recommendations_text(html)
    assert parse_recommendations_page(html).type is R.OPTIMISED


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://www.nice.org.uk/guidance/indevelopment/gid-ta10914", PageKind.INDEV_PROJECT),
        ("https://www.nice.org.uk/guidance/ta1037", PageKind.PUBLISHED_GUIDANCE),
        ("http://127.0.0.1:8000/guidance/ta1037/chapter/1-Recommendations", PageKind.PUBLISHED_GUIDANCE),
        ("https://www.nice.org.uk/guidance/indevelopment?ngt=Technology%20appraisal%20guidance", PageKind.GUIDANCE_LIST),
        ("https://www.nice.org.uk/search?q=x", PageKind.UNKNOWN),
    ],
)
def test_page_kind_from_url(url, kind):
    assert page_kind_from_url(url) is kind
