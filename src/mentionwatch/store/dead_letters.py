"""The ``dead_letters`` table: where every stage's failures end up (``WriteDeadLetters``)."""

from __future__ import annotations

from collections.abc import Sequence

from mentionwatch import timeutil
from mentionwatch.records import DeadLetter
from mentionwatch.store import schema
from mentionwatch.store.base import StoreBase
from mentionwatch.timeutil import parse_time


class DeadLetterStore(StoreBase):
    """Writes dead letters, one row each (a replayed failure is a second row)."""

    def write_dead_letters(self, letters: Sequence[DeadLetter]) -> None:
        """Stores ``letters``; an unreachable store raises ``StoreUnavailable``."""
        if not letters:
            return
        rows = [
            {
                "stage": d.stage,
                "ref": d.ref,
                "error": d.error,
                "time": parse_time(d.time) or timeutil.now(),
                "payload": d.payload,
            }
            for d in letters
        ]
        with self.transaction() as connection:
            connection.execute(schema.dead_letters.insert(), rows)
