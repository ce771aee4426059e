"""Text normalisation for matching, with a map back to the original offsets.

Matching runs on a folded form of the text, but a mention must show the span
the reader saw. Folding does, per character:

* Unicode compatibility folding (NFKC): full-width forms (``Ｄａｎａ``),
  mathematical alphanumerics (``𝐃𝐚𝐧𝐚``), circled and squared letters,
  ligatures (``ﬁ``), super- and subscripts;
* diacritics removed (``Réyes`` → ``reyes``, ``Maëlys`` → ``maelys``) and
  letters with strokes folded (``ł``, ``ø``, ``đ``, ``ı``);
* look-alike (confusable) folding: Cyrillic and Greek letters that look Latin
  (``Dаnа`` with U+0430, ``ΚΙΜ``), small capitals (``ᴅᴀɴᴀ``);
* case folding;
* zero-width and other format characters, soft hyphens, variation selectors
  and combining marks removed; unusual spaces become a plain space.

Speed comes from a precomputed code point table applied with numpy (one
array lookup per character, ten times faster than ``str.translate``): almost
every character folds to exactly one character, so for most text the folded
string has the same length as the original and the offset map is the
identity. The rare characters that vanish (zero-width, soft hyphen,
combining marks) or expand (``ß`` → ``ss``, ``æ`` → ``ae``) map to a
sentinel found with one ``str.find``; only then a slower path records a
piecewise offset map (one breakpoint per such character, not per character).

Leetspeak and separators are a second, ASCII-only layer (``key_bytes``, one
byte per character): it keeps every offset, maps digits and a few symbols
inside words to the letters they stand for (``D4na R3y3s``, ``J0@na``,
``Reye$``) and turns everything that is not a Latin letter or digit into a
space. The matcher verifies every leet hit against the folded text, so ``1``
may stand for ``i`` or ``l`` but a real ``i`` never matches an ``l``.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import unicodedata

import numpy as np

# Look-alikes folded *before* case folding (capitals whose lower case looks different:
# Greek Eta "Η" looks like H but "η" does not) and *after* it.
_UPPER_LOOKALIKE = dict(
    zip(
        "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧϜАВЕЅІЈКМНОРСТУХӀԚԜ",
        "ABEZHIKMNOPTYXFABESIJKMHOPCTYXIQW",
        strict=True,
    )
)
_LOWER_LOOKALIKE = dict(
    zip(
        # Cyrillic, Greek, Latin letters with strokes / dotless, small capitals, IPA.
        "аеорсухіїјѕԁһԛԝӏвкмнтпɡαεικνορτυχωγηβςıłøđħŧƀɨȼɇɍɏƶʉɑɩȷꞵᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ",
        "aeopcyxiijsdhqwlbkmhtngaeikvoptuxwynbcilodhtbiceryzuaijbabcdefghijklmnoprstuvwyz",
        strict=True,
    )
)
_LETTER_EXPANSIONS = {"æ": "ae", "œ": "oe", "ß": "ss", "ẞ": "ss", "ĳ": "ij", "þ": "th"}
# Characters that are invisible or used to hide words but are not all in category Cf.
_INVISIBLE = set("\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u3164\uffa0")
_SPACES = set("\u2028\u2029\u2800")

# Blocks where folding does something beyond ASCII lower-casing.
_RANGES = (
    (0x80, 0x530),  # Latin-1 .. Cyrillic supplement, Greek, IPA, combining marks
    (0x1AB0, 0x1B00),
    (
        0x1D00,
        0x2200,
    ),  # phonetic extensions (small caps), Latin/Greek extended, punctuation, letterlike
    (0x2460, 0x2500),  # enclosed alphanumerics
    (0x2C60, 0x2C80),
    (0x3000, 0x3001),
    (0x3164, 0x3165),
    (0xA720, 0xA800),
    (0xFB00, 0xFB07),
    (0xFE00, 0xFE30),
    (0xFEFF, 0xFFF0),  # BOM, full-width and half-width forms
    (0x1D400, 0x1D800),  # mathematical alphanumerics
    (0x1F100, 0x1F200),  # enclosed alphanumeric supplement
    (0xE0000, 0xE0080),  # tag characters
    (0xE0100, 0xE01F0),  # variation selectors supplement
)
# Negative circled / negative squared / regional-indicator letters have no
# compatibility decomposition; they are still read as letters.
_LETTER_BLOCKS = ((0x1F150, 0x1F16A), (0x1F170, 0x1F18A), (0x1F1E6, 0x1F200))


def _fold_one(char: str) -> str:
    category = unicodedata.category(char)
    if category in ("Cf", "Mn", "Me") or char in _INVISIBLE:
        return ""
    if category == "Zs" or char in _SPACES:
        return " "
    if char in _LETTER_EXPANSIONS:
        return _LETTER_EXPANSIONS[char]
    decomposed = unicodedata.normalize("NFKD", char)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    composed = unicodedata.normalize("NFKC", stripped)
    composed = "".join(_UPPER_LOOKALIKE.get(c, c) for c in composed).casefold()
    composed = "".join(_LOWER_LOOKALIKE.get(c, c) for c in composed)
    composed = "".join(_LETTER_EXPANSIONS.get(c, c) for c in composed)
    if len(composed) > 1 and not category.startswith("L"):
        # "™" → "tm", "…" → "...", "⑴" → "(1)": symbols stay symbols (separators).
        return char
    return composed


# Marks a character that vanishes or expands in the 1:1 translation, so one
# ``str.find`` tells whether the slow path is needed (U+FFFF is a noncharacter).
_SENTINEL = "\uffff"


@dataclasses.dataclass(frozen=True)
class _Tables:
    one: dict[int, str]  # 1:1 translation (ASCII upper-case included); specials -> _SENTINEL
    special: dict[str, str]  # char -> "" (vanishes) or a longer string (expands)
    array: np.ndarray  # ``one`` as a code point -> code point array: 10x faster than str.translate


@functools.lru_cache(maxsize=1)
def _tables() -> _Tables:
    one: dict[int, str] = {c: chr(c).lower() for c in range(ord("A"), ord("Z") + 1)}
    special: dict[str, str] = {}

    def add(code: int) -> None:
        char = chr(code)
        folded = _fold_one(char)
        if len(folded) == 1:
            if folded != char:
                one[code] = folded
        else:
            special[char] = folded

    for low, high in _RANGES:
        for code in range(low, high):
            add(code)
    for low, high in _LETTER_BLOCKS:
        for code in range(low, high):
            one[code] = chr(ord("a") + (code - low) % 26)
    # Format characters and combining marks anywhere else (e.g. Arabic harakat, U+061C).
    covered = bytearray(0x20000)
    for low, high in _RANGES:
        covered[low : min(high, 0x20000)] = b"\x01" * (min(high, 0x20000) - low)
    for code in range(0x530, 0x20000):
        if not covered[code]:
            char = chr(code)
            if unicodedata.category(char) in ("Cf", "Mn", "Me") or char in _INVISIBLE:
                special[char] = ""
    special.pop(_SENTINEL, None)
    one.pop(ord(_SENTINEL), None)
    for char in special:
        one[ord(char)] = _SENTINEL
    array = np.arange(0x110000, dtype=np.uint32)
    array[list(one)] = [ord(v) for v in one.values()]
    return _Tables(one, special, array)


@dataclasses.dataclass(frozen=True)
class NormalizedText:
    """Folded text and the way back to the original offsets.

    ``breaks`` is empty when folding kept every offset (the common case).
    Otherwise it is a sorted tuple of ``(folded_index, original_index, stretch)``
    segment starts: inside a segment folded index ``i`` maps to
    ``original_index + (i - folded_index)``, or to ``original_index`` for a
    stretch segment (the several folded characters of one expanded original).
    """

    text: str
    breaks: tuple[tuple[int, int, bool], ...] = ()
    original_length: int = -1

    def to_original(self, index: int) -> int:
        """Original offset of folded character ``index``."""
        if not self.breaks:
            return index
        at = bisect.bisect_right(self.breaks, (index, float("inf"), True)) - 1
        folded, original, stretch = self.breaks[at]
        return original if stretch else original + (index - folded)

    def from_original(self, index: int) -> int:
        """Folded offset of original character ``index``.

        For an expanded character, its first folded character; where the original
        character vanished, the next one's.
        """
        if not self.breaks:
            return index
        originals = [b[1] for b in self.breaks]
        at = max(0, bisect.bisect_right(originals, index) - 1)
        folded, original, stretch = self.breaks[at]
        if stretch:
            return folded if index == original else folded + 1
        return min(folded + (index - original), len(self.text))

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` covering folded ``[start, end)`` (``end > start``)."""
        return self.to_original(start), self.to_original(end - 1) + 1

    @property
    def offsets(self) -> tuple[int, ...]:
        """``offsets[i]``: the original index of folded char ``i`` (plus the length)."""
        length = self.original_length if self.original_length >= 0 else len(self.text)
        return tuple(self.to_original(i) for i in range(len(self.text))) + (length,)


