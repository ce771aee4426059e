"""Name forms generated from a subject's config.

The operator writes a name, a few aliases, handles and hashtags; everything
else is generated here, so ``mentionwatch subjects explain CONFIG`` can show
exactly what is matched and why:

* ``name`` / ``alias``: the configured forms. An alias with an initial
  (``Dana R.``) is an *initials* form; a one-word alias is a *partial* form.
* ``handle`` / ``hashtag``: matched only written together (``@danareyes``,
  ``#DanaReyes``, ``dana_reyes``, ``danareyes-free.example``), never as two
  words, so a handle that is also a business name (``@atelier.lys``) does not
  turn every mention of the business into a mention of the person.
* ``initials``: first initial + surname (``D. Reyes``), first name + surname
  initial (``Dana R.``).
* ``inverted``: surname first (``Reyes, Dana``), as lists and forms write it.
* ``misspelling``: one edit of one part of the canonical name, for names of
  at least 9 letters and parts of at least 4 (deletion in parts of 6 or
  more letters, adjacent
  transposition, doubled or undoubled consonant, common phonetic spellings
  across English, Spanish, French and Portuguese: ``y/i``, ``s/z``, ``c/k``,
  ``ch/x/sh``, ``ph/f``, ``ll/y``, a final ``d/t``). The other part must be exact.
  A given name without its final vowel is not a misspelling of it: ``Javier``
  and ``Daniel`` are other names than ``Javiera`` and ``Daniela``.
* ``surname`` / ``first_name``: one part alone. These are *partial* forms:
  the matcher accepts them only with supporting context (see
  ``mentionwatch.matching.weights``).

Every form is folded (see ``normalize``): accents, case and look-alike
letters do not create extra variants.
"""

from __future__ import annotations

import dataclasses
import re

from mentionwatch.matching.normalize import fold, key_of
from mentionwatch.subjects import SubjectSpec

# How strongly a form, on its own, says "this is the subject".
FULL, INITIALS, MISSPELLING, INVERTED, PARTIAL = (
    "full",
    "initials",
    "misspelling",
    "inverted",
    "partial",
)


def _listed(words: str) -> tuple[str, ...]:
    return tuple(words.split())


# A title that starts an alias ("Coach Essie", "Dr. Amara") is not a first name.
_TITLES = frozenset(
    _listed(
        "coach chef doctor dr miss mrs ms madame mme lady dj mc prof professor sister aunt auntie"
    )
)
_PARTICLES = frozenset(_listed("de da do dos das del della di du la le van von der den ter y e"))
# Very common words a one-edit misspelling must not turn a name part into.
_COMMON_WORDS = frozenset(
    _listed(
        """
    have hare haze hazen raven heaven given even seven never ever over
    are the and for not but you she her his him was has had can may will
    con para por que los las una uno como pero mas sus del
    les des une est pas par sur avec dans pour plus
    com nao uma das dos mais
    der die das und ist den dem ein eine
    """
    )
)
# Common alternative spellings (English, Spanish, French, Portuguese); "$": at the end.
_PHONETIC = tuple(
    tuple(pair.split("/"))
    for pair in _listed(
        "y/i i/y s/z z/s c/k k/c ch/x x/ch ch/sh sh/ch ph/f f/ph ll/y qu/k v/b b/v"
        " d$/t t$/d ai/ay ay/ai ei/ey ey/ei"
    )
)
_VOWELS = set("aeiouy")


@dataclasses.dataclass(frozen=True)
class Variant:
    """One name form.

    Attributes:
      text: the folded form shown to operators and in ``Span.variant``
        (``"dana reyes"``, ``"d. reyes"``, ``"@danareyes"``).
      kind: how it was made: ``name``, ``alias``, ``handle``, ``hashtag``,
        ``initials``, ``inverted``, ``misspelling``, ``surname``, ``first_name``.
      strength: ``full``, ``initials``, ``misspelling``, ``inverted`` or ``partial``.
      words: the folded letters of each word (``("dana", "reyes")``).
      derived: a short explanation for ``subjects explain``.
    """

    text: str
    kind: str
    strength: str
    words: tuple[str, ...]
    derived: str

    @property
    def key(self) -> str:
        """The automaton key: letters only, leet-folded (see ``normalize.key_text``)."""
        return key_of("".join(self.words))

    @property
    def together(self) -> bool:
        """Handles and hashtags: matched only without spaces between the words."""
        return self.kind in ("handle", "hashtag")


