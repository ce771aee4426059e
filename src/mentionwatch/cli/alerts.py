"""``mentionwatch alerts status``: where each alert stands on its way to a person.

The states come from ``mentionwatch.notify.delivery``; the alert text is never
shown.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Sequence

from mentionwatch.cli.common import (
    open_existing_store,
    parse_time_option,
    split_values,
    store_url,
)
from mentionwatch.command import EXIT_OK
from mentionwatch.timeutil import iso_z


def _alert_json(alert) -> str:
    """One alert and its deliveries as a JSON line (no text)."""
    return json.dumps(
        {
            "alert_id": alert.alert_id,
            "subject": alert.subject,
            "label": alert.label,
            "harassment_type": alert.harassment_type,
            "severity": alert.severity,
            "state": alert.state,
            "created_at": iso_z(alert.created_at, "auto"),
            "published_at": iso_z(alert.published_at, "auto"),
            "received_via": alert.received_via,
            "deliveries": [
                {
                    "recipient": d.recipient,
                    "channel": d.channel,
                    "status": d.status,
                    "at": iso_z(d.at, "auto"),
                    "digest": d.via_digest,
                }
                for d in alert.deliveries
            ],
        }
    )


def cmd_alerts_status(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Prints the alerts not delivered yet (all with ``--all``) as a table or JSON lines."""
    from mentionwatch.notify import delivery

    url, _loaded = store_url(args, args.config)
    now = dt.datetime.now(dt.UTC)
    since = parse_time_option(args.since, "since", now)
    store = open_existing_store(url)
    try:
        with store.engine.connect() as connection:
            alerts = delivery.alert_deliveries(
                connection, since=since, subjects=split_values(args.subject) or None
            )
    finally:
        store.close()
    counts = dict.fromkeys(delivery.STATES, 0)
    for alert in alerts:
        counts[alert.state] += 1
    shown = alerts if args.all else [a for a in alerts if a.state not in ("delivered", "local")]
    if args.json:
        for alert in shown:
            print(_alert_json(alert))
        return EXIT_OK
    window = f"since {since:%Y-%m-%d %H:%M} UTC" if since else "all time"
    print(
        f"{len(alerts)} alert(s), {window}: "
        + ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    )
    if not shown:
        print("every alert was delivered" if alerts else "no alerts")
        return EXIT_OK
    print(
        f"{'created (UTC)':<17} {'alert':<27} {'severity':<8} {'what':<30} {'subject':<20} "
        "where it is"
    )
    for alert in shown:
        what = alert.label + (f"/{alert.harassment_type}" if alert.harassment_type else "")
        print(
            f"{alert.created_at:%Y-%m-%d %H:%M} {alert.alert_id:<27} {alert.severity:<8} "
            f"{what:<30} {alert.subject[:20]:<20} {alert.summary()}"
        )
    undelivered = sum(counts[s] for s in delivery.UNDELIVERED)
    if undelivered:
        print(
            f"{undelivered} alert(s) not delivered yet: a running notify (or watch) delivers "
            "published ones from the store; failed ones: mentionwatch notify CONFIG "
            "--retry-dead-letters"
        )
    return EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Adds ``alerts`` and its action ``status``."""
    alerts = commands.add_parser(
        "alerts", help="alerts on their way to people: delivered, waiting, failed"
    )
    actions = alerts.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    p = actions.add_parser(
        "status",
        help="where each alert stands: published, delivered to whom and how, queued for a "
        "digest, failed",
        description="Lists the alerts not delivered yet (all of them with --all), with every "
        "recipient's channel and its state, from the history store. Never shows the alert text.",
    )
    p.add_argument("config")
    p.add_argument("--store", help="a store URL instead of the config's")
    p.add_argument(
        "--since", default="7d", help="alerts decided from this time (default 7d; or an ISO date)"
    )
    p.add_argument("--subject", action="append", help="only these subjects")
    p.add_argument("--all", action="store_true", help="list delivered alerts too")
    p.add_argument("--json", action="store_true", help="one JSON object per alert")
    p.set_defaults(func=cmd_alerts_status)
