"""What disambiguation reads about one item: the keyed document and one subject's hits.

``Doc`` is the item as matching sees it (title, body and URL joined, folded,
keyed, with a lazy word index); ``Evidence`` is everything found in it that
concerns one subject. The URL helpers say where in a URL a hit sits: its host
names a platform, its first path segment often the poster.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from mentionwatch.matching.automaton import Hit
from mentionwatch.matching.normalize import NormalizedText, key_bytes, normalize
from mentionwatch.records import Item

# Pages of a social site whose first path segment is the account that posted.
_ACCOUNT_PAGES = frozenset(
    ("status", "statuses", "posts", "post", "video", "videos", "reel", "reels", "photos", "photo")
)
_TITLE_BODY = "\n"  # a name split across the title and the body still matches
_BODY_URL = "\n\n\n"  # the URL never joins the body
# A person's name as cased text writes it: two or more capitalised words ("Ana Ruiz-Vidal").
PERSON = re.compile(r"\b[A-ZÀ-Þ][a-zß-ÿ]+(?:[ -][A-ZÀ-Þ][a-zß-ÿ]+)+\b")


@dataclasses.dataclass
class Doc:
    """One item as matching sees it: title, body and URL joined, folded, keyed.

    The title and the body are joined by a newline (a name split across them
    still matches), the URL by a paragraph break (it never joins the body).
    """

    original: str
    norm: NormalizedText
    keys: bytes  # key_bytes(norm.text): one byte per folded character
    fields: tuple[tuple[str, int, int], ...]
    _starts: np.ndarray | None = None
    _ends: np.ndarray | None = None

    def _index_words(self) -> None:
        if self._starts is None:
            letters = np.frombuffer(self.keys, np.uint8) != 32
            shifted = np.concatenate(([False], letters[:-1]))
            self._starts = np.flatnonzero(letters & ~shifted)
            self._ends = np.flatnonzero(letters & ~np.concatenate((letters[1:], [False]))) + 1

    def word_count(self) -> int:
        """Number of words (runs of key letters) in the folded text."""
        self._index_words()
        return len(self._starts)

    def word(self, index: int) -> tuple[int, int]:
        """Folded ``[start, end)`` of word ``index`` (words are runs of key letters)."""
        return int(self._starts[index]), int(self._ends[index])

    def word_at(self, position: int) -> int:
        """Index of the first word that starts at or after ``position``."""
        self._index_words()
        return int(np.searchsorted(self._starts, position))

    def words_at(self, positions: list[int]) -> list[int]:
        """``word_at`` for many folded positions at once (one numpy search)."""
        self._index_words()
        return np.searchsorted(self._starts, positions).tolist()

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` that folded ``[start, end)`` came from."""
        return self.norm.original_span(start, end)

    def field_at(self, original: int) -> tuple[str, int, int]:
        """The ``(name, start, end)`` field holding an original offset (the last one past it)."""
        for field in self.fields:
            if field[1] <= original < field[2] or original == field[2]:
                return field
        return self.fields[-1]

    def casing(self, field: tuple[str, int, int], start: int, end: int) -> tuple[bool, bool]:
        """Capitals around ``[start, end)`` of ``field``: ``(cased, headline)``.

        ``cased``: capitals are used at all (but not on every word);
        ``headline``: most words are capitalised.
        """
        window = self.original[max(field[1], start - 300) : min(field[2], end + 300)]
        words = re.findall(r"[^\W\d_]{2,}", window)
        upper = sum(1 for w in words if w[0].isupper())
        return upper > 0 and upper < len(words), bool(words) and upper >= 0.6 * len(words)


def document(item: Item) -> Doc:
    """The item as matching sees it: title, body and URL joined, folded and keyed."""
    title, text, url = item.title or "", item.text or "", item.url or ""
    original = title + _TITLE_BODY + text + _BODY_URL + url
    body = len(title) + len(_TITLE_BODY)
    link = body + len(text) + len(_BODY_URL)
    norm = normalize(original)
    fields = (
        ("title", 0, len(title)),
        ("text", body, body + len(text)),
        ("url", link, link + len(url)),
    )
    return Doc(original, norm, key_bytes(norm.text), fields)


@dataclasses.dataclass
class Evidence:
    """Everything found in one item that concerns one subject."""

    names: list[Hit]
    context: list[Hit]
    titles: list[Hit]
    cues: list[tuple[Hit, int, int]]  # each cue with the word index at its start and at its end
    other_subject_named: bool
    tracked_words: frozenset[str] = frozenset()  # name words of every subject (not "other people")
    about: bool = False  # the item's source is configured as being about her
    own_context: frozenset[str] = frozenset()  # the words of her context terms
    own_titles: frozenset[str] = frozenset()  # the words of her known titles (stage names too)


def inside(cue: Hit, hits: list[Hit]) -> bool:
    """Whether ``cue`` starts inside one of ``hits`` (a cue word within a context term)."""
    return any(h.start <= cue.start < h.end for h in hits)


def in_url(doc: Doc, hit: Hit) -> bool:
    """Whether the hit is in the item's URL."""
    return doc.field_at(doc.original_span(hit.start, hit.end)[0])[0] == "url"


def path_start(url: str) -> int:
    """Offset of the ``/`` that starts a URL's path, or -1 (the host is all there is)."""
    scheme = url.find("://")
    return url.find("/", scheme + 3 if scheme >= 0 else 0)


def _url_position(doc: Doc, hit: Hit) -> tuple[str, int, int] | None:
    """(the URL, the hit's offset in it, where its path starts) when the hit is in the URL."""
    start, _ = doc.original_span(hit.start, hit.end)
    field = doc.field_at(start)
    if field[0] != "url":
        return None
    url = doc.original[field[1] : field[2]]
    return url, start - field[1], path_start(url)


def in_url_host(doc: Doc, hit: Hit) -> bool:
    """Whether the hit is in a URL's host (``tiktok.example``): the platform, not the post."""
    where = _url_position(doc, hit)
    return where is not None and (where[2] < 0 or where[1] < where[2])


def account_in_url(doc: Doc, hit: Hit) -> bool:
    """Whether the hit is the account segment of a social URL.

    ``x.example/<account>/status/1`` or ``/@<account>/video/2``: the poster,
    which says nothing about whom the post is about.
    """
    where = _url_position(doc, hit)
    if where is None:
        return False
    url, offset, path = where
    if path < 0 or offset <= path:
        return False
    segments = url[path + 1 :].split("?")[0].split("/")
    if not segments or len(segments[0]) < 2:
        return False
    if offset >= path + 1 + len(segments[0]):
        return False  # a later segment: a slug, a title
    return segments[0].startswith("@") or (
        len(segments) > 1 and segments[1].lower() in _ACCOUNT_PAGES
    )
