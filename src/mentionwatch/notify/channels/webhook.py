"""The webhook channel: an HTTP POST per notification, in one of three payload shapes.

* ``json`` (generic): the notification as JSON, signed. Headers:

  - ``X-Mentionwatch-Signature: sha256=<hex HMAC-SHA256 of the raw body>``,
    keyed with the secret in the environment variable ``secret_env``;
  - ``X-Mentionwatch-Timestamp``: Unix seconds; the same value is inside the
    signed body as ``timestamp``, so a receiver that checks it is recent
    rejects replays;
  - ``X-Mentionwatch-Delivery``: the notification id (stable across retries),
    for receivers that deduplicate.

* ``slack``: an incoming-webhook payload (``text`` plus a section block).
* ``discord``: a webhook payload (``content``, at most 2000 characters) with
  ``allowed_mentions`` empty, so quoted text can never ping anyone.

Responses: 2xx delivered; 408, 425, 429 and 5xx transient (``Retry-After``
honoured); any other status, including redirects, permanent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlparse

from mentionwatch import __version__
from mentionwatch.notify.channels.base import (
    Channel,
    DeliveryReceipt,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from mentionwatch.notify.notification import Notification
from mentionwatch.sources.fetch_error import FetchError
from mentionwatch.sources.http import read_bounded

SIGNATURE_HEADER = "X-Mentionwatch-Signature"
TIMESTAMP_HEADER = "X-Mentionwatch-Timestamp"
DELIVERY_HEADER = "X-Mentionwatch-Delivery"
_TRANSIENT_STATUS = {408, 425, 429}
DISCORD_LIMIT = 2000
SLACK_LIMIT = 3000


def sign(secret: bytes, body: bytes) -> str:
    """The signature header value for ``body``."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(secret: bytes, body: bytes, header: str) -> bool:
    """What a receiver runs (docs/alerts.md): constant-time comparison of the signature."""
    return hmac.compare_digest(sign(secret, body), header or "")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def payload(notification: Notification, fmt: str, timestamp: int) -> dict[str, Any]:
    """The JSON document POSTed for ``notification`` in format ``fmt``."""
    if fmt == "slack":
        text = _slack_escape(_clip(f"*{notification.title}*\n{notification.text}", SLACK_LIMIT))
        return {
            "text": _slack_escape(notification.title),
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
            "unfurl_links": False,
            "unfurl_media": False,
        }
    if fmt == "discord":
        return {
            "content": _clip(f"**{notification.title}**\n{notification.text}", DISCORD_LIMIT),
            "allowed_mentions": {"parse": []},
            "flags": 4,  # SUPPRESS_EMBEDS: no link previews of the abusive page
        }
    return {
        "type": "mentionwatch.notification",
        "version": 1,
        "id": notification.id,
        "kind": notification.kind,
        "recipient": notification.recipient,
        "severity": notification.severity,
        "title": notification.title,
        "text": notification.text,
        "alerts": [dict(item) for item in notification.items],
        "created_at": notification.created_at,
        "timestamp": timestamp,
    }


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a redirected POST would silently become a GET
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


class WebhookChannel(Channel):
    """POSTs each notification to ``url`` in format ``fmt``, signed when a secret is set."""

    type = "webhook"

    def __init__(
        self,
        key: str,
        url: str,
        *,
        fmt: str = "json",
        secret: bytes | None = None,
        timeout: float = 10.0,
        clock=time.time,
    ):
        super().__init__(key)
        self.url = url
        self.fmt = fmt
        self._secret = secret
        self._timeout = timeout
        self._clock = clock

    def request(self, notification: Notification) -> urllib.request.Request:
        """The POST for ``notification``, with its delivery id, timestamp and signature headers."""
        timestamp = int(self._clock())
        body = json.dumps(
            payload(notification, self.fmt, timestamp), ensure_ascii=False, sort_keys=True
        ).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"mentionwatch/{__version__} (notify)",
            DELIVERY_HEADER: f"{notification.kind}:{notification.id}:{notification.recipient}",
            TIMESTAMP_HEADER: str(timestamp),
        }
        if self._secret is not None:
            headers[SIGNATURE_HEADER] = sign(self._secret, body)
        return urllib.request.Request(self.url, data=body, headers=headers, method="POST")

    def send(self, notification: Notification) -> DeliveryReceipt:
        """POSTs once; the HTTP status says delivered, transient or permanent (see the module)."""
        request = self.request(notification)
        parts = urlparse(
            self.url
        )  # errors name the host only: a path or a login can be the secret itself
        host = f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)
        try:
            with _OPENER.open(request, timeout=self._timeout) as response:
                # The answer is read within timeout_s in all: a receiver that drips it cannot
                # hold notify.
                read_bounded(host, response, 65536, time.monotonic() + self._timeout)
                status = response.status
        except FetchError as exc:
            raise TransientDeliveryError(
                f"webhook {host} did not finish its answer within {self._timeout:g} s"
            ) from exc
        except urllib.error.HTTPError as exc:
            status = exc.code
            retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            exc.close()
            if status >= 500 or status in _TRANSIENT_STATUS:
                raise TransientDeliveryError(
                    f"webhook {host} answered HTTP {status}", retry_after=retry_after
                ) from None
            if 300 <= status < 400:
                raise PermanentDeliveryError(
                    f"webhook {host} redirected (HTTP {status}); configure the final URL"
                ) from None
            raise PermanentDeliveryError(
                f"webhook {host} refused the notification (HTTP {status})"
            ) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransientDeliveryError(
                f"webhook {host} unreachable: {type(reason).__name__}: {reason}"
            ) from None
        return DeliveryReceipt(self.key, f"HTTP {status}")
