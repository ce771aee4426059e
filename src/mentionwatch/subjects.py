"""Plain, picklable descriptions of the tracked people.

Transforms never see the pydantic config; they get these frozen dataclasses,
built once from the config by ``from_config``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the config validates forms with the matcher, which uses these specs
    from mentionwatch.config import SourcesSettings, Subject


@dataclasses.dataclass(frozen=True)
class KnownTitle:
    """A piece of the subject's old content: title, release date (ISO), URL."""

    title: str
    released: str
    url: str | None = None


@dataclasses.dataclass(frozen=True)
class SubjectSpec:
    """A tracked person as the transforms see her.

    ``about_sources``: the display names of the sources configured as being
    about her (``about:`` on a source); in their items a part of her name
    alone is a mention (``matching.weights``).
    """

    name: str
    aliases: tuple[str, ...] = ()
    handles: tuple[str, ...] = ()
    hashtags: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    known_content: tuple[KnownTitle, ...] = ()
    about_sources: tuple[str, ...] = ()


def from_config(
    subjects: Iterable[Subject], sources: SourcesSettings | None = None
) -> tuple[SubjectSpec, ...]:
    """The specs of ``subjects``; with ``sources``, each knows which sources are about her."""
    about: dict[str, list[str]] = {}
    if sources is not None:
        blocks = [block for _kind, _index, block in sources.polled()]
        if sources.jetstream is not None:
            blocks.append(sources.jetstream)
        for block in blocks:
            for name in block.about:
                about.setdefault(name, []).append(block.label())
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
            about_sources=tuple(about.get(s.name, ())),
        )
        for s in subjects
    )
