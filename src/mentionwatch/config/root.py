"""``Config``: the whole file, and the checks that span its blocks.

Each top-level key has its block in a module of its own (``subjects``,
``sources``, ``ingest`` for ``fetch`` and ``ingest``, ``pubsub``, ``store``,
``model``, ``alerts``, ``notify``, ``takedown``); the checks here need two blocks at once
(a recipient or a source naming a subject that the file does not have).
"""

from __future__ import annotations

from pydantic import Field, model_validator

from mentionwatch.config.alerts import AlertsSettings
from mentionwatch.config.base import Block, field_errors
from mentionwatch.config.ingest import FetchSettings, IngestSettings
from mentionwatch.config.model import ModelSettings
from mentionwatch.config.notify import NotifySettings
from mentionwatch.config.pubsub import PubSubSettings
from mentionwatch.config.sources import SourcesSettings
from mentionwatch.config.store import StoreSettings
from mentionwatch.config.subjects import Subject
from mentionwatch.config.takedown import TakedownSettings


class Config(Block):
    """A mentionwatch deployment."""

    subjects: tuple[Subject, ...] = Field(min_length=1)
    sources: SourcesSettings = SourcesSettings()
    fetch: FetchSettings = FetchSettings()
    pubsub: PubSubSettings | None = None
    store: StoreSettings = StoreSettings()
    model: ModelSettings = ModelSettings()
    alerts: AlertsSettings = AlertsSettings()
    ingest: IngestSettings = IngestSettings()
    notify: NotifySettings | None = None
    takedown: TakedownSettings = TakedownSettings()

    @model_validator(mode="after")
    def _notify_names_known_subjects(self) -> Config:
        if self.notify is None:
            return self
        known = [s.name for s in self.subjects]
        problems = [
            (
                ("notify", "recipients", i, "subjects", j),
                f"{name!r} is not a subject in this file; expected one of: {', '.join(known)}",
                name,
            )
            for i, recipient in enumerate(self.notify.recipients)
            for j, name in enumerate(recipient.subjects)
            if name not in known
        ]
        if problems:
            raise field_errors("Config", problems)
        return self

    @model_validator(mode="after")
    def _takedown_senders_name_known_subjects(self) -> Config:
        known = [s.name for s in self.subjects]
        problems = [
            (
                ("takedown", "senders", i, "subject"),
                f"{sender.subject!r} is not a subject in this file; expected one of: "
                + ", ".join(known),
                sender.subject,
            )
            for i, sender in enumerate(self.takedown.senders)
            if sender.subject not in known
        ]
        if problems:
            raise field_errors("Config", problems)
        return self

    @model_validator(mode="after")
    def _about_names_known_subjects(self) -> Config:
        known = [s.name for s in self.subjects]
        blocks = [(kind, i, block) for kind, i, block in self.sources.polled()]
        if self.sources.jetstream is not None:
            blocks.append(("jetstream", None, self.sources.jetstream))
        problems = [
            (
                ("sources", kind, *(() if i is None else (i,)), "about", j),
                f"{name!r} is not a subject in this file; expected one of: {', '.join(known)}",
                name,
            )
            for kind, i, block in blocks
            for j, name in enumerate(block.about)
            if name not in known
        ]
        if problems:
            raise field_errors("Config", problems)
        return self

    @model_validator(mode="after")
    def _unique_subject_names(self) -> Config:
        seen: set[str] = set()
        for subject in self.subjects:
            key = subject.name.casefold()
            if key in seen:
                raise ValueError(
                    f"subject name {subject.name!r} appears twice; names must be unique"
                )
            seen.add(key)
        unknown = sorted(set(self.alerts.subjects) - {s.name for s in self.subjects})
        if unknown:
            raise ValueError(
                f"alerts.subjects names unknown subject(s) {unknown}; use a name from 'subjects'"
            )
        return self

    def subject(self, name: str) -> Subject:
        """The subject called ``name``.

        Raises:
          KeyError: no subject has that name.
        """
        for subject in self.subjects:
            if subject.name == name:
                return subject
        raise KeyError(name)
