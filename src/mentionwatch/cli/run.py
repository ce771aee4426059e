"""The commands that run jobs: ``scan``, ``ingest``, ``monitor``, ``watch``, ``demo``, ``notify``.

Each handler loads the config, checks what the job needs (Pub/Sub, the model,
the store) and hands over to the job's module, imported only when the command
runs so ``mentionwatch --help`` stays quick. Extra arguments of the Beam jobs
are Beam pipeline options.
"""

from __future__ import annotations

import argparse
import os
import socket
from collections.abc import Sequence

from mentionwatch.cli.common import pubsub_host, require_pubsub, stop_on_signals
from mentionwatch.command import (
    EXIT_CONFIG,
    EXIT_ENV,
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    load_config_file,
)
from mentionwatch.config import LoadedConfig


def cmd_scan(args: argparse.Namespace, beam_args: Sequence[str]) -> int:
    """Runs one batch scan and prints its summary; raises when the job cannot start."""
    from mentionwatch.jobs.preflight import PreflightError, preflight, runner_from_args
    from mentionwatch.jobs.scan import run_scan

    loaded = load_config_file(args.config)
    if args.input and not os.path.isfile(args.input):
        raise CommandError(f"--input {args.input}: file not found", EXIT_CONFIG)
    host = pubsub_host(loaded)
    try:
        preflight(loaded, host, runner=runner_from_args(beam_args))
    except PreflightError as exc:
        raise CommandError(str(exc)) from None
    summary = run_scan(
        loaded,
        input_path=args.input,
        output_path=args.output,
        beam_args=list(beam_args),
        emulator_host=host,
    )
    print(f"mentionwatch scan {args.config}")
    for line in summary.lines():
        print("  " + line)
    if args.output:
        print(f"  results         {args.output}")
    return EXIT_OK


def cmd_ingest(args: argparse.Namespace, beam_args: Sequence[str]) -> int:
    """Polls every source once onto the items topic; raises when Pub/Sub is unreachable."""
    from mentionwatch.jobs.launch import is_remote, launch_command

    if is_remote(beam_args):  # Dataflow: build, submit, exit (jobs.launch)
        return launch_command(args.config, "ingest", beam_args)
    from mentionwatch.jobs.ingest import run_ingest
    from mentionwatch.jobs.preflight import PreflightError, check_store_for_runner, runner_from_args
    from mentionwatch.pubsub.admin import PubSubUnavailable, check_reachable

    loaded = load_config_file(args.config)
    settings = require_pubsub(loaded)
    host = pubsub_host(loaded)
    try:
        check_store_for_runner(loaded, runner_from_args(beam_args))
    except PreflightError as exc:
        raise CommandError(str(exc), EXIT_CONFIG) from None
    try:
        check_reachable(settings, host)
    except PubSubUnavailable as exc:
        raise CommandError(str(exc)) from None
    summary = run_ingest(loaded, emulator_host=host, beam_args=beam_args)
    print(f"mentionwatch ingest {args.config}: {summary.line()}")
    if summary.dead_letters:
        print(
            "  dead letters: "
            + ", ".join(f"{k} {v}" for k, v in sorted(summary.dead_letters.items()))
        )
    return EXIT_OK


def cmd_monitor(args: argparse.Namespace, beam_args: Sequence[str]) -> int:
    """Runs the streaming monitor until Ctrl-C (exit 0) or until it breaks (exit 1)."""
    from mentionwatch.jobs.launch import is_remote, launch_command

    if is_remote(beam_args):  # Dataflow: build, submit, exit (jobs.launch)
        return launch_command(args.config, "monitor", beam_args)
    from mentionwatch.jobs.monitor import run_monitor
    from mentionwatch.jobs.preflight import PreflightError, preflight, runner_from_args

    loaded = load_config_file(args.config)
    require_pubsub(loaded)
    host = pubsub_host(loaded)
    try:
        preflight(loaded, host, runner=runner_from_args(beam_args))
    except PreflightError as exc:
        raise CommandError(str(exc)) from None
    from mentionwatch.jobs.watch import republish_pending
    from mentionwatch.store import HistoryStore

    store = HistoryStore(loaded.config.store.target())
    sent, waiting = republish_pending(loaded, host, store)  # what a previous run left pending
    store.close()
    if sent or waiting:
        print(f"republished {sent} pending alert(s); {waiting} still pending")
    result = run_monitor(loaded, emulator_host=host, beam_args=beam_args)
    print(
        f"monitor running on {loaded.config.pubsub.subscriptions.items} (Ctrl-C stops)", flush=True
    )
    try:
        result.wait_until_finish()
    except KeyboardInterrupt:
        result.cancel()
        print("monitor stopped")
        return EXIT_OK
    # A streaming job only finishes when something broke (e.g. Pub/Sub went away).
    raise CommandError(f"the monitor stopped: {result.state}", EXIT_FAILED)


