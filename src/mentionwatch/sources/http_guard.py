"""Where a fetch may go and how long it may take: redirect and peer checks, the deadline.

* A redirect is followed only to ``http``/``https`` on a public address
  (``check_redirect``), or into a network listed in ``fetch.allow_networks``;
  the address actually connected to is checked again before a byte is sent
  (DNS rebinding), and credentials never follow a redirect to another origin
  (``GuardedRedirects``).
* ``Watchdog`` closes a fetch's connections when its deadline passes,
  whatever they are waiting for.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import threading
import urllib.parse
import urllib.request
from collections.abc import Sequence

from mentionwatch.sources.fetch_error import FetchError

_BLOCKED_EXTRA = (ipaddress.ip_network("100.64.0.0/10"), ipaddress.ip_network("fd00:ec2::/32"))


def address_allowed(address: str, allowed_networks: Sequence[str] = ()) -> bool:
    """Whether a redirect may lead to IP ``address``: public unicast, or an allowed network."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback
    if any(ip in ipaddress.ip_network(n, strict=False) for n in allowed_networks):
        return True
    return ip.is_global and not ip.is_multicast and not any(ip in n for n in _BLOCKED_EXTRA)


def check_redirect(url: str, allowed_networks: Sequence[str] = ()) -> None:
    """Raises ``FetchError`` unless a redirect to ``url`` may be followed.

    Its scheme must be http or https and every address its host resolves to
    allowed (``address_allowed``).
    """
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


class Watchdog:
    """Closes the connections of one fetch when its deadline passes; a context manager.

    Whatever the connections are waiting for: a server that sends its headers
    a byte at a time is cut off too. ``fired`` says whether it did.
    """

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
        """The HTTP and HTTPS handlers whose connections this watchdog can close."""
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

    def __enter__(self) -> Watchdog:  # noqa: PYI034 - a private helper, never subclassed
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


class GuardedRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects only to allowed addresses, never carrying credentials elsewhere.

    Every target passes ``check_redirect``; the chain of URLs is kept in ``chain``.

    urllib copies every request header to the redirect target; a 301 from an
    API to another host (or from https to http) must not receive our token.
    """

    def __init__(self, allowed_networks: Sequence[str] = ()):
        super().__init__()
        self.allowed_networks = tuple(allowed_networks)
        self.chain: list[str] = []

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        """The request for a redirect, or raises ``FetchError`` where it may not go."""
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
