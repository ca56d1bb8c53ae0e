"""Pure parsers: NICE HTML and JSON text in, frozen dataclasses out. No network, no Flask.

Rules followed throughout (domain guide §6):

- read ``<script id="__NEXT_DATA__">`` first; fall back to the rendered HTML only when it is absent;
- in HTML, find things by label text ("Expected publication", "Status", "Process", "ID number",
  with or without a colon), by ``aria-label`` and by element ids, never by CSS-module class names,
  which NICE hashes on the live site;
- when a page does not have the shape expected, raise :class:`NiceFormatError` naming what was
  missing rather than returning half-filled data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any, Iterable, Mapping

from bs4 import BeautifulSoup, Tag

from .errors import NiceFormatError
from .references import NiceReference, reference_from_path

# ---------------------------------------------------------------------------------------------
# Dates

_NOT_YET_KNOWN = {"", "tbc", "to be confirmed", "tba", "to be announced"}
_DATE_FORMATS = ("%d %B %Y", "%d %b %Y")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$")
_ORDINAL = re.compile(r"(\d{1,2})(?:st|nd|rd|th)\b", re.IGNORECASE)
_DATE_SPAN = re.compile(r"\s+(?:-|–|—|to)\s+")
# "09 October 2020 (14:00)", "09 October 2020, 2pm": NICE sometimes adds a time; the day is what counts.
_TIME_SUFFIX = re.compile(r"\s*(?:\(\s*\d{1,2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?\s*\)|,?\s+(?:at\s+)?\d{1,2}(?:[:.]\d{2})\s*(?:[ap]\.?m\.?)?|,?\s+\d{1,2}\s*[ap]\.?m\.?)\s*$", re.IGNORECASE)


def _date_words(text: str | None) -> str:
    """The words of a date cell: NICE's older feeds wrap some in markup ("<strong>TBC</strong>")."""
    words = text or ""
    if "<" in words and ">" in words:
        words = BeautifulSoup(words, "html.parser").get_text(" ")
    return _squash(words)


def is_not_yet_known(text: str | None) -> bool:
    """True for the ways NICE says a date is not set: "TBC", "<strong>TBC</strong>", "To be confirmed", blank."""
    return text is None or _date_words(text).strip(" .").lower() in _NOT_YET_KNOWN


def parse_nice_date(text: str | None) -> date | None:
    """A date as NICE writes it, or None when NICE says it is not yet known.

    Accepts "23 August 2023", "23 Aug 2023", "07 June 2023", "23rd August 2023",
    "09 October 2020 (14:00)" (the time is dropped), ISO "2023-08-23" and "2023-08-23T00:00:00";
    "TBC", "<strong>TBC</strong>", "To be confirmed" and "" give None.
    Anything else raises NiceFormatError, so a new format is noticed rather than lost.
    """
    if is_not_yet_known(text):
        return None
    cleaned = _TIME_SUFFIX.sub("", _date_words(text)).strip(" .")
    if _ISO_DATE.match(cleaned):
        return datetime.fromisoformat(cleaned.replace("Z", "+00:00")).date()
    cleaned = _ORDINAL.sub(r"\1", cleaned).replace("Sept ", "Sep ")
    for date_format in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, date_format).date()
        except ValueError:
            continue
    raise NiceFormatError(f"{text!r} is not a date NICE uses (such as 23 August 2023 or TBC)", where="date")


def parse_date_span(text: str | None) -> tuple[date | None, date | None]:
    """(start, end) of "21 February 2023 - 14 March 2023"; a single date gives (d, d); TBC gives (None, None)."""
    if is_not_yet_known(text):
        return None, None
    pieces = _DATE_SPAN.split(_date_words(text).strip())
    if len(pieces) == 1:
        single = parse_nice_date(pieces[0])
        return single, single
    if len(pieces) == 2:
        return parse_nice_date(pieces[0]), parse_nice_date(pieces[1])
    raise NiceFormatError(f"{text!r} is neither a date nor a date range", where="date")


def read_date_leniently(text: str | None) -> tuple[date | None, bool]:
    """(the date, True) when NICE's text is a date or says "TBC"; (None, False) when it cannot be read.

    For fields the tool does not depend on: one odd row must never fail a whole read.
    """
    try:
        return parse_nice_date(text), True
    except NiceFormatError:
        return None, False


# ---------------------------------------------------------------------------------------------
# Shared helpers


def _squash(text: str | None) -> str:
    """Collapse runs of whitespace (the snapshots are pretty-printed) and non-breaking spaces."""
    return re.sub(r"\s+", " ", (text or "").replace("\xa0", " ")).strip()


def _text(element: Tag | None) -> str:
    return _squash(element.get_text(" ")) if element is not None else ""


def _label_key(text: str) -> str:
    """Normalise a label for comparison: "Expected publication date:" -> "expected publication date"."""
    return _squash(text).rstrip(":").strip().lower()


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def next_data(html: str) -> dict[str, Any] | None:
    """The JSON in ``<script id="__NEXT_DATA__">``, or None when the page has none (as in the snapshots)."""
    script = _soup(html).find("script", id="__NEXT_DATA__")
    if script is None:
        return None
    try:
        return json.loads(script.string or "")
    except json.JSONDecodeError as error:
        raise NiceFormatError(f"__NEXT_DATA__ is not valid JSON ({error.msg})") from error


