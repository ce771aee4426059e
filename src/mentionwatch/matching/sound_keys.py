"""Sound keys: how a name sounds, whatever script it is written in.

``phonetic_key`` romanises a word (``anyascii``) and reduces it to consonant
classes in order: vowels and semivowels dropped, voiced and voiceless pairs
merged (``b/p``, ``d/t``, ``g/k``), ``l/r`` merged, so that ``Dana Reyes``,
``دانا رييس``, ``Дана Рейес`` and ``ダナ・レイエス`` all key to ``tn|rs`` (``|``
between words). ``deletions`` and ``keys_close`` allow one consonant more or
less in keys long enough (``MIN_KEY_FUZZY``); ``READINGS`` are the other ways
scripts hear some Latin spellings. Used by ``scripts``.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from anyascii import anyascii

MIN_KEY = 3  # consonants over the whole name
MIN_KEY_FUZZY = 6  # ... to allow one consonant more or less (then the match is "approximate")

# Sound classes: every romanised letter maps to a class or to nothing.
# A nasal before a stop is dropped on every side: Greek writes "d" and "nd" as "ντ" and
# "b" as "μπ" ("Οντούγια" Oduya, "Σάντρα" Sandra).
# "dzh", "dz" and "dj" are the j of "Rojina" and the dze of "Lordkipanidze" as Russian,
# Greek ("τζ"), Arabic and Hebrew write them.
_DIGRAPHS = (
    ("dzh", "j"),
    ("dj", "j"),
    ("nt", "t"),
    ("nd", "d"),
    ("mp", "p"),
    ("mb", "b"),
    ("ng", "n"),
    ("ch", "j"),
    ("sh", "s"),
    ("zh", "j"),
    ("ph", "p"),
    ("th", "t"),
    ("kh", "k"),
    ("gh", "k"),
    ("dh", "t"),
    ("ts", "s"),
    ("tz", "s"),
    ("dz", "j"),
    ("ck", "k"),
)

# How other scripts hear some Latin spellings: Spanish "j" is an h (Хавьера, ハビエラ,
# 하비에라), a final Vietnamese "ch" a k or t (Куать), a "w" after a vowel a v (Тиав).
# A name's full form is also looked for under these readings, when its key stays long.
READINGS = (
    (re.compile(r"j"), "h"),
    (re.compile(r"ch$"), "t"),
    (re.compile(r"ch$"), "k"),
    (re.compile(r"(?<=[aeiou])w"), "v"),
)
MIN_KEY_READING = 4  # consonants over the whole name, for a key read these ways
_CLASS = str.maketrans(
    {
        **dict.fromkeys("aeiouyhw'", ""),
        **dict.fromkeys("bpfv", "p"),  # Arabic, Greek and Hebrew write "v" as f, β, ב
        **dict.fromkeys("cgkq", "k"),
        **dict.fromkeys("dt", "t"),
        **dict.fromkeys("szx", "s"),  # pinyin "x" is a hissing sound
        "j": "j",
        "l": "r",
        "r": "r",
        "m": "m",
        "n": "n",
    }
)


# Greek spells foreign sounds with pairs that anyascii reads letter by letter.
_GREEK_START = (("γκ", "g"),)  # at the start of a word
_GREEK = (
    ("γγ", "ng"),
    ("τσ", "ts"),
    ("τζ", "dz"),
    ("για", "ya"),
    ("γιο", "yo"),
    ("γιου", "you"),
)  # dz reads j


_ACCENTS = re.compile("[\u0300-\u036f]")
# Hebrew writes vowels with vav: "וו" is v, a vav inside a word is o or u.
_HEBREW_VAV = re.compile("(?<=[\u05d0-\u05ea])\u05d5(?!\u05d5)")


@functools.lru_cache(maxsize=65536)
def phonetic_key(word: str) -> str:
    """The sound key of one romanised (or Latin) word: ``"Reyes"`` → ``"rs"``."""
    # Accents off (Latin, Greek, Cyrillic), but not the marks kana and Indic letters need.
    word = unicodedata.normalize(
        "NFC", _ACCENTS.sub("", unicodedata.normalize("NFD", word.lower()))
    )
    word = word.replace("х", "h")  # Russian "х" stands for a Latin "h" ("Шах", Shah)
    for pair, sound in _GREEK_START:
        if word.startswith(pair):
            word = sound + word[len(pair) :]
    for pair, sound in _GREEK:
        word = word.replace(pair, sound)
    word = _HEBREW_VAV.sub("o", word.replace("\u05d5\u05d5", "v"))
    text = re.sub(r"[^a-z]", "", anyascii(word).lower())
    for pair, sound in _DIGRAPHS:
        text = text.replace(pair, sound + "h")  # "h" is dropped below
    keyed = text.translate(_CLASS)
    return re.sub(r"(.)\1+", r"\1", keyed)  # doubled consonants are one


_VOWEL_GROUPS = re.compile("[aeiouy]+")


def syllables(latin_word: str) -> int:
    """Vowel groups of a Latin word: about the syllables a transliteration writes."""
    return max(1, len(_VOWEL_GROUPS.findall(latin_word)))


def deletions(key: str) -> set[str]:
    """The key, and with one consonant left out where the key is long enough to allow it."""
    out = {key}
    if len(key.replace("|", "")) >= MIN_KEY_FUZZY:
        out |= {key[:i] + key[i + 1 :] for i in range(len(key)) if key[i] != "|"}
    return {k for k in out if "||" not in k and not k.startswith("|") and not k.endswith("|")}


def keys_close(a: str, b: str) -> bool:
    """Whether two sound keys (``|`` between words) may be the same name.

    Word by word, at most one consonant inserted, deleted or changed over the
    whole name, and only in keys long enough; never a word left with no consonant.
    """
    if a == b:
        return True
    if a.count("|") != b.count("|"):
        return False
    if (
        min(len(a), len(b)) - a.count("|") < MIN_KEY_FUZZY - 1
        or max(len(a), len(b)) - a.count("|") < MIN_KEY_FUZZY
    ):
        return False
    edits = 0
    for x, y in zip(a.split("|"), b.split("|"), strict=True):
        if not x or not y or x[0] != y[0]:
            return False  # never a word with no consonant, nor one that starts differently
        if x == y:
            continue
        if abs(len(x) - len(y)) > 1:
            return False
        if len(x) == len(y):
            edits += sum(p != q for p, q in zip(x, y, strict=True))
        else:
            short, long = (x, y) if len(x) < len(y) else (y, x)
            if not any(long[:i] + long[i + 1 :] == short for i in range(len(long))):
                return False
            edits += 1
    return edits <= 1