def _say_if_emulator_unreachable(loaded: LoadedConfig, interval: float) -> None:
    """Before anything heavy is imported: an emulator that refuses connections is said at once."""
    settings = loaded.config.pubsub
    host = os.environ.get("PUBSUB_EMULATOR_HOST") or (
        settings.emulator_host if settings.emulator else None
    )
    if not host or ":" not in host:
        return
    name, port = host.rsplit(":", 1)
    try:
        socket.create_connection((name, int(port)), timeout=1.0).close()
    except (OSError, ValueError):
        print(
            f"Pub/Sub unreachable at the emulator at {host}, retrying every {interval:g} s"
            " (alerts wait in the store)",
            flush=True,
        )


def cmd_watch(args: argparse.Namespace, beam_args: Sequence[str]) -> int:
    """Runs ingest, the monitor and delivery until Ctrl-C; returns the watch's exit status."""
    loaded = load_config_file(args.config)
    require_pubsub(loaded)
    if not args.emulator:
        _say_if_emulator_unreachable(loaded, args.interval or loaded.config.ingest.poll_interval_s)

    from mentionwatch.jobs.watch import run_watch
    from mentionwatch.pubsub.emulator import EmulatorError

    try:
        return run_watch(
            loaded,
            start_emulator=args.emulator,
            interval=args.interval,
            beam_args=beam_args,
            deliver=not args.no_notify,
        )
    except EmulatorError as exc:
        raise CommandError(str(exc)) from None


def cmd_demo(args: argparse.Namespace, beam_args: Sequence[str]) -> int:
    """Runs the demo (``mentionwatch.jobs.demo``) and returns its exit status."""
    from mentionwatch.jobs.demo import run_demo

    return run_demo(load_config_file(args.config), out_dir=args.out, beam_args=list(beam_args))