def _page_props(html: str) -> dict[str, Any] | None:
    data = next_data(html)
    if data is None:
        return None
    props = data.get("props", {}).get("pageProps")
    if not isinstance(props, dict):
        raise NiceFormatError("__NEXT_DATA__ has no props.pageProps")
    return props


def _as_list(value: Any) -> list[Any]:
    """HAL feeds give a single object where a list has one item (as NICE's own ``arrayify`` handles)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _id_number_label(raw: str | None) -> str | None:
    """"4014" or "ID4014" -> "ID4014"; blank -> None."""
    if raw is None or not str(raw).strip():
        return None
    digits = re.sub(r"^\s*ID\s*", "", str(raw), flags=re.IGNORECASE).strip()
    if not digits.isdigit():
        raise NiceFormatError(f"ID number {raw!r} is not a number")
    return f"ID{digits}"


# The ID number at the end of a title, in every form NICE's 604 TA titles use (feed of all projects):
# "[ID4014]", "[ID3907 ]", "[ID 3903]", "[1301]", "(ID1183)", "ID1079". A bare number in brackets counts
# only in square brackets, so "(2019)" or "type 2" in a title is left alone.
_TITLE_ID = re.compile(
    r"\s*(?:\[\s*(?:ID\s*-?\s*)?(\d+)\s*\]|\(\s*ID\s*-?\s*(\d+)\s*\)|\bID\s*-?\s*(\d+))\s*$", re.IGNORECASE
)


def split_title(raw_title: str) -> tuple[str, str | None]:
    """NICE appends the ID number to TA titles ("… [ID4014]", "… ID1079", "… (ID1183)", "… [1301]"):
    return the clean title and the ID number found there (as "ID4014")."""
    title = _squash(raw_title)
    match = _TITLE_ID.search(title)
    if match:
        digits = match[1] or match[2] or match[3]
        return title[: match.start()].strip(), f"ID{digits}"
    return title, None


# NICE's feed spells statuses as code ("InProgress", "ImpactedByCOVID19"); the page as words.
_STATUS_SPELLING = {
    "inprogress": "In progress",
    "impactedbycovid19": "Impacted by COVID-19",
    "topicselection": "Topic selection",
    "awaitingdevelopment": "Awaiting development",
}


def _humanise_status(status: str | None) -> str | None:
    """The feed says "InProgress"; the page says "In progress". Use the page's wording."""
    if status is None or not status.strip():
        return None
    known = _STATUS_SPELLING.get(re.sub(r"[^a-z0-9]", "", status.lower()))
    if known:
        return known
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", _squash(status))
    return words[:1].upper() + words[1:].lower()


# ---------------------------------------------------------------------------------------------
# Guidance lists (in development / published / terminated)


@dataclass(frozen=True)
class ListedGuidance:
    """One row of a NICE guidance list.

    ``reference`` is read from the row's address (GID for in-development projects, TA number for
    published TAs) and is None for other programmes' addresses (NG, CG...).
    """

    title: str
    url: str
    reference: NiceReference | None
    guidance_ref: str | None
    guidance_type: str | None
    status: str | None
    publication_date: date | None
    last_updated: date | None
    expected_publication_date: date | None
    terminated_date: date | None


@dataclass(frozen=True)
class GuidanceList:
    """One page of a guidance list; ``total`` is NICE's count over all pages."""

    entries: tuple[ListedGuidance, ...]
    total: int | None
    first_result: int | None
    last_result: int | None
    source: str  # "next_data", "search_json" or "table"

    @property
    def has_more(self) -> bool:
        if self.total is None or self.last_result is None:
            return False
        return self.last_result < self.total


def parse_guidance_list(html: str) -> GuidanceList:
    """A list page: ``__NEXT_DATA__`` ``props.pageProps.results`` first, else ``table#results``."""
    props = _page_props(html)
    if props is not None:
        results = props.get("results")
        if not isinstance(results, dict):
            raise NiceFormatError("__NEXT_DATA__ pageProps has no results", where="NICE guidance list")
        return _list_from_results(results, source="next_data")
    return _list_from_table(html)


def parse_search_results(text: str | Mapping[str, Any]) -> GuidanceList:
    """A NICE search API response (the same shape as pageProps.results on the list pages)."""
    results = json.loads(text) if isinstance(text, str) else text
    return _list_from_results(results, source="search_json")


def _list_from_results(results: Mapping[str, Any], *, source: str) -> GuidanceList:
    where = "NICE guidance list"
    if results.get("failed"):
        raise NiceFormatError(f"NICE search failed: {results.get('errorMessage') or 'no reason given'}", where=where)
    documents = results.get("documents")
    if not isinstance(documents, list):
        raise NiceFormatError("no documents in the results", where=where)
    entries = tuple(_listed_from_document(document) for document in documents)
    return GuidanceList(
        entries=entries,
        total=results.get("resultCount"),
        first_result=results.get("firstResult"),
        last_result=results.get("lastResult"),
        source=source,
    )


