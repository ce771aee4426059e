"""Text normalisation for matching, with a map back to the original offsets.

Matching runs on a folded form of the text (compatibility-normalised, case-
folded, accents removed, invisible characters dropped), but a mention must
show the span the reader saw. ``normalize`` therefore returns, for every
character of the folded text, the offset of the original character it came
from.
"""

from __future__ import annotations

import dataclasses
import unicodedata


@dataclasses.dataclass(frozen=True)
class NormalizedText:
    """Folded text plus ``offsets[i]``: the original index of folded char ``i``.

    ``offsets`` has one extra entry at the end (the original length), so a
    folded span ``[a, b)`` maps back to ``[offsets[a], offsets[b - 1] + 1)``.
    """

    text: str
    offsets: tuple[int, ...]

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        return self.offsets[start], self.offsets[end - 1] + 1


def _is_invisible(char: str) -> bool:
    # Format characters (zero-width space/joiners, soft hyphen, BOM, bidi marks).
    return unicodedata.category(char) == "Cf"


def fold_char(char: str) -> str:
    """NFKC, drop accents, casefold: the form one character is compared in."""
    if char.isascii():
        return char.lower()
    if _is_invisible(char):
        return ""
    decomposed = unicodedata.normalize("NFKD", char)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFKC", stripped).casefold()


def normalize(text: str) -> NormalizedText:
    """Folds ``text`` for matching and keeps the offset map."""
    out: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        folded = fold_char(char)
        out.append(folded)
        offsets.extend([index] * len(folded))
    offsets.append(len(text))
    return NormalizedText("".join(out), tuple(offsets))


def fold(text: str) -> str:
    """The folded form of ``text`` without the offset map."""
    return "".join(fold_char(c) for c in text)
