"""Every file in ../shared/fixtures/nice has a parser; a new fixture file fails here until it gets one.

The values each file holds are asserted in test_parse_lists.py and test_parse_project.py.
"""

import pytest
from .nice_support import fixture_text, jest_snapshot_to_json, next_data_page

from appraisal_impact.nice.parse import (
    parse_consultation_notice,
    parse_guidance_list,
    parse_indev_feed,
    parse_indev_project_page,
    parse_search_results,
)

PARSERS = {
    "indev-feed_project_gid-ng10237.json": lambda text: parse_indev_feed(text).gid,
    "indev-feed_project_gid-ta10730.json": lambda text: parse_indev_feed(text).gid,
    "indev-feed_project_gid-ta10914.json": lambda text: parse_indev_feed(text).gid,
    "indev-html_gid-ta10914_consultation_html-content-5.html": lambda text: parse_consultation_notice(text).closing_date,
    "search-api_guidance-indevelopment.json": lambda text: len(parse_search_results(text).entries),
    "search-api_guidance-published.json": lambda text: len(parse_search_results(text).entries),
    "search-api_guidance-terminated.json": lambda text: len(parse_search_results(text).entries),
    "snapshot_guidance-indevelopment-list.html": lambda text: len(parse_guidance_list(text).entries),
    "snapshot_guidance-published-list.html": lambda text: len(parse_guidance_list(text).entries),
    "snapshot_guidance-terminated-list.html": lambda text: len(parse_guidance_list(text).entries),
    "snapshot_indev-project-page_gid-ng10237.html": lambda text: parse_indev_project_page(text).gid,
    "snapshot_indev-project-page_gid-ng10237.pageProps.txt":
        lambda text: parse_indev_project_page(next_data_page(jest_snapshot_to_json(text)["props"])).gid,
}
EXPECTED = {
    "indev-feed_project_gid-ng10237.json": "GID-NG10237",
    "indev-feed_project_gid-ta10730.json": "GID-TA10730",
    "indev-feed_project_gid-ta10914.json": "GID-TA10914",
    "snapshot_indev-project-page_gid-ng10237.html": "GID-NG10237",
    "snapshot_indev-project-page_gid-ng10237.pageProps.txt": "GID-NG10237",
}


def test_every_fixture_file_has_a_parser(nice_fixtures):
    files = {path.name for path in nice_fixtures.iterdir() if path.name != "README.md"}
    assert files == set(PARSERS)


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_fixture_parses(name):
    result = PARSERS[name](fixture_text(name))
    if name in EXPECTED:
        assert result == EXPECTED[name]
    elif name.startswith("indev-html"):
        assert str(result) == "2023-03-14"
    else:
        assert result == 10  # every list fixture holds its first page of 10 results