def _listed_from_document(document: Mapping[str, Any]) -> ListedGuidance:
    where = "NICE guidance list"
    title = document.get("title")
    url = document.get("url") or document.get("pathAndQuery")
    if not title or not url:
        raise NiceFormatError(f"a result has no title or url (id {document.get('id')!r})", where=where)
    statuses = document.get("guidanceStatus") or []
    guidance_types = document.get("niceGuidanceType") or []
    return ListedGuidance(
        # Search titles may carry highlight markup; keep the words only.
        title=_squash(BeautifulSoup(title, "html.parser").get_text()),
        url=url,
        reference=reference_from_path(url),
        guidance_ref=document.get("guidanceRef"),
        guidance_type=document.get("niceResultType") or (guidance_types[0] if guidance_types else None),
        status=", ".join(statuses) or None,
        # A list row's dates are shown, never relied on: one that cannot be read is left out, not fatal.
        publication_date=read_date_leniently(document.get("publicationDate"))[0],
        last_updated=read_date_leniently(document.get("lastUpdated"))[0],
        expected_publication_date=read_date_leniently(document.get("expectedPublicationDate"))[0],
        terminated_date=read_date_leniently(document.get("terminatedDate"))[0],
    )


# Column header text -> field. Headers are matched by label, so column order may change.
_LIST_COLUMNS = {
    "title": "title",
    "type": "guidance_type",
    "guidance programme": "guidance_type",
    "reference number": "guidance_ref",
    "expected publication date": "expected_publication_date",
    "expected publication": "expected_publication_date",
    "published": "publication_date",
    "published date": "publication_date",
    "last updated": "last_updated",
    "terminated date": "terminated_date",
}
_SHOWING = re.compile(r"Showing\s+(\d+)\s+to\s+(\d+)\s+of\s+(\d+)", re.IGNORECASE)


def _list_from_table(html: str) -> GuidanceList:
    where = "NICE guidance list"
    soup = _soup(html)
    table = soup.find("table", id="results")
    if table is None:
        raise NiceFormatError("no __NEXT_DATA__ and no results table (table#results)", where=where)
    headers = [_label_key(_text(th)) for th in table.select("thead th")]
    columns = {_LIST_COLUMNS[h]: i for i, h in enumerate(headers) if h in _LIST_COLUMNS}
    if "title" not in columns:
        raise NiceFormatError(f"results table has no Title column (headers: {headers})", where=where)
    entries = []
    for row in table.select("tbody tr"):
        cells = row.find_all("td")
        if len(cells) != len(headers):
            raise NiceFormatError(f"a results row has {len(cells)} cells for {len(headers)} headers", where=where)
        link = cells[columns["title"]].find("a", href=True)
        if link is None:
            raise NiceFormatError("a results row has no link in its Title cell", where=where)

        def cell(field: str) -> str | None:
            return _text(cells[columns[field]]) or None if field in columns else None

        def cell_date(field: str) -> date | None:
            if field not in columns:
                return None
            time = cells[columns[field]].find("time")
            if time is not None and time.get("datetime"):
                return read_date_leniently(time["datetime"])[0]
            return read_date_leniently(_text(cells[columns[field]]))[0]

        entries.append(
            ListedGuidance(
                title=_text(link),
                url=link["href"],
                reference=reference_from_path(link["href"]),
                guidance_ref=cell("guidance_ref"),
                guidance_type=cell("guidance_type"),
                status=None,
                publication_date=cell_date("publication_date"),
                last_updated=cell_date("last_updated"),
                expected_publication_date=cell_date("expected_publication_date"),
                terminated_date=cell_date("terminated_date"),
            )
        )
    showing = _SHOWING.search(_text(soup))
    return GuidanceList(
        entries=tuple(entries),
        total=int(showing[3]) if showing else None,
        first_result=int(showing[1]) if showing else None,
        last_result=int(showing[2]) if showing else None,
        source="table",
    )


# ---------------------------------------------------------------------------------------------
# In-development project


class EventKind(StrEnum):
    DRAFT_GUIDANCE = "draft_guidance"
    FINAL_DRAFT_GUIDANCE = "final_draft_guidance"
    COMMITTEE_MEETING = "committee_meeting"
    EXPECTED_PUBLICATION = "expected_publication"
    INVITATION_TO_PARTICIPATE = "invitation_to_participate"
    OTHER = "other"


_EVENT_KINDS = (
    (re.compile(r"^(final draft guidance|fdg)\b", re.IGNORECASE), EventKind.FINAL_DRAFT_GUIDANCE),
    (re.compile(r"^draft guidance\b", re.IGNORECASE), EventKind.DRAFT_GUIDANCE),
    # Older projects write "1st appraisal committee meeting:"
    (re.compile(r"^(?:\d+(?:st|nd|rd|th)\s+)?(?:appraisal\s+)?committee meeting\b", re.IGNORECASE),
     EventKind.COMMITTEE_MEETING),
    (re.compile(r"^expected publication\b", re.IGNORECASE), EventKind.EXPECTED_PUBLICATION),
    (re.compile(r"^invitation to participate\b", re.IGNORECASE), EventKind.INVITATION_TO_PARTICIPATE),
)
_EVENT_NUMBER = re.compile(r":\s*(\d+)\s*$|^(\d+)(?:st|nd|rd|th)\b", re.IGNORECASE)


