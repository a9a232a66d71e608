"""Reading a backend's HTTP answer: its own error message (a web page named by its title), JSON or a clear error,
Retry-After, and the origin named in a "cannot be reached" message."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..errors import TransientError


def origin_of(url: str) -> str:
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}"


def retry_after_of(resp: httpx.Response) -> float | None:
    v = resp.headers.get("retry-after", "")
    try:
        return max(0.0, float(v)) if v else None
    except ValueError:
        return None


def is_html(resp: httpx.Response) -> bool:
    """A web page, not an API answer (a wrong base URL usually lands on the web UI)."""
    return "html" in resp.headers.get("content-type", "").lower() or resp.text.lstrip()[:15].lower().startswith(
        ("<!doctype html", "<html"))


def error_detail(resp: httpx.Response) -> str:
    """The backend's own error message, short. A web page is named by its title, not dumped."""
    text = resp.text.strip()
    if is_html(resp):
        m = re.search(r"<title[^>]*>(.*?)</title>", text, re.I | re.S)
        title = " ".join(html.unescape(m.group(1)).split())[:120] if m else ""
        return f"a web page{' titled ' + repr(title) if title else ''}, not an API answer: is the URL right?"
    try:
        data = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:300]
    msgs: list[str] = []

    def pick(d: Any) -> None:
        if isinstance(d, str):
            msgs.append(d)
        elif isinstance(d, list):
            for x in d:
                pick(x)
        elif isinstance(d, dict):
            for k in ("message", "error", "errors", "errorMessage", "errorMessages", "error_description", "description",
                      "details"):
                if k in d:
                    pick(d[k])
            if not msgs and d:
                msgs.append(json.dumps(d)[:300])

    pick(data)
    return "; ".join(m for m in msgs if m)[:300]


def json_of(resp: httpx.Response, what: str) -> Any:
    try:
        return resp.json()
    except ValueError as exc:
        raise TransientError(f"{what} answered HTTP {resp.status_code} with something that is not JSON "
                             f"({resp.text[:120]!r}); is the URL right?", maybe_sent=True) from exc
