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

import contextlib
import dataclasses
import email.utils
import http.client
import ipaddress
import pathlib
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib
from collections.abc import Mapping, Sequence

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
    redirects: tuple[str, ...] = ()  # every URL redirected to, in order; the last one answered

    @property
    def final_url(self) -> str:
        """The URL the body came from (``url`` unless a redirect was followed)."""
        return self.redirects[-1] if self.redirects else self.url

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


_BLOCKED_EXTRA = (ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("fd00:ec2::/32"))


def address_allowed(address: str, allowed_networks: Sequence[str] = ()) -> bool:
    """Whether a redirect may lead to ``address`` (an IP): public unicast, or in an allowed network."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
    if any(ip in ipaddress.ip_network(n, strict=False) for n in allowed_networks):
        return True
    return ip.is_global and not ip.is_multicast and not any(ip in n for n in _BLOCKED_EXTRA)


def check_redirect(url: str, allowed_networks: Sequence[str] = ()) -> None:
    """Raises ``FetchError`` unless a redirect to ``url`` may be followed (scheme and every address)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(url, f"redirect to a {parts.scheme or 'relative'} URL refused")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError) as exc:
        raise FetchError(
            url, f"redirect target cannot be resolved: {exc}", transient=True
        ) from None
    for info in infos:
        address = info[4][0]
        if not address_allowed(address, allowed_networks):
            raise FetchError(
                url,
                f"redirect to a non-public address refused ({parts.hostname} is {address}; "
                "fetch.allow_networks lists networks a redirect may reach)",
            )


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
      timeout, deadline, max_bytes, user_agent, allowed_networks: see ``FetchPolicy``.
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
    request = urllib.request.Request(
        url, data=data, headers=request_headers, method="POST" if data is not None else "GET"
    )
    fetched_at = utc_now()
    started = time.monotonic()
    redirects = _GuardedRedirects(allowed_networks)
    watchdog = _Watchdog(deadline)
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
        transient = exc.code == 429 or exc.code >= 500
        raise FetchError(
            url,
            f"HTTP {exc.code} {exc.reason}",
            status=exc.code,
            transient=transient,
            retry_after=parse_retry_after(response_headers.get("retry-after")),
            headers=response_headers,
        ) from None
    except TimeoutError:
        raise FetchError(url, f"timed out after {timeout:g} s", transient=True) from None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        if watchdog.fired:  # the deadline closed the connection, whatever it was waiting for
            raise FetchError(
                url,
                f"response not complete within the fetch deadline ({deadline:g} s)",
                transient=True,
            ) from None
        if isinstance(exc, urllib.error.URLError):
            if isinstance(exc.reason, (socket.timeout, TimeoutError)):
                raise FetchError(url, f"timed out after {timeout:g} s", transient=True) from None
            raise FetchError(url, f"cannot connect: {exc.reason}", transient=True) from None
        if isinstance(
            exc, http.client.HTTPException
        ):  # body shorter than Content-Length, bad status line
            raise FetchError(
                url, f"connection failed: {type(exc).__name__}", transient=True
            ) from None
        raise FetchError(
            url, f"connection failed: {exc}", transient=True
        ) from None  # reset mid-body, ...

    if len(raw) > max_bytes:
        raise FetchError(url, f"response larger than {max_bytes} bytes", status=status)
    declared = response_headers.get("content-length", "")
    if declared.isdigit() and len(raw) < int(declared):
        # The connection closed early: a cut body is not a page (a retry may get it whole).
        raise FetchError(
            url,
            f"response ended after {len(raw)} of {declared} bytes",
            status=status,
            transient=True,
        )
    body = _decode_content(url, raw, response_headers.get("content-encoding", ""), max_bytes)
    return FetchResult(
        url, status, response_headers, body, fetched_at, redirects=tuple(redirects.chain)
    )


_CHUNK = 64 * 1024