@dataclass(frozen=True)
class DatedEvent:
    """A dated line of a project's provisional schedule or timeline.

    ``start``/``end`` are equal for a single date and None when NICE shows "TBC";
    ``date_text`` is what NICE displayed. ``number`` is the "2" of "Committee meeting: 2".
    ``readable`` is False when the date text could not be read: the row is kept as NICE wrote it
    (and noted), never fatal to the read.
    """

    label: str
    kind: EventKind
    start: date | None
    end: date | None
    date_text: str
    number: int | None
    readable: bool = True

    @property
    def tbc(self) -> bool:
        return self.start is None and self.readable


def _event(label: str, date_text: str, additional_info: str | None = None) -> DatedEvent:
    label = _date_words(label).rstrip(":").strip()
    kind = next((k for pattern, k in _EVENT_KINDS if pattern.match(label)), EventKind.OTHER)
    try:
        start, end = parse_date_span(date_text)
        readable = True
    except NiceFormatError:
        start = end = None
        readable = False
    number_match = _EVENT_NUMBER.search(label)
    number = int(number_match[1] or number_match[2]) if number_match else None
    if number is None and additional_info and str(additional_info).strip().isdigit() and kind is not EventKind.OTHER:
        number = int(additional_info)
    return DatedEvent(label=label, kind=kind, start=start, end=end, date_text=_date_words(date_text), number=number,
                      readable=readable)


def unreadable_notes(schedule: Iterable[DatedEvent], timeline: Iterable[DatedEvent]) -> tuple[str, ...]:
    """One note per row whose date could not be read (kept as text)."""
    notes = []
    for where, events in (("Provisional schedule", schedule), ("Timeline", timeline)):
        for event in events:
            if not event.readable:
                label = event.label if len(event.label) <= 80 else event.label[:77] + "…"
                notes.append(f"{where} row “{label}”: the date “{event.date_text}” could not be read; "
                             "kept as NICE wrote it")
    return tuple(notes)


@dataclass(frozen=True)
class InDevelopmentProject:
    """What a NICE in-development project page (or its InDev feed) says about an appraisal.

    ``expected_publication_date`` is None when NICE says "TBC" (then ``expected_publication_tbc``)
    or gives no expected publication at all.
    """

    gid: str
    title: str
    id_number: str | None
    process: str | None
    status: str | None
    project_type: str | None
    expected_publication_date: date | None
    expected_publication_tbc: bool
    provisional_schedule: tuple[DatedEvent, ...]
    timeline: tuple[DatedEvent, ...]
    source: str  # "indev_feed", "next_data" or "html"
    notes: tuple[str, ...] = ()  # what could not be read (kept as text), for a person to look at

    def _events(self, kind: EventKind) -> list[DatedEvent]:
        return [e for e in (*self.provisional_schedule, *self.timeline) if e.kind is kind and e.start is not None]

    @property
    def draft_guidance_date(self) -> date | None:
        """Start of the latest draft guidance consultation, scheduled or past."""
        return max((e.start for e in self._events(EventKind.DRAFT_GUIDANCE)), default=None)

    @property
    def fdg_date(self) -> date | None:
        """Latest final draft guidance date, scheduled or past."""
        return max((e.start for e in self._events(EventKind.FINAL_DRAFT_GUIDANCE)), default=None)

    @property
    def committee_dates(self) -> tuple[date, ...]:
        """Every committee meeting date, past (timeline) and planned (schedule), in order."""
        return tuple(sorted({e.start for e in self._events(EventKind.COMMITTEE_MEETING)}))


def _expected_publication(
    schedule: Iterable[DatedEvent], fallback_text: str | None = None
) -> tuple[date | None, bool]:
    """(date, TBC) of the expected publication; an unreadable one gives (None, False): no change, and noted."""
    for event in schedule:
        if event.kind is EventKind.EXPECTED_PUBLICATION:
            return event.start, event.tbc
    if fallback_text is not None:
        found, readable = read_date_leniently(fallback_text)
        return found, readable and is_not_yet_known(fallback_text)
    return None, False


