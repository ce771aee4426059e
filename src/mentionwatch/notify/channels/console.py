"""The console channel: prints each notification to a stream (the terminal by default).

For the demo and for trying a config out. A lock keeps two notifications
delivered at once from interleaving.
"""

from __future__ import annotations

import sys
import threading
from typing import TextIO

from mentionwatch.notify.channels.base import Channel, DeliveryReceipt, TransientDeliveryError
from mentionwatch.notify.notification import Notification

_LOCK = threading.Lock()
_RULE = "\u2500"


class ConsoleChannel(Channel):
    """Prints each notification, headed by a rule naming recipient, kind and severity."""

    type = "console"

    def __init__(self, key: str = "console", stream: TextIO | None = None):
        super().__init__(key)
        self._stream = stream

    def send(self, notification: Notification) -> DeliveryReceipt:
        """Prints ``notification``; ``TransientDeliveryError`` when the stream cannot be written."""
        stream = self._stream or sys.stdout
        bar = (
            f"{_RULE * 2} to {notification.recipient} \u00b7 {notification.kind} "
            f"\u00b7 {notification.severity} "
        )
        rule = _RULE * max(4, 72 - len(bar))
        block = f"{bar}{rule}\n{notification.title}\n\n{notification.text.rstrip()}\n\n"
        try:
            with _LOCK:
                stream.write(block)
                stream.flush()
        except OSError as exc:
            raise TransientDeliveryError(
                f"cannot write to the console: {exc.strerror or type(exc).__name__}"
            ) from None
        return DeliveryReceipt(self.key, "printed")
