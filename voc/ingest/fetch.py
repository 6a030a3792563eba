"""Fetch JSON from an open-data API as hostile input: http(s) only, timeouts, size caps, retries, refusals.

Transient failures (a dropped connection, a timeout, HTTP 408, 429, 500, 502, 503, 504) are retried
with exponential backoff, honouring a Retry-After of a minute or less; any other 4xx, and a transient
failure that outlasts the retries, stop the pull with a FeedRefused that says what the server said.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

from voc.core.errors import FeedRefused

TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 60.0
_CHUNK = 1 << 16
_MB = 1024 * 1024
# Only the web: urllib's default opener would also read file:// and ftp:// URLs.
_OPENER = urllib.request.OpenerDirector()
for _handler in (
    urllib.request.ProxyHandler(),
    urllib.request.HTTPHandler(),
    urllib.request.HTTPSHandler(),
    urllib.request.HTTPRedirectHandler(),
    urllib.request.HTTPDefaultErrorHandler(),
    urllib.request.HTTPErrorProcessor(),
):
    _OPENER.add_handler(_handler)


class _Transient(Exception):
    """A failure worth trying again; `wait` is the server's Retry-After, when it gave one."""

    def __init__(self, message: str, wait: float | None = None) -> None:
        super().__init__(message)
        self.wait = wait


@dataclass(frozen=True)
class HttpPolicy:
    """How patiently and how much to fetch: seconds per request, bytes per response, attempts per page."""

    timeout: float = 60.0
    max_bytes: int = 100 * _MB
    attempts: int = 5
    backoff: float = 2.0  # seconds before the first retry; doubled before each next one
    headers: Mapping[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class Response:
    body: Any  # the parsed JSON
    headers: Message
    size: int  # bytes received, after decompression


def check_url(url: str) -> str:
    """Return the URL if it is an absolute http(s) URL; raise FeedRefused otherwise."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise FeedRefused(f"{url!r} is not a web address: give the API's full URL, starting https://.")
    return url


def get_json(url: str, params: Mapping[str, Any], policy: HttpPolicy) -> Response:
    """GET `url` with `params` added to its query and return the parsed JSON, retrying transient failures."""
    full = _with_params(url, params)
    delay = policy.backoff
    for attempt in range(1, policy.attempts + 1):
        try:
            return _get_once(full, policy)
        except _Transient as failure:
            if attempt == policy.attempts:
                raise FeedRefused(
                    f"{_shown(full)} kept failing ({failure}) after {policy.attempts} attempts. "
                    "Nothing was written; try again later."
                ) from failure
            policy.sleep(min(failure.wait, MAX_RETRY_AFTER_SECONDS) if failure.wait is not None else delay)
            delay *= 2
    raise AssertionError("unreachable: the last attempt returns or raises")


def _with_params(url: str, params: Mapping[str, Any]) -> str:
    parts = urllib.parse.urlsplit(check_url(url))
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    query.update({key: str(value) for key, value in params.items()})
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _shown(url: str) -> str:
    """The URL as messages show it: without its query, which can be long."""
    return urllib.parse.urlunsplit(urllib.parse.urlsplit(url)._replace(query="", fragment=""))


def _get_once(url: str, policy: HttpPolicy) -> Response:
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "Accept-Encoding": "gzip", **policy.headers}
    )
    try:
        with _OPENER.open(request, timeout=policy.timeout) as answer:
            raw = _read_capped(answer, policy.max_bytes, url)
            headers = answer.headers
    except urllib.error.HTTPError as error:
        raise _status_failure(error, url) from error
    except http.client.HTTPException as error:
        raise _Transient(f"a broken answer: {error!r}") from error
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        reason = getattr(error, "reason", error)
        if isinstance(reason, OSError) or isinstance(error, TimeoutError | ConnectionError):
            raise _Transient(f"no answer: {reason}") from error
        raise FeedRefused(f"{_shown(url)} cannot be reached: {reason}.") from error
    text = _decoded(raw, headers.get("Content-Encoding", ""), policy.max_bytes, url)
    try:
        return Response(body=json.loads(text), headers=headers, size=len(text))
    except (ValueError, RecursionError) as error:  # RecursionError: arrays nested thousands deep
        raise FeedRefused(
            f"{_shown(url)} did not answer with JSON (it starts {text[:60]!r}): is it the API's address, "
            "not the dataset's web page?"
        ) from error


def _status_failure(error: urllib.error.HTTPError, url: str) -> Exception:
    if error.code in TRANSIENT_STATUSES:
        return _Transient(f"HTTP {error.code}", _retry_after(error.headers.get("Retry-After")))
    said = _server_message(error.read(4096))
    hint = " Check VOC_SOCRATA_TOKEN or the portal's access." if error.code in (401, 403) else ""
    return FeedRefused(f"{_shown(url)} refused the request (HTTP {error.code}{': ' + said if said else ''}).{hint}")


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None  # an HTTP date: back off as usual


def _server_message(body: bytes) -> str:
    """Return what an error answer says: its JSON "message", "description" or "error", else its text."""
    text = body.decode("utf-8", "replace").strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        return text[:300]
    if isinstance(parsed, list) and parsed:  # GeoReport v2: [{"code": 400, "description": "..."}]
        parsed = parsed[0]
    if isinstance(parsed, dict):
        for key in ("message", "description", "error"):
            if parsed.get(key):
                return str(parsed[key])[:300]
    return text[:300]


def _read_capped(answer: Any, max_bytes: int, url: str) -> bytes:
    declared = answer.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(url, max_bytes)
    chunks, size = [], 0
    while chunk := answer.read(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(url, max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


def _decoded(raw: bytes, encoding: str, max_bytes: int, url: str) -> str:
    if encoding.strip().lower() == "gzip":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(raw, max_bytes + 1)
        except zlib.error as error:
            raise _Transient(f"a damaged compressed answer ({error})") from error
        if len(raw) > max_bytes or inflater.unconsumed_tail:
            raise _too_large(url, max_bytes)
    return raw.decode("utf-8", "replace")


def _too_large(url: str, max_bytes: int) -> FeedRefused:
    return FeedRefused(
        f"An answer from {_shown(url)} is larger than {max_bytes // _MB} MB: nothing was written. "
        "Narrow the pull with --where or --since."
    )
