"""One pass over an item's text for every term of every subject.

Every term the matcher knows (name forms, context terms, excluded phrases,
known-content titles and the cue lexicon) is compiled into two Aho-Corasick
automata (``ahocorasick-rs``, Rust, as a DFA) over the *key text* of the document (see
``normalize.key_text``: folded, leet read as letters, separators as spaces):

* **letters automaton**, for terms of two or more words and for handles and
  hashtags. It runs over the key text with every space removed, so
  ``Dana Reyes``, ``D a n a  R e y e s``, ``d.a.n.a reyes``, ``#DanaReyes``,
  ``@dana_reyes`` and ``/dana-reyes-full-video`` all contain ``danareyes``.
  Each hit is then *verified* against the separators that were removed:
  between the words of the term only spaces, one joiner (``-_.+/``) or
  nothing; inside a word nothing, or a spacing between *every* letter
  (``R e y e s``); word boundaries at both ends, except for a long name
  written together inside a longer token (``danareyesxxx.example``).
  A sentence break (``Dana. Reyes``), a comma (``Kim, Haven``) or a word
  that only starts or ends with the name (``Adana Reyes``) is rejected.
* **words automaton**, for one-word terms: it runs over the key text padded
  with spaces, with keys ``" word "``, so it only finds whole words.

Both report positions in the folded text, which maps back to the original.
Every hit is checked letter by letter against the folded text, so a leet
character only stands for the letters it can stand for.
"""

from __future__ import annotations

import dataclasses
import unicodedata
from collections.abc import Iterator

import ahocorasick_rs
import numpy as np

from mentionwatch.matching.normalize import LEET_READINGS, key_of

# Separator classes between two letters of a hit.
NONE, SPACE, JOIN, DOTSPACE, COMMA, BREAK, EMOJI = range(7)
_JOINERS = set("-_.·•*~+/|'’&")
# Forms of a verified name hit.
PLAIN, JOINED, TOGETHER, EMBEDDED, SPACED = "plain", "joined", "together", "embedded", "spaced"
_DISGUISABLE = ("name", "title")  # written letter by letter to evade: her name, her titles
MIN_EMBEDDED = 8  # letters a name written together needs to count inside a longer token
# Shorter keys ("kimh" for "Kim H.") hit inside ordinary words all the time and
# would only ever be weak initials forms; handles and hashtags are kept whatever their length.
MIN_LETTERS_KEY = 5


@dataclasses.dataclass(frozen=True)
class Term:
    """Something to find: a name form, a context term, an exclusion, a title, a cue.

    Attributes:
      kind: ``name``, ``context``, ``exclude``, ``title`` or ``cue``.
      subject: index of the subject, or -1 for the shared cue lexicon.
      words: folded words (real letters, leet not applied).
      label: what to report: the variant text, the cue category, the phrase.
      together: only written without spaces (handles, hashtags).
      comma: a comma may separate the words (``Reyes, Dana``; ``Rocha, Uruguay``).
      separate: the words must be written apart (initials, inverted names:
        ``Iris H.`` is not ``irish``, ``M. Sorensen`` not ``...masorensen``).
      payload: the ``Variant`` for names.
    """

    kind: str
    subject: int
    words: tuple[str, ...]
    label: str
    together: bool = False
    comma: bool = False
    separate: bool = False
    payload: object = None

    @property
    def letters(self) -> str:
        """The term's words run together (``danareyes``), as a handle or hashtag writes them."""
        return "".join(self.words)


@dataclasses.dataclass(frozen=True)
class Hit:
    """A verified occurrence of a term: folded-text ``[start, end)`` and how it was written."""

    term: Term
    start: int
    end: int
    form: str = PLAIN
    leet: bool = False


def _gap(text: str) -> int:
    """The class of what stands between two letters of a hit."""
    if not text or text in ("'", "’"):
        return NONE  # "O'Brien" is one word
    if text.isspace():
        return SPACE if text.count("\n") <= 1 and len(text) <= 4 else BREAK
    stripped = text.strip()
    if len(text) <= 4:
        if stripped == ",":
            return COMMA
        if stripped in ("&", "+") and stripped != text:
            return SPACE  # "Rook & Pawn": a name's own ampersand, written apart
        if all(c in _JOINERS for c in stripped):
            return JOIN if stripped == text else DOTSPACE if stripped[0] in ".·•*-_" else BREAK
        if all(unicodedata.category(c)[0] == "S" for c in stripped):
            # Emoji or symbols between letters ("D🔥a🔥n🔥a", "Nir♟ali"); with spaces around
            # them, between spaced letters, after an initial, or between the words of a name.
            return EMOJI if stripped == text else DOTSPACE
    return BREAK


