"""Reading alerts back from the alerts subscription (demo, ``pubsub pull``).

This is a plain synchronous pull for inspection; the notification service
(``mentionwatch notify``) is the real consumer, and by default a pull here
only **peeks**: every message is handed back (ack deadline 0) once the pull
is done, so ``notify`` still receives it. ``consume=True`` acknowledges
instead (the demo without a ``notify`` block, tests).
"""

from __future__ import annotations

import json
import time
from typing import Any

from mentionwatch.alerts.masking import mask
from mentionwatch.config import PubSubSettings
from mentionwatch.pubsub.clients import subscriber_client

_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def pull_alerts(
    settings: PubSubSettings,
    host: str | None,
    *,
    max_messages: int = 100,
    wait: float = 5.0,
    consume: bool = False,
) -> list[dict[str, Any]]:
    """Pulls up to ``max_messages`` alerts; hands them back afterwards unless ``consume``.

    Waits up to ``wait`` seconds for the first message, then keeps pulling
    until the subscription has nothing more to give. Messages stay leased
    while the pull goes on (so none is seen twice), then are acknowledged
    (``consume``) or handed back for ``notify``.
    """
    from google.api_core import exceptions

    path = settings.subscription_path(settings.subscriptions.alerts)
    received: list[dict[str, Any]] = []
    leased: list[str] = []
    subscriber = subscriber_client(host)
    try:
        deadline = time.monotonic() + wait
        while len(received) < max_messages:
            try:
                response = subscriber.pull(
                    request={
                        "subscription": path,
                        "max_messages": min(100, max_messages - len(received)),
                    },
                    timeout=max(1.0, min(5.0, deadline - time.monotonic())),
                )
            except exceptions.DeadlineExceeded:
                response = None
            messages = response.received_messages if response else []
            if not messages:
                if received or time.monotonic() >= deadline:
                    break
                time.sleep(0.2)
                continue
            for message in messages:
                body = json.loads(message.message.data.decode("utf-8"))
                body["_attributes"] = dict(message.message.attributes)
                body["_message_id"] = message.message.message_id
                received.append(body)
            leased += [m.ack_id for m in messages]
            deadline = time.monotonic() + 1.0  # drain: stop after a short quiet spell
    finally:
        try:
            for start in range(0, len(leased), 1000):
                chunk = leased[start : start + 1000]
                if consume:
                    subscriber.acknowledge(
                        request={"subscription": path, "ack_ids": chunk}, timeout=30
                    )
                else:
                    subscriber.modify_ack_deadline(
                        request={"subscription": path, "ack_ids": chunk, "ack_deadline_seconds": 0},
                        timeout=30,
                    )
        finally:
            subscriber.close()
    received.sort(
        key=lambda a: (
            _SEVERITY_ORDER.get(a.get("severity"), 9),
            a.get("subject", ""),
            a.get("published_at") or "",
        )
    )
    return received


def format_alert(alert: dict[str, Any], *, show_text: bool = False) -> str:
    """Two lines for a person: what happened, where; the text masked unless asked."""
    kind = alert["label"] + (f"/{alert['harassment_type']}" if alert.get("harassment_type") else "")
    when = alert.get("published_at") or alert.get("created_at") or ""
    head = (
        f"{alert['severity'].upper():<8} {kind:<28} {alert['subject']:<18} "
        f"{alert.get('source', '')}  {when}"
    )
    text = alert.get("excerpt", "") if show_text else mask(alert)
    link = alert.get("url") or "(no link)"
    return f"{head}\n         {text}\n         {link}"


def masked(alert: dict[str, Any]) -> dict[str, Any]:
    """The alert with its title and excerpt replaced by the content warning, when it carries one."""
    if not alert.get("content_warning", True):
        return alert
    return {**alert, "title": "[hidden]" if alert.get("title") else "", "excerpt": mask(alert)}