def parse_indev_feed(text: str | Mapping[str, Any]) -> InDevelopmentProject:
    """NICE's raw InDev project feed (HAL JSON, PascalCase, ``_embedded`` "nice.indev:…" keys)."""
    where = "NICE InDev project feed"
    feed = json.loads(text) if isinstance(text, str) else text
    reference, raw_title = feed.get("Reference"), feed.get("Title")
    if not reference or not raw_title:
        raise NiceFormatError("no Reference or Title", where=where)
    embedded = feed.get("_embedded")
    if not isinstance(embedded, dict):
        raise NiceFormatError("no _embedded section", where=where)

    def items(list_key: str, item_key: str) -> list[dict[str, Any]]:
        section = embedded.get(list_key) or {}
        found = _as_list((section.get("_embedded") or {}).get(item_key))
        return [item for item in found if not item.get("Hidden")]

    schedule = tuple(
        _event(item["Column1"], item["Column2"], item.get("AdditionalInfo"))
        for item in items("nice.indev:provisional-schedule-list", "nice.indev:provisional-schedule")
    )
    # In the timeline the columns are the other way round: Column1 is the date.
    timeline = tuple(
        _event(item["Column2"], item["Column1"], item.get("AdditionalInfo"))
        for item in items("nice.indev:timeline-list", "nice.indev:timeline")
    )
    title, id_in_title = split_title(raw_title)
    expected, tbc = _expected_publication(schedule)
    notes = list(unreadable_notes(schedule, timeline))
    if expected is None and not tbc and feed.get("PublishedDate"):
        # The feed's PublishedDate is the expected publication date while a project is in progress.
        expected, readable = read_date_leniently(feed["PublishedDate"])
        if not readable:
            notes.append(f"the expected publication date “{feed['PublishedDate']}” could not be read")
    return InDevelopmentProject(
        gid=reference.upper(),
        title=title,
        id_number=_id_number_label(feed.get("IdNumber")) or id_in_title,
        process=feed.get("Process") or None,
        status=_humanise_status(feed.get("Status")),
        project_type=feed.get("ProjectType") or None,
        expected_publication_date=expected,
        expected_publication_tbc=tbc,
        provisional_schedule=schedule,
        timeline=timeline,
        source="indev_feed",
        notes=tuple(notes),
    )


def parse_indev_page_props(props: Mapping[str, Any]) -> InDevelopmentProject:
    """``__NEXT_DATA__.props.pageProps`` of a live project page (camelCase, lists already flattened)."""
    where = "NICE project page data"
    reference, raw_title = props.get("reference"), props.get("title")
    if not reference or not raw_title:
        raise NiceFormatError("no reference or title in pageProps (no project information found)", where=where)
    schedule = tuple(
        _event(item["column1"], item["column2"], item.get("additionalInfo"))
        for item in props.get("indevScheduleItems") or []
        if not item.get("hidden")
    )
    timeline = tuple(
        _event(item["column2"], item["column1"], item.get("additionalInfo"))
        for item in props.get("indevTimelineItems") or []
        if not item.get("hidden")
    )
    title, id_in_title = split_title(raw_title)
    expected, tbc = _expected_publication(schedule)
    return InDevelopmentProject(
        gid=str(reference).upper(),
        title=title,
        id_number=_id_number_label(props.get("idNumber")) or id_in_title,
        process=props.get("process") or None,
        status=_humanise_status(props.get("status")),
        project_type=props.get("projectType") or None,
        expected_publication_date=expected,
        expected_publication_tbc=tbc,
        provisional_schedule=schedule,
        timeline=timeline,
        source="next_data",
        notes=unreadable_notes(schedule, timeline),
    )


def parse_indev_project_page(html: str) -> InDevelopmentProject:
    """A project page at /guidance/indevelopment/gid-…: ``__NEXT_DATA__`` first, else the HTML."""
    props = _page_props(html)
    if props is not None:
        return parse_indev_page_props(props)
    return _project_from_html(html)


_GID_TEXT = re.compile(r"\bGID-[A-Z]+\d+\b", re.IGNORECASE)


def _labelled_values(soup: BeautifulSoup | Tag) -> dict[str, str]:
    """Label -> value for every ``<dt>label</dt><dd>value</dd>`` pair and every "Label: value" paragraph.

    Both layouts occur: older project pages list "Status: In progress" in paragraphs, newer ones
    in a definition list. Labels are lower-cased and lose their colon. The first occurrence wins.
    """
    values: dict[str, str] = {}
    for dt in soup.find_all("dt"):
        dd = dt.find_next_sibling("dd")
        if dd is not None:
            values.setdefault(_label_key(_text(dt)), _text(dd))
    for element in soup.find_all(["p", "li"]):
        if element.find(["p", "li", "dl", "table"]):
            continue
        match = re.match(r"^([A-Za-z][A-Za-z ]{1,40}):\s*(.+)$", _text(element))
        if match:
            values.setdefault(_label_key(match[1]), match[2].strip())
    return values


def _find_by_aria_label(soup: BeautifulSoup, name: str, label: str) -> Tag | None:
    for element in soup.find_all(name, attrs={"aria-label": True}):
        if _label_key(element["aria-label"]) == label:
            return element
    return None


def _find_after_heading(soup: BeautifulSoup, name: str, heading: str) -> Tag | None:
    for element in soup.find_all(re.compile(r"^h[1-6]$")):
        if _label_key(_text(element)) == heading:
            return element.find_next(name)
    return None


