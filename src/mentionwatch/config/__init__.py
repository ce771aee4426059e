"""The deployment config: one YAML file, validated before anything runs.

``load_config(path)`` reads the file and returns a frozen ``Config`` (with
where it came from); any problem raises ``ConfigError`` listing every
problem with its file, line and field. Pipelines never receive this object:
each job unpacks it into the plain arguments its transforms take.

The package, one module per part of the file:

* ``loader``: the YAML reader that keeps every key's line, ``load_config``,
  ``parse_config``, ``resolve_paths`` and ``LoadedConfig``;
  ``problems``: ``Problem``, ``ConfigError`` and the wording of each error.
* ``root``: ``Config``, the whole file, and the checks that span its blocks.
* ``subjects``, ``sources``, ``ingest`` (``fetch`` and ``ingest``),
  ``pubsub``, ``store``, ``model``, ``alerts``, ``notify``: each top-level
  block and the blocks inside it.
* ``base``: the ``Block`` base every block derives from and the checks
  several blocks share (environment variable names, base URLs, times).
* ``reference``: docs/config.md and the JSON Schema, generated from the blocks.

Every public name is re-exported here, so ``from mentionwatch.config import
Config, load_config`` is the way to import them.
"""

from mentionwatch.config.alerts import (
    AlertsSettings,
    MinScores,
    PileOn,
    Severity,
    SubjectAlertPolicy,
)
from mentionwatch.config.base import Block
from mentionwatch.config.ingest import FetchSettings, IngestSettings
from mentionwatch.config.loader import (
    MAX_EXPANDED_VALUES,
    LoadedConfig,
    load_config,
    parse_config,
    resolve_paths,
)
from mentionwatch.config.model import ModelSettings, Thresholds
from mentionwatch.config.notify import (
    ChannelSettings,
    DeliverySettings,
    DigestSchedule,
    ImmediatePolicy,
    NotifySettings,
    OperatorSettings,
    QuietHours,
    Recipient,
    SmtpServer,
)
from mentionwatch.config.problems import ConfigError, Problem
from mentionwatch.config.pubsub import PubSubSettings, Subscriptions, Topics
from mentionwatch.config.root import Config
from mentionwatch.config.sources import (
    BlueskySettings,
    FeedSettings,
    GoogleAlertsSettings,
    HackerNewsSettings,
    JetstreamSettings,
    MastodonSettings,
    PagedSettings,
    RedditSettings,
    SourceSettings,
    SourcesSettings,
    YouTubeSettings,
)
from mentionwatch.config.store import Retention, StoreSettings
from mentionwatch.config.subjects import KnownContent, Subject

__all__ = [
    "MAX_EXPANDED_VALUES",
    "AlertsSettings",
    "Block",
    "BlueskySettings",
    "ChannelSettings",
    "Config",
    "ConfigError",
    "DeliverySettings",
    "DigestSchedule",
    "FeedSettings",
    "FetchSettings",
    "GoogleAlertsSettings",
    "HackerNewsSettings",
    "ImmediatePolicy",
    "IngestSettings",
    "JetstreamSettings",
    "KnownContent",
    "LoadedConfig",
    "MastodonSettings",
    "MinScores",
    "ModelSettings",
    "NotifySettings",
    "OperatorSettings",
    "PagedSettings",
    "PileOn",
    "Problem",
    "PubSubSettings",
    "QuietHours",
    "Recipient",
    "RedditSettings",
    "Retention",
    "Severity",
    "SmtpServer",
    "SourceSettings",
    "SourcesSettings",
    "StoreSettings",
    "Subject",
    "SubjectAlertPolicy",
    "Subscriptions",
    "Thresholds",
    "Topics",
    "YouTubeSettings",
    "load_config",
    "parse_config",
    "resolve_paths",
]
