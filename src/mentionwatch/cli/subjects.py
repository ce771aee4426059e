"""``mentionwatch subjects explain``: what the matcher looks for (docs/matching.md)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from mentionwatch.command import EXIT_OK, load_config_file

# What a name form of each strength needs before it counts as a mention.
STRENGTH_NOTES = {
    "full": "matches unless the item shows another person",
    "initials": "a configured one matches as written; a generated one needs one tie to her",
    "misspelling": "matches unless the item shows another person",
    "inverted": "with a comma; otherwise needs a tie",
    "partial": "needs context (a context term, or cue words and more)",
}

# Printed after the subjects: what every form tolerates.
MATCHING_NOTE = (
    "Matching is case-, accent- and look-alike-insensitive; leetspeak, spaced or dotted letters,",
    "hidden characters, hashtags, handles, URL slugs and domains are read as the same forms;",
    "a full name in Arabic, Cyrillic, Greek, Hebrew, Indic scripts, Hangul, kana or Chinese is",
    "found by its sound key (transliteration rows).",
)


def _row(kind: str, text: str, note: str) -> None:
    print(f"  {kind:<12} {text:<28} {note}")


def cmd_subjects_explain(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Prints every name form the matcher generates for each subject and how it was derived.

    Also lists the terms that steer disambiguation: sources about her, context
    terms, title phrases and exclusions.
    """
    from mentionwatch.matching.scripts import script_variants
    from mentionwatch.matching.terms import title_phrases
    from mentionwatch.matching.variants import generate, words_of
    from mentionwatch.subjects import from_config

    loaded = load_config_file(args.config)
    for subject in from_config(loaded.config.subjects, loaded.config.sources):
        forms = generate(subject)
        print(f"{subject.name}  ({len(forms)} name forms)")
        for variant in forms:
            note = STRENGTH_NOTES[variant.strength]
            _row(variant.kind, variant.text, f"{variant.derived}; {note}")
        for variant in script_variants(subject):
            _row(variant.kind, variant.text, variant.derived)
        for source in subject.about_sources:
            note = "about her: her surname or first name alone is a mention there"
            _row("source", source, note)
        for phrase in subject.context:
            _row("context", " ".join(words_of(phrase)), "raises the score of every form")
        for words in title_phrases(subject):
            _row("title", " ".join(words), "from known content; names her even without her name")
        for phrase in subject.exclude:
            _row("exclude", " ".join(words_of(phrase)), "cancels the name hits it covers")
    for line in MATCHING_NOTE:
        print(line)
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Adds ``subjects`` and its action ``explain``."""
    subjects = commands.add_parser("subjects", help="what the matcher looks for")
    actions = subjects.add_subparsers(dest="subjects_command", required=True, metavar="ACTION")
    p = actions.add_parser("explain", help="list every name form matched for each subject")
    p.add_argument("config")
    p.set_defaults(func=cmd_subjects_explain)
