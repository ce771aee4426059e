"""Fetching a URL the way a polite, careful feed reader does.

``fetch`` returns the server's raw response body exactly as received (after
transfer decoding), its headers and status, so the bytes can be hashed and
kept as evidence. It supports conditional GET (ETag / Last-Modified), gzip
and deflate, ``file:`` URLs (absolute, or relative to a base directory), and
turns every failure into a ``FetchError`` that says what went wrong and
whether trying again later could help.

Hostile servers are bounded (``FetchPolicy``, from the config's ``fetch:``
block):

* **size**: at most ``max_bytes`` are read, and at most ``max_bytes`` come
  out of decompression (a 1 MB gzip bomb that expands to 1 GB stops at the
  limit, without holding the rest in memory);
* **time**: every read waits at most ``timeout`` seconds, and the whole
  response at most ``deadline`` seconds (a server that drips one byte every
  few seconds is cut off);
* **where**: the URL the operator configured is fetched as written, but a
  redirect is followed only to ``http``/``https`` on an address outside
  loopback, private, link-local (cloud metadata included), shared,
  multicast and reserved ranges, unless the network is listed in
  ``fetch.allow_networks``. The redirect chain and the final URL are kept
  on the result (and in the evidence store), so a body is never attributed
  to the URL it did not come from.
"""

from __future__ import annotations

import dataclasses
import email.utils
import http.client
import pathlib
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Mapping, Sequence

