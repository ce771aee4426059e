"""What rendering takes and gives: the ``Reader`` of a message and the ``Notification`` itself.

Rendering (``notify.render``) turns alerts and a reader into a
``Notification``; every channel (``notify.channels``) delivers one.
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from collections.abc import Mapping
from typing import Any


@dataclasses.dataclass(frozen=True)
class Notification:
    """One message to one recipient, ready for any channel.

    Attributes:
      id: the alert id (immediate), digest id, or operator notice id.
      kind: ``immediate``, ``digest`` or ``operator``.
      recipient: the recipient's name (``operator`` for operator notices).
      severity: the highest severity inside.
      title: one line: the email subject, the chat headline.
      text: the plain-text body.
      html: the HTML body (email).
      items: one mapping per alert for structured payloads (webhooks), with
        ``excerpt``/``title`` set only when the recipient sees full text.
      created_at: ISO-8601 UTC time it was rendered.
    """

    id: str
    kind: str
    recipient: str
    severity: str
    title: str
    text: str = dataclasses.field(repr=False)
    html: str = dataclasses.field(repr=False)
    items: tuple[Mapping[str, Any], ...] = dataclasses.field(default=(), repr=False)
    created_at: str = ""


@dataclasses.dataclass(frozen=True)
class Reader:
    """Who reads a notification, as rendering needs it.

    Attributes:
      name: the recipient's name in ``notify.recipients``.
      role: ``subject`` or ``helper`` (a helper's footer says whom they help).
      full_text: True when the reader opted in to see abusive text unmasked.
      zone: the time zone every time in the message is shown in.
      subjects: the subjects the reader receives alerts about.
    """

    name: str
    role: str
    full_text: bool
    zone: zoneinfo.ZoneInfo
    subjects: tuple[str, ...] = ()
