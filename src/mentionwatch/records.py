"""The records that flow through every mentionwatch pipeline.

Each stage takes and returns these frozen dataclasses, so a stage can be
unit-tested without a pipeline and every runner can pickle what it moves.
Identity is always derived from content (see ``mentionwatch.ids``): a replay
of the same input yields the same item ids, mention ids and alert ids, which
is what makes retries and re-runs safe.

The JSON shapes of these records are documented in docs/architecture.md
(data contracts) and docs/alerts.md; ``SCHEMA_VERSION`` is bumped whenever a
serialised shape changes incompatibly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from mentionwatch.timeutil import utc_now_iso

SCHEMA_VERSION = 1

LABELS = ("harassment", "re_promotion", "benign")
HARASSMENT_TYPES = (
    "threat",
    "doxxing",
    "incitement",
    "sexual_harassment",
    "identity_attack",
    "insult",
)
SEVERITIES = ("none", "low", "medium", "high", "critical")


def utc_now() -> str:
    """The current time as an ISO-8601 UTC string with a ``Z`` suffix."""
    return utc_now_iso()


@dataclasses.dataclass(frozen=True)
class Item:
    """One piece of content from a source: a feed entry, post, comment or page.

    Attributes:
      id: stable id, a hash of the source and the entry's guid or link.
      source: where it came from (feed name or URL, or the producer's name).
      url: link to the content itself (may be empty for pushed items).
      title: title or headline; empty when the source has none.
      text: the body as plain text (HTML stripped, entities decoded).
      author: author name or handle, if the source gives one.
      published_at: ISO-8601 UTC time the source says it was published.
      fetched_at: ISO-8601 UTC time mentionwatch fetched it.
      language: ISO 639-1 code when known.
      raw_ref: content address (sha256) of the raw response the item came
        from, kept as evidence; empty when the raw body was not stored.
      observed_at: ISO-8601 UTC time the streaming monitor read the item from
        Pub/Sub; the clock of the alert policy (bursts are what arrives
        together, so a backlog after an outage is grouped, not flooded).
    """

    id: str
    source: str
    url: str
    title: str
    text: str
    author: str = ""
    published_at: str | None = None
    fetched_at: str | None = None
    language: str | None = None
    raw_ref: str = ""
    observed_at: str | None = None

    @property
    def full_text(self) -> str:
        """Title and body as one string, the text matching and classification see."""
        if self.title and self.text:
            return f"{self.title}\n\n{self.text}"
        return self.title or self.text

    def to_json(self) -> dict[str, Any]:
        """The item as a JSON object (the items message and the outbox store it so)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Item:
        """The item from ``to_json``'s object; unknown keys are ignored."""
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


@dataclasses.dataclass(frozen=True)
class Span:
    """Where a subject was found.

    Attributes:
      field: ``"title"``, ``"text"`` or ``"url"``.
      start: start offset (characters) in the original, un-normalised field.
      end: end offset (exclusive) in the original field.
      matched: the original characters, e.g. ``"D4na R3yes"``.
      variant: the configured or generated name form that matched, e.g.
        ``"dana reyes"``.
    """

    field: str
    start: int
    end: int
    matched: str
    variant: str

    def to_json(self) -> dict[str, Any]:
        """The span as a JSON object (``field``, ``start``, ``end``, ``matched``, ``variant``)."""
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Mention:
    """An item that refers to one tracked subject."""

    item: Item
    subject: str
    spans: tuple[Span, ...]

    @property
    def id(self) -> str:
        """The mention's content-derived id (``ids.mention_id``)."""
        from mentionwatch.ids import mention_id

        return mention_id(self.subject, self.item.id)


@dataclasses.dataclass(frozen=True)
class Classification:
    """What the model (and the rules beside it) said about a mention.

    Attributes:
      label: one of ``LABELS``.
      harassment_type: one of ``HARASSMENT_TYPES`` when label is harassment.
      scores: probability per label and per harassment type, all in [0, 1].
      model_id: which model produced the scores (package or hub id, or path).
      model_version: version of that model (training run id / content hash).
      thresholds: the per-label thresholds the decision used.
      signals: names of rule signals that fired; empty since the rule layer was removed
        (classify.decision), kept so stored rows and evidence packs keep their shape.
    """

    label: str
    harassment_type: str | None
    scores: Mapping[str, float]
    model_id: str
    model_version: str
    thresholds: Mapping[str, float]
    signals: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The classification as a JSON object, scores rounded to 4 places."""
        data = dataclasses.asdict(self)
        data["scores"] = {k: round(float(v), 4) for k, v in self.scores.items()}
        data["thresholds"] = dict(self.thresholds)
        data["signals"] = list(self.signals)
        return data


@dataclasses.dataclass(frozen=True)
class ClassifiedMention:
    """A mention and its classification; what the history store keeps."""

    mention: Mention
    classification: Classification

    @property
    def id(self) -> str:
        """The id of the mention classified (``Mention.id``)."""
        return self.mention.id


@dataclasses.dataclass(frozen=True)
class Alert:
    """A decision to tell the subject about a mention.

    The alert id is content-derived (subject, item id, label), so a re-run or a
    redelivery never makes a second alert.

    ``kind`` is ``mention`` (one mention), ``burst`` (``count`` similar
    mentions grouped into one alert; ``related_urls`` lists the others) or
    ``pile_on`` (harassment of the subject spiking above its baseline;
    ``count`` mentions in the window).

    ``known_content`` is the title of the subject's ``known_content`` entry a
    re-promotion names (``alerts.selection.known_work``), so a notification
    can say which of her works is pushed and a takedown can cite it; empty
    when none is named, for other labels, and in bodies written before the
    field existed.
    """

    alert_id: str
    subject: str
    label: str
    harassment_type: str | None
    severity: str
    item_id: str
    mention_id: str
    url: str
    source: str
    title: str
    excerpt: str
    published_at: str | None
    created_at: str
    scores: Mapping[str, float]
    model_id: str
    model_version: str
    evidence_ref: str = ""
    count: int = 1
    content_warning: bool = True
    kind: str = "mention"
    related_urls: tuple[str, ...] = ()
    known_content: str = ""

    def to_json(self) -> dict[str, Any]:
        """The alert as its message body: JSON with ``schema_version``, scores rounded."""
        data = dataclasses.asdict(self)
        data["scores"] = {k: round(float(v), 4) for k, v in self.scores.items()}
        data["related_urls"] = list(self.related_urls)
        return {"schema_version": SCHEMA_VERSION, **data}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Alert:
        """The alert from a message body; unknown keys are ignored."""
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in fields}
        if "related_urls" in values:
            values["related_urls"] = tuple(values["related_urls"])
        return cls(**values)

    def attributes(self) -> dict[str, str]:
        """Pub/Sub message attributes: subscriptions filter on these."""
        return {
            "subject": self.subject,
            "label": self.label,
            "severity": self.severity,
            "alert_id": self.alert_id,
        }


@dataclasses.dataclass(frozen=True)
class DeadLetter:
    """One record for anything that could not be processed.

    Every stage's error output has this one shape, and all of them drain to
    the dead-letter sink (a table in the history store).

    Attributes:
      stage: the pipeline stage that failed, e.g. ``"FetchFeeds"``.
      ref: what failed: a feed URL, an item id, an input line number.
      error: the exception type and message (never the abusive text itself).
      time: ISO-8601 UTC time of the failure.
      payload: a bounded excerpt of the failing input, for debugging.
    """

    stage: str
    ref: str
    error: str
    time: str = dataclasses.field(default_factory=utc_now)
    payload: str = ""

    def to_json(self) -> dict[str, Any]:
        """The dead letter as a JSON object."""
        return dataclasses.asdict(self)
