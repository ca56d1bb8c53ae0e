"""Keep tracked appraisals in step with NICE: add by reference, refresh, discover. No Flask here.

The pure reader (``appraisal_impact.nice``) says what NICE shows; this module decides what that
means for the stored rows:

- **Failure changes nothing.** A read either succeeds whole or raises; on failure no field of the
  appraisal is touched, only ``nice_last_read_status`` / ``nice_last_error(_at)`` say what went
  wrong, and ``nice_last_read_at`` stays the time of the last *successful* read.
- **A field missing from a read is not a change.** A published TA page carries no provisional
  schedule, an in-development page no recommendation: such fields keep their stored values.
  A value NICE *shows* as "TBC" is a change: ``expected_publication_tbc`` becomes true and the
  old date goes into the history ("moved from 23 August 2023 to TBC").
- Every change goes through :func:`audit.apply_changes` (origin "NICE refresh"), so it is in the
  audit record, date/status/recommendation moves are in ``DateChange`` (what the lead's
  "what changed" reads), and deadlines recompute from the stored dates.

NICE's words are mapped to the tool's: status "In progress" is "in development" (every status word and
page family: ``nice/statuses.py``; NICE's own wording is kept in ``nice_status``), process "STA" is
"single technology appraisal", recommendation "managed_access" is "managed access".

When NICE refuses the tool (403, 429) or its layout changes, the failure message offers the fallback:
a page saved from a browser, read by the same parsers (:func:`preview_saved_page`) and saved after the
same check (:func:`save_saved_page`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Callable, Mapping

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from . import audit
from .audit import Actor
from .core.deadlines import parse_process
from .formatting import date_uk, field_label
from .models import Appraisal, DateChange, FigureSource, NiceCandidate, NiceListSkip, NiceSavedPage, utcnow
from .nice import (
    AppraisalRead,
    NiceClient,
    NiceFetchError,
    NiceFormatError,
    NiceReferenceError,
    parse_reference,
    read_appraisal,
)
from .nice.reader import CHANGED_LAYOUT, Candidate, discover_appraisals
from .nice.saved import read_saved_appraisal
from .nice.references import NICE_BASE_URL, NiceReference, ReferenceKind
from .nice.statuses import status_for, tool_status_for
from .queries import nice as nice_queries

log = logging.getLogger(__name__)

REFRESH_ORIGIN = "NICE refresh"

# The appraisal columns a NICE read may set, in the order pages show them.
SYNCED_FIELDS = (
    "title",
    "gid",
    "id_number",
    "ta_number",
    "process",
    "status",
    "nice_status",
    "draft_guidance_date",
    "fdg_date",
    "expected_publication_date",
    "expected_publication_tbc",
    "publication_date",
    "recommendation",
)


_LABELS = {
    "gid": "GID",
    "id_number": "ID number",
    "ta_number": "TA number",
    "expected_publication_tbc": "Expected publication TBC",
    "nice_url": "NICE web address",
    "nice_status": "Status on NICE",
}

ClientFactory = Callable[[Mapping[str, Any]], NiceClient]


def default_client_factory(config: Mapping[str, Any]) -> NiceClient:
    """The real client: NICE_CONTACT (required) names us in the User-Agent; NICE_BASE_URL optional."""
    return NiceClient.from_config(config)


def client_factory(extensions: Mapping[str, Any]) -> ClientFactory:
    """The app's client factory (``app.extensions["nice_client_factory"]``; tests put a fake there)."""
    return extensions.get("nice_client_factory") or default_client_factory


# --- NICE's words to the tool's ------------------------------------------------------------------


def tool_status(nice_status: str | None) -> str | None:
    """The tool's status for NICE's words (see nice/statuses.py), or None when NICE's word is unknown:
    then the stored status stays as it is and the read says so in a note."""
    return tool_status_for(nice_status)


def tool_process(nice_process: str | None) -> str | None:
    """The tool's process name, or None when NICE's is not a technology appraisal process the
    deadline rules know (e.g. "CG"): an unknown process is left as it is, not guessed."""
    if nice_process is None or not nice_process.strip():
        return None
    for candidate in (nice_process, nice_process.split()[0]):  # "STA Standard" is an STA
        try:
            return parse_process(candidate).value
        except ValueError:
            continue
    return None


