"""Plain-text helpers shared by sources, alerts and notifications."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
_SKIP_TAGS = frozenset(("script", "style", "template", "noscript"))
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n\s*(\n\s*)+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Converts an HTML fragment to readable plain text.

    Tags are dropped, block elements become line breaks, entities are decoded,
    scripts and styles are removed, and runs of whitespace are collapsed.
    Plain text passes through unchanged apart from whitespace.
    """
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:
        text = markup
    else:
        parser = _TextExtractor()
        parser.feed(markup)
        parser.close()
        text = html.unescape("".join(parser.parts))
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    text = "\n".join(lines)
    return _BLANK_LINES.sub("\n\n", text).strip()


def excerpt(text: str, limit: int = 280) -> str:
    """The first ``limit`` characters of ``text`` on one line, cut at a word."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut + "…"


_URL_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


def safe_url(url: str | None) -> str:
    """``url`` when it is an absolute http(s) URL with no control characters, else ``""``.

    The one URL policy for links that came from content: applied when an
    item is made from a feed entry and again when an alert is read for a
    notification, so a ``javascript:`` link never becomes a link in an email
    and a URL with a line break never adds lines to a message.
    """
    if not url:
        return ""
    url = url.strip()
    if _URL_CONTROL.search(url):
        return ""
    scheme, _, rest = url.partition(":")
    if scheme.lower() not in ("http", "https") or not rest.startswith("//") or len(rest) <= 2:
        return ""
    return url.replace(" ", "%20")