def normalize(text: str) -> NormalizedText:
    """Folds ``text`` for matching and keeps the offset map."""
    if text.isascii():
        return NormalizedText(text.lower(), (), len(text))
    tables = _tables()
    codes = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)
    folded = tables.array[codes].tobytes().decode("utf-32-le", "surrogatepass")
    at = folded.find(_SENTINEL)
    if at < 0:
        return NormalizedText(folded, (), len(text))
    # Slow path: cut at every character that vanishes or expands.
    pieces: list[str] = []
    breaks: list[tuple[int, int, bool]] = []
    folded_at = 0
    position = 0
    while at >= 0:
        replacement = tables.special.get(text[at])
        if replacement is None:  # a literal U+FFFF in the input
            at = folded.find(_SENTINEL, at + 1)
            continue
        if at > position:
            breaks.append((folded_at, position, False))
            pieces.append(folded[position:at])
            folded_at += at - position
        if replacement:
            breaks.append((folded_at, at, True))
            pieces.append(replacement)
            folded_at += len(replacement)
        position = at + 1
        at = folded.find(_SENTINEL, position)
    if position < len(text):
        breaks.append((folded_at, position, False))
        pieces.append(folded[position:])
    if not breaks:
        breaks.append((0, len(text), False))
    return NormalizedText("".join(pieces), tuple(breaks), len(text))