def tool_recommendation(nice_recommendation: str | None) -> str | None:
    return nice_recommendation.replace("_", " ") if nice_recommendation else None


def naive_utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def source_text(read: AppraisalRead) -> str:
    if read.from_saved_page:
        return f"NICE website page saved from a browser, read {date_uk(naive_utc(read.read_at).date())}"
    return f"NICE website, read {date_uk(naive_utc(read.read_at).date())}"


def public_nice_url(read: AppraisalRead) -> str:
    """The appraisal's page on nice.org.uk (its TA page once published), whatever server was read."""
    if read.ta_number:
        return NiceReference(ReferenceKind.TA_NUMBER, read.ta_number).url(NICE_BASE_URL) or ""
    if read.gid:
        return NiceReference(ReferenceKind.GID, read.gid).url(NICE_BASE_URL) or ""
    return read.source_url


def values_from_read(read: AppraisalRead) -> dict[str, Any]:
    """The column values a read gives, leaving out every field the read does not carry.

    None means "NICE did not say" and is dropped, except the expected publication: NICE saying
    "TBC" clears the date and sets ``expected_publication_tbc``.
    """
    values: dict[str, Any] = {
        "title": read.title or None,
        "gid": read.gid,
        "id_number": read.id_number,
        "ta_number": read.ta_number,
        "process": tool_process(read.process),
        "status": status_from_read(read),
        "nice_status": read.status,
        "draft_guidance_date": read.draft_guidance_date,
        "fdg_date": read.fdg_date,
        "publication_date": read.publication_date,
        "recommendation": tool_recommendation(read.as_fields()["recommendation"]),
    }
    values = {name: value for name, value in values.items() if value is not None}
    if read.expected_publication_tbc:
        values["expected_publication_date"] = None
        values["expected_publication_tbc"] = True
    elif read.expected_publication_date is not None:
        values["expected_publication_date"] = read.expected_publication_date
        values["expected_publication_tbc"] = False
    elif read.is_published:
        values["expected_publication_tbc"] = False  # published: nothing is "to be confirmed" any more
    return {name: values[name] for name in SYNCED_FIELDS if name in values}


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any

    @property
    def label(self) -> str:
        return _LABELS.get(self.field) or field_label(self.field)

    def describe(self) -> str:
        return f"{self.label.lower()} changed from {_shown(self.field, self.old)} to {_shown(self.field, self.new)}"


def status_from_read(read: AppraisalRead) -> str | None:
    """The tool's status: from NICE's words, else from a page family that tells it, else None (left as is)."""
    return status_for(read.status, read.page_family)


def read_notes(read: AppraisalRead) -> list[str]:
    """What a person should look at in a read: rows kept as text, a status word the tool does not know."""
    notes = list(read.notes)
    if read.status and status_from_read(read) is None:
        notes.append(f"NICE's status “{read.status}” is not one the tool knows: the status was left as it was")
    return notes


def _shown(field_name: str, value: Any) -> str:
    if value is None or value == "":
        return "TBC" if field_name == "expected_publication_date" else "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return date_uk(value)
    return str(value)


@dataclass(frozen=True)
class RefreshOutcome:
    """What one refresh did to one appraisal: its changes, or why it failed (and then nothing changed)."""

    appraisal_id: int
    label: str  # "GID-TA10914 (Daratumumab with ...)"
    ok: bool
    changes: tuple[FieldChange, ...] = ()
    message: str = ""
    read_at: datetime | None = None
    notes: tuple[str, ...] = ()  # things a person should look at, e.g. a TA number tracked twice

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def line(self) -> str:
        """One line for the command line and the page."""
        if not self.ok:
            return f"FAILED: {self.message}"  # the message names the appraisal
        notes = "".join(f" (note: {note})" for note in self.notes)
        if not self.changes:
            return f"unchanged {self.label}{notes}"
        return f"changed {self.label}: " + "; ".join(change.describe() for change in self.changes) + notes


# --- add -----------------------------------------------------------------------------------------


class AlreadyTracked(ValueError):
    """The appraisal read is already in the pipeline."""

    def __init__(self, appraisal: Appraisal):
        self.appraisal = appraisal
        super().__init__(f"{label_for(appraisal)} is already tracked")


