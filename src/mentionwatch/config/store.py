"""The ``store:`` block: where the history store is and how long it keeps each kind of data."""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from mentionwatch.config.base import Block


class Retention(Block):
    """How long each kind of stored data is kept (``mentionwatch store retention``).

    Attributes:
      raw_days: raw response bodies and their fetch records that no stored
        item refers to (fetched pages where no subject was found) are deleted
        this many days after they were last fetched. Bodies behind a stored
        mention or alert are evidence and are kept as long as it is.
      dead_letters_days: dead letters older than this are deleted.
      history_days: mentions, their items, alerts and the evidence they refer
        to, older than this, are deleted. Left out (the default), they are
        kept until deleted by hand: they are the record a subject or her
        lawyer may need years later.

    Items seen by ingest but never mentioned are forgotten after
    ``ingest.seen_retention_days``.
    """

    raw_days: int = Field(default=7, ge=1)
    dead_letters_days: int = Field(default=90, ge=1)
    history_days: int | None = Field(default=None, ge=30)


class StoreSettings(Block):
    """The history store. A relative SQLite path is relative to the config file's folder."""

    url: str = "sqlite:///mentionwatch.db"
    retention: Retention = Retention()

    @field_validator("url")
    @classmethod
    def _sqlalchemy_url(cls, value: str) -> str:
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError(
                "store url must be an SQLAlchemy URL for SQLite or PostgreSQL, e.g. "
                "'sqlite:///mentionwatch.db' or 'postgresql+psycopg://user@host/db'"
            )
        return value
