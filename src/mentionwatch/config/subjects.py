"""The ``subjects:`` list: the people mentionwatch protects (docs/matching.md).

A subject's ``safety`` block holds what her notifications offer as next steps
(docs/alerts.md, "What to do next"): her local emergency number and a contact
such as a lawyer or a support line.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import Field, field_validator

from mentionwatch.config.base import Block

# The languages notifications can be written in. A new one is added here and
# given every phrase in ``notify.render.phrases`` (a test checks that it has them all).
Language = Literal["en"]
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{0,30}$")


class KnownContent(Block):
    """A piece of the subject's old content, used to recognise re-promotion."""

    title: str = Field(min_length=1)
    released: dt.date
    url: str | None = None


class SafetyContact(Block):
    """Someone she can turn to, named in notifications about threats and doxxing.

    Attributes:
      label: who it is, as she would say it ("My lawyer, Ana Ortiz",
        "HateAid counselling").
      details: how to reach them: a phone number, an address, opening hours.
    """

    label: str = Field(min_length=1, max_length=80)
    details: str = Field(min_length=1, max_length=200)

    @field_validator("label", "details")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if not value.strip() or "\n" in value or "\r" in value:
            raise ValueError("must be one line of text that is not blank")
        return value.strip()


class Safety(Block):
    """What a subject's notifications offer as next steps.

    Attributes:
      emergency_number: her local emergency number ("911", "112", "999"),
        named in every notification about a threat or doxxing. Without it
        they say "your local emergency number".
      contact: someone she can turn to (a lawyer, a support line), named
        beside it; optional.
      language: the language of the next steps in notifications about her
        (a recipient's own ``language`` comes first). Only ``en`` today.
    """

    emergency_number: str | None = None
    contact: SafetyContact | None = None
    language: Language = "en"

    @field_validator("emergency_number")
    @classmethod
    def _dialable(cls, value: str | None) -> str | None:
        if value is not None and not _PHONE.fullmatch(value.strip()):
            raise ValueError(
                f"emergency_number {value!r} must be a number to dial, such as '911', '112' or "
                "'+44 20 7946 0000' (digits, spaces, '+', '-', '(', ')')"
            )
        return value.strip() if value is not None else None


class Subject(Block):
    """A tracked person. Only ``name`` is required; every list is optional."""

    name: str = Field(min_length=2)
    aliases: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    known_content: tuple[KnownContent, ...] = ()
    safety: Safety = Safety()

    @field_validator("handles")
    @classmethod
    def _handles_start_with_at(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for handle in value:
            if not re.fullmatch(r"@[\w.\-]+(@[\w.\-]+)?", handle):
                raise ValueError(
                    f"handle {handle!r} must look like '@name' (or '@name@instance' for Mastodon)"
                )
        return value

    @field_validator("hashtags")
    @classmethod
    def _hashtags_start_with_hash(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for tag in value:
            if not re.fullmatch(r"#\w+", tag):
                raise ValueError(f"hashtag {tag!r} must look like '#Word' (letters, digits, _)")
        return value

    @field_validator("aliases", "context", "exclude")
    @classmethod
    def _no_blank_terms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not term.strip() for term in value):
            raise ValueError("terms must not be empty")
        return value

    @field_validator("name", "aliases")
    @classmethod
    def _matchable(cls, value):
        """Every form the operator writes is looked for: one the matcher cannot read is an error."""
        for form in (value,) if isinstance(value, str) else value:
            if not _matchable_form(form):
                raise ValueError(
                    f"{form!r} has no letters the matcher can look for: write it with at least "
                    "two letters (Latin, or Arabic, Cyrillic, Greek, Hebrew, Indic, Hangul, kana "
                    "or CJK)"
                )
        return value


def _matchable_form(form: str) -> bool:
    # Imported here: the matcher is heavy and only this check needs it.
    from mentionwatch.matching.scripts import has_other_script
    from mentionwatch.matching.variants import words_of

    return len("".join(words_of(form))) >= 2 or has_other_script(form)
