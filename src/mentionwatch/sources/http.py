"""Fetching a URL the way a polite feed reader does.

``fetch`` returns the server's raw response body exactly as received (after
transfer decoding), its headers and status, so the bytes can be hashed and
kept as evidence. It supports conditional GET (ETag / Last-Modified), bounded
reads, gzip, ``file:`` URLs (absolute, or relative to a base directory), and
turns every failure into a ``FetchError`` that says what went wrong and
whether trying again later could help.
"""

from __future__ import annotations

import dataclasses
import email.utils
import gzip
import http.client
import pathlib
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Mapping

from mentionwatch.ids import sha256_hex
from mentionwatch.records import utc_now


class FetchError(Exception):
    """A URL could not be fetched.

    Attributes:
      url: the URL.
      status: the HTTP status, when the server answered.
      transient: True when a later retry may succeed (timeouts, 429, 5xx).
      retry_after: seconds the server asked us to wait, if it said.
      headers: the error response's headers (lower-cased), when there was one;
        APIs put rate-limit state there.
    """

    def __init__(
        self,
        url: str,
        message: str,
        *,
        status: int | None = None,
        transient: bool = False,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(f"{url}: {message}")
        self.url = url
        self.status = status
        self.transient = transient
        self.retry_after = retry_after
        self.headers = dict(headers or {})


@dataclasses.dataclass(frozen=True)
class FetchResult:
    """A response, with the raw body kept byte for byte.

    ``not_modified`` is True for a 304 answer to a conditional GET; ``body`` is
    then empty and nothing needs parsing.
    """

    url: str
    status: int
    headers: Mapping[str, str]
    body: bytes
    fetched_at: str
    not_modified: bool = False

    @property
    def sha256(self) -> str:
        return sha256_hex(self.body)

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")


def resolve_url(url: str, base_dir: pathlib.Path | None) -> str:
    """Makes a relative ``file:`` URL absolute against ``base_dir``."""
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme != "file" or parsed.netloc or base_dir is None:
        return url
    path = urllib.parse.unquote(parsed.path)
    if path.startswith("/"):
        return url
    return (base_dir / path).resolve().as_uri()


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def fetch(
    url: str,
    *,
    timeout: float = 20.0,
    max_bytes: int = 10_000_000,
    user_agent: str = "mentionwatch",
    etag: str | None = None,
    last_modified: str | None = None,
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
) -> FetchResult:
    """Fetches ``url`` (http, https or absolute file URL).

    Args:
      headers: extra request headers (``Authorization`` for API tokens,
        ``Accept``); they override the defaults. Their values are never put
        into errors or logs.
      data: a request body; the request is then a POST (OAuth token
        endpoints).

    Raises:
      FetchError: on any failure, with ``transient`` set when retrying may help.
    """
    scheme = urllib.parse.urlparse(url).scheme
    if scheme == "file":
        return _fetch_file(url, max_bytes)
    if scheme not in ("http", "https"):
        raise FetchError(url, f"unsupported URL scheme {scheme!r}")

    request_headers = {"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"}
    request_headers["Accept"] = (
        "application/atom+xml, application/rss+xml, application/feed+json, application/json;q=0.9, "
        "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
    )
    if etag:
        request_headers["If-None-Match"] = etag
    if last_modified:
        request_headers["If-Modified-Since"] = last_modified
    request_headers.update(headers or {})
    request = urllib.request.Request(url, data=data, headers=request_headers, method="POST" if data is not None else "GET")
    fetched_at = utc_now()
    try:
        opener = urllib.request.build_opener(_CredentialSafeRedirects)
        with opener.open(request, timeout=timeout) as response:
            raw = response.read(max_bytes + 1)
            status = response.status
            response_headers = {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        response_headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        if exc.code == 304:
            return FetchResult(url, 304, response_headers, b"", fetched_at, not_modified=True)
        transient = exc.code == 429 or exc.code >= 500
        raise FetchError(
            url,
            f"HTTP {exc.code} {exc.reason}",
            status=exc.code,
            transient=transient,
            retry_after=parse_retry_after(response_headers.get("retry-after")),
            headers=response_headers,
        ) from None
    except (socket.timeout, TimeoutError):
        raise FetchError(url, f"timed out after {timeout:g} s", transient=True) from None
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise FetchError(url, f"timed out after {timeout:g} s", transient=True) from None
        raise FetchError(url, f"cannot connect: {reason}", transient=True) from None
    except (OSError, ValueError) as exc:  # connection reset mid-body, bad chunking, ...
        raise FetchError(url, f"connection failed: {exc}", transient=True) from None
    except http.client.HTTPException as exc:  # body shorter than Content-Length, bad status line
        raise FetchError(url, f"connection failed: {type(exc).__name__}", transient=True) from None

    if len(raw) > max_bytes:
        raise FetchError(url, f"response larger than {max_bytes} bytes", status=status)
    declared = response_headers.get("content-length", "")
    if declared.isdigit() and len(raw) < int(declared):
        # The connection closed early: a cut body is not a page (a retry may get it whole).
        raise FetchError(url, f"response ended after {len(raw)} of {declared} bytes", status=status, transient=True)
    body = _decode_content(url, raw, response_headers.get("content-encoding", ""))
    return FetchResult(url, status, response_headers, body, fetched_at)


class _CredentialSafeRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects, but never carries credentials to another origin.

    urllib copies every request header to the redirect target; a 301 from an
    API to another host (or from https to http) must not receive our token.
    """

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            old_origin = urllib.parse.urlsplit(req.full_url)[:2]
            if urllib.parse.urlsplit(new.full_url)[:2] != old_origin:
                for name in ("Authorization", "Cookie"):
                    new.remove_header(name)
                    new.unredirected_hdrs.pop(name, None)
        return new


def _decode_content(url: str, raw: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    try:
        if encoding == "gzip":
            return gzip.decompress(raw)
        if encoding == "deflate":
            try:
                return zlib.decompress(raw)
            except zlib.error:
                return zlib.decompress(raw, -zlib.MAX_WBITS)
    except (OSError, EOFError, zlib.error) as exc:
        raise FetchError(url, f"cannot decode {encoding} body: {exc}") from None
    return raw


def _fetch_file(url: str, max_bytes: int) -> FetchResult:
    path = pathlib.Path(urllib.request.url2pathname(urllib.parse.urlparse(url).path))
    try:
        with path.open("rb") as handle:
            body = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise FetchError(url, "file not found") from None
    except OSError as exc:
        raise FetchError(url, f"cannot read file: {exc.strerror}") from None
    if len(body) > max_bytes:
        raise FetchError(url, f"file larger than {max_bytes} bytes")
    content_type = "application/json" if path.suffix == ".json" else "application/xml"
    return FetchResult(url, 200, {"content-type": content_type}, body, utc_now())
