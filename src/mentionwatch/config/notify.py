"""The ``notify:`` block: who is told about alerts, how and when (``mentionwatch notify``).

Secrets are never in the file: SMTP credentials and webhook signing keys are
named by the environment variable that holds them. docs/alerts.md has worked
examples.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlparse

from pydantic import Field, field_validator, model_validator

from mentionwatch.config.base import Block, field_errors, secret_env, time_of_day, time_zone
from mentionwatch.config.subjects import Language

_SHORT_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


class SmtpServer(Block):
    """The mail server every ``email`` channel sends through.

    ``security``: ``starttls`` (default port 587, upgrade after connecting),
    ``ssl`` (port 465, TLS from the start) or ``none`` (a local relay only).
    The login is read from the environment variables named by
    ``username_env`` and ``password_env``; ``ca_file`` adds a CA to trust (a
    relay with a private certificate).
    """

    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username_env: str | None = None
    password_env: str | None = None
    sender: str = Field(min_length=3)
    ca_file: str | None = None
    timeout_s: float = Field(default=30.0, gt=0, le=300)

    @field_validator("username_env", "password_env")
    @classmethod
    def _env_names(cls, value: str | None) -> str | None:
        return secret_env(value)

    @field_validator("sender")
    @classmethod
    def _sender_has_address(cls, value: str) -> str:
        address = value.rsplit("<", 1)[-1].rstrip(">").strip()
        if not _EMAIL.fullmatch(address):
            raise ValueError(
                "sender must be an email address, e.g. 'mentionwatch <alerts@example.org>' "
                f"(got {value!r})"
            )
        return value

    @model_validator(mode="after")
    def _login_needs_both(self) -> SmtpServer:
        if (self.username_env is None) != (self.password_env is None):
            missing = "password_env" if self.password_env is None else "username_env"
            raise field_errors(
                "SmtpServer",
                [((missing,), "set both username_env and password_env, or neither", None)],
            )
        if (
            self.security == "none"
            and self.username_env
            and self.host not in ("localhost", "127.0.0.1", "::1")
        ):
            clear_text = (
                "security: none would send the login in clear text over the network; "
                "use starttls or ssl "
                "(none is for a relay on this machine, or one without a login)"
            )
            raise field_errors("SmtpServer", [(("security",), clear_text, None)])
        return self

    @property
    def effective_port(self) -> int:
        """``port``, else the usual port for ``security`` (587, 465 or 25)."""
        return self.port or {"starttls": 587, "ssl": 465, "none": 25}[self.security]


_CHANNEL_FIELDS = {
    "console": set(),
    "file": {"directory"},
    "email": {"to", "html"},
    "webhook": {"url", "url_env", "format", "secret_env", "timeout_s"},
}


class ChannelSettings(Block):
    """One way of reaching a recipient.

    * ``console``: prints to the terminal running ``notify`` (demo, debugging).
    * ``file``: writes one text file per notification under ``directory``
      (default ``notifications``; relative to the working directory).
    * ``email``: sends through ``notify.smtp`` to the addresses in ``to``.
    * ``webhook``: POSTs to ``url``: ``format: json`` (signed with the key in
      the environment variable ``secret_env``), ``slack`` or ``discord``
      (their incoming-webhook payloads). A Slack or Discord webhook URL is a
      secret itself: give ``url_env``, the environment variable holding it,
      instead of ``url``. A URL never carries a login (``user:pass@``).

    ``name`` tells two channels of one type apart; it defaults to the type.
    """

    type: Literal["console", "file", "email", "webhook"]
    name: str | None = None
    directory: str = "notifications"
    to: tuple[str, ...] = ()
    html: bool = True
    url: str | None = None
    url_env: str | None = None
    format: Literal["json", "slack", "discord"] = "json"
    secret_env: str | None = None
    timeout_s: float = Field(default=10.0, gt=0, le=120)

    @field_validator("secret_env", "url_env")
    @classmethod
    def _secret_env_name(cls, value: str | None) -> str | None:
        return secret_env(value)

    @field_validator("name")
    @classmethod
    def _simple_name(cls, value: str | None) -> str | None:
        if value is not None and not _SHORT_NAME.fullmatch(value):
            raise ValueError(
                f"channel name {value!r} must be lowercase letters, digits, '-', '_' or '.'"
            )
        return value

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for address in value:
            if not _EMAIL.fullmatch(address):
                raise ValueError(f"{address!r} is not an email address")
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None:
            parsed = urlparse(value)
            if parsed.scheme not in ("http", "https") or not parsed.hostname:
                raise ValueError("webhook url must be http:// or https:// with a host")
            if parsed.username or parsed.password:
                raise ValueError(
                    "a webhook url must not carry a login (user:password@): put the whole URL "
                    "in an environment variable and name it with url_env"
                )
        return value

    @model_validator(mode="after")
    def _fields_fit_the_type(self) -> ChannelSettings:
        problems = []
        for name in sorted(self.model_fields_set - {"type", "name"} - _CHANNEL_FIELDS[self.type]):
            problems.append(((name,), f"'{name}' does not apply to a {self.type} channel", None))
        if self.type == "email" and not self.to:
            problems.append(
                (("type",), "an email channel needs 'to': the address(es) to send to", self.type)
            )
        if self.type == "webhook" and (self.url is None) == (self.url_env is None):
            problems.append(
                (
                    ("type",),
                    (
                        "a webhook channel needs 'url' (the address to POST to) or 'url_env' (the "
                        "environment variable holding it), one of the two"
                    ),
                    self.type,
                )
            )
        if self.type == "webhook" and self.format == "json" and self.secret_env is None:
            problems.append(
                (
                    ("type",),
                    (
                        "a json webhook needs 'secret_env': the environment variable holding "
                        "the key that signs every request (X-Mentionwatch-Signature)"
                    ),
                    self.type,
                )
            )
        if problems:
            raise field_errors("ChannelSettings", problems)
        return self

    @property
    def key(self) -> str:
        """The channel's name within its recipient (deliveries are recorded under it)."""
        return self.name or self.type