def label_for(appraisal: Appraisal) -> str:
    reference = appraisal.ta_number or appraisal.gid or appraisal.id_number or f"appraisal {appraisal.id}"
    return f"{reference} ({appraisal.title})"


def preview_add(reference: NiceReference | str, client: NiceClient) -> AppraisalRead:
    """Read an appraisal from NICE for the user to check; saves nothing.

    Raises NiceReferenceError for input that names no appraisal and NiceFetchError when NICE
    cannot be read (the message names the reference and the reason).
    """
    return read_appraisal(reference, client)


def tracked_match(session: Session, read: AppraisalRead) -> Appraisal | None:
    """The tracked appraisal with the same GID, TA number or ID number as a read, if any."""
    return nice_queries.tracked_appraisal(session=session, gid=read.gid, ta_number=read.ta_number,
                                          id_number=read.id_number)


def add_appraisal(session: Session, actor: Actor, read: AppraisalRead) -> Appraisal:
    """Create the appraisal from a read the user confirmed, with its sources; the caller commits.

    Raises AlreadyTracked (saving nothing) when an appraisal with the same reference exists.
    """
    existing = tracked_match(session, read)
    if existing is not None:
        raise AlreadyTracked(existing)
    values = values_from_read(read)
    appraisal = Appraisal(
        title=values.pop("title", read.title),
        is_cancer=read.cancer.is_cancer,
        nice_url=public_nice_url(read),
        source=f"NICE {read.ta_number or read.gid or read.reference}: {source_text(read)}",
        nice_last_read_at=naive_utc(read.read_at),
        nice_last_read_status=f"Added from NICE ({read.source_url})",
    )
    for name, value in values.items():
        setattr(appraisal, name, value)
    session.add(appraisal)
    audit.record_created(session, actor, appraisal)
    _record_sources(session, appraisal, ["title", *values], read)
    return appraisal


def _record_sources(session: Session, appraisal: Appraisal, fields: list[str], read: AppraisalRead) -> None:
    text = source_text(read)
    existing = nice_queries.figure_sources_for(session=session, entity="appraisal", entity_id=appraisal.id)
    for name in fields:
        row = existing.get(name) or FigureSource(entity="appraisal", entity_id=appraisal.id, field=name)
        row.source = text
        row.is_estimate = False
        row.entered_by_id = None
        row.entered_at = naive_utc(read.read_at)
        session.add(row)


# --- a page saved from a browser (the fallback when NICE refuses the tool) ------------------------

UPLOAD_ORIGIN = "NICE page uploaded"


def preview_saved_page(text: str, *, url: str | None, read_at: datetime, name: str = "") -> AppraisalRead:
    """Read a NICE page a person saved from their browser (or its pasted HTML); saves nothing.

    The same parsers as a live read, and the same preview. Raises NiceFormatError saying what was missing.
    """
    return read_saved_appraisal(text, url=url or None, read_at=read_at, name=name)


def keep_saved_page(session: Session, actor: Actor, text: str, *, url: str, file_name: str) -> NiceSavedPage:
    """Keep an uploaded page until the person confirms what was read from it (and afterwards as its source)."""
    page = NiceSavedPage(url=url, file_name=file_name, text=text, uploaded_by_id=actor.user_id)
    session.add(page)
    session.flush()
    return page


def read_kept_page(page: NiceSavedPage) -> AppraisalRead:
    """Read a kept page again (for the confirm step), as of when it was uploaded."""
    return preview_saved_page(page.text, url=page.url or None, read_at=page.uploaded_at.replace(tzinfo=UTC),
                              name=page.file_name)


def saved_page_mismatch(appraisal: Appraisal, read: AppraisalRead) -> str | None:
    """Why a saved page cannot be about this appraisal (another GID or TA number), else None.

    A published TA page does not name the GID, so a page saved for a tracked in-development appraisal is
    matched by the appraisal the person chose, and only a contradicting reference refuses it."""
    if read.gid and appraisal.gid and read.gid.upper() != appraisal.gid.upper():
        return f"the saved page is about {read.gid}, not {appraisal.gid}"
    if read.ta_number and appraisal.ta_number and read.ta_number.upper() != appraisal.ta_number.upper():
        return f"the saved page is about {read.ta_number}, not {appraisal.ta_number}"
    return None


