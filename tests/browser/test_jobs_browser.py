"""A summary's PDF in a real browser: the button starts a background job, the job page updates itself
(htmx polling) while a worker (started here, as `make run` starts one) builds it, then offers the download.
axe finds nothing on the way."""

import threading

import pytest
from playwright.sync_api import expect

from appraisal_impact.jobs import local
from tests.browser.conftest import assert_accessible

pytestmark = pytest.mark.browser


@pytest.fixture
def job_worker(live_server):
    live_server.app.config.update(JOBS_POLL_SECONDS=0.2, NICE_REFRESH_AT="off")
    stop = threading.Event()
    thread = threading.Thread(target=local.run_worker, args=(live_server.app,), kwargs={"stop": stop}, daemon=True)
    yield thread
    stop.set()
    thread.join(timeout=60)


def test_a_summary_pdf_is_made_in_the_background_and_offered_when_ready(page, live_server, sign_in_as, job_worker):
    sign_in_as(page, "viewer")
    page.goto(f"{live_server.url}/summaries/icbs/QVV")
    page.get_by_role("button", name="Make a PDF, for printing or a board paper").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("PDF of a summary")
    expect(page.get_by_role("status")).to_contain_text("Waiting for the job worker to start it.")  # no worker yet
    assert_accessible(page, "job waiting")

    job_worker.start()
    download_button = page.get_by_role("link", name="Download icb-summary-QVV-")
    expect(download_button).to_be_visible(timeout=60_000)  # htmx swapped the finished job in: no reload
    expect(page.get_by_role("status")).to_contain_text("The PDF is ready.")
    assert_accessible(page, "job finished")

    with page.expect_download() as download_info:
        download_button.click()
    pdf_path = download_info.value.path()
    with open(pdf_path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"