def read_bounded(url: str, response, max_bytes: int, deadline: float | None) -> bytes:
    """At most ``max_bytes + 1`` bytes, given up (transient) once ``deadline`` (monotonic) has passed.

    A body that ends after the deadline is given up too: the fetch's watchdog shuts the connection at
    the deadline, and a body without a length then simply stops, which must not pass for a whole page.
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


class _Watchdog:
    """Closes the connections of one fetch when its deadline passes, whatever they are waiting for
    (a server that sends its headers a byte at a time is cut off too); a context manager."""

    def __init__(self, deadline: float | None):
        self.deadline = deadline
        self.fired = False
        self._connections: list[http.client.HTTPConnection] = []
        self._timer: threading.Timer | None = None

    def _connection(self, cls, req):
        allowed = getattr(req, _CHECK_PEER, None)
        if allowed is not None and (req.has_proxy() or getattr(req, "_tunnel_host", None)):
            allowed = None  # through a proxy the peer is the proxy, which resolves the name itself

        def make(host, **kwargs):
            connection = cls(host, **kwargs)
            if allowed is not None:
                connection._create_connection = _peer_checked(req.full_url, allowed)
            self._connections.append(connection)
            return connection

        return make

    def handlers(self) -> list[urllib.request.BaseHandler]:
        watchdog = self

        class Http(urllib.request.HTTPHandler):
            def http_open(self, req):
                return self.do_open(watchdog._connection(http.client.HTTPConnection, req), req)

        class Https(urllib.request.HTTPSHandler):
            def https_open(self, req):
                return self.do_open(
                    watchdog._connection(http.client.HTTPSConnection, req),
                    req,
                    context=self._context,
                )

        return [Http(), Https()]

    def _fire(self) -> None:
        self.fired = True
        for connection in self._connections:
            if connection.sock is not None:
                with contextlib.suppress(OSError):
                    connection.sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:  # noqa: PYI034 - a private helper, never subclassed
        if self.deadline is not None:
            self._timer = threading.Timer(self.deadline, self._fire)
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._timer is not None:
            self._timer.cancel()


_CHECK_PEER = "_mentionwatch_allowed_networks"


def _peer_checked(url: str, allowed_networks: Sequence[str]):
    """``socket.create_connection`` that refuses a connected address ``address_allowed`` refuses.

    ``check_redirect`` resolves the target before urllib connects, and a name
    can answer differently the second time (DNS rebinding); checking the
    address actually connected to, before a byte is sent (before TLS too),
    closes that gap.
    """

    def create_connection(address, *args, **kwargs):
        sock = socket.create_connection(address, *args, **kwargs)
        peer = sock.getpeername()[0]
        if not address_allowed(peer, allowed_networks):
            sock.close()
            raise FetchError(
                url,
                f"redirect to a non-public address refused ({address[0]} connected to {peer}; "
                "fetch.allow_networks lists networks a redirect may reach)",
            )
        return sock

    return create_connection


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects only to public addresses (``check_redirect``), never carrying credentials
    to another origin, and keeps the chain.

    urllib copies every request header to the redirect target; a 301 from an
    API to another host (or from https to http) must not receive our token.
    """

    def __init__(self, allowed_networks: Sequence[str] = ()):
        super().__init__()
        self.allowed_networks = tuple(allowed_networks)
        self.chain: list[str] = []

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        newurl = urllib.parse.urljoin(req.full_url, newurl)
        check_redirect(newurl, self.allowed_networks)
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None:
            setattr(
                new, _CHECK_PEER, self.allowed_networks
            )  # checked again once connected (DNS rebinding)
            self.chain.append(new.full_url)
            old_origin = urllib.parse.urlsplit(req.full_url)[:2]
            if urllib.parse.urlsplit(new.full_url)[:2] != old_origin:
                for name in ("Authorization", "Cookie"):
                    new.remove_header(name)
                    new.unredirected_hdrs.pop(name, None)
        return new


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
