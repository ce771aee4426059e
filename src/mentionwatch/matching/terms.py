"""The terms the automata look for, built once from the subject specs.

Every name form of every subject (``variants``), its context terms, excluded
phrases and the distinctive parts of its known titles, and the cue lexicon
(``lexicon``); one ``automaton.TermIndex`` pass finds them all in an item.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mentionwatch.matching.automaton import Hit, Term
from mentionwatch.matching.lexicon import cue_terms
from mentionwatch.matching.variants import (
    FULL,
    INITIALS,
    INVERTED,
    Variant,
    generate,
    words_of,
)
from mentionwatch.subjects import SubjectSpec


def title_phrases(subject: SubjectSpec) -> list[tuple[str, ...]]:
    """The distinctive parts of each known title, as word tuples to look for.

    Its words without the subject's names, and each part of a title cut at
    `` - ``, ``:``, ``|`` or brackets (``"Stage Name - Velvet Nights"`` is also
    looked for as ``velvet nights``).
    """
    names = {
        w
        for v in generate(subject)
        if v.kind in ("name", "alias", "first_name", "surname")
        for w in v.words
    }
    out: list[tuple[str, ...]] = []
    for known in subject.known_content:
        parts = [known.title, *re.split(r"\s[-–—|]\s|:\s|[()\[\]]", known.title)]
        for part in parts:
            words = [w for w in words_of(part) if w not in names]
            while words and len(words[0]) <= 3:
                words.pop(0)
            number = words.pop() if words and len(words[-1]) <= 1 else None
            while words and len(words[-1]) <= 1:
                words.pop()
            if number is not None and len(words) == 2 and number.isdigit():
                # "Night Shift 3": two everyday words are her title only with the number.
                words.append(number)
            if len(words) >= 2 and sum(len(w) for w in words) >= 8 and tuple(words) not in out:
                out.append(tuple(words))
    return out


def known_content_variant(words: tuple[str, ...]) -> Variant:
    """The name form a known title stands for when it is found without her name."""
    return Variant(
        " ".join(words), "known_content", FULL, words, "her known content, without her name"
    )


def subject_terms(subjects: Sequence[SubjectSpec]) -> tuple[list[Term], list[Term]]:
    """(every subject's terms, the cue terms): what the automata are built from."""
    terms: list[Term] = []
    for index, subject in enumerate(subjects):
        for variant in generate(subject):
            terms.append(
                Term(
                    "name",
                    index,
                    variant.words,
                    variant.text,
                    variant.together,
                    comma=variant.kind == "inverted",
                    separate=variant.strength in (INITIALS, INVERTED),
                    payload=variant,
                )
            )
        for phrase in subject.context:
            terms.append(Term("context", index, words_of(phrase), " ".join(words_of(phrase))))
        for phrase in subject.exclude:
            terms.append(
                Term("exclude", index, words_of(phrase), " ".join(words_of(phrase)), comma=True)
            )
        for words in title_phrases(subject):
            terms.append(Term("title", index, words, " ".join(words)))
    cues = [
        Term("cue", -1, words_of(phrase), category)
        for category, phrases in cue_terms().items()
        if category != "function_before"  # read from the word before a name, not scanned
        for phrase in phrases
        if words_of(phrase)
    ]
    return [t for t in terms if t.words], cues


def as_known_content(hit: Hit) -> Hit:
    """A known-title hit recast as a name hit of her known content."""
    term = hit.term
    return Hit(
        Term(
            "name", term.subject, term.words, term.label, payload=known_content_variant(term.words)
        ),
        hit.start,
        hit.end,
        hit.form,
        hit.leet,
    )
