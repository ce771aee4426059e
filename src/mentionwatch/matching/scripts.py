"""Names written in other scripts.

The Latin pipeline (``normalize``, ``automaton``) reads only Latin letters:
Arabic, Cyrillic, Greek, Hebrew, Devanagari, Hangul, kana or Chinese
characters become spaces in the key text. This module finds a subject's
name where it is written in another script, in two ways:

* **as configured**: an alias (or name) the operator wrote in another script
  (``أمارا نوسو``, ``아마라``) is looked for exactly as written, after the
  same light folding on both sides (NFKC, case, Arabic and Hebrew vowel
  marks, tatweel, invisible characters). Between words any spacing counts.
* **transliterated**: every full form of the name (the name and each alias
  of two or more words) is compared with the item's words in other scripts
  in a romanised space. ``anyascii`` romanises each word the way its tables
  read that script; both sides are then reduced to a *sound key*
  (``sound_keys.phonetic_key``): consonant classes in order, vowels and semivowels
  dropped, voiced and voiceless pairs merged (``b/p``, ``d/t``, ``g/k``),
  ``l/r`` merged. Scripts that write no short vowels (Arabic, Hebrew) and
  scripts that add vowels (Japanese, Korean) meet in that key:
  ``Dana Reyes``, ``دانا رييس``, ``Дана Рейес``, ``ダナ・レイエス``,
  ``다나 레예스``, ``डाना रेयेस`` and ``דנה רייס`` all key to ``tn|rs``.
  A key must have at least ``MIN_KEY`` consonants over the whole name (short
  names are too ambiguous to find this way) and may differ by one
  consonant when it has at least ``MIN_KEY_FUZZY`` (``Ρέγιες`` reads
  ``regies``: a ``g`` the Latin name does not have). Chinese and Japanese
  text writes no spaces: a run of such characters is read character by
  character and the name may start and end at any character.

The hits are ordinary ``automaton.Hit`` objects over the folded document, so
disambiguation, spans and explanations treat them like any other name form.
Items with no letter of another script skip all of this (one regex search).
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import unicodedata
from collections.abc import Iterator, Sequence

from anyascii import anyascii

from mentionwatch.matching.automaton import PLAIN, Hit, Term
from mentionwatch.matching.sound_keys import (
    MIN_KEY,
    MIN_KEY_FUZZY,
    MIN_KEY_READING,
    READINGS,
    deletions,
    keys_close,
    phonetic_key,
    syllables,
)
from mentionwatch.matching.variants import FULL, Variant, generate
from mentionwatch.subjects import SubjectSpec

MIN_KEY_UNSPACED = 5  # Chinese and Japanese runs: no word boundaries to lean on
APPROXIMATE = "approximate"  # the Hit.form of a match one consonant away

# Letters of the scripts read here (Latin, and the symbols between words, are not).
_OTHER = (
    "\u0370-\u03ff\u1f00-\u1fff"  # Greek
    "\u0400-\u052f"  # Cyrillic
    "\u0531-\u058f"  # Armenian
    "\u05d0-\u05ea\u05f0-\u05f2"  # Hebrew letters
    "\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f"  # Arabic letters
    "\u0900-\u0dff"  # Indic scripts
    "\u0e00-\u0fff\u1000-\u109f"  # Thai, Lao, Tibetan, Myanmar
    "\u1200-\u137f\u1780-\u17ff"  # Ethiopic, Khmer
    "\u10a0-\u10ff"  # Georgian
    "\u1100-\u11ff\u3130-\u318f\uac00-\ud7af"  # Hangul
    "\u3040-\u30ff\u31f0-\u31ff"  # kana
    "\u3400-\u4dbf\u4e00-\u9fff"  # CJK ideographs
)
_HAS_OTHER = re.compile(f"[{_OTHER}]")
# A word: letters of other scripts with their combining signs, kana joined by "・" stays apart.
# Chinese and Japanese write the parts of a foreign name with a middle dot between them.
_NAME_DOTS = "\u00b7\u2027\u30fb\uff65\u2022"
_WORD = re.compile(f"[{_OTHER}\u0300-\u036f\u064b-\u065f\u0670\u0591-\u05c7\u30fc{_NAME_DOTS}]+")
_DOT_SPLIT = re.compile(f"[{_NAME_DOTS}]")
_UNSPACED = re.compile("[\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff]")
# Marks dropped on both sides before comparing configured forms.
_MARKS = re.compile("[\u064b-\u065f\u0670\u0640\u0591-\u05c7\u200b-\u200f\u2060\ufeff]")


def fold_script(text: str) -> str:
    """Light folding for configured forms in other scripts: NFKC, case, vowel marks."""
    return _MARKS.sub("", unicodedata.normalize("NFKC", text)).casefold()


def has_other_script(text: str) -> bool:
    """Whether the text has a letter of a script other than Latin (one regex search)."""
    return _HAS_OTHER.search(text) is not None


def usable_in_scripts(subject: SubjectSpec) -> list[str]:
    """Configured forms the matcher can use in neither the Latin nor the script path."""
    bad = []
    for form in (subject.name, *subject.aliases):
        latin = [v for v in generate(SubjectSpec(form)) if v.kind == "name"]
        if not latin and not _WORD.search(fold_script(form)):
            bad.append(form)
    return bad


@dataclasses.dataclass(frozen=True)
class _Form:
    subject: int
    term: Term
    key: str  # sound keys of the words, "|" between words ("tn|rs")


def _variant(text: str, kind: str, derived: str) -> Variant:
    return Variant(text, kind, FULL, (text,), derived)


def script_variants(subject: SubjectSpec) -> list[Variant]:
    """The forms this module looks for, for ``subjects explain``."""
    out = []
    for form in (subject.name, *subject.aliases):
        if has_other_script(form):
            out.append(_variant(fold_script(form), "script", "configured form in another script"))
    for tag in (*subject.handles, *subject.hashtags):
        if has_other_script(tag):
            out.append(
                _variant(
                    fold_script(tag), "script", "configured handle or hashtag in another script"
                )
            )
    for variant in generate(subject):
        if (
            variant.kind in ("name", "alias")
            and variant.strength == FULL
            and len(variant.words) >= 2
        ):
            key = "|".join(phonetic_key(w) for w in variant.words)
            if len(key.replace("|", "")) >= MIN_KEY:
                out.append(
                    _variant(
                        f"~{key}",
                        "transliteration",
                        f"'{variant.text}' written in another script (sound key {key})",
                    )
                )
            applicable = [
                (p, sound) for p, sound in READINGS if any(p.search(w) for w in variant.words)
            ]
            for count in range(1, len(applicable) + 1):
                for readings in itertools.combinations(applicable, count):
                    words = list(variant.words)
                    for pattern, sound in readings:
                        words = [pattern.sub(sound, w) for w in words]
                    read = "|".join(phonetic_key(w) for w in words)
                    if (
                        read != key
                        and len(read.replace("|", "")) >= MIN_KEY_READING
                        and all(v.text != f"~{read}" for v in out)
                    ):
                        how = ", ".join(f"'{p.pattern}' as '{sound}'" for p, sound in readings)
                        out.append(
                            _variant(
                                f"~{read}",
                                "transliteration",
                                f"'{variant.text}' written in another script, read with {how}"
                                f" (sound key {read})",
                            )
                        )
    return out


class ScriptIndex:
    """Every subject's configured script forms and transliteration keys."""

    def __init__(self, subjects: Sequence[SubjectSpec]):
        self._exact: list[tuple[int, str, Term]] = []
        self._keys: dict[str, list[_Form]] = {}
        self._firsts: set[str] = set()  # first-word keys (and their one-consonant edits)
        self._sizes: set[int] = set()  # numbers of words
        self._prefixes: set[str] = set()  # prefixes of the joined keys (Chinese and Japanese)
        for index, subject in enumerate(subjects):
            for variant in script_variants(subject):
                term = Term("name", index, variant.words, variant.text, payload=variant)
                if variant.kind == "script":
                    self._exact.append((index, variant.text, term))
                    continue
                key = variant.text[1:]
                form = _Form(index, term, key)
                # Spaced scripts: word by word ("tn|rs"); Chinese and Japanese: joined ("tnrs").
                for probe in deletions(key) | {key.replace("|", "")}:
                    self._keys.setdefault(probe, []).append(form)
                first = key.split("|")[0]
                self._firsts |= {first} | (
                    {first[:i] + first[i + 1 :] for i in range(len(first))}
                    if len(key) - key.count("|") >= MIN_KEY_FUZZY
                    else set()
                )
                self._sizes.add(key.count("|") + 1)
                joined = key.replace("|", "")
                self._prefixes |= {joined[:n] for n in range(1, len(joined) + 1)}

    def __bool__(self) -> bool:
        return bool(self._exact or self._keys)

    def scan(self, original: str, to_folded) -> Iterator[Hit]:
        """Hits in ``original``; ``to_folded(i)`` maps an original offset to the folded text."""
        if original.isascii() or not _HAS_OTHER.search(original):
            return
        seen: set[tuple[int, int, int]] = set()
        for subject, start, end, term, form in self._find(original):
            if (subject, start, end) not in seen:
                seen.add((subject, start, end))
                yield Hit(term, to_folded(start), to_folded(end - 1) + 1, form)

    def _find(self, original: str):
        if self._exact:
            folded, back = _fold_with_offsets(original)
            for subject, text, term in self._exact:
                pattern = r"\s+".join(re.escape(w) for w in text.split())
                for found in re.finditer(pattern, folded):
                    if _bounded(folded, found.start(), found.end()):
                        yield subject, back[found.start()], back[found.end() - 1] + 1, term, PLAIN
        if not self._keys:
            return
        spaced: list[tuple[int, int, str, str]] = []
        for found in _WORD.finditer(original):
            start, word = found.start(), found.group()
            if _UNSPACED.search(word):
                yield from self._unspaced(start, word)
            else:  # a dot outside Chinese and Japanese text is punctuation
                stripped = word.strip(_NAME_DOTS)
                if stripped:
                    offset = start + word.index(stripped[0])
                    spaced.append(
                        (offset, offset + len(stripped), phonetic_key(stripped), stripped)
                    )
        cased = any(c.isupper() for _, _, _, word in spaced for c in word)
        for i in range(len(spaced)):
            key = spaced[i][2]
            if key not in self._firsts:
                continue
            for j in range(i + 1, min(i + 4, len(spaced))):
                if _gap_breaks(original, spaced[j - 1][1], spaced[j][0]):
                    break
                key += "|" + spaced[j][2]
                if j - i + 1 not in self._sizes:
                    continue
                for form, exact in self._lookup(key):
                    if _lengths_fit(form, spaced[i : j + 1]):
                        # In a cased script (Greek, Cyrillic), a name in lower case where
                        # the writer capitalises is an ordinary word ("και λίγο").
                        if cased and spaced[i][3][:1].islower():
                            continue
                        yield (
                            form.subject,
                            spaced[i][0],
                            spaced[j][1],
                            form.term,
                            PLAIN if exact else APPROXIMATE,
                        )

    def _unspaced(self, start: int, run: str):
        """Hits in a run of Chinese or Japanese characters starting at ``start``.

        The name may start and end at any character; a transliteration writes
        about one character per syllable of the name.
        """
        dots = [m.start() for m in _DOT_SPLIT.finditer(run)]
        for at in dots:
            # "拉尼娅·萨博": the first name ends at the dot, the surname starts after it.
            left = run[:at].split("\u3000")[-1]
            right = _DOT_SPLIT.split(run[at + 1 :])[0]
            for a in range(1, min(5, len(left)) + 1):
                first = phonetic_key(left[-a:])
                if first not in self._firsts:
                    continue
                for b in range(1, min(6, len(right)) + 1):
                    key = first + "|" + phonetic_key(right[:b])
                    for form, exact in self._lookup(key):
                        names = form.term.payload.derived.split("'")[1].split()
                        if len(names) == 2 and all(
                            syllables(n) - 1 <= size <= 2 * syllables(n) + 1
                            for n, size in zip(names, (a, b), strict=True)
                        ):
                            yield (
                                form.subject,
                                start + at - a,
                                start + at + 1 + b,
                                form.term,
                                PLAIN if exact else APPROXIMATE,
                            )
        chars = [(start + i, phonetic_key(ch)) for i, ch in enumerate(run)]
        for i in range(len(chars)):
            joined = ""
            for j in range(i, min(i + 10, len(chars))):
                joined += chars[j][1]
                if joined and joined not in self._prefixes:
                    break
                if len(joined) >= MIN_KEY_UNSPACED and j > i:
                    for form in self._keys.get(joined, ()):
                        size = sum(map(syllables, form.term.payload.derived.split("'")[1].split()))
                        if form.key.replace("|", "") == joined and size <= j - i + 1 <= 2 * size:
                            yield form.subject, chars[i][0], chars[j][0] + 1, form.term, PLAIN

    def _lookup(self, key: str) -> list[tuple[_Form, bool]]:
        found: list[tuple[_Form, bool]] = []
        for probe in deletions(key):
            for form in self._keys.get(probe, ()):
                if all(f is not form for f, _ in found) and keys_close(form.key, key):
                    found.append((form, form.key == key))
        return found


