"""The ``pubsub:`` block: the project, topics and subscriptions alerts and items travel on."""

from __future__ import annotations

import re

from pydantic import field_validator

from mentionwatch.config.base import Block

_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_RESOURCE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._~+%-]{2,254}$")


class Topics(Block):
    """Topics ``pubsub up`` creates: alerts, items and dead letters (operator notices)."""

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


class Subscriptions(Block):
    """Subscriptions ``pubsub up`` creates. ``alerts`` feeds ``mentionwatch notify``."""

    alerts: str = "mentionwatch-alerts-notify"
    items: str = "mentionwatch-items-monitor"

    _valid_name = field_validator("alerts", "items")(Topics._valid_name.__func__)


class PubSubSettings(Block):
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
        """The full resource path of topic ``name`` in this project."""
        return f"projects/{self.project}/topics/{name}"

    def subscription_path(self, name: str) -> str:
        """The full resource path of subscription ``name`` in this project."""
        return f"projects/{self.project}/subscriptions/{name}"
