"""Alert policy: severity, selection, deduplication."""
