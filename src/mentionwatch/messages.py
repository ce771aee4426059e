"""The items message: how items travel on the items topic (docs/event-driven.md).

Ingest writes it, the monitor reads it, and any other producer (the Jetstream
source, a script) may publish it too. A message body is JSON: either
``{"schema_version": 1, "items": [...]}`` with up to
``ingest.items_per_message`` items, or one item object. Its attributes:

* ``item_id``: the message's identity, for deduplication (the monitor reads
  with ``ReadFromPubSub(id_label="item_id")`` on Dataflow): the item's id, or
  ``batch-`` and a hash of a batch's item ids. Ingest stores it with each
  item in its outbox, and a redelivery re-sends the same items under the
  same ``item_id`` (``jobs.outbox``), so Dataflow drops a copy of a message it
  already has.
* ``published_at``: when the producer published the message, RFC 3339 UTC
  with milliseconds (``2026-12-03T10:15:02.123Z``; milliseconds since the
  epoch are read too): the monitor's event time and the alert policy's
  clock (``jobs.monitor.producer_time``). Without it, or when it cannot be
  read, Pub/Sub's publish time is the event time and the message is not lost.
* ``count``: how many items the body holds.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from mentionwatch.records import Item
from mentionwatch.sources import entries
from mentionwatch.timeutil import utc_now_iso

ITEM_SCHEMA_VERSION = 1
ID_ATTRIBUTE = "item_id"
TIMESTAMP_ATTRIBUTE = "published_at"


def message_key(items: Sequence[Item]) -> str:
    """The ``item_id`` attribute of a message holding ``items`` (content-derived, stable)."""
    if len(items) == 1:
        return items[0].id
    digest = hashlib.sha256("\n".join(sorted(i.id for i in items)).encode()).hexdigest()
    return "batch-" + digest[:24]


def encode_items(
    items: Sequence[Item], *, key: str | None = None, published_at: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """One items message: the JSON body and its attributes (see the module docstring).

    Args:
      items: the items, at least one.
      key: the ``item_id`` attribute; default ``message_key(items)``. A
        redelivery passes the key of the first send.
      published_at: the ``published_at`` attribute; default now.

    Raises:
      ValueError: no items.
    """
    if not items:
        raise ValueError("an items message needs at least one item")
    body = json.dumps(
        {"schema_version": ITEM_SCHEMA_VERSION, "items": [i.to_json() for i in items]},
        ensure_ascii=False,
    )
    return body.encode("utf-8"), {
        ID_ATTRIBUTE: key or message_key(items),
        TIMESTAMP_ATTRIBUTE: published_at or utc_now_iso("milliseconds"),
        "count": str(len(items)),
    }


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
