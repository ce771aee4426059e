"""The words of the next steps, one table per language.

Each language has the same keys; ``str.format`` fills the names in braces.
Only English is written today. To add a language: add its code to
``config.subjects.Language`` and a table here with every key of ``EN``
(``tests/unit/test_notify_next_steps.py`` checks that no key is missing and
that the braces match). Wording rules: calm, plain, kind; say what can be
done, never what might happen; never quote the post.
"""

from __future__ import annotations

from collections.abc import Mapping

EN: Mapping[str, str] = {
    "heading": "What you can do",
    # The safety line: threats and doxxing only. {number} is the emergency number.
    "your_number": "your local emergency number",
    "their_number": "the local emergency number where they are",
    "safety_now": "If you feel in danger, call {number} now.",
    "safety_ever": "If you ever feel in danger, call {number}.",
    "safety_doxxing": "If you feel unsafe where you are, call {number}.",
    "safety_helper": "If you think {subject} may be in danger, call {number}.",
    "contact": "Someone to turn to: {label}, {details}.",
    # Whether a helper was told (a subject's messages only; by role, never by name).
    "helper_now": "Your helper has also been told.",
    "helper_later": "Your helper will also see this in their next digest.",
    "helper_all": "Your helper also receives these alerts.",
    "helper_some": "Your helper also receives the {labels} alerts in this digest.",
    # What to run: each line is followed by its command, on a line of its own.
    "who_runs": "Your helper, or whoever runs mentionwatch for you, can run these commands.",
    "who_runs_alone": "You, or whoever runs mentionwatch for you, can run these commands.",
    "nothing_needed": "Nothing needs doing now.",
    "evidence_police": "Keep the evidence (for the police or a lawyer):",
    "evidence_record": "Keep a record of it:",
    "report_site": "Ask the site to remove it:",
    "takedown_work": "Ask the site to take it down:",
    "which_kind": (
        "Not sure which kind of request fits (dmca, ncii, dsa or platform)? "
        "The takedown guide, docs/takedown.md, explains each."
    ),
    "digest_evidence": "Keep the evidence of one (each alert's id is listed above):",
    "digest_report": "Ask a site to remove a post:",
    "digest_takedown": "Ask a site to take a re-promotion down:",
    # The known work a re-promotion names.
    "work_yours": "your {year} \u201c{title}\u201d",
    "work_theirs": "{subject}'s {year} \u201c{title}\u201d",
    "work_row": "work",
    # Labels as the helper line names them.
    "label_harassment": "harassment",
    "label_re_promotion": "re-promotion",
    "and": "and",
    "not_advice": "None of this is legal advice.",
}

PHRASES: Mapping[str, Mapping[str, str]] = {"en": EN}


def phrases(language: str) -> Mapping[str, str]:
    """The table for ``language``; English when there is none (config validation prevents it)."""
    return PHRASES.get(language, EN)