def cmd_notify(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Delivers alerts from the alerts subscription to the config's recipients.

    Returns 1 when ``--once`` dead-lettered a notification; a missing block
    raises (exit 2), a channel that cannot be set up or an unreachable
    Pub/Sub or store raises (exit 3).
    """
    from mentionwatch.notify.channels import ChannelSetupError
    from mentionwatch.notify.recipients import recipients_summary
    from mentionwatch.notify.run import NotifyConfigMissing, run_notify
    from mentionwatch.pubsub.admin import PubSubUnavailable
    from mentionwatch.store import StoreUnavailable

    loaded = load_config_file(args.config)
    if loaded.config.notify is None or loaded.config.pubsub is None:
        block = "notify" if loaded.config.notify is None else "pubsub"
        raise CommandError(
            f"{loaded.path}: has no '{block}' block; notify needs both 'pubsub' and 'notify' "
            "(docs/alerts.md)",
            EXIT_CONFIG,
        )
    with stop_on_signals() as stop:
        host = pubsub_host(loaded)
        print(
            f"mentionwatch notify {args.config}"
            + (" (once)" if args.once else " (Ctrl-C or SIGTERM stops)"),
            flush=True,
        )
        for line in recipients_summary(loaded.config.notify):
            print("  " + line, flush=True)
        try:
            report = run_notify(
                loaded,
                host,
                once=args.once,
                flush_all=args.flush_digests,
                retry_dead_letters=args.retry_dead_letters,
                stop=stop,
                wait=args.wait,
                idle=args.idle,
                on_delivered=lambda line: print("  " + line, flush=True),
            )
        except (NotifyConfigMissing, ChannelSetupError) as exc:
            raise CommandError(
                str(exc), EXIT_CONFIG if isinstance(exc, NotifyConfigMissing) else EXIT_ENV
            ) from None
        except (PubSubUnavailable, StoreUnavailable) as exc:
            raise CommandError(str(exc)) from None
    for line in report.lines():
        print("  " + line)
    if stop.is_set():
        print("  stopped; anything not delivered stays in Pub/Sub or the digest queue")
    return EXIT_FAILED if args.once and report.dead_lettered else EXIT_OK


def register(commands: argparse._SubParsersAction) -> None:
    """Adds ``scan``, ``ingest``, ``monitor``, ``watch``, ``demo`` and ``notify``."""
    p = commands.add_parser(
        "scan",
        help="one batch run: feeds (or --input) to mentions, history and alerts",
        description="Polls the config's sources once (or reads --input), finds mentions of each "
        "subject, classifies them, stores every mention in the history store and publishes "
        "alerts to Pub/Sub (or keeps them in the store as local-only when the config has no "
        "'pubsub' block); prints a summary with the dead letters. It does not deliver alerts to "
        "people: 'notify' or 'watch' does. Extra arguments are Beam pipeline options, e.g. "
        "--direct_running_mode=multi_processing --direct_num_workers=2",
    )
    p.add_argument("config", help="the YAML config file")
    p.add_argument(
        "--input", help="JSON-lines items ({id, text, ...}) instead of the config's feeds"
    )
    p.add_argument("--output", help="write one JSON line per item with its mentions")
    p.set_defaults(func=cmd_scan, beam=True)

    p = commands.add_parser("ingest", help="one poll of every source: new items to the items topic")
    p.add_argument("config")
    p.set_defaults(func=cmd_ingest, beam=True)

    p = commands.add_parser(
        "monitor", help="the streaming job: items topic to mentions, history and alerts"
    )
    p.add_argument("config")
    p.set_defaults(func=cmd_monitor, beam=True)

    _register_watch(commands)

    p = commands.add_parser("demo", help="the demo: emulator, scan, alerts received back, summary")
    p.add_argument("config", nargs="?", default="configs/demo.yaml")
    p.add_argument(
        "--out", default="demo-out", help="folder for the demo's store and results (recreated)"
    )
    p.set_defaults(func=cmd_demo, beam=True)

    _register_notify(commands)


def _register_watch(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "watch",
        help="run everything until Ctrl-C: poll sources, monitor, deliver alerts; one status "
        "line per poll",
        description="The event-driven system in one command: every N seconds the sources are "
        "polled (ingest), the streaming monitor (a child process) classifies new items and "
        "publishes alerts, and, when the config has a 'notify' block, delivery runs here too. "
        "Ctrl-C stops everything and says what was still pending.",
    )
    p.add_argument("config")
    p.add_argument(
        "--emulator",
        action="store_true",
        help="start the Pub/Sub emulator too (on pubsub.emulator_host)",
    )
    p.add_argument(
        "--no-notify",
        action="store_true",
        help="do not deliver alerts here (a separate 'mentionwatch notify' does)",
    )
    p.add_argument(
        "--interval", type=float, help="seconds between polls (default: ingest.poll_interval_s)"
    )
    p.set_defaults(func=cmd_watch, beam=True)


def _register_notify(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "notify",
        help="deliver alerts to people: immediate, digest, quiet hours; email, webhooks (text "
        "masked)",
        description="Reads the alerts subscription (streaming pull) and notifies the recipients "
        "in the config's 'notify' block. Runs until Ctrl-C/SIGTERM, or with --once drains and "
        "exits.",
    )
    p.add_argument("config")
    p.add_argument(
        "--once", action="store_true", help="drain the subscription, send due digests, exit"
    )
    p.add_argument(
        "--flush-digests",
        action="store_true",
        help="with --once: send every queued digest now, not only due ones",
    )
    p.add_argument(
        "--retry-dead-letters",
        action="store_true",
        help="first try every open notification dead letter again",
    )
    p.add_argument(
        "--wait", type=float, default=10.0, help="with --once: seconds to wait for the first alert"
    )
    p.add_argument(
        "--idle",
        type=float,
        default=2.0,
        help="with --once: stop after this many seconds without an alert",
    )
    p.set_defaults(func=cmd_notify)
