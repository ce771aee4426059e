"""The ``fetch:`` and ``ingest:`` blocks: how sources are fetched and how often they are polled."""

from __future__ import annotations

import ipaddress

from pydantic import Field, field_validator

from mentionwatch.config.base import Block


class FetchSettings(Block):
    """How sources are fetched, and the bounds a hostile server cannot push past.

    ``timeout_s`` bounds each read, ``deadline_s`` the whole response;
    ``max_bytes`` bounds the body read and what it may decompress to. A
    redirect is followed only to a public address; ``allow_networks`` (CIDR,
    e.g. ``10.0.8.0/24`` for a mirror on your LAN) lists private networks a
    redirect may reach. URLs written in this config are fetched as written.
    """

    timeout_s: float = Field(default=20.0, gt=0, le=300)
    deadline_s: float = Field(default=60.0, gt=0, le=3600)
    max_bytes: int = Field(default=10_000_000, gt=0)
    user_agent: str = "mentionwatch/0.1 (+https://github.com/mentionwatch/mentionwatch)"
    allow_networks: tuple[str, ...] = ()

    @field_validator("allow_networks")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for network in value:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError:
                raise ValueError(
                    f"{network!r} is not a network; write it as CIDR, e.g. 10.0.8.0/24"
                ) from None
        return value


class IngestSettings(Block):
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
        The default, 900 s, is longer than a Dataflow monitor's ordinary lag
        (worker start-up, autoscaling, a model batch waiting to fill), so a
        monitor that is only busy is not sent copies; a local ``watch`` can
        use less (its monitor confirms within seconds).
      max_attempts: after this many deliveries an item is dead-lettered.
      items_per_message: items batched into one Pub/Sub message.
    """

    poll_interval_s: float = Field(default=60.0, gt=0)
    host_min_interval_s: float = Field(default=1.0, ge=0)
    host_concurrency: int = Field(default=1, ge=1, le=16)
    seen_retention_days: int = Field(default=30, ge=1)
    redeliver_after_s: float = Field(default=900.0, gt=0)
    max_attempts: int = Field(default=5, ge=1)
    items_per_message: int = Field(default=100, ge=1, le=1000)
