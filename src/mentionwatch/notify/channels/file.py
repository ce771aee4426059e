"""The file channel: one text file per notification, for the demo, audits and air-gapped setups.

Files are ``<directory>/<recipient>/<kind>-<id>.txt``: the name comes from the
notification's id, so writing the same notification again replaces the file
instead of adding one. Writes go to a temporary file first and are renamed
into place, so a reader never sees half a message.
"""

from __future__ import annotations

import errno
import os
import pathlib
import re
import tempfile

from mentionwatch.notify.channels.base import (
    Channel,
    DeliveryReceipt,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from mentionwatch.notify.notification import Notification

_PERMANENT = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR}


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _name(part: str) -> str:
    """A plain file name: letters, digits, ``_ . -`` only, never ``.``/``..`` or empty."""
    cleaned = _UNSAFE.sub("_", part).strip(".") or "_"
    return cleaned[:120]


class FileChannel(Channel):
    """Writes each notification to its own text file under ``directory`` (see the module)."""

    type = "file"

    def __init__(self, key: str, directory: pathlib.Path):
        super().__init__(key)
        self.directory = directory

    def path_for(self, notification: Notification) -> pathlib.Path:
        """``<directory>/<recipient>/<kind>-<id>.txt``, every part made a plain file name.

        An id from a hostile publisher (``x/../../etc``) can never leave the
        directory: ``PermanentDeliveryError`` if a path would.
        """
        path = (
            self.directory
            / _name(notification.recipient)
            / f"{_name(notification.kind)}-{_name(notification.id)}.txt"
        )
        if self.directory.resolve() not in path.resolve().parents:
            raise PermanentDeliveryError(f"refusing to write outside {self.directory}: {path}")
        return path

    def send(self, notification: Notification) -> DeliveryReceipt:
        """Writes the file atomically; permission errors are permanent, other I/O transient."""
        path = self.path_for(notification)
        content = f"{notification.title}\n\n{notification.text.rstrip()}\n"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".txt")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(content)
                os.replace(temp, path)
            except BaseException:
                pathlib.Path(temp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            error = PermanentDeliveryError if exc.errno in _PERMANENT else TransientDeliveryError
            raise error(f"cannot write {path}: {exc.strerror or type(exc).__name__}") from None
        return DeliveryReceipt(self.key, str(path))
