"""What text the model sees for a mention.

Long articles are cut to a window around the first place the subject is
named, so the part of the text about her is inside the model's token limit.
URL slugs often carry the marketing of re-promotion
(``/dana-reyes-full-video-2026``), so their words are appended.
"""

from __future__ import annotations

import re
import urllib.parse

from mentionwatch.records import Mention

WINDOW_BEFORE = 400
WINDOW_AFTER = 800
_SLUG_SPLIT = re.compile(r"[-_./+?=&%#:]+")


def url_words(url: str) -> str:
    """Words in a URL's host and path, e.g. ``"dana reyes full video 2026"``."""
    if not url:
        return ""
    try:
        parsed = urllib.parse.urlparse(url)
        text = f"{parsed.netloc} {urllib.parse.unquote(parsed.path)}"
    except ValueError:  # e.g. an unbalanced "[" in the host: its words still count
        text = urllib.parse.unquote(url)
    words = [w for w in _SLUG_SPLIT.split(text) if w and w.lower() not in ("www", "http", "https")]
    return " ".join(" ".join(words).split())


def model_input(mention: Mention) -> str:
    """The text the classifier reads for ``mention``."""
    item = mention.item
    text = item.text
    if len(text) > WINDOW_BEFORE + WINDOW_AFTER:
        starts = [s.start for s in mention.spans if s.field == "text"]
        anchor = min(starts) if starts else 0
        begin = max(0, anchor - WINDOW_BEFORE)
        text = text[begin : anchor + WINDOW_AFTER]
    parts = [item.title, text, url_words(item.url)]
    return "\n".join(p for p in parts if p)
