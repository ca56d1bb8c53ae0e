"""The ICB and appraisal PDFs: tagged (PDF/UA-1, pdfinfo says "Tagged: yes"), carrying the same charts as
their pages, with the example-data notice on page 1."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from bs4 import BeautifulSoup
from sqlmodel import select

from appraisal_impact import impact_service
from appraisal_impact.models import Appraisal
from tests.conftest import sign_in


@pytest.fixture(autouse=True)
def _fresh_impact_cache():
    impact_service.clear_cache()
    yield
    impact_service.clear_cache()


def _poppler(tool: str, pdf: bytes, tmp_path, *args) -> str:
    assert shutil.which(tool), f"{tool} (poppler-utils) is installed on this machine for this check"
    path = tmp_path / "summary.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, *args, str(path), *(["-"] if tool == "pdftotext" else [])],
                          check=True, capture_output=True, text=True).stdout


def _example_appraisal(session) -> Appraisal:
    return session.exec(select(Appraisal).where(Appraisal.is_example == True).order_by(Appraisal.id)).first()  # noqa: E712


@pytest.mark.parametrize("kind", ["icb", "appraisal"])
def test_the_pdf_is_tagged_with_its_charts_and_the_example_notice_on_page_1(client, seeded, users, tmp_path, kind):
    sign_in(client, users["lead"])
    base = "/summaries/icbs/QVV" if kind == "icb" else f"/summaries/appraisals/{_example_appraisal(seeded).id}"
    response = client.get(f"{base}/summary.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    info = _poppler("pdfinfo", response.data, tmp_path)
    assert re.search(r"^Tagged:\s+yes$", info, re.M), info
    first_page = _poppler("pdftotext", response.data, tmp_path, "-f", "1", "-l", "1")
    assert "Example data" in first_page
    everything = " ".join(_poppler("pdftotext", response.data, tmp_path).split())
    page = BeautifulSoup(client.get(base).get_data(as_text=True), "html.parser")
    titles = [figure.select_one("svg title").get_text(" ", strip=True) for figure in page.select("figure.app-chart")]
    assert len(titles) == 2  # the page's charts ...
    for figure in page.select("figure.app-chart"):
        caption = " ".join(figure.select_one("figcaption").get_text(" ", strip=True).split())
        assert caption[:60] in everything  # ... are in the PDF, with their descriptions


def test_the_icb_headroom_chart_draws_the_capacity_tables_figures(client, seeded, users):
    sign_in(client, users["lead"])
    page = BeautifulSoup(client.get("/summaries/icbs/QVV").get_data(as_text=True), "html.parser")
    chart = page.select_one("#chart-summary-headroom-figure")
    assert chart is not None and chart.select_one("svg[role=img]")
    table = chart.find_next("table")
    rows = {r.th.get_text(strip=True): [td.get_text(strip=True) for td in r.select("td")] for r in table.select("tbody tr")}
    assert set(rows) == {"RBD", "R0D"}  # Dorset ICB's two trusts
    for values in rows.values():
        without, with_ = (float(v.replace(",", "")) for v in values)
        assert with_ <= without  # the pipeline only adds demand at these trusts
