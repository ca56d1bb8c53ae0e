"""What the page benchmarks share: signing in and filling a real form (with its CSRF token), percentiles,
and the load on the machine at the time (the machine may be shared, so every figure is printed beside it)."""

from __future__ import annotations

import math
import os
from urllib.parse import urljoin, urlsplit

import requests
from bs4 import BeautifulSoup


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (fraction 0.95 for the 95th)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def machine_load() -> str:
    """The load averages `uptime` prints (1, 5 and 15 minutes) and how many cores they share."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} cores"


def form_fields(html: str, action_path: str) -> dict[str, str]:
    """The fields a browser would send for the POST form whose action is `action_path`: hidden fields
    (CSRF token, version, opened-at), text and number inputs, ticked boxes, chosen options, text areas."""
    soup = BeautifulSoup(html, "html.parser")
    for form in soup.find_all("form"):
        if urlsplit(form.get("action", "")).path == action_path and form.get("method", "get").lower() == "post":
            break
    else:
        raise LookupError(f"no POST form for {action_path} on the page")
    fields: dict[str, str] = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or field.has_attr("disabled"):
            continue
        if field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            fields[name] = chosen.get("value", chosen.text) if chosen else ""
        elif field.name == "textarea":
            fields[name] = field.text
        elif field.get("type") in ("checkbox", "radio"):
            if field.has_attr("checked"):
                fields[name] = field.get("value", "on")
        elif field.get("type") not in ("submit", "button", "file"):
            fields[name] = field.get("value", "")
    return fields


def csrf_token(html: str) -> str:
    """The page's CSRF token, as htmx sends it (X-CSRFToken): from the layout's `#csrf` holder or a form."""
    soup = BeautifulSoup(html, "html.parser")
    holder = soup.find(id="csrf")
    if holder is not None and holder.get("data-token"):
        return holder["data-token"]
    field = soup.find("input", attrs={"name": "csrf_token"})
    if field is None:
        raise LookupError("no CSRF token on the page")
    return field["value"]


def sign_in(base_url: str, email: str, password: str, timeout: float = 60) -> requests.Session:
    """A browser session signed in through the real sign-in form."""
    http = requests.Session()
    page = http.get(urljoin(base_url, "/sign-in"), timeout=timeout)
    data = form_fields(page.text, "/sign-in") | {"email": email, "password": password}
    response = http.post(urljoin(base_url, "/sign-in"), data=data, allow_redirects=False, timeout=timeout)
    if response.status_code != 302:
        raise SystemExit(f"could not sign in as {email}: HTTP {response.status_code}")
    return http
