"""Read a NICE page or feed someone saved (from their browser, or NICE's own feeds): no network.

Two uses, one parser path (the same parsers the live reader uses):

- the fallback when NICE will not let the tool read a page (403, 429, a changed layout): a
  pharmacist saves the page from their browser and uploads it (or pastes its address and HTML);
  :func:`read_saved_appraisal` turns it into the same :class:`AppraisalRead` a live read gives, for
  the same preview-and-confirm step;
- ``flask nice read-file PATH [--url ADDRESS]``: :func:`describe_saved_page` says, as plain data,
  what the reader takes from any saved page or feed (lists too).

The kind of page is decided from the address when one is given (as for a live read), else from the
content: NICE's InDev feed (HAL JSON), a search response (JSON with ``documents``), a page whose
``__NEXT_DATA__`` holds a project or a results list, a list table, a project page, or a TA page
heading ("Published:" / "Terminated:").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bs4 import BeautifulSoup

from .classify import classify_title
from .errors import NiceFormatError
from .parse import (
    DatedEvent,
    InDevelopmentProject,
    PageKind,
    PublishedGuidance,
    RecommendationReading,
    RecommendationType,
    classify_recommendation,
    next_data,
    page_family_from_url,
    page_kind_from_url,
    parse_guidance_list,
    parse_indev_feed,
    parse_indev_page_props,
    parse_indev_project_page,
    parse_published_guidance,
    parse_search_results,
    _humanise_status,
    recommendations_text,
    split_title,
    technology_name,
)
from .reader import AppraisalRead, PageRead, is_technology_appraisal
from .references import NiceReference, ReferenceKind, gid, parse_reference, ta_number
from .statuses import status_for, tool_status_for


class SavedKind(StrEnum):
    INDEV_FEED = "indev_feed"
    INDEV_PROJECT = "indev_project"
    PUBLISHED_GUIDANCE = "published_guidance"
    TERMINATED_GUIDANCE = "terminated_guidance"
    GUIDANCE_LIST = "guidance_list"
    SEARCH_RESULTS = "search_results"
    PROJECTS_FEED = "projects_feed"


KIND_WORDS = {
    SavedKind.INDEV_FEED: "NICE InDev project feed",
    SavedKind.INDEV_PROJECT: "NICE project page (in development, awaiting development or discontinued)",
    SavedKind.PUBLISHED_GUIDANCE: "NICE published technology appraisal page",
    SavedKind.TERMINATED_GUIDANCE: "NICE terminated technology appraisal page",
    SavedKind.GUIDANCE_LIST: "NICE guidance list page",
    SavedKind.SEARCH_RESULTS: "NICE search results (JSON)",
    SavedKind.PROJECTS_FEED: "NICE InDev feed of all projects",
}
_PROJECTS_KEY = "nice.indev:indevelopment-project"

WHERE = "saved NICE page"


def _json(text: str) -> Any | None:
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.startswith(("{", "[")):
        return None
    try:
        return json.loads(stripped)
    except json.JSONDecodeError as error:
        raise NiceFormatError(f"it looks like JSON but is not valid JSON ({error.msg})", where=WHERE) from error


def saved_kind(text: str, url: str | None = None) -> SavedKind:
    """What kind of NICE page or feed this is (see the module docstring); NiceFormatError when none fits."""
    if not text or not text.strip():
        raise NiceFormatError("the file is empty", where=WHERE)
    data = _json(text)
    if data is not None:
        if isinstance(data, dict) and data.get("Reference") and isinstance(data.get("_embedded"), dict):
            return SavedKind.INDEV_FEED
        if isinstance(data, dict) and isinstance(data.get("documents"), list):
            return SavedKind.SEARCH_RESULTS
        if isinstance(data, dict) and _PROJECTS_KEY in (data.get("_embedded") or {}):
            return SavedKind.PROJECTS_FEED
        raise NiceFormatError("JSON that is neither a NICE project feed nor NICE search results", where=WHERE)
    if url:
        by_address = {
            PageKind.INDEV_PROJECT: SavedKind.INDEV_PROJECT,
            PageKind.PUBLISHED_GUIDANCE: SavedKind.PUBLISHED_GUIDANCE,
            PageKind.TERMINATED_GUIDANCE: SavedKind.TERMINATED_GUIDANCE,
            PageKind.GUIDANCE_LIST: SavedKind.GUIDANCE_LIST,
        }.get(page_kind_from_url(url))
        if by_address is not None:
            return by_address
    page_data = next_data(text)
    props = (page_data or {}).get("props", {}).get("pageProps") if page_data else None
    if isinstance(props, dict):
        if isinstance(props.get("results"), dict):
            return SavedKind.GUIDANCE_LIST
        if props.get("reference") and props.get("title") and (
                "indevScheduleItems" in props or "indevTimelineItems" in props or "status" in props):
            return SavedKind.INDEV_PROJECT
    soup = BeautifulSoup(text, "html.parser")
    if soup.find("table", id="results") is not None:
        return SavedKind.GUIDANCE_LIST
    if soup.find("dl", attrs={"aria-label": True}) is not None or "expected publication" in soup.get_text(" ").lower():
        try:
            parse_indev_project_page(text)
            return SavedKind.INDEV_PROJECT
        except NiceFormatError:
            pass
    try:
        heading = parse_published_guidance(text)
    except NiceFormatError:
        heading = None
    if heading is not None:
        return SavedKind.TERMINATED_GUIDANCE if heading.is_terminated else SavedKind.PUBLISHED_GUIDANCE
    raise NiceFormatError(
        "not a NICE project page, technology appraisal page, guidance list or feed this tool knows "
        "(no project information, no 'Published:' or 'Terminated:' heading, no results)",
        where=WHERE,
    )


def _project(kind: SavedKind, text: str) -> InDevelopmentProject:
    if kind is SavedKind.INDEV_FEED:
        return parse_indev_feed(text)
    return parse_indev_project_page(text)


def _recommendation_on_page(text: str, heading: PublishedGuidance) -> tuple[RecommendationReading | None, str | None]:
    """The recommendation when the saved page holds chapter 1; else (None, a note saying which page to save)."""
    try:
        reading = classify_recommendation(recommendations_text(text), technology_name(heading.title))
    except NiceFormatError:
        reading = None
    if heading.is_terminated:
        if reading is None or reading.type is not RecommendationType.TERMINATED:
            when = f" on {heading.terminated_date:%d %B %Y}" if heading.terminated_date else ""
            reading = RecommendationReading(RecommendationType.TERMINATED, f"NICE terminated this appraisal{when}.")
        return reading, None
    if reading is None:
        return None, ("no recommendation on this page: save the '1 Recommendations' page of the guidance "
                      "to read the recommendation")
    return reading, None


def read_saved_appraisal(text: str, *, url: str | None, read_at: datetime, name: str = "") -> AppraisalRead:
    """The appraisal on a saved project page, project feed or TA page, as a live read would give it.

    ``url`` is the page's address on nice.org.uk when known (it decides the page family, as NICE's
    redirects do for a live read); ``name`` names the file in the provenance when there is no address.
    Raises NiceFormatError (with what was missing) for a page that is not one appraisal.
    """
    kind = saved_kind(text, url)
    source = url or f"saved page {name or '(uploaded)'}"
    pages = (PageRead(url=source, fetched_at=read_at, from_cache=False),)
    if kind in (SavedKind.INDEV_FEED, SavedKind.INDEV_PROJECT):
        project = _project(kind, text)
        family = page_family_from_url(url) if url else None
        return AppraisalRead(
            reference=gid(project.gid), title=project.title, gid=project.gid, id_number=project.id_number,
            ta_number=None, process=project.process,
            status=project.status or (family.capitalize() if family else None),
            draft_guidance_date=project.draft_guidance_date, fdg_date=project.fdg_date,
            expected_publication_date=project.expected_publication_date,
            expected_publication_tbc=project.expected_publication_tbc, publication_date=None, last_updated=None,
            recommendation=None, recommendation_sentence=None, committee_dates=project.committee_dates,
            provisional_schedule=project.provisional_schedule, timeline=project.timeline,
            cancer=classify_title(project.title), source_url=source, read_at=read_at, pages=pages,
            page_family=family, notes=project.notes, from_saved_page=True,
        )
    if kind in (SavedKind.PUBLISHED_GUIDANCE, SavedKind.TERMINATED_GUIDANCE):
        heading = parse_published_guidance(text)
        reading, missing = _recommendation_on_page(text, heading)
        asked = parse_reference(url) if url else ta_number(heading.ta_number)
        terminated = heading.is_terminated or kind is SavedKind.TERMINATED_GUIDANCE
        return AppraisalRead(
            reference=asked, title=heading.title,
            gid=asked.value if asked.kind is ReferenceKind.GID else None, id_number=None,
            ta_number=heading.ta_number, process=None, status="Terminated" if terminated else "Published",
            draft_guidance_date=None, fdg_date=None, expected_publication_date=None, expected_publication_tbc=False,
            publication_date=heading.publication_date, last_updated=heading.last_updated,
            recommendation=reading.type if reading else None,
            recommendation_sentence=reading.sentence if reading else None,
            committee_dates=(), provisional_schedule=(), timeline=(), cancer=classify_title(heading.title),
            source_url=source, read_at=read_at, pages=pages,
            page_family=page_family_from_url(url) if url else ("terminated" if terminated else "published"),
            terminated_date=heading.terminated_date, notes=(missing,) if missing else (), from_saved_page=True,
        )
    raise NiceFormatError(f"this is a {KIND_WORDS[kind]}, not the page of one appraisal", where=WHERE)


# --- what read-file prints -------------------------------------------------------------------------


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _event(event: DatedEvent, where: str) -> dict[str, Any]:
    return {"label": event.label, "where": where, "text": event.date_text, "start": _iso(event.start),
            "end": _iso(event.end) if event.end != event.start else None, "tbc": event.tbc,
            "readable": event.readable}


def _appraisal_description(read: AppraisalRead, kind: SavedKind) -> dict[str, Any]:
    dates: list[dict[str, Any]] = []
    for label, value in (("Published", read.publication_date), ("Last updated", read.last_updated),
                         ("Terminated", read.terminated_date)):
        if value:
            dates.append({"label": label, "where": "page heading", "text": f"{value:%d %B %Y}",
                          "start": value.isoformat(), "end": None, "tbc": False, "readable": True})
    dates += [_event(e, "Provisional schedule") for e in read.provisional_schedule]
    dates += [_event(e, "Timeline") for e in read.timeline]
    return {
        "kind": str(kind),
        "kind_in_words": KIND_WORDS[kind],
        "references": {"gid": read.gid, "id_number": read.id_number, "ta_number": read.ta_number},
        "title": read.title,
        "status": {"nice": read.status, "tool": status_for(read.status, read.page_family)},
        "process": read.process,
        "expected_publication": {"date": _iso(read.expected_publication_date), "tbc": read.expected_publication_tbc},
        "draft_guidance_date": _iso(read.draft_guidance_date),
        "final_draft_guidance_date": _iso(read.fdg_date),
        "committee_dates": [d.isoformat() for d in read.committee_dates],
        "dates": dates,
        "recommendation": ({"type": str(read.recommendation).replace("_", " "),
                            "sentence": read.recommendation_sentence} if read.recommendation else None),
        "cancer": {"about_cancer": read.cancer.is_cancer, "sact": read.cancer.is_sact, "reason": read.cancer.reason},
        "could_not_read": list(read.notes),
    }


def _skip_reason(reference: NiceReference | None, guidance_type: str | None, cancer: Any, url: str) -> str | None:
    from .reader import Candidate

    return Candidate(title="", reference=reference, id_number=None, url=url, expected_publication_date=None,
                     cancer=cancer, listed_at=datetime.min, guidance_type=guidance_type).skip_reason


def _list_description(text: str, kind: SavedKind) -> dict[str, Any]:
    listing = parse_search_results(text) if kind is SavedKind.SEARCH_RESULTS else parse_guidance_list(text)
    entries = []
    for entry in listing.entries:
        title, id_number = split_title(entry.title)
        cancer = classify_title(title)
        reference: NiceReference | None = entry.reference
        entries.append({
            "title": title,
            "url": entry.url,
            "skipped_by_discovery_because": _skip_reason(entry.reference, entry.guidance_type, cancer, entry.url),
            "references": {"gid": reference.value if reference and reference.kind is ReferenceKind.GID else None,
                           "ta_number": (reference.value if reference and reference.kind is ReferenceKind.TA_NUMBER
                                         else None),
                           "id_number": id_number, "guidance_ref": entry.guidance_ref},
            "guidance_type": entry.guidance_type,
            "technology_appraisal": is_technology_appraisal(entry.guidance_type, reference),
            "status": entry.status,
            "dates": {"published": _iso(entry.publication_date), "last_updated": _iso(entry.last_updated),
                      "expected_publication": _iso(entry.expected_publication_date),
                      "terminated": _iso(entry.terminated_date)},
            "cancer": {"about_cancer": cancer.is_cancer, "sact": cancer.is_sact, "reason": cancer.reason},
        })
    return {"kind": str(kind), "kind_in_words": KIND_WORDS[kind], "total": listing.total,
            "entries": entries, "could_not_read": []}


def _projects_description(text: str) -> dict[str, Any]:
    projects = json.loads(text)["_embedded"][_PROJECTS_KEY]
    projects = projects if isinstance(projects, list) else [projects]
    entries = []
    for project in projects:
        title, id_in_title = split_title(project.get("Title") or "")
        cancer = classify_title(title)
        nice_status = _humanise_status(project.get("Status"))
        id_number = project.get("IdNumber")
        entries.append({
            "title": title,
            "references": {"gid": project.get("Reference"), "id_number": f"ID{id_number}" if id_number else id_in_title},
            "guidance_type": project.get("ProductTypeName"),
            "technology_appraisal": project.get("ProjectType") == "TA",
            "status": {"nice": nice_status, "tool": tool_status_for(nice_status)},
            "cancer": {"about_cancer": cancer.is_cancer, "sact": cancer.is_sact, "reason": cancer.reason},
        })
    return {"kind": str(SavedKind.PROJECTS_FEED), "kind_in_words": KIND_WORDS[SavedKind.PROJECTS_FEED],
            "total": len(entries), "entries": entries, "could_not_read": []}


def describe_saved_page(text: str, *, url: str | None = None, read_at: datetime) -> dict[str, Any]:
    """What the reader takes from a saved NICE page or feed, as JSON-ready data (``flask nice read-file``).

    Raises NiceFormatError saying why when the file cannot be read.
    """
    kind = saved_kind(text, url)
    if kind is SavedKind.PROJECTS_FEED:
        return _projects_description(text)
    if kind in (SavedKind.GUIDANCE_LIST, SavedKind.SEARCH_RESULTS):
        return _list_description(text, kind)
    return _appraisal_description(read_saved_appraisal(text, url=url, read_at=read_at), kind)