def fold(text: str) -> str:
    """The folded form of ``text`` without the offset map."""
    return normalize(text).text


# ---------------------------------------------------------------------- keys (leet, separators)

# Applied to ASCII: letters stay (``l`` joins ``i``: "1" may stand for either),
# leet digits become the letters they stand for, everything else is a separator.
_KEY_TABLE = bytes(
    (
        ord("i")
        if b == ord("l")
        else b
        if ord("a") <= b <= ord("z") or b in b"26"
        else ord(
            {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "9": "g"}[chr(b)]
        )
        if chr(b) in "01345789"
        else ord(" ")
    )
    for b in range(256)
)
# Symbols that stand for letters inside a word ("D@na", "K!m", "Rey3$", "$exy").
_SYMBOL_LETTER = {"@": "a", "!": "i", "|": "i", "$": "s", "€": "e"}
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")

# What each leet character may stand for (checked when a key hit is verified).
LEET_READINGS = {
    "0": "o",
    "1": "il",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "9": "g",
    "@": "a",
    "!": "il",
    "|": "il",
    "$": "s",
    "€": "e",
}


def key_text(folded: str) -> str:
    """``key_bytes`` as a string."""
    return key_bytes(folded).decode("ascii")


def key_bytes(folded: str) -> bytes:
    """The folded text as matching keys see it, offset for offset (one byte per character).

    ASCII only: Latin letters (``l`` read as ``i``), digits 2 and 6, leet
    digits and in-word symbols turned into letters, and a space for anything
    else (punctuation, other scripts, emoji).
    """
    swaps = []
    for symbol, letter in _SYMBOL_LETTER.items():
        at = folded.find(symbol)
        while at >= 0:
            before = at > 0 and folded[at - 1] in _ALNUM
            after = at + 1 < len(folded) and folded[at + 1] in _ALNUM
            # "D@na", "Nor@" (never "@dana": a handle), "Rey3$", "$exy".
            if (
                (before and after)
                or (symbol in "$€" and (before or after))
                or (symbol == "@" and before)
            ):
                swaps.append((at, letter))
            at = folded.find(symbol, at + 1)
    if swaps:
        chars = list(folded)
        for at, letter in swaps:
            chars[at] = letter
        folded = "".join(chars)
    return folded.encode("ascii", "replace").translate(_KEY_TABLE)


def key_of(words: str) -> str:
    """The key form of an already folded term (letters and digits only, no spaces)."""
    return key_text(words).replace(" ", "")
