"""The mention history: every mention, what the model said, every alert."""

from mentionwatch.store.db import HistoryStore
from mentionwatch.store.engine import StoreUnavailable

__all__ = ["HistoryStore", "StoreUnavailable"]