def save_saved_page(session: Session, actor: Actor, read: AppraisalRead,
                    appraisal: Appraisal | None = None) -> tuple[Appraisal, RefreshOutcome | None]:
    """Save what a confirmed saved page says: update ``appraisal`` (the one the person chose) or the tracked
    appraisal with the same reference, as a refresh does (recorded as "NICE page uploaded"); add it when
    none is tracked. The caller commits.

    Returns the appraisal and, for an update, what changed. Raises ValueError (nothing changed) when the
    page is about another appraisal than the one chosen.
    """
    existing = appraisal or tracked_match(session, read)
    if existing is None:
        return add_appraisal(session, actor, read), None
    if (mismatch := saved_page_mismatch(existing, read)) is not None:
        raise ValueError(f"Could not update {label_for(existing)}: {mismatch}")
    return existing, apply_read(session, actor, existing, read, origin=UPLOAD_ORIGIN)


# --- refresh -------------------------------------------------------------------------------------


def refresh_reference(appraisal: Appraisal) -> NiceReference | None:
    """What to read for a tracked appraisal: its TA page once published, else its project (GID)."""
    candidates: list[str | None]
    if appraisal.status in ("published", "terminated"):
        candidates = [appraisal.ta_number, appraisal.gid]
    else:
        candidates = [appraisal.gid, appraisal.ta_number]
    for value in candidates:
        if value:
            try:
                return parse_reference(value)
            except NiceReferenceError:
                continue
    return None


def refresh_appraisal(session: Session, actor: Actor, appraisal: Appraisal, client: NiceClient) -> RefreshOutcome:
    """Read the appraisal from NICE and apply what changed; the caller commits.

    On failure nothing but the read status changes (see module docstring). ``actor.origin``
    is replaced by "NICE refresh" so the history says where the change came from.
    """
    label = label_for(appraisal)
    reference = refresh_reference(appraisal)
    if reference is None:
        message = f"Could not refresh {label}: it has no GID or TA number to read from NICE"
        _record_failure(appraisal, message)
        session.add(appraisal)
        return RefreshOutcome(appraisal.id, label, ok=False, message=message)
    try:
        read = read_appraisal(reference, client)
    except (NiceFetchError, NiceFormatError) as error:
        reason = getattr(error, "reason", None) or str(error)
        message = f"Could not refresh {label} from NICE: {reason}" + fallback_hint(error)
        _record_failure(appraisal, message)
        session.add(appraisal)
        return RefreshOutcome(appraisal.id, label, ok=False, message=message)
    except Exception as error:  # a page shape the parser trips on must not stop the other appraisals
        log.exception("Unexpected error reading %s from NICE", reference)
        message = (f"Could not refresh {label} from NICE: the page did not look like a NICE appraisal page "
                   f"(unexpected {type(error).__name__})")
        _record_failure(appraisal, message)
        session.add(appraisal)
        return RefreshOutcome(appraisal.id, label, ok=False, message=message)
    return apply_read(session, actor, appraisal, read)


def apply_read(session: Session, actor: Actor, appraisal: Appraisal, read: AppraisalRead, *,
               origin: str = REFRESH_ORIGIN) -> RefreshOutcome:
    """Apply a successful read to a stored appraisal (only fields the read carries).

    ``origin`` says in the history where the read came from ("NICE refresh", or "NICE page uploaded")."""
    label = label_for(appraisal)
    refresh_actor = Actor(actor.user_id, actor.name, origin)
    values = values_from_read(read)
    if appraisal.gid and values.get("gid") and values["gid"] != appraisal.gid:
        message = f"Could not refresh {label}: NICE answered with another project ({values['gid']})"
        _record_failure(appraisal, message)
        session.add(appraisal)
        return RefreshOutcome(appraisal.id, label, ok=False, message=message)
    notes: list[str] = read_notes(read)
    new_ta = values.get("ta_number")
    if new_ta and new_ta != appraisal.ta_number:
        twin = nice_queries.tracked_appraisal(session=session, ta_number=new_ta)
        if twin is not None and twin.id != appraisal.id:
            # Two rows for one appraisal would count its patients twice: a person merges them.
            del values["ta_number"]
            notes.append(f"NICE gives it {new_ta}, which is already tracked as {label_for(twin)}; "
                         "the TA number was not copied: merge or remove one of them")
    twin_found = bool(new_ta) and "ta_number" not in values
    new_url = public_nice_url(read)
    if new_url and new_url != appraisal.nice_url and not twin_found:  # not the twin's TA page either
        values["nice_url"] = new_url
    changes = audit.apply_changes(session, refresh_actor, appraisal, values)
    if changes.get("expected_publication_date", (None, None))[1] is None and "expected_publication_date" in changes:
        _say_tbc_in_history(session, appraisal)
    _record_sources(session, appraisal, [name for name in changes if name in SYNCED_FIELDS], read)
    appraisal.nice_last_read_at = naive_utc(read.read_at)
    count = len(changes)
    appraisal.nice_last_read_status = (
        f"{count} change{'' if count == 1 else 's'} from NICE" if count else "No changes on NICE"
    ) + "".join(f". Note: {note}" for note in notes)
    session.add(appraisal)
    return RefreshOutcome(
        appraisal.id, label, ok=True,
        changes=tuple(FieldChange(name, old, new) for name, (old, new) in changes.items()),
        message=appraisal.nice_last_read_status, read_at=appraisal.nice_last_read_at, notes=tuple(notes),
    )