def _project_from_html(html: str) -> InDevelopmentProject:
    where = "NICE project page"
    soup = _soup(html)
    information = _find_by_aria_label(soup, "dl", "project information")
    heading = soup.find("h1")
    gid_match = _GID_TEXT.search(_text(soup.find(id="content-start")) or _text(soup))
    if information is None and not (heading and gid_match and "expected publication" in _text(soup).lower()):
        raise NiceFormatError("no project information found", where=where)
    if heading is None or not _text(heading):
        raise NiceFormatError("no title (h1) found", where=where)
    if gid_match is None:
        raise NiceFormatError("no GID (such as GID-TA10914) found", where=where)
    labels = _labelled_values(soup)

    schedule_list = _find_by_aria_label(soup, "dl", "provisional schedule") or _find_after_heading(
        soup, "dl", "provisional schedule"
    )
    schedule = tuple(
        _event(_text(dt), _text(dt.find_next_sibling("dd")))
        for dt in (schedule_list.find_all("dt") if schedule_list else [])
    )
    timeline = tuple(_timeline_rows(soup))
    title, id_in_title = split_title(_text(heading))
    expected, tbc = _expected_publication(
        schedule, labels.get("expected publication date", labels.get("expected publication"))
    )
    return InDevelopmentProject(
        gid=gid_match[0].upper(),
        title=title,
        id_number=_id_number_label(labels.get("id number")) or id_in_title,
        process=labels.get("process") or labels.get("developed as"),
        status=_humanise_status(labels.get("status")),
        project_type=gid_match[0].upper().split("-")[1].rstrip("0123456789"),
        expected_publication_date=expected,
        expected_publication_tbc=tbc,
        provisional_schedule=schedule,
        timeline=timeline,
        source="html",
        notes=unreadable_notes(schedule, timeline),
    )


def _timeline_rows(soup: BeautifulSoup) -> Iterable[DatedEvent]:
    table = _find_by_aria_label(soup, "table", "timeline") or _find_after_heading(soup, "table", "timeline")
    if table is None:
        return []
    rows = table.find_all("tr")
    header_cells = rows[0].find_all(["th", "td"]) if rows else []
    headers = [_label_key(_text(cell)) for cell in header_cells]
    if "date" not in headers or "update" not in headers:
        raise NiceFormatError(f"timeline table has no Date and Update columns (headers: {headers})", where="NICE project page")
    date_column, update_column = headers.index("date"), headers.index("update")
    events = []
    for row in rows[1:]:
        cells = row.find_all("td")
        if not cells:
            continue
        events.append(_event(_text(cells[update_column]), _text(cells[date_column])))
    return events


# ---------------------------------------------------------------------------------------------
# InDev consultation notice (html-content fragments)


@dataclass(frozen=True)
class ConsultationNotice:
    """The "How to comment" fragment InDev serves for a consultation."""

    closing_date: date | None
    document_links: tuple[tuple[str, str], ...]  # (link text, href)


_CLOSING = re.compile(r"Closing date for comments:\s*(?:\d{1,2}(?:[.:]\d{2})?\s*[ap]m,?\s*)?(\d{1,2} \w+ \d{4})", re.IGNORECASE)


def parse_consultation_notice(html: str) -> ConsultationNotice:
    soup = _soup(html)
    match = _CLOSING.search(_text(soup))
    if match is None:
        raise NiceFormatError("no 'Closing date for comments' found", where="NICE consultation notice")
    links = tuple(
        (_text(a), a["href"])
        for a in soup.find_all("a", href=True)
        if "consultation document" in _text(a).lower()
    )
    return ConsultationNotice(closing_date=parse_nice_date(match[1]), document_links=links)


# ---------------------------------------------------------------------------------------------
# Published TA page and its recommendations


class RecommendationType(StrEnum):
    """NICE's types of recommendation (domain guide §3)."""

    RECOMMENDED = "recommended"
    OPTIMISED = "optimised"
    MANAGED_ACCESS = "managed_access"
    ONLY_IN_RESEARCH = "only_in_research"
    NOT_RECOMMENDED = "not_recommended"
    TERMINATED = "terminated"


@dataclass(frozen=True)
class RecommendationReading:
    """The type read from the recommendations text and the sentence that decided it."""

    type: RecommendationType
    sentence: str


