"""The ``subjects:`` list: the people mentionwatch protects (docs/matching.md)."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import Field, field_validator

from mentionwatch.config.base import Block


class KnownContent(Block):
    """A piece of the subject's old content, used to recognise re-promotion."""

    title: str = Field(min_length=1)
    released: dt.date
    url: str | None = None


class Subject(Block):
    """A tracked person. Only ``name`` is required; every list is optional."""

    name: str = Field(min_length=2)
    aliases: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    known_content: tuple[KnownContent, ...] = ()

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
