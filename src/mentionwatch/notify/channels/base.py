"""The one small interface every channel implements.

``Channel.send(notification)`` delivers one message and returns a
``DeliveryReceipt``, or raises:

* ``TransientDeliveryError``: try again later (server down, timeout, 5xx,
  429, a 4xx SMTP reply). ``retry_after`` may say how long to wait.
* ``PermanentDeliveryError``: retrying cannot help (address refused, bad
  credentials, 4xx from a webhook); the notification is dead-lettered at once.

Anything else a channel raises is treated as transient, with its type name as
the error. Error messages never contain the notification's text.
"""

from __future__ import annotations

import abc
import dataclasses

from mentionwatch.notify.notification import Notification


class DeliveryError(Exception):
    """Delivery failed; ``transient`` says whether a retry may help, ``retry_after`` when."""

    transient = True

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class TransientDeliveryError(DeliveryError):
    """Delivery failed; a later attempt may succeed."""


class PermanentDeliveryError(DeliveryError):
    """Delivery failed in a way no retry can fix."""

    transient = False


class ChannelSetupError(RuntimeError):
    """A channel cannot be built (a missing environment variable, a bad path).

    The message says what to set.
    """


@dataclasses.dataclass(frozen=True)
class DeliveryReceipt:
    """Proof of delivery: which channel, and what the other side said.

    ``detail`` is the message id, the HTTP status or the file written.
    """

    channel: str
    detail: str = ""


class Channel(abc.ABC):
    """Delivers notifications one way. ``key`` is the channel's name within its recipient."""

    type: str = ""

    def __init__(self, key: str):
        self.key = key

    @abc.abstractmethod
    def send(self, notification: Notification) -> DeliveryReceipt:
        """Delivers ``notification`` or raises a ``DeliveryError``."""

    def close(self) -> None:  # noqa: B027 - optional: most channels hold nothing between sends
        """Releases anything held between sends."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.key!r})"
