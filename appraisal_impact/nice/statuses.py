"""NICE's status words -> the statuses the tool knows. Pure; no Flask, no database.

NICE's pages and feeds use more words than the tool needs (the feed's codes are humanised first:
"InProgress" -> "In progress", "ImpactedByCOVID19" -> "Impacted by COVID-19"). Each maps to one of
the tool's statuses; NICE's own wording is kept beside it (``Appraisal.nice_status``).

| the tool's status      | NICE's words |
|---|---|
| awaiting development   | Proposed, Awaiting development, Topic selection (page family /guidance/awaiting-development/) |
| in development         | In progress, In development, In consultation |
| suspended              | Suspended, Deferred, Impacted by COVID-19 (NICE paused these appraisals) |
| discontinued           | Discontinued, Withdrawn (page family /guidance/discontinued/) |
| terminated             | Terminated (page family /guidance/terminated/taNNNN) |
| published              | Published, Complete |
"""

from __future__ import annotations

TOOL_STATUSES = (
    "awaiting development",
    "in development",
    "suspended",
    "discontinued",
    "terminated",
    "published",
)

_NICE_WORDS = {
    "proposed": "awaiting development",
    "awaiting development": "awaiting development",
    "topic selection": "awaiting development",
    "in progress": "in development",
    "in development": "in development",
    "in consultation": "in development",
    "suspended": "suspended",
    "deferred": "suspended",
    "impacted by covid-19": "suspended",
    "impacted by covid19": "suspended",
    "discontinued": "discontinued",
    "withdrawn": "discontinued",
    "terminated": "terminated",
    "terminated appraisal": "terminated",
    "published": "published",
    "complete": "published",
    "completed": "published",
}


def tool_status_for(nice_status: str | None) -> str | None:
    """The tool's status for NICE's wording, or None when NICE gives none or a word the tool does not know
    (then the stored status is left as it is, and the caller says so)."""
    if nice_status is None or not nice_status.strip():
        return None
    words = " ".join(nice_status.lower().split())
    return _NICE_WORDS.get(words)


# Addresses NICE only serves for one status; /guidance/indevelopment/ serves suspended projects too.
TELLING_FAMILIES = ("awaiting development", "discontinued", "terminated")


def status_for(nice_status: str | None, page_family: str | None) -> str | None:
    """The tool's status from NICE's words, else from a page family that tells it, else None (left as is)."""
    return tool_status_for(nice_status) or (tool_status_for(page_family) if page_family in TELLING_FAMILIES else None)
