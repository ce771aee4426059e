"""Telling her helper, once, that a sent request is past its deadline.

A request is overdue when it was sent, is still open (``sent`` or
``acknowledged``) and its clock (``rules.clock_of``) has passed its
deadline. ``notify_overdue`` renders one calm notice per helper (a
recipient with ``role: helper`` in the config's ``notify:`` block who
receives alerts about the request's subject) and sends it through the
helper's own channels (``notify.channels.build_channel``). The notice names
the host only, never a full link or any of the content, and says which
commands to run. Once a helper's channel took it, the request records the
notice and is not announced again until it is sent anew.
"""

from __future__ import annotations

import datetime as dt
import html
import pathlib
import zoneinfo
from collections.abc import Mapping
from typing import Any, TextIO

from mentionwatch.config.notify import Recipient
from mentionwatch.config.root import Config
from mentionwatch.notify.channels import ChannelSetupError, DeliveryError, build_channel
from mentionwatch.notify.notification import Notification
from mentionwatch.store.db import HistoryStore
from mentionwatch.takedown.rules import TITLES, Clock, describe_span
from mentionwatch.timeutil import iso_z, parse_time


def helpers_for(config: Config, subject: str) -> list[Recipient]:
    """The helpers (``role: helper``) in the config's ``notify:`` block who help ``subject``."""
    if config.notify is None:
        return []
    return [
        r
        for r in config.notify.recipients
        if r.role == "helper" and (not r.subjects or subject in r.subjects)
    ]


def _local(moment: dt.datetime, zone: zoneinfo.ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


def render_overdue(
    request: Mapping[str, Any],
    clock: Clock,
    now: dt.datetime,
    recipient: str,
    zone: zoneinfo.ZoneInfo,
) -> Notification:
    """The notice to ``recipient`` that ``request`` is past its deadline (host only, no content)."""
    sent = parse_time(request["sent_at"])
    due = clock.due_at or now
    links = len(request["urls"])
    kind = TITLES[request["kind"]]
    rid = request["request_id"]
    lines = [
        f"Hello {recipient},",
        "",
        (
            f"The {kind} about {request['subject']} that was sent on {_local(sent, zone)} to "
            f"{request['host']} ({links} link{'s' if links != 1 else ''}) has no answer recorded "
            f"yet. Its deadline was {_local(due, zone)} ({request['deadline_rule']}); that was "
            f"{describe_span(now - due)} ago."
        ),
        "",
        "Nothing here needs to happen in a hurry. When you have a moment:",
        "- see where every request stands: mentionwatch takedown status CONFIG",
        (
            "- if the platform answered, record it: "
            f"mentionwatch takedown mark CONFIG {rid} --status acknowledged (or removed, refused)"
        ),
        (
            "- otherwise follow up with the platform, or send the request again and record it: "
            f"mentionwatch takedown mark CONFIG {rid} --status sent"
        ),
        "",
        f"Request {rid}; alerts {', '.join(request['alert_ids'])}.",
        "This is not legal advice; docs/takedown.md explains the deadlines.",
    ]
    text = "\n".join(lines) + "\n"
    body = "".join(f"<p>{html.escape(line)}</p>" if line else "" for line in lines)
    return Notification(
        id=f"{rid}-overdue-{iso_z(sent)}",
        kind="takedown",
        recipient=recipient,
        severity="medium",
        title=f"A takedown request to {request['host']} is past its deadline",
        text=text,
        html=f"<html><body>{body}</body></html>",
        created_at=iso_z(now) or "",
    )


def notify_overdue(
    store: HistoryStore,
    config: Config,
    request: Mapping[str, Any],
    clock: Clock,
    *,
    now: dt.datetime,
    base_dir: pathlib.Path | None = None,
    env: Mapping[str, str] | None = None,
    console: TextIO | None = None,
) -> str:
    """Tells each helper of the request's subject that it is overdue; returns what happened.

    Nothing is sent when the request is not overdue or its helpers were
    already told. Channels that fail are named in the returned line; the
    notice is recorded once any channel took it.
    """
    if not clock.overdue or request.get("overdue_noticed_at") is not None:
        return ""
    helpers = helpers_for(config, request["subject"])
    if not helpers:
        return "no helper to tell: add a recipient with role: helper to the notify block"
    told, failed = [], []
    for helper in helpers:
        zone = zoneinfo.ZoneInfo(config.notify.timezone_of(helper))
        notice = render_overdue(request, clock, now, helper.name, zone)
        for index, spec in enumerate(helper.channels):
            where = f"notify.recipients[{helper.name}].channels[{index}]"
            try:
                channel = build_channel(
                    spec,
                    smtp=config.notify.smtp,
                    where=where,
                    env=env,
                    base_dir=base_dir,
                    console=console,
                )
                try:
                    channel.send(notice)
                finally:
                    channel.close()
            except (ChannelSetupError, DeliveryError) as exc:
                failed.append(f"{helper.name}/{spec.key}: {exc}")
                continue
            told.append(f"{helper.name}/{spec.key}")
    if told:
        store.mark_takedown_noticed(request["request_id"], now, "told " + ", ".join(told))
    parts = [f"helper told ({', '.join(told)})"] if told else []
    parts += [f"could not tell {f}" for f in failed]
    return "; ".join(parts)
