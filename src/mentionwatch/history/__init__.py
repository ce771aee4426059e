"""The analyst's view of the history store: filtered queries, read-only SQL, exports.

``mentionwatch history`` (``cli.history``, docs/history.md) is a thin layer
over ``query.HistoryFilter`` / ``query.select_mentions`` (one indexed query
per filter set), ``sql.iter_readonly`` and the writers in ``export``.
"""
