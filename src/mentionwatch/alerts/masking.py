"""The content warning that stands in for an alert's text wherever a stored alert is shown.

``history``, the report and ``pubsub pull`` show alerts to analysts; unless an
alert was made without a content warning, they show this one line instead of
the abusive excerpt.
"""

from __future__ import annotations

from collections.abc import Mapping

from mentionwatch.records import Alert


def mask(alert: Alert | Mapping) -> str:
    """The excerpt, or, when the alert carries a content warning, one line saying what is hidden."""
    data = alert.to_json() if isinstance(alert, Alert) else alert
    kind = (
        data["label"]
        if not data.get("harassment_type")
        else f"{data['label']}: {data['harassment_type']}"
    )
    text = data.get("excerpt", "")
    if data.get("content_warning", True):
        return f"[content hidden: {kind}, {len(text)} characters]"
    return text
