"""The ``mentionwatch`` command.

Exit codes: 0 success; 1 the job failed while running; 2 the config (or the
command line) is invalid; 3 the environment cannot run the job (model, store
or Pub/Sub unavailable), with a message saying what to do.
"""

from __future__ import annotations

import argparse
import collections
import json
import logging
import os
import sys
from collections.abc import Sequence

from mentionwatch import __version__
from mentionwatch.command import (
    EXIT_CONFIG,
    EXIT_ENV,
    EXIT_FAILED,
    EXIT_OK,
    CommandError,
    load_config_file,
)
from mentionwatch.config import LoadedConfig

# --------------------------------------------------------------------------- commands


def cmd_validate(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    loaded = load_config_file(args.config)
    cfg = loaded.config
    kinds = collections.Counter(kind for kind, _index, _block in cfg.sources.polled())
    if cfg.sources.jetstream is not None:
        kinds["jetstream"] += 1
    total = sum(kinds.values())
    sources = f"{total} source{'s' if total != 1 else ''}" + (
        f" ({', '.join(f'{kind} {n}' for kind, n in kinds.items())})" if kinds else ""
    )
    print(
        f"{args.config}: ok ({len(cfg.subjects)} subject{'s' if len(cfg.subjects) != 1 else ''}, {sources}, "
        f"pubsub {'on' if cfg.pubsub else 'off'}, store {cfg.store.url.split(':', 1)[0]})"
    )
    return EXIT_OK


def _pubsub_host(loaded: LoadedConfig) -> str | None:
    from mentionwatch.pubsub.admin import emulator_host

    return emulator_host(loaded.config.pubsub) if loaded.config.pubsub else None


def cmd_scan(args: argparse.Namespace, beam_args: Sequence[str]) -> int:
    from mentionwatch.scan import PreflightError, preflight, run_scan

    loaded = load_config_file(args.config)
    if args.input and not os.path.isfile(args.input):
        raise CommandError(f"--input {args.input}: file not found", EXIT_CONFIG)
    host = _pubsub_host(loaded)
    try:
        preflight(loaded, host)
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
    from mentionwatch.ingest import run_ingest
    from mentionwatch.pubsub.admin import PubSubUnavailable, check_reachable

    loaded = load_config_file(args.config)
    settings = _require_pubsub(loaded)
    host = _pubsub_host(loaded)
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
    from mentionwatch.monitor import run_monitor
    from mentionwatch.scan import PreflightError, preflight

    loaded = load_config_file(args.config)
    _require_pubsub(loaded)
    host = _pubsub_host(loaded)
    try:
        preflight(loaded, host)
    except PreflightError as exc:
        raise CommandError(str(exc)) from None
    from mentionwatch.store import HistoryStore
    from mentionwatch.watch import republish_pending

    store = HistoryStore(loaded.config.store.url)
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
    import os
    import socket

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
    loaded = load_config_file(args.config)
    _require_pubsub(loaded)
    if not args.emulator:
        _say_if_emulator_unreachable(loaded, args.interval or loaded.config.ingest.poll_interval_s)

    from mentionwatch.pubsub.emulator import EmulatorError
    from mentionwatch.watch import run_watch

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


def _require_pubsub(loaded: LoadedConfig):
    if loaded.config.pubsub is None:
        raise CommandError(
            f"{loaded.path}: has no 'pubsub' block; add one to use Pub/Sub", EXIT_CONFIG
        )
    return loaded.config.pubsub


def cmd_pubsub_up(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    from mentionwatch.pubsub.admin import PubSubUnavailable, ensure_resources

    loaded = load_config_file(args.config)
    settings = _require_pubsub(loaded)
    host = _pubsub_host(loaded)
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
    import signal
    import threading

    from mentionwatch.pubsub.admin import ensure_resources
    from mentionwatch.pubsub.emulator import EmulatorError, PubSubEmulator

    loaded = load_config_file(args.config)
    settings = _require_pubsub(loaded)
    host, port = settings.emulator_host.rsplit(":", 1)
    stop = threading.Event()
    previous = {
        signum: signal.signal(signum, lambda *_: stop.set())
        for signum in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        with PubSubEmulator(
            host, int(port), project=settings.project
        ) as emulator:  # stops its Java child on exit
            ensure_resources(settings, emulator.endpoint)
            print(
                f"Pub/Sub emulator on {emulator.endpoint}, project {settings.project}; topics created."
            )
            print(
                f"In other shells: export PUBSUB_EMULATOR_HOST={emulator.endpoint}   (Ctrl-C or SIGTERM stops it)"
            )
            sys.stdout.flush()
            while emulator.running and not stop.wait(0.5):
                pass
    except EmulatorError as exc:
        raise CommandError(str(exc)) from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print("stopped")
    return EXIT_OK


def cmd_pubsub_pull(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    from mentionwatch.alerts.receive import format_alert, masked, pull_alerts

    loaded = load_config_file(args.config)
    settings = _require_pubsub(loaded)
    alerts = pull_alerts(
        settings, _pubsub_host(loaded), max_messages=args.max, wait=args.wait, consume=args.ack
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


def cmd_pubsub_republish(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    from mentionwatch.pubsub.publish import AlertPublisher
    from mentionwatch.store import HistoryStore

    loaded = load_config_file(args.config)
    settings = _require_pubsub(loaded)
    store = HistoryStore(loaded.config.store.url)
    pending = store.pending_alerts()
    recent = len(store.pending_alerts(pending_grace_s=0)) - len(
        pending
    )  # pending ones a live monitor may be sending
    later = (
        f"; {recent} pending for less than 2 minutes left to the monitor sending them (run again later)"
        if recent
        else ""
    )
    if not pending:
        print(f"no alerts to republish{later}")
        return EXIT_OK
    publisher = AlertPublisher(settings.topic_path(settings.topics.alerts), _pubsub_host(loaded))
    sent, failed = publisher.publish(pending)
    publisher.close()
    store.mark_published(sent)
    store.mark_failed(failed)
    print(f"republished {len(sent)} alert(s); {len(failed)} still pending{later}")
    return EXIT_OK if not failed else EXIT_FAILED


def cmd_demo(args: argparse.Namespace, beam_args: Sequence[str]) -> int:
    from mentionwatch.demo import run_demo

    return run_demo(load_config_file(args.config), out_dir=args.out, beam_args=list(beam_args))


def cmd_notify(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Delivers alerts from the alerts subscription to the config's recipients (see mentionwatch.notify)."""
    import signal
    import threading

    from mentionwatch.notify.channels import ChannelSetupError
    from mentionwatch.notify.service import recipients_summary
    from mentionwatch.notify.subscriber import NotifyConfigMissing, run_notify
    from mentionwatch.pubsub.admin import PubSubUnavailable
    from mentionwatch.store import StoreUnavailable

    loaded = load_config_file(args.config)
    if loaded.config.notify is None or loaded.config.pubsub is None:
        block = "notify" if loaded.config.notify is None else "pubsub"
        raise CommandError(
            f"{loaded.path}: has no '{block}' block; notify needs both 'pubsub' and 'notify' (docs/alerts.md)",
            EXIT_CONFIG,
        )
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    host = _pubsub_host(loaded)
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
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    for line in report.lines():
        print("  " + line)
    if stop.is_set():
        print("  stopped; anything not delivered stays in Pub/Sub or the digest queue")
    return EXIT_FAILED if args.once and report.dead_lettered else EXIT_OK


def cmd_config_schema(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    from mentionwatch.configdoc import json_schema, reference_markdown

    if args.config_command == "schema":
        print(json.dumps(json_schema(), indent=2, ensure_ascii=False))
    else:
        print(reference_markdown(), end="")
    return EXIT_OK


def cmd_subjects_explain(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Every name form the matcher generates for each subject, how it was derived,
    and the terms that steer disambiguation (see docs/matching.md)."""
    from mentionwatch.matching.matcher import title_phrases
    from mentionwatch.matching.scripts import script_variants
    from mentionwatch.matching.variants import generate, words_of
    from mentionwatch.subjects import from_config

    loaded = load_config_file(args.config)
    strength_note = {
        "full": "matches unless the item shows another person",
        "initials": "a configured one matches as written; a generated one needs one tie to her",
        "misspelling": "matches unless the item shows another person",
        "inverted": "with a comma; otherwise needs a tie",
        "partial": "needs context (a context term, or cue words and more)",
    }
    for subject in from_config(loaded.config.subjects, loaded.config.sources):
        forms = generate(subject)
        print(f"{subject.name}  ({len(forms)} name forms)")
        for variant in forms:
            print(
                f"  {variant.kind:<12} {variant.text:<28} {variant.derived}; {strength_note[variant.strength]}"
            )
        for variant in script_variants(subject):
            print(f"  {variant.kind:<12} {variant.text:<28} {variant.derived}")
        for source in subject.about_sources:
            print(
                f"  {'source':<12} {source:<28} about her: her surname or first name alone is a mention there"
            )
        for phrase in subject.context:
            print(
                f"  {'context':<12} {' '.join(words_of(phrase)):<28} raises the score of every form"
            )
        for words in title_phrases(subject):
            print(
                f"  {'title':<12} {' '.join(words):<28} from known content; names her even without her name"
            )
        for phrase in subject.exclude:
            print(
                f"  {'exclude':<12} {' '.join(words_of(phrase)):<28} cancels the name hits it covers"
            )
    print(
        "Matching is case-, accent- and look-alike-insensitive; leetspeak, spaced or dotted letters,"
    )
    print("hidden characters, hashtags, handles, URL slugs and domains are read as the same forms;")
    print(
        "a full name in Arabic, Cyrillic, Greek, Hebrew, Indic scripts, Hangul, kana or Chinese is"
    )
    print("found by its sound key (transliteration rows).")
    return EXIT_OK


def cmd_train(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Trains the classifier (``classify.train``) and prints its held-out report."""
    import pathlib

    from mentionwatch.classify.train import DEFAULT_TRAINING_DATA, TrainSettings, run

    data = tuple(pathlib.Path(d) for d in (args.data or DEFAULT_TRAINING_DATA))
    missing = [str(d) for d in data if not d.is_dir()]
    if missing:
        raise CommandError(
            f"training data folder not found: {', '.join(missing)} (run from the repository root or pass --data)",
            EXIT_CONFIG,
        )
    if not args.verbose:
        logging.getLogger("mentionwatch").setLevel(logging.INFO)
    model_id = {"e5": "mentionwatch/e5-small-lora", "minilm": "mentionwatch/minilm-l6-lora"}[
        args.base
    ]
    settings = TrainSettings(
        data=data,
        out=pathlib.Path(args.out),
        seed=args.seed,
        epochs=args.epochs,
        threads=args.threads,
        base=args.base,
        model_id=model_id,
    )
    run(settings)
    print((settings.out / "REPORT.md").read_text(encoding="utf-8"))
    return EXIT_OK


def cmd_sources_status(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Prints every configured source's health from the store (docs/sources.md)."""
    import datetime as dt

    from mentionwatch.sources.health import UNHEALTHY, format_status, status_rows
    from mentionwatch.sources.registry import source_specs
    from mentionwatch.store import HistoryStore, StoreUnavailable

    loaded = load_config_file(args.config)
    specs = source_specs(loaded)
    now = dt.datetime.now(dt.UTC)
    try:
        store = HistoryStore(loaded.config.store.url)
        try:
            rows = status_rows(
                specs,
                store.feed_states(s.url for s in specs),
                store.items_per_day([s.url for s in specs], now=now),
                now,
            )
        finally:
            store.close()
    except StoreUnavailable as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for line in format_status(rows, now):
            print(line)
        unwell = sum(r["state"] in UNHEALTHY for r in rows)
        print(f"{len(rows)} source{'s' if len(rows) != 1 else ''}, {unwell} failing or silent")
    return EXIT_FAILED if args.check and any(r["state"] in UNHEALTHY for r in rows) else EXIT_OK


def cmd_sources_jetstream(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Streams Bluesky posts from Jetstream to the items topic until Ctrl-C (docs/sources.md)."""
    import signal
    import threading

    from mentionwatch.pubsub.admin import PubSubUnavailable, check_reachable
    from mentionwatch.sources.jetstream import run_jetstream

    loaded = load_config_file(args.config)
    settings = _require_pubsub(loaded)
    if loaded.config.sources.jetstream is None:
        raise CommandError(
            f"{loaded.path}: has no 'sources.jetstream' block (docs/sources.md)", EXIT_CONFIG
        )
    host = _pubsub_host(loaded)
    try:
        check_reachable(settings, host)
    except PubSubUnavailable as exc:
        raise CommandError(str(exc)) from None
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            previous[signum] = signal.signal(signum, lambda *_: stop.set())
    print(f"mentionwatch sources jetstream {args.config} (Ctrl-C or SIGTERM stops)", flush=True)
    try:
        report = run_jetstream(loaded, emulator_host=host, stop=stop, max_events=args.max_events)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    print(f"  {report.line()}")
    return EXIT_OK


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mentionwatch",
        description="Watch feeds for mentions of a person; classify harassment and re-promotion; alert calmly.",
    )
    parser.add_argument("--version", action="version", version=f"mentionwatch {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log progress (never abusive text)"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser(
        "validate",
        help="check a config file; exit 2 listing every problem",
        description="Reads CONFIG and checks everything that can be checked without running anything: the YAML, "
        "every field's type and range, subject names used by sources and recipients, name forms the matcher "
        "cannot read. Exit 0 when valid (a summary is printed), 2 with every problem as FILE:LINE field: message. "
        "The fields are listed in docs/config.md.",
    )
    p.add_argument("config", help="the YAML config file")
    p.set_defaults(func=cmd_validate)

    config = commands.add_parser(
        "config", help="the config format: JSON Schema for editors, the reference in Markdown"
    )
    config_commands = config.add_subparsers(dest="config_command", required=True, metavar="ACTION")
    p = config_commands.add_parser(
        "schema", help="print the config's JSON Schema (for YAML editors)"
    )
    p.set_defaults(func=cmd_config_schema)
    p = config_commands.add_parser("reference", help="print the config reference (docs/config.md)")
    p.set_defaults(func=cmd_config_schema)

    p = commands.add_parser(
        "scan",
        help="one batch run: feeds (or --input) to mentions, history and alerts",
        description="Polls the config's sources once (or reads --input), finds mentions of each subject, "
        "classifies them, stores every mention in the history store and publishes alerts to Pub/Sub (or keeps "
        "them in the store as local-only when the config has no 'pubsub' block); prints a summary with the dead "
        "letters. It does not deliver alerts to people: 'notify' or 'watch' does. Extra arguments are Beam "
        "pipeline options, e.g. --direct_running_mode=multi_processing --direct_num_workers=2",
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

    p = commands.add_parser(
        "watch",
        help="run everything until Ctrl-C: poll sources, monitor, deliver alerts; one status line per poll",
        description="The event-driven system in one command: every N seconds the sources are polled (ingest), "
        "the streaming monitor (a child process) classifies new items and publishes alerts, and, when the config "
        "has a 'notify' block, delivery runs here too. Ctrl-C stops everything and says what was still pending.",
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

    p = commands.add_parser("demo", help="the demo: emulator, scan, alerts received back, summary")
    p.add_argument("config", nargs="?", default="configs/demo.yaml")
    p.add_argument(
        "--out", default="demo-out", help="folder for the demo's store and results (recreated)"
    )
    p.set_defaults(func=cmd_demo, beam=True)

    p = commands.add_parser(
        "notify",
        help="deliver alerts to people: immediate, digest, quiet hours; email, webhooks (text masked)",
        description="Reads the alerts subscription (streaming pull) and notifies the recipients in the "
        "config's 'notify' block. Runs until Ctrl-C/SIGTERM, or with --once drains and exits.",
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

    pubsub = commands.add_parser("pubsub", help="Pub/Sub resources and the local emulator")
    pubsub_commands = pubsub.add_subparsers(dest="pubsub_command", required=True, metavar="ACTION")
    p = pubsub_commands.add_parser(
        "up", help="create missing topics and subscriptions (emulator or GCP)"
    )
    p.add_argument("config")
    p.set_defaults(func=cmd_pubsub_up)
    p = pubsub_commands.add_parser(
        "emulator", help="run the Pub/Sub emulator with the config's resources until Ctrl-C"
    )
    p.add_argument("config")
    p.set_defaults(func=cmd_pubsub_emulator)
    p = pubsub_commands.add_parser(
        "pull",
        help="look at alerts waiting in the alerts subscription, without taking them from notify (text masked)",
        description="Shows the alerts waiting in the alerts subscription (those notify has not taken yet) and "
        "hands every one back, so notify still delivers it. The text is hidden unless --show-text, in --json too. "
        "Where each alert stands on its way to a person: mentionwatch alerts status CONFIG.",
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
    p = pubsub_commands.add_parser(
        "republish", help="publish alerts still pending in the store (same ids)"
    )
    p.add_argument("config")
    p.set_defaults(func=cmd_pubsub_republish)

    p = commands.add_parser(
        "train",
        help="train the mention classifier (offline, CPU) and write a model directory with its evaluation",
        description="Builds the training set from the project's corpus, tunes LoRA adapters and a head on the "
        "pinned encoder (multilingual-e5-small by default), calibrates thresholds on a validation split and "
        "reports a held-out test split.",
    )
    p.add_argument(
        "--out",
        default="build/model",
        help="model directory to write (the shipped one: src/mentionwatch/models/default)",
    )
    p.add_argument(
        "--data",
        action="append",
        help="folder of *.jsonl examples (repeatable; default pipelines/data/written, extra and real)",
    )
    p.add_argument(
        "--base",
        choices=("e5", "minilm"),
        default="e5",
        help="the encoder to tune (default e5, multilingual)",
    )
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--seed", type=int, default=13)
    p.add_argument("--threads", type=int, default=2)
    p.set_defaults(func=cmd_train)

    sources = commands.add_parser(
        "sources", help="the configured sources: health, real-time streams"
    )
    sources_commands = sources.add_subparsers(
        dest="sources_command", required=True, metavar="ACTION"
    )
    p = sources_commands.add_parser(
        "status",
        help="each source's health: last success, failures in a row, items per day, silent or failing",
    )
    p.add_argument("config")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    p.add_argument(
        "--check", action="store_true", help="exit 1 when any source is failing or silent"
    )
    p.set_defaults(func=cmd_sources_status)
    p = sources_commands.add_parser(
        "jetstream",
        help="stream Bluesky posts (Jetstream WebSocket) to the items topic until Ctrl-C",
    )
    p.add_argument("config")
    p.add_argument(
        "--max-events", type=int, default=None, help=argparse.SUPPRESS
    )  # tests: stop after N events
    p.set_defaults(func=cmd_sources_jetstream)

    subjects = commands.add_parser("subjects", help="what the matcher looks for")
    subjects_commands = subjects.add_subparsers(
        dest="subjects_command", required=True, metavar="ACTION"
    )
    p = subjects_commands.add_parser(
        "explain", help="list every name form matched for each subject"
    )
    p.add_argument("config")
    p.set_defaults(func=cmd_subjects_explain)
    # The analyst commands: history, history sql, evidence, report, backfill, store (docs/history.md).
    from mentionwatch.history.commands import add_commands as add_history_commands

    add_history_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "beam", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("mentionwatch").setLevel(logging.INFO if args.verbose else logging.WARNING)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        return args.func(args, extra)
    except CommandError as exc:
        print(f"mentionwatch: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
