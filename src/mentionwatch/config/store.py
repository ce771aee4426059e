"""The ``store:`` block: where the history store is, how workers connect, what is kept.

Two ways to name the store, exactly one of them:

* ``url``: an SQLAlchemy URL for SQLite (one machine) or PostgreSQL; a
  password never goes in it (``password`` names where it is).
* ``cloud_sql``: a Cloud SQL for PostgreSQL instance reached through the
  Cloud SQL Python Connector with IAM database authentication (what Dataflow
  workers use: no password anywhere, no ``/cloudsql`` socket needed).

``target()`` turns the block into the plain, picklable ``StoreTarget`` the
jobs hand to their transforms; it holds references to secrets, never values.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, field_validator, model_validator

from mentionwatch.config.base import Block, secret_env

if TYPE_CHECKING:
    from mentionwatch.store.engine import StoreTarget

DEFAULT_URL = "sqlite:///mentionwatch.db"
# [DOMAIN:]PROJECT:REGION:INSTANCE, e.g. my-project:us-central1:mentionwatch.
_INSTANCE = re.compile(r"^(?:[a-z0-9.-]+:)?[a-z][a-z0-9-]{4,29}:[a-z]+-[a-z]+\d+:[a-z][a-z0-9-]*$")


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


class CloudSql(Block):
    """A Cloud SQL for PostgreSQL instance, reached with the connector and IAM login.

    Attributes:
      instance: the instance connection name, ``PROJECT:REGION:INSTANCE``
        (``gcloud sql instances describe NAME --format='value(connectionName)'``).
      database: the database on the instance.
      iam_user: the IAM database user: the service account the workers run
        as, without ``.gserviceaccount.com`` (``mentionwatch-pipeline@PROJECT.iam``).
        It logs in with a short-lived token from the worker's credentials.
      ip_type: how the connector reaches the instance: ``private`` (the
        instance's private IP on the VPC the workers run in; the default),
        ``public`` or ``psc`` (Private Service Connect).
    """

    instance: str
    database: str = Field(default="mentionwatch", min_length=1)
    iam_user: str
    ip_type: Literal["private", "public", "psc"] = "private"

    @field_validator("instance")
    @classmethod
    def _connection_name(cls, value: str) -> str:
        if not _INSTANCE.fullmatch(value):
            raise ValueError(
                "expected the instance connection name PROJECT:REGION:INSTANCE, e.g. "
                f"'my-project:us-central1:mentionwatch', got {value!r}"
            )
        return value

    @field_validator("iam_user")
    @classmethod
    def _iam_user(cls, value: str) -> str:
        if value.endswith(".gserviceaccount.com"):
            raise ValueError(
                "an IAM database user for a service account drops '.gserviceaccount.com': "
                f"use {value.removesuffix('.gserviceaccount.com')!r}"
            )
        if "@" not in value:
            raise ValueError(
                "expected the IAM user's email, e.g. 'mentionwatch-pipeline@my-project.iam' "
                f"(a service account) or 'analyst@example.org', got {value!r}"
            )
        return value


class StoreSettings(Block):
    """The history store: ``url`` or ``cloud_sql`` (neither: ``sqlite:///mentionwatch.db``).

    A relative SQLite path is relative to the config file's folder.

    Attributes:
      url: an SQLAlchemy URL for SQLite or PostgreSQL, without a password.
      cloud_sql: a Cloud SQL instance reached with the connector and IAM login.
      password: with a PostgreSQL ``url`` whose user needs one: the NAME of the
        environment variable holding it, or a Secret Manager reference
        (``secret://projects/P/secrets/S/versions/V``); read where the engine
        is made (on the worker), never stored in the job.
      pool_size: connections each process keeps open to PostgreSQL (every
        transform of a process shares one engine). A Dataflow job holds at
        most workers × processes per worker × (pool_size + max_overflow)
        connections: keep that under the instance's ``max_connections``.
      max_overflow: connections a process may open beyond ``pool_size`` at a
        busy moment (closed again when returned).
      pool_timeout_s: how long a thread waits for a free connection before
        the store is reported unavailable (the runner then retries).
      auto_upgrade: whether opening the store may migrate its schema. Left
        out: yes for a ``url`` store (SQLite, a local PostgreSQL; subject to
        ``MENTIONWATCH_STORE_AUTO_UPGRADE``), no for ``cloud_sql``: there the
        deploy step runs ``mentionwatch store upgrade CONFIG`` once and
        workers only check the revision.
      retention: how long each kind of data is kept.
    """

    url: str | None = None
    cloud_sql: CloudSql | None = None
    password: str | None = None
    pool_size: int = Field(default=2, ge=1, le=50)
    max_overflow: int = Field(default=3, ge=0, le=50)
    pool_timeout_s: float = Field(default=30.0, gt=0, le=600)
    auto_upgrade: bool | None = None
    retention: Retention = Retention()

    @model_validator(mode="before")
    @classmethod
    def _default_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("url") is None and data.get("cloud_sql") is None:
            return {**data, "url": DEFAULT_URL}
        return data

    @field_validator("url")
    @classmethod
    def _sqlalchemy_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
            raise ValueError(
                "store url must be an SQLAlchemy URL for SQLite or PostgreSQL, e.g. "
                "'sqlite:///mentionwatch.db' or 'postgresql+psycopg://user@host/db'"
            )
        if re.match(r"^postgresql(\+\w+)?://[^/@]*:[^/@]*@", value):
            raise ValueError(
                "the store url must not contain a password (it would be copied into every "
                "job that uses the store); put the user in the url and set store.password to "
                "the NAME of an environment variable or a secret:// reference"
            )
        return value

    _password = field_validator("password")(lambda cls, v: secret_env(v))

    @model_validator(mode="after")
    def _one_store(self) -> StoreSettings:
        if self.url is not None and self.cloud_sql is not None:
            raise ValueError("store: set either url or cloud_sql, not both")
        if self.password is not None and not (self.url or "").startswith("postgresql"):
            raise ValueError(
                "store.password is for a PostgreSQL url (cloud_sql logs in with IAM and "
                "needs none; SQLite has none)"
            )
        return self

    @property
    def scheme(self) -> str:
        """The store's kind for messages: ``sqlite``, ``postgresql`` or ``cloud_sql``."""
        return "cloud_sql" if self.url is None else self.url.split(":", 1)[0].split("+")[0]

    def target(self) -> StoreTarget:
        """The plain, picklable description transforms and commands open the store with."""
        from mentionwatch.store.engine import CloudSqlTarget, StoreTarget

        cloud = self.cloud_sql
        return StoreTarget(
            url=self.url,
            cloud_sql=None
            if cloud is None
            else CloudSqlTarget(cloud.instance, cloud.database, cloud.iam_user, cloud.ip_type),
            password=self.password,
            pool_size=self.pool_size,
            max_overflow=self.max_overflow,
            pool_timeout_s=self.pool_timeout_s,
            # None: follow MENTIONWATCH_STORE_AUTO_UPGRADE, as a url store always did.
            auto_upgrade=(False if cloud else None)
            if self.auto_upgrade is None
            else self.auto_upgrade,
        )
