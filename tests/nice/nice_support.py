"""Helpers shared by the NICE reader tests (kept out of conftest.py so test modules can import them by a unique name)."""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NICE_FIXTURES = REPO_ROOT / ".." / "shared" / "fixtures" / "nice"


def fixture_text(name: str) -> str:
    """One file from ../shared/fixtures/nice (never copied into the project)."""
    return (NICE_FIXTURES / name).read_text(encoding="utf-8")


def jest_snapshot_to_json(text: str) -> dict:
    """Turn a Jest pretty-format object dump ("Object {", "Array [", undefined, trailing commas) into JSON.

    Test-only: used to build the ``__NEXT_DATA__`` a live project page would carry from the
    getServerSideProps snapshot NICE keeps beside its page component.
    """
    converted = re.sub(r"\bObject \{", "{", text)
    converted = re.sub(r"\bArray \[", "[", converted)
    converted = re.sub(r":\s*undefined\b", ": null", converted)
    converted = re.sub(r",(\s*[}\]])", r"\1", converted)
    return json.loads(converted)


def next_data_page(page_props: dict, body: str = "<main><h1>Page</h1></main>") -> str:
    """A minimal live-style page: some body HTML and the data in ``<script id="__NEXT_DATA__">``."""
    data = json.dumps({"props": {"pageProps": page_props}, "page": "/", "query": {}})
    return (
        "<!DOCTYPE html><html><head><title>NICE</title></head><body>"
        f'<div id="__next">{body}</div>'
        f'<script id="__NEXT_DATA__" type="application/json">{data}</script>'
        "</body></html>"
    )
