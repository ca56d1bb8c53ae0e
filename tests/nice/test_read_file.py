"""Issue 12, point 8: `flask nice read-file PATH [--url ADDRESS]` on saved NICE pages and NICE's own feeds."""

import json

import pytest

from .nice_support import NICE_FIXTURES, NICE_MORE_FIXTURES, recommendations_chapter, terminated_ta_page


def read_file(app, *args):
    return app.test_cli_runner().invoke(args=["nice", "read-file", *map(str, args)])


def test_project_feed_with_a_timed_row(app):
    result = read_file(app, NICE_MORE_FIXTURES / "indev-feed_project_gid-hst10037.json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["kind"], out["title"]) == ("indev_feed", "Arimoclomol for treating Niemann-Pick disease Type C")
    assert out["references"] == {"gid": "GID-HST10037", "id_number": "ID1312", "ta_number": None}
    assert out["status"] == {"nice": "Suspended", "tool": "suspended"}
    workshop = next(d for d in out["dates"] if d["label"] == "Scoping workshop")
    assert workshop == {"label": "Scoping workshop", "where": "Timeline", "text": "09 October 2020 (14:00)",
                        "start": "2020-10-09", "end": None, "tbc": False, "readable": True}
    assert out["recommendation"] is None and out["could_not_read"] == []


def test_project_page_snapshot_and_covid_status(app):
    result = read_file(app, NICE_FIXTURES / "snapshot_indev-project-page_gid-ng10237.html")
    out = json.loads(result.stdout)
    assert (out["kind"], out["references"]["gid"], out["expected_publication"]) == (
        "indev_project", "GID-NG10237", {"date": "2024-04-11", "tbc": False})
    covid = json.loads(read_file(app, NICE_MORE_FIXTURES / "indev-feed_project_gid-hst10009.json").stdout)
    assert covid["status"] == {"nice": "Impacted by COVID-19", "tool": "suspended"}


def test_saved_chapter_page_in_todays_wording(app, tmp_path):
    saved = tmp_path / "ta1121-recommendations.html"
    saved.write_text(recommendations_chapter(
        "Acoramidis for treating transthyretin amyloidosis with cardiomyopathy", "TA1121",
        ["1.1 Acoramidis can be used, within its marketing authorisation, as an option to treat transthyretin "
         "amyloidosis with cardiomyopathy (ATTR-CM) in adults. It can only be used if the company provides it "
         "according to the commercial arrangement."], published="2026-01-14"), encoding="utf-8")
    result = read_file(app, saved, "--url", "https://www.nice.org.uk/guidance/ta1121/chapter/1-Recommendations")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["kind"] == "published_guidance" and out["references"]["ta_number"] == "TA1121"
    assert out["status"] == {"nice": "Published", "tool": "published"}
    assert out["dates"][0] == {"label": "Published", "where": "page heading", "text": "14 January 2026",
                               "start": "2026-01-14", "end": None, "tbc": False, "readable": True}
    assert out["recommendation"] == {
        "type": "recommended",
        "sentence": "1.1 Acoramidis can be used, within its marketing authorisation, as an option to treat "
                    "transthyretin amyloidosis with cardiomyopathy (ATTR-CM) in adults."}


def test_saved_terminated_page(app, tmp_path):
    saved = tmp_path / "ta1002.html"
    saved.write_text(terminated_ta_page(
        "Pemigatinib for treating relapsed myeloid or lymphoid neoplasms", "TA1002", terminated="2024-09-05",
        sentence="NICE is unable to make a recommendation on pemigatinib because Incyte did not provide an evidence "
                 "submission."), encoding="utf-8")
    out = json.loads(read_file(app, saved).stdout)
    assert (out["kind"], out["status"]["tool"], out["recommendation"]["type"]) == (
        "terminated_guidance", "terminated", "terminated")
    assert [d["label"] for d in out["dates"]] == ["Terminated"]


def test_overview_page_without_recommendations_says_which_page_to_save(app, tmp_path):
    from .nice_support import published_ta_page

    saved = tmp_path / "ta1121.html"
    saved.write_text(published_ta_page("Acoramidis for treating ATTR-CM", "TA1121", published="2026-01-14"),
                     encoding="utf-8")
    out = json.loads(read_file(app, saved).stdout)
    assert out["recommendation"] is None
    assert out["could_not_read"] == ["no recommendation on this page: save the '1 Recommendations' page of the "
                                     "guidance to read the recommendation"]


def test_nices_search_response_lists_each_item_with_why_discovery_would_skip_it(app):
    out = json.loads(read_file(app, NICE_MORE_FIXTURES / "search-api_guidance-proposed.json").stdout)
    assert (out["kind"], out["total"], len(out["entries"])) == ("search_results", 209, 10)
    amcenestrant = next(e for e in out["entries"] if e["references"]["gid"] == "GID-TA10803")
    assert amcenestrant["skipped_by_discovery_because"] is None and amcenestrant["cancer"]["sact"]
    first = out["entries"][0]
    assert (first["title"], first["skipped_by_discovery_because"]) == (
        "Abdominal aortic aneurysm", "not a technology appraisal (Quality standard)")


def test_feed_of_all_projects(app):
    out = json.loads(read_file(app, NICE_MORE_FIXTURES / "indev-feed_gidprojects_all.json").stdout)
    assert out["total"] == 887
    assert sum(1 for e in out["entries"] if e["technology_appraisal"]) == 604


@pytest.mark.parametrize(("name", "reason"), [
    ("indev-html_gid-ta10914_consultation_html-content-5.html",
     "not a NICE project page, technology appraisal page, guidance list or feed this tool knows"),
])
def test_a_file_it_cannot_read_exits_1_with_the_reason(app, name, reason):
    result = read_file(app, NICE_FIXTURES / name)
    assert result.exit_code == 1 and result.stdout == ""
    assert reason in result.stderr and name in result.stderr


def test_json_that_is_not_nice_exits_1(app, tmp_path):
    saved = tmp_path / "other.json"
    saved.write_text('{"hello": "world"}', encoding="utf-8")
    result = read_file(app, saved)
    assert result.exit_code == 1
    assert "JSON that is neither a NICE project feed nor NICE search results" in result.stderr


@pytest.mark.parametrize("name", sorted(p.name for p in NICE_MORE_FIXTURES.iterdir() if p.suffix == ".json"))
def test_every_file_in_nice_more_is_read(name):
    from datetime import UTC, datetime

    from appraisal_impact.nice.saved import describe_saved_page

    described = describe_saved_page((NICE_MORE_FIXTURES / name).read_text(encoding="utf-8"),
                                    read_at=datetime(2026, 3, 2, tzinfo=UTC))
    assert described["kind"] in {"indev_feed", "search_results", "projects_feed"}
    assert described["could_not_read"] == []
