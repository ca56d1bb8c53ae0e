"""Errors raised by the NICE reader; each message is meant to be shown to a user as it is."""

from __future__ import annotations


class NiceReferenceError(ValueError):
    """What the user pasted is not a NICE URL, GID, ID number or TA number."""


class NiceFormatError(ValueError):
    """A NICE page or feed did not have the shape the parser understands.

    ``missing`` names what was looked for and not found, so the message says what changed
    on NICE's side instead of quietly returning half-filled data.
    """

    def __init__(self, missing: str, *, where: str = "NICE page") -> None:
        self.missing = missing
        self.where = where
        super().__init__(f"{where}: {missing}")


class NiceFetchError(RuntimeError):
    """Reading an appraisal from NICE failed; ``reason`` is a plain-English cause."""

    def __init__(self, reference: object, reason: str, *, status: int | None = None) -> None:
        self.reference = reference
        self.reason = reason
        self.status = status  # NICE's HTTP status when it answered with an error (403, 429, 500...)
        super().__init__(f"Could not read {reference} from NICE: {reason}")

    @property
    def page_exists(self) -> bool:
        """False when NICE says there is no such page (404, 410): saving the page from a browser cannot help."""
        return self.status not in (404, 410)