class ImmediatePolicy(Block):
    """Which alerts interrupt: one message each, right away.

    An alert is immediate when its severity is at least ``min_severity``, or
    its harassment type is in ``harassment_types``, or its ``kind`` is in
    ``kinds`` (``pile_on``: harassment spiking above the subject's baseline).
    Everything else waits for the digest.
    """

    min_severity: Literal["low", "medium", "high", "critical"] = "critical"
    harassment_types: tuple[
        Literal[
            "threat", "doxxing", "incitement", "sexual_harassment", "identity_attack", "insult"
        ],
        ...,
    ] = ("threat", "doxxing")
    kinds: tuple[str, ...] = ("pile_on",)


class DigestSchedule(Block):
    """When the digest of everything else is sent, in the recipient's local time.

    ``every: hourly`` sends at the top of each hour; ``every: daily`` at
    ``at`` ("HH:MM"). Nothing is sent when nothing is waiting.
    """

    every: Literal["hourly", "daily"] = "daily"
    at: str = "08:00"

    @field_validator("at", mode="before")
    @classmethod
    def _hh_mm(cls, value: Any) -> Any:
        return time_of_day(value)


class QuietHours(Block):
    """A local-time window in which only critical alerts are delivered.

    Everything else (immediate alerts below critical, digests falling due) is
    held and sent as one digest when the window ends. A ``start`` later than
    ``end`` spans midnight (22:00 to 07:00).
    """

    start: str
    end: str

    @field_validator("start", "end", mode="before")
    @classmethod
    def _hh_mm(cls, value: Any) -> Any:
        return time_of_day(value)

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise field_errors(
                "QuietHours",
                [(("end",), "quiet hours must not start and end at the same time", self.end)],
            )
        return self