# Hebrew and Arabic write no short vowels, and the romanisation of Indic scripts drops
# the inherent vowel ("राजरत्नम" reads "rajrtnm"): their lengths say little.
_ABJAD = re.compile("[\u0590-\u06ff\u0750-\u077f\u0900-\u0dff]")
_HANGUL = re.compile("[\uac00-\ud7af]")


def _lengths_fit(form: _Form, words: list[tuple[int, int, str, str]]) -> bool:
    """Whether each word is shaped like the name's word, not only sharing its consonants.

    About as many letters, starting with a vowel where the name does
    (alphabets that write vowels), as many syllable blocks as the name has
    syllables (Hangul); abjads (Arabic, Hebrew) write no short vowels and are
    exempt.
    """
    latin = form.term.payload.derived.split("'")[1].split()
    if len(latin) != len(words):
        return False
    for name_word, (_, _, _, word) in zip(latin, words, strict=True):
        if _ABJAD.search(word):
            # No shape to check: the sound key alone must be long enough to be specific.
            if len(form.key.replace("|", "")) < MIN_KEY + 1:
                return False
            continue
        if _HANGUL.search(word):
            if (
                not syllables(name_word) - 1
                <= len(_HANGUL.findall(word))
                <= syllables(name_word) + 2
            ):
                return False
            continue
        roman = re.sub(r"[^a-z]", "", anyascii(word).lower()).lstrip("h")
        if not 0.75 * len(name_word) <= len(roman) <= 1.5 * len(name_word) + 1:
            return False
        if roman[:1] and (roman[0] in "aeiou") != (name_word.lstrip("h")[:1] in "aeiou"):
            return False
    return True


