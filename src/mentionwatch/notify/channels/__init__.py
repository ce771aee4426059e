"""Notification channels behind one interface (``base.Channel``), and the factory for them.

``build_channel`` makes the channel a config entry describes.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Mapping
from typing import TextIO

from mentionwatch.config import ChannelSettings, SmtpServer
from mentionwatch.notify.channels.base import (
    Channel,
    ChannelSetupError,
    DeliveryError,
    DeliveryReceipt,
    PermanentDeliveryError,
    TransientDeliveryError,
)
from mentionwatch.secretref import SecretUnavailable, is_reference, resolver

__all__ = [
    "Channel",
    "ChannelSetupError",
    "DeliveryError",
    "DeliveryReceipt",
    "PermanentDeliveryError",
    "TransientDeliveryError",
    "build_channel",
]


def _secret(env: Mapping[str, str], name: str, what: str, where: str) -> str:
    if is_reference(name):  # secret://…: read from Secret Manager now, never logged
        try:
            value = resolver().resolve(name)
        except (SecretUnavailable, ValueError) as exc:
            raise ChannelSetupError(f"{where}: {what}: {exc}") from None
        if not value:
            raise ChannelSetupError(f"{where}: the secret {name} ({what}) is empty")
        return value
    value = env.get(name)
    if not value:
        raise ChannelSetupError(f"{where}: the environment variable {name} ({what}) is not set")
    return value


def build_channel(
    spec: ChannelSettings,
    *,
    smtp: SmtpServer | None,
    where: str,
    env: Mapping[str, str] | None = None,
    base_dir: pathlib.Path | None = None,
    console: TextIO | None = None,
) -> Channel:
    """The channel ``spec`` describes, with its secrets read from ``env`` now.

    Args:
      spec: the channel's config entry.
      smtp: the config's ``notify.smtp`` block (email channels need it).
      where: the channel's place in the config, for error messages.
      env: where secrets are read from (default: the process environment).
      base_dir: relative ``file`` directories resolve against it (default: the working directory).
      console: the stream the console channel writes to (default: stdout).

    Raises:
      ChannelSetupError: a secret's environment variable is unset.
    """
    env = os.environ if env is None else env
    if spec.type == "console":
        from mentionwatch.notify.channels.console import ConsoleChannel

        return ConsoleChannel(spec.key, console)
    if spec.type == "file":
        from mentionwatch.notify.channels.file import FileChannel

        directory = pathlib.Path(spec.directory).expanduser()
        if not directory.is_absolute():
            directory = (base_dir or pathlib.Path.cwd()) / directory
        return FileChannel(spec.key, directory)
    if spec.type == "email":
        from mentionwatch.notify.channels.smtp import SmtpChannel

        if smtp is None:  # the config validator already refuses this
            raise ChannelSetupError(f"{where}: an email channel needs a notify.smtp block")
        username = password = None
        if smtp.username_env:
            username = _secret(env, smtp.username_env, "SMTP user name", "notify.smtp.username_env")
            password = _secret(env, smtp.password_env, "SMTP password", "notify.smtp.password_env")
        return SmtpChannel(
            spec.key, smtp, spec.to, html=spec.html, username=username, password=password
        )
    if spec.type == "webhook":
        from mentionwatch.notify.channels.webhook import WebhookChannel

        secret = (
            _secret(env, spec.secret_env, "webhook signing key", f"{where}.secret_env").encode()
            if spec.secret_env
            else None
        )
        url = spec.url or _secret(env, spec.url_env, "webhook URL", f"{where}.url_env")
        return WebhookChannel(spec.key, url, fmt=spec.format, secret=secret, timeout=spec.timeout_s)
    raise ChannelSetupError(f"{where}: unknown channel type {spec.type!r}")