class Recipient(Block):
    """A person who receives notifications: the subject, or a helper she trusts.

    Attributes:
      name: a short id (lowercase), used in the store and in file names.
      role: ``subject`` (the tracked person) or ``helper`` (someone she
        delegates to: reads alerts for her, handles takedowns).
      subjects: whose alerts this recipient receives; empty means every subject.
      labels: which alert labels they receive.
      channels: where their notifications go.
      full_text: show the abusive text itself instead of a content warning.
      timezone: IANA zone for times in messages, digests and quiet hours;
        defaults to ``notify.timezone``.
      language: the language of the next steps in their messages; defaults
        to the subject's ``safety.language``.
    """

    name: str
    role: Literal["subject", "helper"]
    subjects: tuple[str, ...] = ()
    labels: tuple[Literal["harassment", "re_promotion"], ...] = ("harassment", "re_promotion")
    channels: tuple[ChannelSettings, ...] = Field(min_length=1)
    full_text: bool = False
    timezone: str | None = None
    language: Language | None = None
    immediate: ImmediatePolicy = ImmediatePolicy()
    digest: DigestSchedule = DigestSchedule()
    quiet_hours: QuietHours | None = None

    @field_validator("name")
    @classmethod
    def _simple_name(cls, value: str) -> str:
        if not _SHORT_NAME.fullmatch(value):
            raise ValueError(
                f"recipient name {value!r} must be 1-63 lowercase letters, digits, '-', '_' or '.' "
                "(it is used in file names and in the store)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return time_zone(value)

    @model_validator(mode="after")
    def _unique_channel_names(self) -> Recipient:
        seen: set[str] = set()
        problems = []
        for index, channel in enumerate(self.channels):
            if channel.key in seen:
                message = f"two channels are called {channel.key!r}; give each a distinct 'name'"
                problems.append(
                    (("channels", index, "name" if channel.name else "type"), message, channel.key)
                )
            seen.add(channel.key)
        if problems:
            raise field_errors("Recipient", problems)
        return self


class DeliverySettings(Block):
    """Retries, dead letters and flow control.

    A failing delivery is tried ``max_attempts`` times in all, waiting
    ``backoff_initial_s`` and doubling up to ``backoff_max_s``; then it is kept
    as a notification dead letter and the operator is told. ``max_messages``
    caps the alerts in flight (Pub/Sub flow control); the digest queue is
    checked every ``flush_interval_s``.

    The store, not Pub/Sub, decides what must be delivered: every
    ``reconcile_interval_s`` an alert recorded as published ``reconcile_after_s``
    ago or more that ``notify`` has not received is delivered from the store
    (its id makes a later copy from Pub/Sub harmless). An alert published in
    the last ``reconcile_window_h`` hours and still not delivered to anyone
    (nor waiting in a digest) after ``notice_after_s`` is reported to the
    operator, once.
    """

    max_attempts: int = Field(default=5, ge=1, le=50)
    backoff_initial_s: float = Field(default=2.0, gt=0, le=600)
    backoff_max_s: float = Field(default=60.0, gt=0, le=3600)
    max_messages: int = Field(default=20, ge=1, le=1000)
    flush_interval_s: float = Field(default=30.0, gt=0, le=3600)
    reconcile_interval_s: float = Field(default=10.0, gt=0, le=3600)
    reconcile_after_s: float = Field(default=15.0, ge=0, le=3600)
    reconcile_window_h: float = Field(default=72.0, gt=0, le=24 * 90)
    notice_after_s: float = Field(default=300.0, gt=0, le=7 * 24 * 3600)


class OperatorSettings(Block):
    """Whoever runs mentionwatch: told, without any abusive text, when a notification is dead-lettered."""  # noqa: E501 (docs/config.md shows it)

    channels: tuple[ChannelSettings, ...] = ()


class NotifySettings(Block):
    """``mentionwatch notify``: alerts from Pub/Sub turned into messages people read."""

    timezone: str = "UTC"
    smtp: SmtpServer | None = None
    recipients: tuple[Recipient, ...] = Field(min_length=1)
    operator: OperatorSettings = OperatorSettings()
    delivery: DeliverySettings = DeliverySettings()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return time_zone(value)

    @model_validator(mode="after")
    def _consistent(self) -> NotifySettings:
        problems = []
        seen: set[str] = set()
        for index, recipient in enumerate(self.recipients):
            if recipient.name in seen:
                problems.append(
                    (
                        ("recipients", index, "name"),
                        f"recipient {recipient.name!r} appears twice",
                        recipient.name,
                    )
                )
            seen.add(recipient.name)
        if self.smtp is None:
            places = [
                ("recipients", i, "channels", j)
                for i, r in enumerate(self.recipients)
                for j, c in enumerate(r.channels)
                if c.type == "email"
            ]
            places += [
                ("operator", "channels", j)
                for j, c in enumerate(self.operator.channels)
                if c.type == "email"
            ]
            message = "an email channel needs a 'notify.smtp' block (host, sender, ...)"
            problems += [(loc + ("type",), message, "email") for loc in places]
        if problems:
            raise field_errors("NotifySettings", problems)
        return self

    def timezone_of(self, recipient: Recipient) -> str:
        """The IANA zone for ``recipient``'s messages: her own, else ``notify.timezone``."""
        return recipient.timezone or self.timezone