# Every form NICE uses, old and new (domain guide §3):
#   older: "X is recommended …", "… is recommended only if …", "… is recommended for use within the Cancer
#          Drugs Fund" / "with managed access", "… is recommended only in research", "… is not recommended";
#   since about mid-2025: "X can be used …", "… can be used only if …", "… can be used with managed access",
#          and in draft guidance "… should not be used"; also "cannot be used";
#   terminated: "NICE is unable to make a recommendation".
_POSITIVE = r"(?:\b(?:is|are)\s+(?!not\b)recommended\b|\bcan\s+(?:only\s+)?be\s+used\b)"
_NEGATIVE = r"(?:\b(?:is|are)\s+not\s+recommended\b|\b(?:should|must)\s+not\s+be\s+used\b|\bcan\s*not\s+be\s+used\b|\bcan't\s+be\s+used\b)"
# "It can only be used if the company provides it according to the commercial arrangement" (or "is recommended
# only if the company provides it …") is the standard price condition, not a narrower population.
_PRICE_CONDITION = r"\s+(?:the company provides|it is provided|the company makes)"
_RECOMMENDATION_RULES: tuple[tuple[RecommendationType, re.Pattern[str]], ...] = (
    (
        RecommendationType.TERMINATED,
        re.compile(r"unable to make (?:a |any )?recommendations?\b", re.IGNORECASE),
    ),
    (
        RecommendationType.MANAGED_ACCESS,
        re.compile(_POSITIVE + r"[^.]*?\b(?:within the Cancer Drugs Fund|with managed access)", re.IGNORECASE),
    ),
    (
        RecommendationType.ONLY_IN_RESEARCH,
        re.compile(_POSITIVE + r"[^.]*?\bonly in (?:the context of )?research\b", re.IGNORECASE),
    ),
    (
        RecommendationType.OPTIMISED,
        re.compile(
            r"(?:" + _POSITIVE + r"[^.]*?\bonly\s+(?:if\b(?!" + _PRICE_CONDITION + r")|for\b|when\b|"
            r"in (?:adults|people|children)\b)"
            r"|\bcan\s+only\s+be\s+used\s+(?:if|for|when)\b(?!" + _PRICE_CONDITION + r"))",
            re.IGNORECASE,
        ),
    ),
    (RecommendationType.RECOMMENDED, re.compile(_POSITIVE, re.IGNORECASE)),
    (RecommendationType.NOT_RECOMMENDED, re.compile(_NEGATIVE, re.IGNORECASE)),
)
_SENTENCE_END = re.compile(r"(?<=[.;])\s+(?=[A-Z0-9])")
_NUMBERED = re.compile(r"^1\.\d+\b")


def technology_name(title: str | None) -> str | None:
    """The appraised technology named by a TA title, lower case ("Trastuzumab rezetecan for treating …" ->
    "trastuzumab rezetecan"; "Daratumumab with lenalidomide …" -> "daratumumab").

    Used to pick the recommendations about the appraised technology, not those about other drugs.
    """
    if not title:
        return None
    name = re.split(r"\s+(?:for|to|in|as|with|plus|and|after|before)\s+|\s*[,(\[]", split_title(title)[0],
                    maxsplit=1, flags=re.IGNORECASE)[0]
    name = re.sub(r"^[^\w]+|[^\w]+$", "", " ".join(name.split()))
    return name.lower() or None


def _recommendation_lines(text: str, technology: str | None) -> list[str]:
    """The lines that can decide the type: section 1's numbered recommendations ("1.1 …") when the text has
    any, else every line; of those, the ones naming the appraised technology (its whole name, else its first
    word) when any do."""
    lines = [_squash(line) for line in text.splitlines() if _squash(line)]
    numbered = [line for line in lines if _NUMBERED.match(line)]
    chosen = numbered or lines
    if technology:
        for words in (technology, technology.split()[0]):
            about = [line for line in chosen if words in line.lower()]
            if about:
                return about
    return chosen


def classify_recommendation(text: str, technology: str | None = None) -> RecommendationReading:
    """The recommendation type stated in NICE recommendations text, and the sentence that decided it.

    Only section 1's numbered recommendations are read when the text has them (so "Why these
    recommendations were made" about another drug never decides), and of those the ones naming
    ``technology`` (see :func:`technology_name`) when given.

    Precedence: terminated ("unable to make a recommendation"), managed access ("recommended for
    use within the Cancer Drugs Fund" / "can be used with managed access"), only in research, optimised
    ("recommended ... only if" / "can be used only if"), recommended ("is recommended", "can be used"),
    not recommended ("is not recommended", "should not be used", "cannot be used"). So a mixed chapter
    that recommends for one group and not another reads as its positive recommendation.
    """
    # Sentences are scanned whole, so "1.1 X is recommended, within its marketing authorisation,
    # ... only if" counts as optimised while "This recommendation is not intended to affect
    # treatment ... started in the NHS before" is never read as "not recommended".
    lines = _recommendation_lines(text, technology)
    sentences = [s for line in lines for s in _SENTENCE_END.split(line) if s]
    for recommendation_type, pattern in _RECOMMENDATION_RULES:
        for sentence in sentences:
            if pattern.search(sentence):
                return RecommendationReading(recommendation_type, sentence)
    raise NiceFormatError(
        "no recommendation sentence found (such as 'X is recommended …' or 'X can be used …')",
        where="NICE recommendations",
    )


@dataclass(frozen=True)
class PublishedGuidance:
    """The heading of a published TA page (/guidance/taNNNN) or a terminated one (/guidance/terminated/taNNNN).

    A terminated appraisal shows "Terminated: <date>" and no "Published:" date.
    """

    ta_number: str
    title: str
    publication_date: date | None
    last_updated: date | None
    terminated_date: date | None = None

    @property
    def is_terminated(self) -> bool:
        return self.terminated_date is not None and self.publication_date is None


_TA_TEXT = re.compile(r"^(?:Reference number:?\s*)?(TA\d+)$", re.IGNORECASE)
_CANONICAL_TA = re.compile(r"/guidance/(?:terminated/)?(ta\d+)(?:/|$)", re.IGNORECASE)
_HEADING_DATE = re.compile(r"^(Published|Last updated|Terminated)\s*:?\s*(.*)$", re.IGNORECASE)


