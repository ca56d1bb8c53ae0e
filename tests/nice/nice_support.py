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


# ---------------------------------------------------------------------------------------------
# A local fake of nice.org.uk: http.server on 127.0.0.1, random port, in a thread.

import threading  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402


@dataclass
class Reply:
    """One canned answer. ``hang`` makes the server wait (until released) before answering."""

    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    hang: bool = False


@dataclass
class SeenRequest:
    path: str
    headers: dict[str, str]


class FakeNice:
    """Answers each path with its queue of replies (the last one repeats); records every request."""

    def __init__(self) -> None:
        self.routes: dict[str, list[Reply]] = {}
        self.requests: list[SeenRequest] = []
        self.release = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                fake.requests.append(SeenRequest(self.path, {k: v for k, v in self.headers.items()}))
                queue = fake.routes.get(self.path) or [Reply(404, "<h1>Page not found</h1>")]
                reply = queue.pop(0) if len(queue) > 1 else queue[0]
                if reply.hang:
                    fake.release.wait(5)
                    return
                body = reply.body.encode("utf-8")
                self.send_response(reply.status)
                headers = {"Content-Type": "text/html; charset=utf-8", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def add(self, path: str, *replies: Reply) -> None:
        self.routes[path] = list(replies)

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]

    def start(self) -> FakeNice:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


class FakeTime:
    """A monotonic clock that only moves when something sleeps on it; records each sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def page_props_from_feed(feed: dict) -> dict:
    """The pageProps NICE's project page builds from an InDev feed (camelCase, lists flattened), as its
    getServerSideProps does; used to serve a live-style project page built from a feed fixture."""

    def items(list_key: str, item_key: str) -> list[dict]:
        found = ((feed["_embedded"].get(list_key) or {}).get("_embedded") or {}).get(item_key) or []
        found = found if isinstance(found, list) else [found]
        return [
            {"column1": i["Column1"], "column2": i["Column2"], "additionalInfo": i.get("AdditionalInfo"),
             "additionalInfoLabel": i.get("AdditionalInfoLabel"), "hidden": i.get("Hidden", False)}
            for i in found
        ]

    status = {"InProgress": "In progress"}.get(feed["Status"], feed["Status"])
    return {
        "reference": feed["Reference"],
        "title": feed["Title"],
        "idNumber": feed.get("IdNumber"),
        "process": feed.get("Process"),
        "projectType": feed.get("ProjectType"),
        "status": status,
        "indevScheduleItems": items("nice.indev:provisional-schedule-list", "nice.indev:provisional-schedule"),
        "indevTimelineItems": items("nice.indev:timeline-list", "nice.indev:timeline"),
    }


# ---------------------------------------------------------------------------------------------
# Pages as NICE's page code renders them today (nice-digital/next-web), for tests.
#
# ProductPageHeading: a PageHeader with id="content-start", the title in <h1>, and metadata items:
# the product type, the id ("TA1121"), "Published:<time datetime=…>&nbsp;14 January 2026</time>" and,
# when it differs, "Last updated:". A terminated TA shows "Terminated:" and no "Published:". CSS-module
# class names are hashed on the live site, so the ones here are hashed-looking on purpose: the parser must
# not depend on them. Every live page also carries its data in __NEXT_DATA__.
NICE_MORE_FIXTURES = REPO_ROOT / ".." / "shared" / "fixtures" / "nice-more"

_MONTHS = ("January February March April May June July August September October November December").split()


def _display(iso: str) -> str:
    year, month, day = (int(part) for part in iso.split("-"))
    return f"{day:02d} {_MONTHS[month - 1]} {year}"


def more_fixture_text(name: str) -> str:
    """One file from ../shared/fixtures/nice-more (never copied into the project)."""
    return (NICE_MORE_FIXTURES / name).read_text(encoding="utf-8")


def product_heading(title: str, ta_number: str, *, published: str | None = None, last_updated: str | None = None,
                    terminated: str | None = None) -> str:
    """The heading NICE renders on a TA's overview and on each of its chapters (dates as ISO "2026-01-14")."""
    items = ["<li>Technology appraisal guidance</li>", f"<li>{ta_number}</li>"]
    if published:
        items.append(f'<li>Published:<time datetime="{published}">&nbsp;{_display(published)}</time></li>')
    if last_updated and last_updated != published:
        items.append(f'<li>Last updated:<time datetime="{last_updated}"> &nbsp;{_display(last_updated)}</time></li>')
    if terminated:
        items.append(f'<li>Terminated:<time datetime="{terminated}">&nbsp;{_display(terminated)}</time></li>')
    return (
        '<div class="PageHeader_pageHeader__Xk3pQ" data-component="page-header" id="content-start">'
        '<div class="grid"><div data-component="grid-item" data-g="12 md:12">'
        f'<h1 class="PageHeader_heading__r7TfW">{title}</h1>'
        f'<ul class="PageHeader_metadata__p0Lq2" aria-label="Guidance information">{"".join(items)}</ul>'
        "</div></div></div>"
    )


