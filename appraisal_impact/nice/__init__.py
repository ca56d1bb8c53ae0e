"""Reading NICE technology appraisals from nice.org.uk (issue 7). No Flask, no database.

- ``references``: what a user pastes -> :class:`NiceReference` and the address to fetch
- ``parse``: NICE HTML/JSON -> frozen dataclasses (pure functions)
- ``classify``: is an appraisal title about cancer, and why
- ``client``: one polite HTTP session (User-Agent, timeouts, retries, pause, conditional requests)
- ``reader``: :func:`read_appraisal` and :func:`discover_cancer_appraisals`
- ``saved``: the same reading for a page someone saved from their browser, and ``flask nice read-file``
- ``statuses``: NICE's status words -> the tool's statuses (awaiting development ... published)
"""

from .classify import CancerClassification, classify_title
from .client import FetchedPage, MemoryPageCache, NiceClient
from .errors import NiceFetchError, NiceFormatError, NiceReferenceError
from .parse import RecommendationType
from .reader import (
    FIELD_NAMES,
    AppraisalRead,
    Candidate,
    discover_appraisals,
    discover_cancer_appraisals,
    read_appraisal,
    resolve_id_number,
)
from .references import NiceReference, ReferenceKind, parse_reference

__all__ = [
    "FIELD_NAMES",
    "AppraisalRead",
    "CancerClassification",
    "Candidate",
    "FetchedPage",
    "MemoryPageCache",
    "NiceClient",
    "NiceFetchError",
    "NiceFormatError",
    "NiceReference",
    "NiceReferenceError",
    "RecommendationType",
    "ReferenceKind",
    "classify_title",
    "discover_appraisals",
    "discover_cancer_appraisals",
    "parse_reference",
    "read_appraisal",
    "resolve_id_number",
]
