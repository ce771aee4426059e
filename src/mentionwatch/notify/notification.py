"""What rendering takes and gives: the ``Reader`` of a message and the ``Notification`` itself.

Rendering (``notify.render``) turns alerts and a reader into a
``Notification``; every channel (``notify.channels``) delivers one.
"""

from __future__ import annotations

import dataclasses
import zoneinfo
from collections.abc import Mapping
from typing import Any

from mentionwatch.config import Recipient, Subject


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
class Guidance:
    """What next steps need from the config, beyond the reader: the same for every reader.

    Attributes:
      subjects: subject name → its config block (``safety``: her emergency
        number, contact and language; ``known_content``: her works, with the
        year each was released). A subject missing here gets the defaults
        ("your local emergency number", no contact, English).
      config_path: the config file as the commands in messages name it
        (``mentionwatch evidence export CONFIG ALERT_ID``); ``CONFIG`` when
        unknown.
    """

    subjects: Mapping[str, Subject] = dataclasses.field(default_factory=dict)
    config_path: str = "CONFIG"


@dataclasses.dataclass(frozen=True)
class Helper:
    """A helper recipient, as a subject's message needs it: whether, and when, they are told.

    Attributes:
      settings: the helper's recipient block (subjects, labels, schedule).
      zone: the helper's time zone (their quiet hours are in it).
    """

    settings: Recipient
    zone: zoneinfo.ZoneInfo


@dataclasses.dataclass(frozen=True)
class Reader:
    """Who reads a notification, as rendering needs it.

    Attributes:
      name: the recipient's name in ``notify.recipients``.
      role: ``subject`` or ``helper`` (a helper's footer says whom they help).
      full_text: True when the reader opted in to see abusive text (and full
        links) unmasked.
      zone: the time zone every time in the message is shown in.
      subjects: the subjects the reader receives alerts about.
      language: the reader's language for next steps; None to use the
        subject's ``safety.language``.
      helpers: every helper in the config; a subject's message says "your
        helper has also been told" when one of them receives the alert.
      guidance: the subjects' safety settings and the config's path.
    """

    name: str
    role: str
    full_text: bool
    zone: zoneinfo.ZoneInfo
    subjects: tuple[str, ...] = ()
    language: str | None = None
    helpers: tuple[Helper, ...] = dataclasses.field(default=(), compare=False)
    guidance: Guidance = dataclasses.field(default_factory=Guidance, compare=False)
