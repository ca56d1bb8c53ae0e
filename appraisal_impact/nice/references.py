"""Turn what a user pastes (a NICE address, GID, ID number or TA number) into a typed reference.

Accepted forms (case-insensitive, surrounding spaces and square brackets ignored):

- ``https://www.nice.org.uk/guidance/indevelopment/gid-ta10914`` (any trailing path or query), and the same
  under ``/guidance/awaiting-development/``, ``/guidance/discontinued/`` or ``/guidance/topic-selection/``
- ``https://www.nice.org.uk/guidance/ta1037/chapter/1-Recommendations``, ``…/guidance/terminated/ta1002``
- ``GID-TA10914``, ``gid-ta10914``
- ``ID4014``, ``[ID4014]``, ``ID 4014``
- ``TA1037``, ``TA 1037``

An ID number has no page of its own on nice.org.uk: it must be looked up in the in-development
list (see :func:`appraisal_impact.nice.reader.resolve_id_number`), so :meth:`NiceReference.url`
is ``None`` for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote, urlsplit

from .errors import NiceReferenceError

NICE_BASE_URL = "https://www.nice.org.uk"
TA_LIST_TYPE = "Technology appraisal guidance"

_NICE_HOSTS = {"nice.org.uk", "www.nice.org.uk"}
_GID = re.compile(r"^GID-([A-Z]+)(\d+)$", re.IGNORECASE)
_ID_NUMBER = re.compile(r"^ID[\s-]?(\d+)$", re.IGNORECASE)
_TA_NUMBER = re.compile(r"^TA[\s-]?(\d+)$", re.IGNORECASE)
# Proposed projects live under /awaiting-development/, discontinued ones under /discontinued/ (NICE redirects
# /indevelopment/ there), and terminated TAs under /guidance/terminated/taNNNN.
# Consultation pages live at /guidance/gid-…/consultation/….
_URL_GID = re.compile(
    r"^/guidance/(?:(?:indevelopment|awaiting-development|discontinued|topic-selection)/)?(gid-[a-z]+\d+)(?:/|$)",
    re.IGNORECASE,
)
_URL_TA = re.compile(r"^/guidance/(?:terminated/)?(ta\d+)(?:/|$)", re.IGNORECASE)


class ReferenceKind(StrEnum):
    GID = "gid"
    ID_NUMBER = "id_number"
    TA_NUMBER = "ta_number"


@dataclass(frozen=True)
class NiceReference:
    """One NICE appraisal identifier in its canonical spelling (``GID-TA10914``, ``ID4014``, ``TA1037``)."""

    kind: ReferenceKind
    value: str

    def __str__(self) -> str:
        return self.value

    @property
    def is_technology_appraisal(self) -> bool:
        """True for TA numbers, ID numbers (only TAs carry them) and GID-TA projects."""
        return self.kind is not ReferenceKind.GID or self.value.startswith("GID-TA")

    def url(self, base_url: str = NICE_BASE_URL) -> str | None:
        """The page to fetch, or None for an ID number (which needs a search)."""
        base = base_url.rstrip("/")
        if self.kind is ReferenceKind.GID:
            return f"{base}/guidance/indevelopment/{self.value.lower()}"
        if self.kind is ReferenceKind.TA_NUMBER:
            return f"{base}/guidance/{self.value.lower()}"
        return None


def gid(value: str) -> NiceReference:
    match = _GID.match(value.strip())
    if not match:
        raise NiceReferenceError(f"{value!r} is not a GID such as GID-TA10914")
    return NiceReference(ReferenceKind.GID, f"GID-{match[1].upper()}{match[2]}")


def id_number(value: str) -> NiceReference:
    match = _ID_NUMBER.match(value.strip())
    if not match:
        raise NiceReferenceError(f"{value!r} is not an ID number such as ID4014")
    return NiceReference(ReferenceKind.ID_NUMBER, f"ID{match[1]}")


def ta_number(value: str) -> NiceReference:
    match = _TA_NUMBER.match(value.strip())
    if not match:
        raise NiceReferenceError(f"{value!r} is not a TA number such as TA1037")
    return NiceReference(ReferenceKind.TA_NUMBER, f"TA{int(match[1])}")


def parse_reference(text: str) -> NiceReference:
    """Read a pasted NICE address, GID, ID number or TA number.

    Raises NiceReferenceError with a message fit to show beside the form field.
    """
    pasted = (text or "").strip().strip("[]").strip()
    if not pasted:
        raise NiceReferenceError("Enter a NICE web address, GID (GID-TA10914), ID number (ID4014) or TA number (TA1037)")
    if "/" in pasted or pasted.lower().startswith(("http:", "https:", "www.")):
        return reference_from_url(pasted)
    for parse in (gid, id_number, ta_number):
        try:
            return parse(pasted)
        except NiceReferenceError:
            continue
    raise NiceReferenceError(
        f"{pasted!r} is not a NICE web address, GID (GID-TA10914), ID number (ID4014) or TA number (TA1037)"
    )


def reference_from_url(url: str) -> NiceReference:
    """The appraisal named by a nice.org.uk address; anything after the identifier is ignored."""
    candidate = url.strip()
    if not re.match(r"^https?://", candidate, re.IGNORECASE):
        candidate = "https://" + candidate.lstrip("/")
    parts = urlsplit(candidate)
    host = (parts.hostname or "").lower()
    if host not in _NICE_HOSTS:
        raise NiceReferenceError(f"{url!r} is not a nice.org.uk address")
    path = parts.path
    if match := _URL_GID.match(path):
        return gid(match[1])
    if match := _URL_TA.match(path):
        return ta_number(match[1])
    raise NiceReferenceError(
        f"{url!r} is not the address of a NICE technology appraisal "
        "(expected /guidance/indevelopment/gid-ta…, /guidance/awaiting-development/gid-ta…, "
        "/guidance/discontinued/gid-ta…, /guidance/ta… or /guidance/terminated/ta…)"
    )


def reference_from_path(url: str) -> NiceReference | None:
    """The appraisal named by an address NICE itself gave us (any host, including its test hosts), else None.

    Used for links read from NICE pages; user input goes through :func:`reference_from_url`,
    which also insists on a nice.org.uk host.
    """
    path = urlsplit(url.strip()).path if "://" in url else url.strip().split("?")[0]
    if match := _URL_GID.match(path):
        return gid(match[1])
    if match := _URL_TA.match(path):
        return ta_number(match[1])
    return None


def indevelopment_list_url(
    *, page: int = 1, page_size: int = 50, query: str | None = None, base_url: str = NICE_BASE_URL
) -> str:
    """The in-development list filtered to technology appraisals (``ngt``, ``ps``, ``pa``, optional ``q``)."""
    url = f"{base_url.rstrip('/')}/guidance/indevelopment?ngt={quote(TA_LIST_TYPE)}&ps={page_size}&pa={page}"
    if query:
        url += f"&q={quote(query)}"
    return url


def recommendations_url(reference: NiceReference, base_url: str = NICE_BASE_URL) -> str:
    """Chapter 1 of a published TA, where NICE states its recommendations."""
    if reference.kind is not ReferenceKind.TA_NUMBER:
        raise NiceReferenceError(f"{reference} is not a published TA number")
    return f"{reference.url(base_url)}/chapter/1-Recommendations"
