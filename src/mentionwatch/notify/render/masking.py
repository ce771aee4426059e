"""What of an alert's text a reader sees: the content warning, and the structured form.

An alert's title, excerpt and full links are shown only to a reader who
opted in with ``full_text: true``, or when the alert carries no content
warning; everyone else reads the warning that stands in for them, and links
by their site only (``clipvault.example/…``), because a link's path can spell
out the hidden title.
"""

from __future__ import annotations

from typing import Any

from mentionwatch.notify.alert import IncomingAlert
from mentionwatch.notify.notification import Reader
from mentionwatch.notify.render.wording import local_time, shown_link, what


def shows_text(alert: IncomingAlert, reader: Reader) -> bool:
    """True when ``reader`` may read the alert's title and excerpt."""
    return reader.full_text or not alert.hidden


def masked(alert: IncomingAlert) -> str:
    """The content warning that stands in for the text."""
    kind = alert.harassment_type or alert.label.replace("_", "-")
    return f"hidden (content warning: {kind}, {len(alert.excerpt)} characters)"


def facts(alert: IncomingAlert, reader: Reader) -> dict[str, Any]:
    """The structured form of one alert for webhooks: masked unless the reader sees full text.

    Masked: ``title``, ``excerpt`` and ``url`` are None, ``related_urls``
    empty; ``links`` always holds the links as the reader may see them.
    """
    show = shows_text(alert, reader)
    return {
        "alert_id": alert.alert_id,
        "subject": alert.subject,
        "label": alert.label,
        "harassment_type": alert.harassment_type,
        "kind": alert.kind,
        "severity": alert.severity,
        "count": alert.count,
        "what": what(alert),
        "where": alert.where,
        "source": alert.source,
        "url": alert.url if show else None,
        "related_urls": list(alert.related_urls) if show else [],
        "links": [shown_link(u, show) for u in (alert.url, *alert.related_urls) if u],
        "known_content": alert.known_content or None,
        "published_at": alert.published_at,
        "local_time": local_time(alert.when, reader.zone),
        "text_hidden": not show,
        "title": alert.title if show else None,
        "excerpt": alert.excerpt if show else None,
        "evidence_ref": alert.evidence_ref,
    }