def words_of(term: str) -> tuple[str, ...]:
    """Folded words of a term: letters and digits, split on everything else."""
    return tuple(
        w for w in re.split(r"[^a-z0-9]+", fold(term).replace("'", "").replace("’", "")) if w
    )


def _camel_words(term: str) -> tuple[str, ...]:
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", term)
    return words_of(spaced)


def split_name(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(given names, surname words): the surname keeps its particles (``de la Cruz``)."""
    words = words_of(name)
    if len(words) < 2:
        return words, ()
    cut = len(words) - 1
    while cut > 1 and words[cut - 1] in _PARTICLES:
        cut -= 1
    return words[:cut], words[cut:]


def _handle_words(handle: str) -> tuple[str, ...]:
    local = handle.strip().lstrip("@").split("@")[0]
    return _camel_words(local.replace(".", " ").replace("_", " ").replace("-", " "))


def _edits(word: str) -> list[tuple[str, str]]:
    """One-edit spellings of ``word`` with a description; the first letter is kept."""
    out: list[tuple[str, str]] = []
    n = len(word)
    if n >= 6:  # dropping a letter from a short part makes other names ("reyes" -> "rees")
        for i in range(1, n):
            if i > 0 and word[i] == word[i - 1]:
                continue  # deleting one of a double is "undoubled" below
            out.append((word[:i] + word[i + 1 :], f"'{word[i]}' dropped"))
    if n >= 4:
        for i in range(1, n - 1):
            if word[i] != word[i + 1]:
                out.append(
                    (
                        word[:i] + word[i + 1] + word[i] + word[i + 2 :],
                        f"'{word[i]}{word[i + 1]}' swapped",
                    )
                )
    for i in range(1, n):
        single = word[i] != word[i - 1] and (i + 1 == n or word[i + 1] != word[i])
        if word[i] not in _VOWELS and single and i < n - 1:  # "danna", not "danaa" or "reyess"
            out.append((word[: i + 1] + word[i] + word[i + 1 :], f"'{word[i]}' doubled"))
        if i > 0 and word[i] == word[i - 1] and word[i] not in _VOWELS:
            out.append((word[:i] + word[i + 1 :], f"'{word[i]}{word[i]}' undoubled"))
    for old, new in _PHONETIC:
        for found in re.finditer(
            re.escape(old.rstrip("$")) + ("$" if old.endswith("$") else ""), word
        ):
            if found.start() == 0 and old[0] != new[0]:
                continue
            out.append(
                (
                    word[: found.start()] + new + word[found.end() :],
                    f"'{old.rstrip('$')}' spelled '{new}'",
                )
            )
    return [(w, why) for w, why in out if w != word and len(w) >= 3 and w not in _COMMON_WORDS]


class _Forms:
    """Name forms collected in order; the first form of each folded text wins."""

    def __init__(self) -> None:
        self.found: dict[str, Variant] = {}

    def add(
        self, text: str, kind: str, strength: str, words: tuple[str, ...], derived: str
    ) -> None:
        if not words or len("".join(words)) < 2:
            return
        self.found.setdefault(text, Variant(text, kind, strength, words, derived))


def generate(subject: SubjectSpec) -> list[Variant]:
    """Every name form of ``subject``, most specific first, one per folded text."""
    forms = _Forms()
    given, surname = split_name(subject.name)
    _configured(subject, given + surname, forms)
    if given and surname:
        _derived(given, surname, forms)
        _alias_first_names(subject, given[0], forms)
    return _without_redundant_misspellings(forms.found)


def _configured(subject: SubjectSpec, full: tuple[str, ...], forms: _Forms) -> None:
    """The forms the operator wrote: the name, aliases, handles and hashtags."""
    # A one-word canonical name (a stage name) is what the operator tracks: full.
    forms.add(" ".join(full), "name", FULL, full, "configured name")
    for alias in subject.aliases:
        words = words_of(alias)
        if len(words) >= 2 and any(len(w) == 1 for w in words):
            strength = INITIALS
        else:
            strength = FULL if len(words) >= 2 else PARTIAL
        forms.add(" ".join(fold(alias).split()), "alias", strength, words, "configured alias")
    for handle in subject.handles:
        words = _handle_words(handle)
        forms.add("@" + "".join(words), "handle", FULL, words, f"configured handle {handle}")
    for tag in subject.hashtags:
        words = _camel_words(tag.lstrip("#"))
        forms.add("#" + "".join(words), "hashtag", FULL, words, f"configured hashtag {tag}")


def _derived(given: tuple[str, ...], surname: tuple[str, ...], forms: _Forms) -> None:
    """Forms generated from a name with a surname: initials, inverted, misspelt, parts."""
    full = given + surname
    first, last = given[0], " ".join(surname)
    forms.add(
        f"{first[0]}. {last}",
        "initials",
        INITIALS,
        (first[0],) + surname,
        "first initial + surname",
    )
    forms.add(
        f"{first} {surname[0][0]}.",
        "initials",
        INITIALS,
        (first, surname[0][0]),
        "first name + surname initial",
    )
    forms.add(f"{last}, {' '.join(given)}", "inverted", INVERTED, surname + given, "surname first")
    if len("".join(full)) >= 9:
        for index, word in enumerate(full):
            if len(word) < 4:
                continue
            for spelled, why in _edits(word):
                if index < len(given) and word[:-1] == spelled and word[-1] in "aeo":
                    continue  # "Javier" is not a misspelt "Javiera": another given name
                words = full[:index] + (spelled,) + full[index + 1 :]
                forms.add(" ".join(words), "misspelling", MISSPELLING, words, f"{why} in '{word}'")
    if len(surname) == 1 and len(surname[0]) >= 3:
        forms.add(last, "surname", PARTIAL, surname, "surname alone")
    if len(first) >= 3:
        forms.add(first, "first_name", PARTIAL, (first,), "first name alone")


def _alias_first_names(subject: SubjectSpec, first: str, forms: _Forms) -> None:
    """The name people call her by in an alias (``Coach Essie``, ``Essie M.``), alone."""
    for alias in subject.aliases:
        words = words_of(alias)
        if len(words) >= 2 and words[0] in _TITLES and len(words[1]) >= 3:
            words = words[1:]  # "Coach Essie": Essie is what people call her
        if len(words) >= 2 and len(words[0]) >= 3 and words[0] != first and words[0] not in _TITLES:
            forms.add(
                words[0], "first_name", PARTIAL, (words[0],), f"first word of alias '{alias}'"
            )
        elif (
            len(words) == 1
            and len(words[0]) >= 3
            and words[0] != first
            and len(words_of(alias)) == 2
        ):
            forms.add(words[0], "first_name", PARTIAL, (words[0],), f"name in alias '{alias}'")


def _without_redundant_misspellings(found: dict[str, Variant]) -> list[Variant]:
    """The forms, less a misspelling that equals a configured form (it is that form)."""
    keys: dict[str, Variant] = {}
    for variant in found.values():
        previous = keys.get(variant.key + "/" + str(len(variant.words)))
        if previous is None or variant.kind != "misspelling":
            keys.setdefault(variant.key + "/" + str(len(variant.words)), variant)
    return [
        v
        for v in found.values()
        if v.kind != "misspelling" or keys.get(v.key + "/" + str(len(v.words))) is v
    ]


def explain(subject: SubjectSpec) -> list[tuple[str, str, str]]:
    """(kind, text, how derived) rows for ``subjects explain``."""
    return [(v.kind, v.text, f"{v.strength}; {v.derived}") for v in generate(subject)]