def _say_tbc_in_history(session: Session, appraisal: Appraisal) -> None:
    """NICE showing "TBC" clears the date: the history says "TBC" rather than "not set"."""
    for row in session.new:
        if (isinstance(row, DateChange) and row.appraisal_id == appraisal.id
                and row.field == "expected_publication_date" and row.new_value == ""):
            row.new_value = "TBC"


FALLBACK_HINT = (" Nothing was changed. If the page opens in your browser, save it (or copy its address and "
                 "HTML) and add it on the NICE updates page under “Read a saved NICE page”: it is read the same way "
                 "and you confirm before anything is saved.")


def fallback_hint(error: Exception) -> str:
    """The way round a refusal (403, 429) or a changed page layout: upload the page saved from a browser.

    Not offered for a page NICE says does not exist (404), nor for a network failure or a server error,
    which pass on their own."""
    status = getattr(error, "status", None)
    reason = getattr(error, "reason", None) or str(error)
    if status in (401, 403, 429) or isinstance(error, NiceFormatError) or reason.startswith(CHANGED_LAYOUT):
        return FALLBACK_HINT
    return ""


def _record_failure(appraisal: Appraisal, message: str) -> None:
    # Only the read status: no data field, and not nice_last_read_at (the last *successful* read).
    appraisal.nice_last_read_status = message
    appraisal.nice_last_error = message
    appraisal.nice_last_error_at = utcnow()


def refresh_all(session: Session, actor: Actor, client: NiceClient, *,
                include_examples: bool = False) -> list[RefreshOutcome]:
    """Refresh every tracked appraisal with a GID or TA number, each on its own: one failing
    (NICE or the database) does not stop the rest. Commits after each appraisal.

    Example appraisals are left alone unless ``include_examples``: their dates were moved on
    purpose (see seeds/README.md) and reading NICE would replace them with the real ones.
    """
    outcomes: list[RefreshOutcome] = []
    for appraisal_id in nice_queries.refreshable_appraisal_ids(session=session, include_examples=include_examples):
        appraisal = session.get(Appraisal, appraisal_id)
        if appraisal is None:
            continue
        label = label_for(appraisal)
        try:
            outcome = refresh_appraisal(session, actor, appraisal, client)
            session.commit()
        except SQLAlchemyError as error:
            session.rollback()
            outcome = RefreshOutcome(appraisal_id, label, ok=False,
                                     message=f"Could not save the refresh of {label}: {type(error).__name__}")
        outcomes.append(outcome)
    return outcomes


# --- discover ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SkippedItem:
    """An item of NICE's list that discovery did not offer, and why (in words a user reads)."""

    title: str
    url: str
    reason: str


@dataclass(frozen=True)
class DiscoveryReport:
    """What one look at NICE's list did: the candidates new this time, and every item not offered, with why."""

    new: tuple[NiceCandidate, ...]
    skipped: tuple[SkippedItem, ...]
    listed: int  # items on NICE's list

    def skipped_by_kind(self) -> dict[str, list[SkippedItem]]:
        """Skipped items grouped as a page shows them: no GID, not a TA, not about cancer, cancer but not SACT."""
        groups: dict[str, list[SkippedItem]] = {}
        for item in self.skipped:
            if item.reason.startswith("no GID"):
                key = "no GID"
            elif item.reason.startswith("not a technology appraisal"):
                key = "not a technology appraisal"
            elif item.reason.startswith("not about cancer"):
                key = "not about cancer"
            else:
                key = "cancer, not SACT"
            groups.setdefault(key, []).append(item)
        return groups


