"""A polite HTTP client for nice.org.uk: one session, a clear User-Agent, timeouts, retries, caching.

- Retries (urllib3 ``Retry``) on connection failures, 429 and 5xx, with exponential backoff,
  honouring ``Retry-After`` up to ``retry_after_max`` seconds.
- A pause of at least ``min_interval`` seconds between the starts of two requests.
- Conditional requests: a page seen before is asked for with ``If-None-Match`` /
  ``If-Modified-Since``; a 304 answer returns the cached text.
- Redirects are followed and :attr:`FetchedPage.url` is where NICE finally served the page
  (a finished in-development project redirects to its /guidance/taNNNN page).
- Every failure becomes :class:`NiceFetchError` with a reason a user can act on.

``clock``, ``sleep`` and ``now`` are injectable so tests run fast and deterministic.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Callable, Mapping, Protocol

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from .errors import NiceFetchError
from .references import NICE_BASE_URL

USER_AGENT_PRODUCT = "AppraisalImpact/0.1"
RETRY_STATUSES = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class FetchedPage:
    """One page as NICE served it. ``url`` is the final address after redirects."""

    requested_url: str
    url: str
    text: str
    fetched_at: datetime
    from_cache: bool
    etag: str | None
    last_modified: str | None

    @property
    def redirected(self) -> bool:
        return self.url != self.requested_url


@dataclass(frozen=True)
class CachedPage:
    url: str
    text: str
    etag: str | None
    last_modified: str | None


class PageCache(Protocol):
    """Where validators and text of pages already read are kept (memory here; a table later)."""

    def get(self, url: str) -> CachedPage | None: ...

    def put(self, url: str, page: CachedPage) -> None: ...


class MemoryPageCache:
    """A small least-recently-used cache of pages, keyed by the requested address."""

    def __init__(self, max_entries: int = 256) -> None:
        self.max_entries = max_entries
        self._pages: OrderedDict[str, CachedPage] = OrderedDict()

    def get(self, url: str) -> CachedPage | None:
        page = self._pages.get(url)
        if page is not None:
            self._pages.move_to_end(url)
        return page

    def put(self, url: str, page: CachedPage) -> None:
        self._pages[url] = page
        self._pages.move_to_end(url)
        while len(self._pages) > self.max_entries:
            self._pages.popitem(last=False)


def _retry_with_sleep(sleep: Callable[[float], None]) -> type[Retry]:
    """A Retry class that waits with ``sleep`` (urllib3 calls ``time.sleep`` directly otherwise)."""

    class _Retry(Retry):
        def sleep_for_retry(self, response: Any) -> bool:
            retry_after = self.get_retry_after(response)
            if retry_after:
                sleep(retry_after)
                return True
            return False

        def _sleep_backoff(self) -> None:
            # urllib3 retries the first failure at once; NICE gets backoff_factor seconds first,
            # then twice that, and so on.
            failures = max(len(self.history), 1)
            backoff = min(self.backoff_max, self.backoff_factor * 2 ** (failures - 1))
            if backoff > 0:
                sleep(backoff)

    return _Retry


_TIMES = {1: "once", 2: "twice", 3: "three times"}


def _times(count: int) -> str:
    return _TIMES.get(count, f"{count} times")


def _find_cause(error: BaseException, kinds: tuple[type[BaseException], ...]) -> BaseException | None:
    """Search an exception, its args and its causes for one of ``kinds`` (requests wraps urllib3's errors)."""
    seen: set[int] = set()
    pending: list[Any] = [error]
    while pending:
        current = pending.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, kinds):
            return current
        pending.extend([current.__cause__, current.__context__, getattr(current, "reason", None), *current.args])
    return None