class TermIndex:
    """The two automata over a fixed list of terms."""

    def __init__(self, terms: list[Term]):
        self.terms = terms
        letters: dict[str, list[int]] = {}
        words: dict[str, list[int]] = {}
        for index, term in enumerate(terms):
            key = key_of(term.letters)
            if not key:
                continue
            if len(term.words) > 1 or term.together:
                if len(key) >= MIN_LETTERS_KEY or term.together:
                    letters.setdefault(key, []).append(index)
            else:
                words.setdefault(" " + key + " ", []).append(index)
        self._letters, self._letter_ids = _automaton(letters)
        self._words, self._word_ids = _automaton(words)

    def scan(self, folded: str, keys: bytes) -> Iterator[Hit]:
        """Every verified hit in a document (``keys`` is ``key_bytes(folded)``)."""
        if self._words is not None:
            for pattern, start, end in self._words.find_matches_as_indexes(
                b" " + keys + b" ", overlapping=True
            ):
                # The padded key " word " at [start, end) is the word keys[start:end - 2].
                for index in self._word_ids[pattern]:
                    term = self.terms[index]
                    leet = _letters_ok(term.letters, folded, range(start, end - 2))
                    if leet is not None:
                        yield Hit(term, start, end - 2, PLAIN, leet)
        if self._letters is not None:
            found = self._letters.find_matches_as_indexes(
                keys.translate(None, b" "), overlapping=True
            )
            if found:
                positions = np.flatnonzero(np.frombuffer(keys, np.uint8) != 32)
                for pattern, start, end in found:
                    at = positions[start:end].tolist()
                    for index in self._letter_ids[pattern]:
                        hit = _verify(self.terms[index], folded, keys, at)
                        if hit is not None:
                            yield hit


def _automaton(keys: dict[str, list[int]]):
    if not keys:
        return None, []
    patterns = list(keys)
    automaton = ahocorasick_rs.BytesAhoCorasick(
        [p.encode("ascii") for p in patterns], implementation=ahocorasick_rs.Implementation.DFA
    )
    return automaton, [tuple(keys[p]) for p in patterns]


def _letters_ok(letters: str, folded: str, at) -> bool | None:
    """Whether leet was read spelling ``letters`` at positions ``at``; None if they cannot."""
    leet = 0
    for expected, position in zip(letters, at, strict=False):
        char = folded[position]
        if char != expected:
            if expected not in LEET_READINGS.get(char, ""):
                return None
            leet += 1
    if leet * 2 > len(letters):
        return None
    return leet > 0


def _verify(term: Term, folded: str, keys: bytes, at: list[int]) -> Hit | None:
    leet = _letters_ok(term.letters, folded, at)
    if leet is None:
        return None
    boundaries = set()
    offset = 0
    for word in term.words[:-1]:
        offset += len(word)
        boundaries.add(offset)
    together = True
    joined = False
    spaced_words: set[int] = set()
    intact_words: set[int] = set()
    word = 0
    for j in range(1, len(at)):
        raw = folded[at[j - 1] + 1 : at[j]]
        gap = _gap(raw) if at[j] > at[j - 1] + 1 else NONE
        if j in boundaries:
            word += 1
            if gap == EMOJI:
                gap = JOIN
            elif gap == DOTSPACE and all(unicodedata.category(c)[0] == "S" for c in raw.strip()):
                gap = SPACE  # "Javiera 🏔️ Solar": an emoji written between the words of her name
            if term.kind == "title" and raw.strip() in (":", "-", "–", "—", "|") and len(raw) <= 4:
                gap = SPACE  # "Coral Kiss - Island Heat": a title's own separators
            if gap == NONE:
                if term.separate:
                    return None
                continue
            together = False
            if term.together and gap not in (JOIN,):
                return None
            if gap == JOIN:
                joined = True
            elif gap == SPACE:
                pass
            elif gap == DOTSPACE and (
                len(term.words[word - 1]) == 1
                or (len(term.words[word - 1]) <= 3 and term.kind == "name" and word == 1)
            ):
                pass  # "D. Reyes", "Dr. Nila R." (an abbreviation opening a configured form)
            elif gap == COMMA and term.comma:
                pass
            else:
                return None
        elif gap in (NONE, EMOJI):
            intact_words.add(word)  # an emoji inside a word hides nothing ("Nir♟ali")
        elif gap in (SPACE, JOIN, DOTSPACE) and term.kind in _DISGUISABLE and not term.together:
            spaced_words.add(word)
        else:
            return None
    if spaced_words & intact_words:
        return None  # "Rey es": a word is either whole or spaced letter by letter
    start, end = at[0], at[-1] + 1
    clean = (start == 0 or keys[start - 1] == 32) and (end == len(keys) or keys[end] == 32)
    if spaced_words:
        form = SPACED
    elif len(term.words) > 1 and together or term.together and together:
        form = TOGETHER
    elif joined:
        form = JOINED
    else:
        form = PLAIN
    if not clean:
        if form != TOGETHER or term.kind != "name" or len(at) < MIN_EMBEDDED:
            return None
        form = EMBEDDED
    if form == SPACED and (
        term.kind not in _DISGUISABLE or _spacing_goes_on(keys, folded, start, end)
    ):
        return None
    return Hit(term, start, end, form, leet)


def _spacing_goes_on(keys: bytes, folded: str, start: int, end: int) -> bool:
    """Whether single spaced letters continue before or after a spaced hit.

    "Y a r a M" is the start of "Y a r a  M a r l o w e", not "Yara M.".
    """
    before = keys[max(0, start - 8) : start].rstrip()  # gaps between spaced letters are short
    after = keys[end : end + 8].lstrip()
    single_before = bool(before) and (
        len(before) == 1 and start <= 8 or len(before) > 1 and before[-2] == 32
    )
    possessive = folded[end : end + 1] in ("'", "’")  # "h.a.l.e's shop"
    single_after = (
        not possessive
        and bool(after)
        and (len(after) == 1 and end + 8 >= len(keys) or len(after) > 1 and after[1] == 32)
    )
    return single_before or single_after
