"""Read one appraisal, or discover candidate cancer appraisals, from NICE. No database here.

:func:`read_appraisal` either returns a complete :class:`AppraisalRead` or raises
:class:`NiceFetchError`; it never returns half-filled data. A field is None only when NICE
genuinely gives no value (or says "TBC"), and every read carries the addresses it came from and
when. :meth:`AppraisalRead.as_fields` gives the values the database layer compares, field by field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Mapping

from .classify import CancerClassification, classify_title
from .client import FetchedPage, NiceClient
from .errors import NiceFetchError, NiceFormatError
from .parse import (
    DatedEvent,
    InDevelopmentProject,
    PageKind,
    PublishedGuidance,
    RecommendationReading,
    RecommendationType,
    classify_recommendation,
    page_family_from_url,
    page_kind_from_url,
    parse_guidance_list,
    parse_indev_project_page,
    parse_published_guidance,
    parse_recommendations_page,
    recommendations_text,
    split_title,
    technology_name,
)
from .references import (
    NiceReference,
    ReferenceKind,
    gid,
    indevelopment_list_url,
    parse_reference,
    recommendations_url,
    ta_number,
)

NOT_AN_APPRAISAL_PAGE = "the page did not look like a NICE appraisal page"
# A page at an appraisal's address that the parser cannot read: most likely NICE changed its layout.
CHANGED_LAYOUT = NOT_AN_APPRAISAL_PAGE + " (NICE may have changed its page layout)"

# The names the database layer uses for an appraisal's NICE fields, in display order.
FIELD_NAMES = (
    "title",
    "gid",
    "id_number",
    "ta_number",
    "process",
    "status",
    "draft_guidance_date",
    "fdg_date",
    "expected_publication_date",
    "expected_publication_tbc",
    "publication_date",
    "recommendation",
    "committee_dates",
)


@dataclass(frozen=True)
class PageRead:
    """Provenance of one page: the address NICE finally served and when it was read."""

    url: str
    fetched_at: datetime
    from_cache: bool


@dataclass(frozen=True)
class AppraisalRead:
    """Everything read about one appraisal from NICE, with where and when it was read.

    ``reference`` is what was asked for; ``source_url`` the page the appraisal's details came from
    (after redirects: a finished project's GID leads to its /guidance/taNNNN page);
    ``pages`` every page read, in order. ``recommendation`` is None until NICE publishes.
    """

    reference: NiceReference
    title: str
    gid: str | None
    id_number: str | None
    ta_number: str | None
    process: str | None
    status: str | None
    draft_guidance_date: date | None
    fdg_date: date | None
    expected_publication_date: date | None
    expected_publication_tbc: bool
    publication_date: date | None
    last_updated: date | None
    recommendation: RecommendationType | None
    recommendation_sentence: str | None
    committee_dates: tuple[date, ...]
    provisional_schedule: tuple[DatedEvent, ...]
    timeline: tuple[DatedEvent, ...]
    cancer: CancerClassification
    source_url: str
    read_at: datetime
    pages: tuple[PageRead, ...]
    # What the page's address says ("awaiting development", "discontinued", "terminated", ...), if anything.
    page_family: str | None = None
    terminated_date: date | None = None
    # What could not be read (kept as NICE wrote it), for a person to look at; never fatal.
    notes: tuple[str, ...] = ()
    # True when read from a page a person saved from their browser and uploaded (or pasted), not fetched.
    from_saved_page: bool = False

    @property
    def is_published(self) -> bool:
        return self.ta_number is not None and self.publication_date is not None

    def as_fields(self) -> dict[str, Any]:
        """Field name -> value for the fields the database keeps (see FIELD_NAMES).

        Dates stay ``date``, ``committee_dates`` a tuple, ``recommendation`` a string
        ("recommended", "optimised", ... or None), so two reads compare with ``==``.
        """
        fields = {name: getattr(self, name) for name in FIELD_NAMES}
        fields["recommendation"] = str(self.recommendation) if self.recommendation is not None else None
        return fields

    def changes_from(self, before: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
        """Field name -> (before, now) for each field whose value differs from ``before``."""
        now = self.as_fields()
        return {name: (before.get(name), value) for name, value in now.items() if before.get(name) != value}


@dataclass(frozen=True)
class Candidate:
    """One item of NICE's in-development list, classified by title.

    ``skip_reason`` says why it is not offered for the pipeline (None when it is): no GID in its address,
    not a technology appraisal (NICE's guidance type is checked, not only the list's filter), not about
    cancer, or about cancer but not SACT.
    """

    title: str
    reference: NiceReference | None
    id_number: str | None
    url: str
    expected_publication_date: date | None
    cancer: CancerClassification
    listed_at: datetime
    guidance_type: str | None = None

    @property
    def skip_reason(self) -> str | None:
        if self.reference is None or self.reference.kind is not ReferenceKind.GID:
            return f"no GID in its NICE address ({self.url})"
        if not is_technology_appraisal(self.guidance_type, self.reference):
            shown = self.guidance_type or self.reference.value
            return f"not a technology appraisal ({shown})"
        if not self.cancer.is_cancer:
            return f"not about cancer: {self.cancer.reason}"
        if not self.cancer.is_sact:
            return self.cancer.reason
        return None


_TA_GUIDANCE_TYPE = re.compile(r"^technology appraisals?(?: guidance)?$", re.IGNORECASE)


def is_technology_appraisal(guidance_type: str | None, reference: NiceReference | None) -> bool:
    """NICE's guidance type says technology appraisal, and the GID (if any) is a GID-TA project.

    The list's ``ngt`` filter is not trusted alone: NICE's own responses mix in other programmes.
    When the list gives no type (the HTML table), the GID decides.
    """
    if guidance_type is not None and not _TA_GUIDANCE_TYPE.match(" ".join(guidance_type.split())):
        return False
    if reference is not None and reference.kind is ReferenceKind.GID:
        return reference.value.startswith("GID-TA")
    return guidance_type is not None


def _as_reference(reference: NiceReference | str) -> NiceReference:
    return reference if isinstance(reference, NiceReference) else parse_reference(reference)


def _page_read(page: FetchedPage) -> PageRead:
    return PageRead(url=page.url, fetched_at=page.fetched_at, from_cache=page.from_cache)


def read_appraisal(reference: NiceReference | str, client: NiceClient) -> AppraisalRead:
    """Read an appraisal from NICE by URL, GID, ID number or TA number.

    Raises NiceReferenceError for input that names no appraisal, NiceFetchError for everything
    that goes wrong afterwards (network, NICE's answer, a page of an unexpected shape).
    """
    asked = _as_reference(reference)
    pages: list[FetchedPage] = []
    target = asked
    if asked.kind is ReferenceKind.ID_NUMBER:
        target, list_page = _resolve_id_number(asked, client)
        pages.append(list_page)

    page = client.fetch(target.url(client.base_url), reference=asked)
    pages.append(page)
    kind = page_kind_from_url(page.url)
    if kind is PageKind.INDEV_PROJECT:
        project = _parse(asked, parse_indev_project_page, page)
        if target.kind is ReferenceKind.GID and project.gid != target.value:
            raise NiceFetchError(asked, f"NICE answered with a different project ({project.gid})")
        return _from_project(asked, project, page, pages, client)
    if kind in (PageKind.PUBLISHED_GUIDANCE, PageKind.TERMINATED_GUIDANCE):
        published = _parse(asked, parse_published_guidance, page)
        if target.kind is ReferenceKind.TA_NUMBER and published.ta_number != target.value:
            raise NiceFetchError(asked, f"NICE answered with a different appraisal ({published.ta_number})")
        if kind is PageKind.TERMINATED_GUIDANCE or published.is_terminated:
            # A terminated appraisal has no recommendations chapter: its page says why there is none.
            return _from_published(asked, target, published, _terminated_reading(page.text, published), page,
                                   pages, client)
        chapter = _fetch_recommendations(asked, ta_number(published.ta_number), client)
        pages.append(chapter)
        reading = _parse(asked, lambda text: parse_recommendations_page(text, technology_name(published.title)),
                         chapter)
        return _from_published(asked, target, published, reading, page, pages, client)
    raise NiceFetchError(asked, f"{NOT_AN_APPRAISAL_PAGE}: NICE sent us to {page.url}")


def _terminated_reading(html: str, published: PublishedGuidance) -> RecommendationReading:
    """NICE's own sentence ("NICE is unable to make a recommendation …") when the page has it."""
    try:
        reading = classify_recommendation(recommendations_text(html), technology_name(published.title))
    except NiceFormatError:
        reading = None
    if reading is not None and reading.type is RecommendationType.TERMINATED:
        return reading
    when = f" on {published.terminated_date:%d %B %Y}" if published.terminated_date else ""
    return RecommendationReading(RecommendationType.TERMINATED, f"NICE terminated this appraisal{when}.")


def _parse(asked: NiceReference, parser: Any, page: FetchedPage) -> Any:
    try:
        return parser(page.text)
    except NiceFormatError as error:
        raise NiceFetchError(asked, f"{CHANGED_LAYOUT}: {error.missing}") from error


def _fetch_recommendations(asked: NiceReference, published: NiceReference, client: NiceClient) -> FetchedPage:
    try:
        return client.fetch(recommendations_url(published, client.base_url), reference=asked)
    except NiceFetchError as error:
        raise NiceFetchError(asked, f"could not read the recommendations (chapter 1): {error.reason}") from error


def _from_project(
    asked: NiceReference, project: InDevelopmentProject, page: FetchedPage, pages: list[FetchedPage],
    client: NiceClient,
) -> AppraisalRead:
    family = page_family_from_url(page.url)
    return AppraisalRead(
        reference=asked,
        title=project.title,
        gid=project.gid,
        id_number=project.id_number,
        ta_number=None,
        process=project.process,
        # The page's own wording first; the address NICE redirected to when the page does not say.
        status=project.status or (family.capitalize() if family else None),
        draft_guidance_date=project.draft_guidance_date,
        fdg_date=project.fdg_date,
        expected_publication_date=project.expected_publication_date,
        expected_publication_tbc=project.expected_publication_tbc,
        publication_date=None,
        last_updated=None,
        recommendation=None,
        recommendation_sentence=None,
        committee_dates=project.committee_dates,
        provisional_schedule=project.provisional_schedule,
        timeline=project.timeline,
        cancer=classify_title(project.title),
        source_url=page.url,
        read_at=page.fetched_at,
        pages=tuple(_page_read(p) for p in pages),
        page_family=family,
        notes=project.notes,
    )


def _from_published(
    asked: NiceReference, target: NiceReference, published: PublishedGuidance, reading: RecommendationReading | None,
    page: FetchedPage, pages: list[FetchedPage], client: NiceClient | None, notes: tuple[str, ...] = (),
) -> AppraisalRead:
    return AppraisalRead(
        reference=asked,
        title=published.title,
        # A GID or ID number asked for stays known after NICE redirects to the published page.
        gid=target.value if target.kind is ReferenceKind.GID else None,
        id_number=asked.value if asked.kind is ReferenceKind.ID_NUMBER else None,
        ta_number=published.ta_number,
        process=None,
        # NICE publishes terminated appraisals as TA pages too; their status is not "Published" guidance.
        status="Terminated" if (reading and reading.type is RecommendationType.TERMINATED) or published.is_terminated
        else "Published",
        draft_guidance_date=None,
        fdg_date=None,
        expected_publication_date=None,
        expected_publication_tbc=False,
        publication_date=published.publication_date,
        last_updated=published.last_updated,
        recommendation=reading.type if reading else None,
        recommendation_sentence=reading.sentence if reading else None,
        committee_dates=(),
        provisional_schedule=(),
        timeline=(),
        cancer=classify_title(published.title),
        source_url=page.url,
        read_at=page.fetched_at,
        pages=tuple(_page_read(p) for p in pages),
        page_family=page_family_from_url(page.url),
        terminated_date=published.terminated_date,
        notes=notes,
    )




def _resolve_id_number(asked: NiceReference, client: NiceClient) -> tuple[NiceReference, FetchedPage]:
    """Find the GID of an ID number by searching the in-development TA list.

    Only possible while the appraisal is in development and NICE shows the ID in the title
    (as "… [ID4014]", "… ID1079", "… (ID1183)" or "… [1301]"): published guidance pages do not carry it.
    """
    page = client.fetch(
        indevelopment_list_url(query=asked.value, page_size=50, base_url=client.base_url), reference=asked
    )
    try:
        listing = parse_guidance_list(page.text)
    except NiceFormatError as error:
        raise NiceFetchError(asked, f"NICE's in-development list did not look as expected: {error.missing}") from error
    found = {
        entry.reference
        for entry in listing.entries
        if entry.reference is not None
        and entry.reference.kind is ReferenceKind.GID
        and split_title(entry.title)[1] == asked.value
    }
    if not found:
        raise NiceFetchError(
            asked,
            f"{asked} was not found among NICE's in-development technology appraisals. An ID number can only be "
            "looked up while the appraisal is in development; paste its GID, TA number or web address instead",
        )
    if len(found) > 1:
        names = ", ".join(sorted(str(r) for r in found))
        raise NiceFetchError(asked, f"{asked} matches more than one project ({names}); paste the GID instead")
    return gid(found.pop().value), page


def resolve_id_number(reference: NiceReference | str, client: NiceClient) -> NiceReference:
    """The GID of an in-development appraisal's ID number (see :func:`_resolve_id_number` for limits)."""
    return _resolve_id_number(_as_reference(reference), client)[0]


def discover_appraisals(client: NiceClient, *, page_size: int = 50, max_pages: int = 40) -> list[Candidate]:
    """Every in-development technology appraisal on NICE's list (all pages), each classified by title."""
    subject = "NICE's in-development technology appraisals"
    candidates: dict[str, Candidate] = {}
    for page_number in range(1, max_pages + 1):
        page = client.fetch(
            indevelopment_list_url(page=page_number, page_size=page_size, base_url=client.base_url), reference=subject
        )
        try:
            listing = parse_guidance_list(page.text)
        except NiceFormatError as error:
            raise NiceFetchError(subject, f"the list page did not look as expected: {error.missing}") from error
        for entry in listing.entries:
            title, id_number = split_title(entry.title)
            candidates.setdefault(
                entry.url,
                Candidate(
                    title=title,
                    reference=entry.reference,
                    id_number=id_number,
                    url=entry.url,
                    expected_publication_date=entry.expected_publication_date,
                    cancer=classify_title(title),
                    listed_at=page.fetched_at,
                    guidance_type=entry.guidance_type,
                ),
            )
        more = listing.has_more if listing.total is not None else len(listing.entries) >= page_size
        if not listing.entries or not more:
            return list(candidates.values())
    raise NiceFetchError(subject, f"the list is longer than {max_pages} pages of {page_size}; nothing was imported")


def discover_cancer_appraisals(client: NiceClient, *, page_size: int = 50, max_pages: int = 40) -> list[Candidate]:
    """The in-development technology appraisals (with a GID) whose titles are about cancer treated with SACT
    (see classify.py): every candidate whose ``skip_reason`` is None."""
    return [c for c in discover_appraisals(client, page_size=page_size, max_pages=max_pages) if c.skip_reason is None]

