"""Who receives what: the config's recipients, each with a reader and channels.

Channels are built from the config once, when ``notify`` starts: secrets are
read from the environment then, so a missing one stops the start
(``ChannelSetupError``) rather than the first delivery.
"""

from __future__ import annotations

import pathlib
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import TextIO

from mentionwatch.config import ChannelSettings, Config, NotifySettings, Recipient
from mentionwatch.notify.alert import IncomingAlert
from mentionwatch.notify.channels import Channel, build_channel
from mentionwatch.notify.notification import Guidance, Helper, Reader
from mentionwatch.notify.routing import receives


class Recipients:
    """The recipients by name, with the reader and the channels of each, and the operator's.

    Args:
      settings: the config's ``notify`` block.
      subjects: every subject name in the config (for "every subject" recipients).
      channels: recipient name → that recipient's channels.
      operator: channels that receive dead-letter notices.
      guidance: the subjects' safety settings and the config's path, for
        the next steps in every message (defaults: none configured).
    """

    def __init__(
        self,
        settings: NotifySettings,
        subjects: Sequence[str],
        channels: Mapping[str, Sequence[Channel]],
        operator: Sequence[Channel] = (),
        guidance: Guidance | None = None,
    ):
        self.by_name: dict[str, Recipient] = {r.name: r for r in settings.recipients}
        self.channels = {name: tuple(channels.get(name, ())) for name in self.by_name}
        self.operator = tuple(operator)
        helpers = tuple(
            Helper(r, zoneinfo.ZoneInfo(settings.timezone_of(r)))
            for r in settings.recipients
            if r.role == "helper"
        )
        self.readers = {
            r.name: Reader(
                r.name,
                r.role,
                r.full_text,
                zoneinfo.ZoneInfo(settings.timezone_of(r)),
                tuple(r.subjects or subjects),
                language=r.language,
                helpers=helpers,
                guidance=guidance or Guidance(),
            )
            for r in settings.recipients
        }

    def of(self, alert: IncomingAlert) -> list[Recipient]:
        """The recipients who receive ``alert`` (``routing.receives``), in config order."""
        return [r for r in self.by_name.values() if receives(r, alert)]

    def close(self) -> None:
        """Closes every recipient's channels, then the operator's."""
        for channel in [c for chans in self.channels.values() for c in chans] + list(self.operator):
            channel.close()


def build_channels(
    settings: NotifySettings,
    *,
    env: Mapping[str, str] | None = None,
    base_dir: pathlib.Path | None = None,
    console: TextIO | None = None,
) -> tuple[dict[str, list[Channel]], list[Channel]]:
    """Every recipient's channels (by name) and the operator's, built from the config.

    Raises:
      ChannelSetupError: a channel's secret is not in the environment.
    """

    def build(spec: ChannelSettings, where: str) -> Channel:
        return build_channel(
            spec, smtp=settings.smtp, where=where, env=env, base_dir=base_dir, console=console
        )

    channels = {
        r.name: [
            build(c, f"notify.recipients[{i}].channels[{j}]") for j, c in enumerate(r.channels)
        ]
        for i, r in enumerate(settings.recipients)
    }
    operator = [
        build(c, f"notify.operator.channels[{j}]") for j, c in enumerate(settings.operator.channels)
    ]
    return channels, operator


def guidance_of(config: Config, path: str | pathlib.Path | None = None) -> Guidance:
    """The next steps' settings from a whole config: every subject's block, and its path."""
    return Guidance(
        subjects={s.name: s for s in config.subjects},
        config_path=str(path) if path is not None else "CONFIG",
    )


def recipients_summary(settings: NotifySettings) -> list[str]:
    """One line per recipient: who, role, channels, schedule (for the CLI's start banner)."""
    lines = []
    for r in settings.recipients:
        quiet = f", quiet {r.quiet_hours.start}-{r.quiet_hours.end}" if r.quiet_hours else ""
        when = "hourly" if r.digest.every == "hourly" else f"daily {r.digest.at}"
        full = ", full text" if r.full_text else ""
        lines.append(
            f"{r.name} ({r.role}{full}): {', '.join(c.key for c in r.channels)}; "
            f"digest {when} {settings.timezone_of(r)}{quiet}"
        )
    return lines
