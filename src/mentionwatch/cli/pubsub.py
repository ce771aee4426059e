"""``mentionwatch pubsub up|emulator|pull|republish``: Pub/Sub resources and the local emulator."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from mentionwatch.cli.common import pubsub_host, require_pubsub, stop_on_signals
from mentionwatch.command import EXIT_FAILED, EXIT_OK, CommandError, load_config_file


def cmd_pubsub_up(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Creates the missing topics and subscriptions; raises (exit 3) when Pub/Sub is unreachable."""
    from mentionwatch.pubsub.admin import PubSubUnavailable, ensure_resources

    loaded = load_config_file(args.config)
    settings = require_pubsub(loaded)
    host = pubsub_host(loaded)
    try:
        created = ensure_resources(settings, host)
    except PubSubUnavailable as exc:
        raise CommandError(str(exc)) from None
    where = f"emulator {host}" if host else f"project {settings.project}"
    for path in created:
        print(f"created {path}")
    print(f"{where}: {len(created)} created, all topics and subscriptions present")
    return EXIT_OK


def cmd_pubsub_emulator(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Runs the emulator with the config's resources until Ctrl-C or SIGTERM (exit 0)."""
    from mentionwatch.pubsub.admin import ensure_resources
    from mentionwatch.pubsub.emulator import EmulatorError, PubSubEmulator

    loaded = load_config_file(args.config)
    settings = require_pubsub(loaded)
    host, port = settings.emulator_host.rsplit(":", 1)
    with stop_on_signals() as stop:
        try:
            # The context stops the emulator's Java child on the way out.
            with PubSubEmulator(host, int(port), project=settings.project) as emulator:
                ensure_resources(settings, emulator.endpoint)
                print(
                    f"Pub/Sub emulator on {emulator.endpoint}, project {settings.project}; "
                    "topics created."
                )
                print(
                    f"In other shells: export PUBSUB_EMULATOR_HOST={emulator.endpoint}   "
                    "(Ctrl-C or SIGTERM stops it)"
                )
                sys.stdout.flush()
                while emulator.running and not stop.wait(0.5):
                    pass
        except EmulatorError as exc:
            raise CommandError(str(exc)) from None
    print("stopped")
    return EXIT_OK


def cmd_pubsub_pull(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Prints the alerts waiting in the alerts subscription, handing them back unless ``--ack``."""
    from mentionwatch.alerts.receive import format_alert, masked, pull_alerts

    loaded = load_config_file(args.config)
    settings = require_pubsub(loaded)
    alerts = pull_alerts(
        settings, pubsub_host(loaded), max_messages=args.max, wait=args.wait, consume=args.ack
    )
    for alert in alerts:
        if args.json:
            print(json.dumps(alert if args.show_text else masked(alert), ensure_ascii=False))
        else:
            print(format_alert(alert, show_text=args.show_text))
    plural = "s" if len(alerts) != 1 else ""
    left = (
        "acknowledged (removed from the subscription)"
        if args.ack
        else "left in the subscription for notify"
    )
    print(f"{len(alerts)} alert{plural} waiting in {settings.subscriptions.alerts}; {left}")
    return EXIT_OK


def _span(seconds: float) -> str:
    """``120`` → ``2 minutes``, ``60`` → ``1 minute``, ``10`` → ``10 s``."""
    minutes, rest = divmod(seconds, 60)
    if rest or not minutes:
        return f"{seconds:g} s"
    return f"{minutes:g} minute{'s' if minutes != 1 else ''}"


def cmd_pubsub_republish(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Publishes the alerts still pending in the store; exit 1 when some could not be sent."""
    from mentionwatch.pubsub.publish import AlertPublisher
    from mentionwatch.store import HistoryStore

    loaded = load_config_file(args.config)
    settings = require_pubsub(loaded)
    from mentionwatch.store.alerts import PENDING_GRACE_S

    grace = PENDING_GRACE_S if args.grace is None else args.grace
    store = HistoryStore(loaded.config.store.target())
    pending = store.pending_alerts(pending_grace_s=grace)
    # Pending for less than the grace period: a live monitor may be sending them.
    recent = len(store.pending_alerts(pending_grace_s=0)) - len(pending)
    later = (
        f"; {recent} pending for less than {_span(grace)} left to the monitor sending them "
        "(run again later)"
        if recent
        else ""
    )
    if not pending:
        print(f"no alerts to republish{later}")
        return EXIT_OK
    publisher = AlertPublisher(settings.topic_path(settings.topics.alerts), pubsub_host(loaded))
    sent, failed = publisher.publish(pending)
    publisher.close()
    store.mark_published(sent)
    store.mark_failed(failed)
    print(f"republished {len(sent)} alert(s); {len(failed)} still pending{later}")
    return EXIT_OK if not failed else EXIT_FAILED


def register(commands: argparse._SubParsersAction) -> None:
    """Adds ``pubsub`` and its actions ``up``, ``emulator``, ``pull`` and ``republish``."""
    pubsub = commands.add_parser("pubsub", help="Pub/Sub resources and the local emulator")
    actions = pubsub.add_subparsers(dest="pubsub_command", required=True, metavar="ACTION")
    p = actions.add_parser("up", help="create missing topics and subscriptions (emulator or GCP)")
    p.add_argument("config")
    p.set_defaults(func=cmd_pubsub_up)
    p = actions.add_parser(
        "emulator", help="run the Pub/Sub emulator with the config's resources until Ctrl-C"
    )
    p.add_argument("config")
    p.set_defaults(func=cmd_pubsub_emulator)
    p = actions.add_parser(
        "pull",
        help="look at alerts waiting in the alerts subscription, without taking them from notify "
        "(text masked)",
        description="Shows the alerts waiting in the alerts subscription (those notify has not "
        "taken yet) and hands every one back, so notify still delivers it. The text is hidden "
        "unless --show-text, in --json too. Where each alert stands on its way to a person: "
        "mentionwatch alerts status CONFIG.",
    )
    p.add_argument("config")
    p.add_argument("--max", type=int, default=100)
    p.add_argument("--wait", type=float, default=5.0, help="seconds to wait for the first message")
    p.add_argument(
        "--json",
        action="store_true",
        help="print each alert as JSON (title and excerpt masked unless --show-text)",
    )
    p.add_argument(
        "--show-text",
        action="store_true",
        help="show titles and excerpts even when they carry a content warning",
    )
    p.add_argument(
        "--ack",
        action="store_true",
        help="acknowledge what was pulled: notify will NOT receive it (the store still has it)",
    )
    p.set_defaults(func=cmd_pubsub_pull)
    p = actions.add_parser("republish", help="publish alerts still pending in the store (same ids)")
    p.add_argument("config")
    p.add_argument(
        "--grace",
        type=float,
        default=None,
        metavar="SECONDS",
        help="how long an alert must have been pending before it counts as left behind by a "
        "monitor that died (default 120, store.alerts.PENDING_GRACE_S; a running monitor may "
        "still be sending a younger one, and subscribers fold a copy by alert_id)",
    )
    p.set_defaults(func=cmd_pubsub_republish)
