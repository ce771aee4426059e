"""Content-derived identifiers.

Nothing in mentionwatch gets a random id. An item's id comes from its source
and its guid (or link), a mention's from the subject and the item, an alert's
from the subject, the item and the label. Replaying the same input therefore
reproduces the same ids, so stores upsert instead of duplicating, Pub/Sub
consumers deduplicate on ``alert_id`` and a re-run never makes a second alert.
"""

from __future__ import annotations

import hashlib


def digest(*parts: str, length: int = 24) -> str:
    """Hex SHA-256 of ``parts``, each length-prefixed, cut to ``length`` characters."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8")
        # Length-prefix every part so ("ab", "c") and ("a", "bc") differ.
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()[:length]


def item_id(source: str, guid: str) -> str:
    """Id of an item: its source plus the entry's guid (or link, or content)."""
    return "it_" + digest("item", source, guid)


def mention_id(subject: str, item: str) -> str:
    """Id of a mention: the subject's canonical name plus the item's id."""
    return "mn_" + digest("mention", subject, item)


def alert_id(subject: str, item: str, label: str) -> str:
    """Id of an alert: subject, item and label, so a replay never makes a second alert."""
    return "al_" + digest("alert", subject, item, label)


def sha256_hex(data: bytes) -> str:
    """Hex SHA-256 of ``data`` (raw bodies kept as evidence are named by it)."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path) -> str:
    """Hex SHA-256 of a file, read in 1 MB blocks (model files are hundreds of MB)."""
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            h.update(block)
    return h.hexdigest()
