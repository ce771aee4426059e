"""The items message: how items travel on the items topic (docs/event-driven.md).

Ingest writes it, the monitor reads it, and any other producer (the Jetstream
source, a script) may publish it too. A message body is JSON: either
``{"schema_version": 1, "items": [...]}`` with up to
``ingest.items_per_message`` items, or one item object. Its attributes are
``item_id`` (the item's id, or a hash of a batch's ids, for deduplication)
and ``count``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from mentionwatch.records import Item
from mentionwatch.sources import entries

ITEM_SCHEMA_VERSION = 1


def encode_items(items: Sequence[Item]) -> tuple[bytes, dict[str, str]]:
    """One items message: the JSON body and its attributes (see docs/event-driven.md)."""
    body = json.dumps(
        {"schema_version": ITEM_SCHEMA_VERSION, "items": [i.to_json() for i in items]},
        ensure_ascii=False,
    )
    if len(items) == 1:
        message_key = items[0].id
    else:
        message_key = (
            "batch-"
            + hashlib.sha256("\n".join(sorted(i.id for i in items)).encode()).hexdigest()[:24]
        )
    return body.encode("utf-8"), {"item_id": message_key, "count": str(len(items))}


def decode_items(data: bytes) -> list[Item]:
    """Items from one message: ``{"items": [...]}`` or a single item object.

    Raises:
      ValueError: the message is not one of the two shapes (or lacks id/text).
    """
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"items message is not JSON: {exc}") from None
    if isinstance(document, dict) and isinstance(document.get("items"), list):
        records = document["items"]
    elif isinstance(document, dict):
        records = [document]
    else:
        # A bad message, not a bad call: ValueError is what the monitor dead-letters.
        raise ValueError("items message must be a JSON object")  # noqa: TRY004
    items = []
    for n, record in enumerate(records):
        if isinstance(record, dict) and "title" in record and "fetched_at" in record:
            items.append(Item.from_json(record))
        else:
            items.append(entries.item_from_input(record, f"message item {n}"))
    return items
