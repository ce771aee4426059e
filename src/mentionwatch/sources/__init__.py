"""Where items come from: feeds and social platforms behind one small ``Source`` interface.

``base`` (the interface), ``registry`` (kind → source, config → specs),
``poll`` (one poll of one source), ``polling`` (the ingest job's Beam
stages), ``health`` (failing / silent sources), one module per platform
(``rss``, ``reddit``, ``mastodon``, ``bluesky``, ``hackernews``, ``youtube``,
``google_alerts``) and ``jetstream`` (the real-time Bluesky producer).
docs/sources.md describes each source, its credentials and limits.
"""