class NiceClient:
    """Fetches pages from NICE. One instance per job; close it (or use ``with``) when done."""

    def __init__(
        self,
        *,
        contact: str,
        base_url: str = NICE_BASE_URL,
        connect_timeout: float = 5.0,
        read_timeout: float = 10.0,
        retries: int = 2,
        backoff_factor: float = 1.0,
        retry_after_max: float = 60.0,
        min_interval: float = 1.0,
        max_redirects: int = 5,
        cache: PageCache | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if not contact or not contact.strip():
            raise ValueError("NiceClient needs a contact address for its User-Agent (NICE_CONTACT in config)")
        self.base_url = base_url.rstrip("/")
        self.user_agent = f"{USER_AGENT_PRODUCT} (+{contact.strip()})"
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.min_interval = min_interval
        self.cache: PageCache = cache if cache is not None else MemoryPageCache()
        self._clock, self._sleep, self._now = clock, sleep, now
        self._last_request_at: float | None = None

        retry = _retry_with_sleep(sleep)(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            other=0,
            redirect=False,  # requests follows redirects itself, so they are visible in the history
            allowed_methods=frozenset({"GET", "HEAD"}),
            status_forcelist=RETRY_STATUSES,
            backoff_factor=backoff_factor,
            retry_after_max=retry_after_max,
            respect_retry_after_header=True,
            raise_on_status=False,  # the last answer comes back so its status can be reported
        )
        self.session = requests.Session()
        self.session.max_redirects = max_redirects
        self.session.headers.update({"User-Agent": self.user_agent, "Accept": "text/html,application/json;q=0.9"})
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    @classmethod
    def from_config(cls, config: Mapping[str, Any], **overrides: Any) -> NiceClient:
        """Build from app configuration: ``NICE_CONTACT`` (required), ``NICE_BASE_URL`` (optional)."""
        options: dict[str, Any] = {"contact": config.get("NICE_CONTACT", "")}
        if config.get("NICE_BASE_URL"):
            options["base_url"] = config["NICE_BASE_URL"]
        options.update(overrides)
        return cls(**options)

    def __enter__(self) -> NiceClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    def absolute(self, url_or_path: str) -> str:
        return url_or_path if "://" in url_or_path else f"{self.base_url}/{url_or_path.lstrip('/')}"

    def _pause(self) -> None:
        """Leave at least ``min_interval`` seconds between the starts of two requests."""
        if self._last_request_at is not None:
            wait = self._last_request_at + self.min_interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_request_at = self._clock()

    def fetch(self, url_or_path: str, *, reference: object | None = None) -> FetchedPage:
        """GET one page. ``reference`` names the appraisal in error messages (the address otherwise)."""
        url = self.absolute(url_or_path)
        subject = reference if reference is not None else url
        cached = self.cache.get(url)
        headers = {}
        if cached is not None:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        self._pause()
        try:
            response = self.session.get(url, headers=headers, timeout=(self.connect_timeout, self.read_timeout))
        except requests.TooManyRedirects as error:
            raise NiceFetchError(subject, "NICE redirected the request too many times") from error
        except requests.RequestException as error:
            raise NiceFetchError(subject, self._connection_reason(error)) from error
        with response:
            return self._page_from(response, url, subject, cached)

    def _connection_reason(self, error: requests.RequestException) -> str:
        if _find_cause(error, (ReadTimeoutError, requests.ReadTimeout)) is not None:
            return f"NICE did not answer within {self.read_timeout:g} seconds"
        if _find_cause(error, (NewConnectionError,)) is not None:
            # Checked before timeouts: urllib3's NewConnectionError is a subclass of ConnectTimeoutError.
            return "could not connect to NICE (network error)"
        if _find_cause(error, (ConnectTimeoutError, requests.ConnectTimeout)) is not None:
            return f"could not connect to NICE within {self.connect_timeout:g} seconds"
        return "could not connect to NICE (network error)"

    def _page_from(
        self, response: requests.Response, url: str, subject: object, cached: CachedPage | None
    ) -> FetchedPage:
        status = response.status_code
        if status == 304 and cached is not None:
            return FetchedPage(
                requested_url=url, url=cached.url, text=cached.text, fetched_at=self._now(), from_cache=True,
                etag=cached.etag, last_modified=cached.last_modified,
            )
        if status in (404, 410):
            raise NiceFetchError(subject, f"NICE says page not found ({status})", status=status)
        if status in RETRY_STATUSES:
            count = self._responses_with_status(response, status)
            if status == 429:
                raise NiceFetchError(subject, f"NICE asked us to slow down (429) {_times(count)}; try again later",
                                     status=status)
            raise NiceFetchError(subject, f"NICE returned server error {status} {_times(count)}", status=status)
        if status in (401, 403):
            # Reported in 2026: NICE answers some automated reads with 403 while a browser still sees the page.
            raise NiceFetchError(subject, f"NICE refused to let this tool read the page ({status} Forbidden)",
                                 status=status)
        if status >= 400 or status == 304:
            raise NiceFetchError(subject, f"NICE refused the request ({status})", status=status)
        if "charset" not in response.headers.get("Content-Type", "").lower():
            response.encoding = "utf-8"  # NICE serves UTF-8; requests would otherwise assume ISO-8859-1 for HTML
        etag = response.headers.get("ETag")
        last_modified = response.headers.get("Last-Modified")
        page = FetchedPage(
            requested_url=url, url=response.url, text=response.text, fetched_at=self._now(), from_cache=False,
            etag=etag, last_modified=last_modified,
        )
        if etag or last_modified:
            self.cache.put(url, CachedPage(url=response.url, text=page.text, etag=etag, last_modified=last_modified))
        return page

    @staticmethod
    def _responses_with_status(response: requests.Response, status: int) -> int:
        """How many answers with this status came back, counting those urllib3 retried."""
        retries = getattr(response.raw, "retries", None)
        history = getattr(retries, "history", ()) or ()
        return 1 + sum(1 for attempt in history if attempt.status == status)
