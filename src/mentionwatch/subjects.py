"""Plain, picklable descriptions of the tracked people.

Transforms never see the pydantic config; they get these frozen dataclasses,
built once from the config by ``from_config``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from mentionwatch.config import Subject


@dataclasses.dataclass(frozen=True)
class KnownTitle:
    """A piece of the subject's old content: title, release date (ISO), URL."""

    title: str
    released: str
    url: str | None = None


@dataclasses.dataclass(frozen=True)
class SubjectSpec:
    name: str
    aliases: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    known_content: tuple[KnownTitle, ...] = ()


def from_config(subjects: Iterable[Subject]) -> tuple[SubjectSpec, ...]:
    return tuple(
        SubjectSpec(
            name=s.name,
            aliases=tuple(s.aliases),
            handles=tuple(s.handles),
            hashtags=tuple(s.hashtags),
            context=tuple(s.context),
            exclude=tuple(s.exclude),
            known_content=tuple(
                KnownTitle(k.title, k.released.isoformat(), k.url) for k in s.known_content
            ),
        )
        for s in subjects
    )
