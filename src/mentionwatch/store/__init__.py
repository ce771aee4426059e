"""The mention history: every mention, what the model said, every alert."""

from mentionwatch.store.db import HistoryStore, StoreUnavailable

__all__ = ["HistoryStore", "StoreUnavailable"]