from mentionwatch.ids import sha256_hex
from mentionwatch.records import utc_now
from mentionwatch.sources.fetch_error import FetchError
from mentionwatch.sources.http_guard import GuardedRedirects, Watchdog


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
    redirects: tuple[str, ...] = ()  # every URL redirected to, in order; the last one answered

    @property
    def final_url(self) -> str:
        """The URL the body came from (``url`` unless a redirect was followed)."""
        return self.redirects[-1] if self.redirects else self.url

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the body as received: its identity in the evidence store."""
        return sha256_hex(self.body)

    @property
    def etag(self) -> str | None:
        """The ``ETag`` validator for the next conditional GET, if the server sent one."""
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        """The ``Last-Modified`` validator for the next conditional GET, if sent."""
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


@dataclasses.dataclass(frozen=True)
class FetchPolicy:
    """The bounds every fetch runs under (the config's ``fetch:`` block).

    Attributes:
      timeout: seconds any one read may wait.
      deadline: seconds the whole response may take, headers to last byte.
      max_bytes: the most bytes read, and the most a compressed body may expand to.
      user_agent: the ``User-Agent`` sent.
      allowed_networks: networks (CIDR) a redirect may lead into although
        they are loopback or private (a feed mirror on the operator's LAN).
    """

    timeout: float = 20.0
    deadline: float = 60.0
    max_bytes: int = 10_000_000
    user_agent: str = "mentionwatch"
    allowed_networks: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, settings) -> FetchPolicy:
        """The policy of a config's ``fetch:`` block."""
        return cls(
            settings.timeout_s,
            settings.deadline_s,
            settings.max_bytes,
            settings.user_agent,
            tuple(settings.allow_networks),
        )

    def kwargs(self) -> dict:
        """The keyword arguments of ``fetch`` this policy sets."""
        return dataclasses.asdict(self)


def fetch(
    url: str,
    *,
    timeout: float = 20.0,
    deadline: float | None = 60.0,
    max_bytes: int = 10_000_000,
    user_agent: str = "mentionwatch",
    allowed_networks: Sequence[str] = (),
    etag: str | None = None,
    last_modified: str | None = None,
    headers: Mapping[str, str] | None = None,
    data: bytes | None = None,
) -> FetchResult:
    """Fetches ``url`` (http, https or absolute file URL) within the bounds described above.

    Args:
      url: the URL to fetch.
      timeout: see ``FetchPolicy``.
      deadline: see ``FetchPolicy``; None for no deadline.
      max_bytes: see ``FetchPolicy``.
      user_agent: see ``FetchPolicy``.
      allowed_networks: see ``FetchPolicy``.
      etag: the stored ``ETag``, sent as ``If-None-Match``.
      last_modified: the stored ``Last-Modified``, sent as ``If-Modified-Since``.
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
    request = _request(url, user_agent, etag, last_modified, headers, data)
    fetched_at = utc_now()
    started = time.monotonic()
    redirects = GuardedRedirects(allowed_networks)
    watchdog = Watchdog(deadline)
    try:
        opener = urllib.request.build_opener(redirects, *watchdog.handlers())
        with watchdog, opener.open(request, timeout=timeout) as response:
            raw = read_bounded(
                url, response, max_bytes, None if deadline is None else started + deadline
            )
            status = response.status
            response_headers = {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        response_headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        if exc.code == 304:
            return FetchResult(url, 304, response_headers, b"", fetched_at, not_modified=True)
        raise _status_error(url, exc, response_headers) from None
    except TimeoutError:
        raise FetchError(url, f"timed out after {timeout:g} s", transient=True) from None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise _connection_error(url, exc, watchdog.fired, timeout, deadline) from None
    _check_whole(url, raw, status, response_headers, max_bytes)
    body = _decode_content(url, raw, response_headers.get("content-encoding", ""), max_bytes)
    return FetchResult(
        url, status, response_headers, body, fetched_at, redirects=tuple(redirects.chain)
    )


def _request(
    url: str,
    user_agent: str,
    etag: str | None,
    last_modified: str | None,
    headers: Mapping[str, str] | None,
    data: bytes | None,
) -> urllib.request.Request:
    """The GET (or, with ``data``, POST) request: conditional when validators are given."""
    request_headers = {"User-Agent": user_agent, "Accept-Encoding": "gzip, deflate"}
    request_headers["Accept"] = (
        "application/atom+xml, application/rss+xml, application/feed+json, "
        "application/json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
    )
    if etag:
        request_headers["If-None-Match"] = etag
    if last_modified:
        request_headers["If-Modified-Since"] = last_modified
    request_headers.update(headers or {})
    return urllib.request.Request(
        url, data=data, headers=request_headers, method="POST" if data is not None else "GET"
    )


def _status_error(url: str, exc: urllib.error.HTTPError, headers: Mapping[str, str]) -> FetchError:
    """The error for an HTTP error status: transient for 429 and 5xx, with Retry-After."""
    return FetchError(
        url,
        f"HTTP {exc.code} {exc.reason}",
        status=exc.code,
        transient=exc.code == 429 or exc.code >= 500,
        retry_after=parse_retry_after(headers.get("retry-after")),
        headers=headers,
    )


def _connection_error(
    url: str, exc: Exception, deadline_passed: bool, timeout: float, deadline: float | None
) -> FetchError:
    """The (transient) error for a connection that failed, timed out or was cut off."""
    if deadline_passed:  # the deadline closed the connection, whatever it was waiting for
        return FetchError(
            url,
            f"response not complete within the fetch deadline ({deadline:g} s)",
            transient=True,
        )
    if isinstance(exc, urllib.error.URLError):
        if isinstance(exc.reason, (socket.timeout, TimeoutError)):
            return FetchError(url, f"timed out after {timeout:g} s", transient=True)
        return FetchError(url, f"cannot connect: {exc.reason}", transient=True)
    if isinstance(exc, http.client.HTTPException):
        # A body shorter than Content-Length, a bad status line.
        return FetchError(url, f"connection failed: {type(exc).__name__}", transient=True)
    return FetchError(url, f"connection failed: {exc}", transient=True)  # reset mid-body, ...


def _check_whole(
    url: str, raw: bytes, status: int, headers: Mapping[str, str], max_bytes: int
) -> None:
    """Raises ``FetchError`` for a body over ``max_bytes`` or shorter than its Content-Length."""
    if len(raw) > max_bytes:
        raise FetchError(url, f"response larger than {max_bytes} bytes", status=status)
    declared = headers.get("content-length", "")
    if declared.isdigit() and len(raw) < int(declared):
        # The connection closed early: a cut body is not a page (a retry may get it whole).
        raise FetchError(
            url,
            f"response ended after {len(raw)} of {declared} bytes",
            status=status,
            transient=True,
        )


_CHUNK = 64 * 1024


def read_bounded(url: str, response, max_bytes: int, deadline: float | None) -> bytes:
    """At most ``max_bytes + 1`` bytes, given up (transient) once ``deadline`` has passed.

    ``deadline`` is a ``time.monotonic`` value. A body that ends after the
    deadline is given up too: the fetch's watchdog shuts the connection at the
    deadline, and a body without a length then simply stops, which must not
    pass for a whole page.
    """
    read = getattr(response, "read1", response.read)
    parts, size = [], 0
    while size <= max_bytes:
        chunk = read(min(_CHUNK, max_bytes + 1 - size))
        if deadline is not None and time.monotonic() > deadline:
            raise FetchError(
                url,
                f"response not complete within the fetch deadline ({size} bytes read)",
                transient=True,
            )
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts)


def _decode_content(url: str, raw: bytes, encoding: str, max_bytes: int) -> bytes:
    """The body decoded, never more than ``max_bytes`` of it (a decompression bomb stops there)."""
    encoding = encoding.strip().lower()
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return raw
    attempts = (
        (16 + zlib.MAX_WBITS,) if encoding != "deflate" else (zlib.MAX_WBITS, -zlib.MAX_WBITS)
    )
    for wbits in attempts:
        try:
            return _inflate(url, raw, wbits, max_bytes)
        except zlib.error as exc:
            error = exc
    raise FetchError(url, f"cannot decode {encoding} body: {error}") from None


def _inflate(url: str, data: bytes, wbits: int, max_bytes: int) -> bytes:
    out, size = [], 0
    while data:  # gzip allows several members one after another
        inflater = zlib.decompressobj(wbits)
        pending = data
        while pending:
            chunk = inflater.decompress(pending, max_bytes + 1 - size)
            out.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(url, f"body larger than {max_bytes} bytes once decompressed")
            pending = inflater.unconsumed_tail
            if not chunk and not pending:
                break
        if not inflater.eof:
            raise zlib.error("incomplete or truncated stream")
        data = inflater.unused_data if wbits == 16 + zlib.MAX_WBITS else b""
    return b"".join(out)


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