def _gap_breaks(text: str, end: int, start: int) -> bool:
    """Whether what stands between two words stops a name (a sentence break, a line)."""
    gap = text[end:start]
    return len(gap) > 3 or any(c in '.!?;:,\n()[]"«»' for c in gap)


def _bounded(text: str, start: int, end: int) -> bool:
    """Whether a configured script form found at ``[start, end)`` stands as a word.

    It must start a word (Chinese and Japanese write no spaces; Arabic and
    Hebrew fuse one-letter particles before a word). It may go on: Korean,
    Indic, Turkic and Arabic writing attach case endings and particles to a
    name (``송하은이``, ``નિરાલી શાહનો``), unless the form is one short word.
    """
    if _UNSPACED.search(text[start : start + 1]):
        return True
    before = text[start - 1 : start]
    if before.isalpha():
        clitic = before in "وبلفكהוב" and not text[start - 2 : start - 1].isalpha()
        if not clitic:
            return False
    form = text[start:end]
    return not text[end : end + 1].isalpha() or " " in form or len(form) >= 3


def _fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """``fold_script`` per character, with each folded character's original offset."""
    out: list[str] = []
    back: list[int] = []
    for i, ch in enumerate(text):
        folded = fold_script(ch)
        out.append(folded)
        back.extend([i] * len(folded))
    back.append(len(text))
    return "".join(out), back