def discover(session: Session, client: NiceClient) -> list[NiceCandidate]:
    """Read NICE's in-development list and store each cancer appraisal not yet tracked or offered.

    Returns the candidates new this time (see :func:`discover_with_report` for what was skipped and why).
    A candidate already offered keeps its decision (a dismissed one stays dismissed); its title and
    expected publication are brought up to date. Raises NiceFetchError when the list cannot be read
    (nothing is stored then). The caller commits.
    """
    return list(discover_with_report(session, client).new)


def discover_with_report(session: Session, client: NiceClient) -> DiscoveryReport:
    """:func:`discover`, also saying which list items were not offered and why: no GID in the address,
    not a technology appraisal (NICE's guidance type of each item is checked, not only the list filter),
    not about cancer, or about cancer but not SACT (radiotherapy). The caller commits."""
    listed = discover_appraisals(client)
    skipped = tuple(SkippedItem(c.title, c.url, c.skip_reason) for c in listed if c.skip_reason is not None)
    offered = [c for c in listed if c.skip_reason is None]
    # The page shows what the last look skipped and why; each look replaces the previous one's.
    nice_queries.clear_list_skips(session=session)
    for candidate in listed:
        if candidate.skip_reason is not None:
            session.add(NiceListSkip(title=candidate.title, url=candidate.url, reason=candidate.skip_reason,
                                     listed_at=naive_utc(candidate.listed_at)))
    return DiscoveryReport(new=tuple(_store_candidates(session, offered)), skipped=skipped, listed=len(listed))


def _store_candidates(session: Session, found: list[Candidate]) -> list[NiceCandidate]:
    new: list[NiceCandidate] = []
    for candidate in found:
        if candidate.reference is None or candidate.reference.kind is not ReferenceKind.GID:
            continue
        gid = candidate.reference.value
        stored = nice_queries.candidate_by_gid(session=session, gid=gid)
        if nice_queries.tracked_appraisal(session=session, gid=gid, id_number=candidate.id_number) is not None:
            if stored is not None and stored.decision == "new":
                stored.decision = "accepted"  # tracked some other way (added by reference) since it was found
                session.add(stored)
            continue
        expected = date_uk(candidate.expected_publication_date, "TBC")
        if stored is None:
            stored = NiceCandidate(gid=gid, title=candidate.title, url=candidate.url, expected_publication=expected,
                                   matched_term=candidate.cancer.matched or candidate.cancer.rule or "",
                                   reason=candidate.cancer.reason, decision="new",
                                   found_at=naive_utc(candidate.listed_at))
            new.append(stored)
        else:
            stored.title, stored.url, stored.expected_publication = candidate.title, candidate.url, expected
            stored.matched_term = candidate.cancer.matched or candidate.cancer.rule or ""
            stored.reason = candidate.cancer.reason
        session.add(stored)
    session.flush()
    return new


def decide(session: Session, actor: Actor, candidate: NiceCandidate, decision: str) -> None:
    """Mark a candidate accepted or dismissed (recorded in the audit record); the caller commits."""
    if decision not in ("accepted", "dismissed", "new"):
        raise ValueError(f"unknown decision {decision!r}")
    audit.apply_changes(session, actor, candidate, {"decision": decision})
    candidate.decided_by_id = actor.user_id
    candidate.decided_at = utcnow()
    session.add(candidate)


def accept_candidate(session: Session, actor: Actor, candidate: NiceCandidate, client: NiceClient) -> Appraisal:
    """Read the candidate's project from NICE and track it; the caller commits.

    Raises NiceFetchError (nothing saved) when NICE cannot be read. If the appraisal is already
    tracked, the candidate is marked accepted and that appraisal returned.
    """
    read = read_appraisal(candidate.gid, client)
    try:
        appraisal = add_appraisal(session, actor, read)
    except AlreadyTracked as tracked:
        appraisal = tracked.appraisal
    decide(session, actor, candidate, "accepted")
    return appraisal