def parse_published_guidance(html: str) -> PublishedGuidance:
    """Title, TA number and the "Published:", "Last updated:" or "Terminated:" dates from a TA page heading.

    Works on the overview and on any chapter page (NICE repeats the heading on each).
    """
    where = "NICE published guidance page"
    soup = _soup(html)
    heading = soup.find("h1")
    if heading is None or not _text(heading):
        raise NiceFormatError("no title (h1) found", where=where)
    ta_number = None
    found: dict[str, date | None] = {}
    for item in soup.find_all("li"):
        if item.find("li"):
            continue
        item_text = _text(item)
        if ta_number is None and (match := _TA_TEXT.match(item_text)):
            ta_number = match[1].upper()
        label_match = _HEADING_DATE.match(item_text)
        if label_match:
            label = label_match[1].lower()
            time = item.find("time")
            value = time["datetime"] if time is not None and time.get("datetime") else label_match[2]
            if label not in found:
                found[label] = parse_nice_date(value)
    if ta_number is None:
        canonical = soup.find("link", rel="canonical")
        match = _CANONICAL_TA.search(canonical.get("href", "")) if canonical else None
        if match:
            ta_number = match[1].upper()
    if ta_number is None:
        raise NiceFormatError("no TA number (such as TA1037) found in the page heading", where=where)
    if "published" not in found and "terminated" not in found:
        raise NiceFormatError("no 'Published:' or 'Terminated:' date found in the page heading", where=where)
    return PublishedGuidance(
        ta_number=ta_number,
        title=split_title(_text(heading))[0],
        publication_date=found.get("published"),
        last_updated=found.get("last updated"),
        terminated_date=found.get("terminated"),
    )


_BLOCKS = ["p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "dd", "dt"]


def recommendations_text(html: str) -> str:
    """The words of a /chapter/1-Recommendations page, one line per paragraph, heading or list item.

    Only ``<main>`` (or the body) is read, without scripts and navigation. Lines keep a heading
    such as "1 Recommendations" out of the first recommendation's sentence.
    """
    soup = _soup(html)
    container = soup.find("main") or soup.body or soup
    for unwanted in container.find_all(["script", "style", "nav", "header", "footer"]):
        unwanted.decompose()
    blocks = [b for b in container.find_all(_BLOCKS) if b.find(_BLOCKS) is None]
    text = "\n".join(line for line in (_text(b) for b in blocks) if line) or _text(container)
    if not text:
        raise NiceFormatError("the recommendations page has no text", where="NICE recommendations")
    return text


def parse_recommendations_page(html: str, technology: str | None = None) -> RecommendationReading:
    """The recommendation on a chapter 1 page; ``technology`` (or the page's own heading) picks the
    recommendations about the appraised technology."""
    if technology is None:
        heading = _soup(html).find("h1")
        technology = technology_name(_text(heading)) if heading is not None else None
    return classify_recommendation(recommendations_text(html), technology)


# ---------------------------------------------------------------------------------------------
# Which parser fits a page


class PageKind(StrEnum):
    INDEV_PROJECT = "indev_project"
    PUBLISHED_GUIDANCE = "published_guidance"
    TERMINATED_GUIDANCE = "terminated_guidance"
    GUIDANCE_LIST = "guidance_list"
    UNKNOWN = "unknown"


# The page families NICE serves a project or an appraisal under, and what each means for its status.
# Proposed projects redirect to /awaiting-development/, discontinued ones to /discontinued/ (NICE's code
# since May 2023), terminated TAs to /guidance/terminated/taNNNN.
PROJECT_FAMILIES = {
    "indevelopment": "in development",
    "awaiting-development": "awaiting development",
    "discontinued": "discontinued",
    "topic-selection": "awaiting development",
}
_PROJECT_PATH = re.compile(r"^/guidance/(" + "|".join(PROJECT_FAMILIES) + r")/gid-[a-z]+\d+")


def page_kind_from_url(url: str) -> PageKind:
    """Decide the parser from the address NICE finally served (a finished project redirects to /guidance/taNNNN)."""
    path = re.sub(r"^https?://[^/]+", "", url).split("?")[0].split("#")[0].rstrip("/").lower()
    if _PROJECT_PATH.match(path):
        return PageKind.INDEV_PROJECT
    if re.match(r"^/guidance/terminated/ta\d+", path):
        return PageKind.TERMINATED_GUIDANCE
    if re.match(r"^/guidance/ta\d+", path):
        return PageKind.PUBLISHED_GUIDANCE
    if path in {"/guidance/indevelopment", "/guidance/published", "/guidance/terminated",
                "/guidance/awaiting-development", "/guidance/proposed", "/guidance/inconsultation"}:
        return PageKind.GUIDANCE_LIST
    return PageKind.UNKNOWN


def page_family_from_url(url: str) -> str | None:
    """The status a page's address implies ("awaiting development", "discontinued", "terminated" …), or None."""
    path = re.sub(r"^https?://[^/]+", "", url).split("?")[0].rstrip("/").lower()
    if match := _PROJECT_PATH.match(path):
        return PROJECT_FAMILIES[match[1]]
    if re.match(r"^/guidance/terminated/ta\d+", path):
        return "terminated"
    if re.match(r"^/guidance/ta\d+", path):
        return "published"
    return None