def _live_page(main: str, page_props: dict) -> str:
    return next_data_page(page_props, body=f"<header><nav><a href='/'>NICE</a></nav></header><main>{main}</main>"
                                           "<footer><p>© NICE 2026. All rights reserved.</p></footer>")


def published_ta_page(title: str, ta_number: str, *, published: str, last_updated: str | None = None) -> str:
    """A published TA's overview page (no recommendations on it: they are in chapter 1)."""
    main = (product_heading(title, ta_number, published=published, last_updated=last_updated)
            + '<nav aria-label="Chapters"><ul><li><a href="#">Overview</a></li>'
            f'<li><a href="/guidance/{ta_number.lower()}/chapter/1-Recommendations">1 Recommendations</a></li>'
            "</ul></nav><h2>Overview</h2><p>Evidence-based recommendations on the technology.</p>")
    return _live_page(main, {"product": {"id": ta_number, "title": title, "publishedDate": published}})


def recommendations_chapter(title: str, ta_number: str, recommendations: list[str], *, published: str,
                            in_practice: list[str] = (), why: list[str] = ()) -> str:
    """Chapter 1 as NICE renders it today: the heading again, numbered recommendations, then "What this means
    in practice" and "Why these recommendations were made" (unnumbered; may name other drugs)."""
    paragraphs = "".join(f'<div class="recommendation_text"><p>{text}</p></div>' for text in recommendations)
    practice = ("<h3>What this means in practice</h3>" + "".join(f"<p>{p}</p>" for p in in_practice)) if in_practice else ""
    rationale = ("<h3>Why these recommendations were made</h3>" + "".join(f"<p>{p}</p>" for p in why)) if why else ""
    main = (product_heading(title, ta_number, published=published)
            + '<nav aria-label="Chapters"><ul><li><a href="#">1 Recommendations</a></li>'
            "<li><a href='#'>2 Information about the technology</a></li></ul></nav>"
            '<div class="chapter" title="Recommendations" id="recommendations">'
            f'<h2 class="title"><a id="recommendations"></a>1 Recommendations</h2>{paragraphs}{practice}{rationale}'
            "</div>")
    return _live_page(main, {"chapter": {"title": "1 Recommendations"}})


def terminated_ta_page(title: str, ta_number: str, *, terminated: str, sentence: str) -> str:
    """/guidance/terminated/taNNNN: a "Terminated:" date, no "Published:" date, and NICE's reason."""
    main = product_heading(title, ta_number, terminated=terminated) + f"<h2>Terminated appraisal</h2><p>{sentence}</p>"
    return _live_page(main, {"product": {"id": ta_number, "title": title}})


def project_page_props(feed: dict, **changes) -> dict:
    """pageProps for a project page built from an InDev feed, with some props changed (e.g. status)."""
    props = page_props_from_feed(feed)
    props.update(changes)
    return props
