"""The analyst commands: ``history``, ``history sql``, ``evidence``, ``report``, ``backfill``, ``store``.

``add_commands`` registers them on the ``mentionwatch`` parser (cli.py calls
it once); each handler is thin and the work lives in ``mentionwatch.history``,
``mentionwatch.report``, ``mentionwatch.store`` and ``mentionwatch.backfill``.
docs/history.md has examples of every command.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
from collections.abc import Sequence

from mentionwatch import command
from mentionwatch.records import HARASSMENT_TYPES, LABELS, SEVERITIES
from mentionwatch.timeutil import iso_z


def _store_url(args: argparse.Namespace, config: str | None) -> tuple[str, object | None]:
    """The store URL from ``--store`` or the config (and the loaded config, if any)."""
    if getattr(args, "store", None):
        return args.store, (command.load_config_file(config) if config else None)
    if not config:
        raise command.CommandError(
            "give a CONFIG (its store.url is used) or --store URL", command.EXIT_CONFIG
        )
    loaded = command.load_config_file(config)
    return loaded.config.store.url, loaded


def _open(url: str, *, upgrade: bool | None = None):
    from mentionwatch.store import HistoryStore, StoreUnavailable

    try:
        return HistoryStore(url, upgrade=upgrade)
    except StoreUnavailable as exc:
        raise command.CommandError(str(exc)) from None


def _open_existing(url: str, where: str = "store.url"):
    """Opens a store a read-only command reads: never creates or migrates one.

    A SQLite file that does not exist, a database without mentionwatch's
    tables, or one at an older schema revision is refused with what to do.
    """
    import sqlalchemy as sa

    from mentionwatch.store.engine import StoreSchemaError

    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        import pathlib

        if not pathlib.Path(parsed.database).is_file():
            raise command.CommandError(
                f"no history store at {parsed.database} (the config's {where}, resolved against the config's folder); nothing has been stored there yet: "
                "run scan, watch or demo with this config first, or give the right one with --store URL",
                command.EXIT_FAILED,
            )
    try:
        return _open(url, upgrade=False)
    except StoreSchemaError as exc:
        raise command.CommandError(
            f"{exc} (read-only commands never change a store)", command.EXIT_FAILED
        ) from None


def _moment(value: str | None, what: str, now: dt.datetime) -> dt.datetime | None:
    from mentionwatch.history.timespec import parse_moment

    if value is None:
        return None
    try:
        return parse_moment(value, now=now)
    except ValueError as exc:
        raise command.CommandError(f"--{what}: {exc}", command.EXIT_CONFIG) from None


def _split(values: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(v.strip() for value in (values or ()) for v in value.split(",") if v.strip())


# --------------------------------------------------------------------------- history


def cmd_history(args: argparse.Namespace, extra: Sequence[str]) -> int:
    try:
        return _history(args, extra)
    except BrokenPipeError:  # `mentionwatch history ... | head`: the reader has seen enough
        import os
        import sys

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return command.EXIT_OK


def _history(args: argparse.Namespace, extra: Sequence[str]) -> int:
    # argparse stops collecting positionals at the first option, so words after
    # an option (history sql --store URL "SELECT ...") arrive as extras.
    unknown = [e for e in extra if e.startswith("-")]
    if unknown:
        raise command.CommandError(
            f"unrecognized arguments: {' '.join(unknown)}", command.EXIT_CONFIG
        )
    words = list(args.words) + list(extra)
    if words and words[0] == "sql":
        return _history_sql(args, words[1:])
    if len(words) > 1:
        raise command.CommandError(
            f'unexpected arguments {" ".join(words[1:])!r}; for SQL use: mentionwatch history sql CONFIG "SELECT ..."',
            command.EXIT_CONFIG,
        )
    from mentionwatch.history import export
    from mentionwatch.history.query import HistoryFilter, columns, iter_mentions

    url, _loaded = _store_url(args, words[0] if words else None)
    now = dt.datetime.now(dt.UTC)
    for label in _split(args.label):
        if label not in LABELS:
            raise command.CommandError(
                f"--label {label!r}: use one of {', '.join(LABELS)}", command.EXIT_CONFIG
            )
    for kind in _split(args.type):
        if kind not in HARASSMENT_TYPES:
            raise command.CommandError(
                f"--type {kind!r}: use one of {', '.join(HARASSMENT_TYPES)}", command.EXIT_CONFIG
            )
    if args.format == "parquet" and not args.out:
        raise command.CommandError("--format parquet needs --out FILE.parquet", command.EXIT_CONFIG)
    limit = (
        args.limit
        if args.limit is not None
        else (100 if args.format == "table" and not args.out else None)
    )
    selection = HistoryFilter(
        subjects=_split(args.subject),
        labels=_split(args.label),
        types=_split(args.type),
        sources=tuple(args.source or ()),
        domains=_split(args.domain),
        since=_moment(args.since, "since", now),
        until=_moment(args.until, "until", now),
        text=args.text,
        min_severity=args.min_severity,
        model_version=args.model_version,
        all_versions=args.all_versions,
        alerted=args.alerted,
        limit=limit or None,
    )
    store = _open_existing(url)
    try:
        records = iter_mentions(store.engine, selection, show_text=args.show_text)
        count = export.write_records(
            records,
            columns(args.show_text),
            args.format,
            args.out,
            table_columns=export.TABLE_COLUMNS + (("title", "text") if args.show_text else ()),
        )
    finally:
        store.close()
    if args.out:
        print(f"{count} mention{'s' if count != 1 else ''} written to {args.out} ({args.format})")
    elif args.format == "table" and limit and count == limit:
        print(f"(first {limit}; --limit N for more, --format csv|jsonl|parquet --out FILE for all)")
    return command.EXIT_OK


def _history_sql(args: argparse.Namespace, words: list[str]) -> int:
    from mentionwatch.history import export
    from mentionwatch.history.sql import ReadOnlySQLError, iter_readonly

    if args.store:
        if len(words) != 1:
            raise command.CommandError(
                'usage: mentionwatch history sql --store URL "SELECT ..."', command.EXIT_CONFIG
            )
        url, query = args.store, words[0]
    else:
        if len(words) != 2:
            raise command.CommandError(
                'usage: mentionwatch history sql CONFIG "SELECT ..."', command.EXIT_CONFIG
            )
        url, query = _store_url(args, words[0])[0], words[1]
    if args.format == "parquet" and not args.out:
        raise command.CommandError("--format parquet needs --out FILE.parquet", command.EXIT_CONFIG)
    _open_existing(
        url
    ).close()  # it exists and its schema is current (or the error says what to run)
    stream = iter_readonly(url, query, timeout_s=args.timeout)
    try:
        names = list(next(stream))
        limit = (
            args.limit
            if args.limit is not None
            else (1000 if args.format == "table" and not args.out else None)
        )
        rows = itertools.islice(stream, limit)  # stops reading (and the query) at the limit
        if args.format == "parquet":
            count = export.write_sql_parquet(names, list(rows), args.out)
        else:
            count = export.write_records(
                export.rows_to_records(names, rows), names, args.format, args.out
            )
    except ReadOnlySQLError as exc:
        raise command.CommandError(f"history sql: {exc}", command.EXIT_FAILED) from None
    finally:
        stream.close()  # a query cut off at the limit stops here
    if args.out:
        print(f"{count} row{'s' if count != 1 else ''} written to {args.out} ({args.format})")
    return command.EXIT_OK


# --------------------------------------------------------------------------- evidence


def cmd_evidence_export(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    from mentionwatch.store.evidence import EvidenceError, export_alert

    url, _ = _store_url(args, args.config)
    out = args.out or f"evidence-{args.alert_id}.zip"
    store = _open_existing(url)
    try:
        result = export_alert(store, args.alert_id, out)
    except EvidenceError as exc:
        raise command.CommandError(str(exc), command.EXIT_FAILED) from None
    finally:
        store.close()
    print(f"evidence pack for {result.alert_id}: {result.path}")
    for name in result.files:
        print(f"  {name}")
    print(f"  SHA-256 of manifest.json  {result.manifest_sha256}")
    print(f"  SHA-256 of the zip        {result.zip_sha256}")
    print("  keep these two hashes somewhere separate from the zip (they pin its content)")
    return command.EXIT_OK


def cmd_evidence_verify(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    from mentionwatch.store.evidence import verify_pack

    report = verify_pack(args.zip)
    if report.ok:
        print(
            f"{args.zip}: OK, {len(report.checked)} files verified (alert {report.alert_id}; manifest SHA-256 {report.manifest_sha256})"
        )
        if args.manifest_sha256 and args.manifest_sha256.lower() != report.manifest_sha256:
            print(
                f"{args.zip}: FAILED, manifest SHA-256 is not the expected {args.manifest_sha256}"
            )
            return command.EXIT_FAILED
        return command.EXIT_OK
    print(f"{args.zip}: FAILED")
    for problem in report.problems:
        print(f"  {problem}")
    return command.EXIT_FAILED


# --------------------------------------------------------------------------- report


def cmd_report(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    from mentionwatch.report import PileOnSettings, build_report, write_report

    loaded = command.load_config_file(args.config)
    url = args.store or loaded.config.store.url
    now = dt.datetime.now(dt.UTC)
    until = _moment(args.until, "until", now) or now
    since = _moment(args.since, "since", until)
    if since >= until:
        raise command.CommandError("--since must be before --until", command.EXIT_CONFIG)
    subjects = _split(args.subject) or tuple(s.name for s in loaded.config.subjects)
    store = _open_existing(url)
    try:
        report = build_report(
            store,
            since=since,
            until=until,
            subjects=subjects,
            pile_on=PileOnSettings.from_config(loaded.config.alerts.pile_on),
        )
    finally:
        store.close()
    paths = write_report(report, args.out)
    total = sum(report.totals.values())
    print(
        f"report for {', '.join(subjects)}: {total} mentions from {since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} UTC"
    )
    for path in paths:
        print(f"  {path}")
    return command.EXIT_OK


# --------------------------------------------------------------------------- alerts status


def cmd_alerts_status(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Where each alert stands on its way to a person (mentionwatch.notify.delivery); never any text."""
    import json

    from mentionwatch.notify import delivery

    url, _loaded = _store_url(args, args.config)
    now = dt.datetime.now(dt.UTC)
    since = _moment(args.since, "since", now)
    store = _open_existing(url)
    try:
        with store.engine.connect() as connection:
            alerts = delivery.alert_deliveries(
                connection, since=since, subjects=_split(args.subject) or None
            )
    finally:
        store.close()
    counts = dict.fromkeys(delivery.STATES, 0)
    for alert in alerts:
        counts[alert.state] += 1
    shown = alerts if args.all else [a for a in alerts if a.state not in ("delivered", "local")]
    if args.json:
        for alert in shown:
            print(
                json.dumps(
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
            )
        return command.EXIT_OK
    window = f"since {since:%Y-%m-%d %H:%M} UTC" if since else "all time"
    print(
        f"{len(alerts)} alert(s), {window}: "
        + ", ".join(f"{n} {state}" for state, n in counts.items() if n)
    )
    if not shown:
        print("every alert was delivered" if alerts else "no alerts")
        return command.EXIT_OK
    print(
        f"{'created (UTC)':<17} {'alert':<27} {'severity':<8} {'what':<30} {'subject':<20} where it is"
    )
    for alert in shown:
        what = alert.label + (f"/{alert.harassment_type}" if alert.harassment_type else "")
        print(
            f"{alert.created_at:%Y-%m-%d %H:%M} {alert.alert_id:<27} {alert.severity:<8} {what:<30} "
            f"{alert.subject[:20]:<20} {alert.summary()}"
        )
    undelivered = sum(counts[s] for s in delivery.UNDELIVERED)
    if undelivered:
        print(
            f"{undelivered} alert(s) not delivered yet: a running notify (or watch) delivers published ones from "
            "the store; failed ones: mentionwatch notify CONFIG --retry-dead-letters"
        )
    return command.EXIT_OK


# --------------------------------------------------------------------------- backfill


def cmd_backfill(args: argparse.Namespace, beam_args: Sequence[str]) -> int:
    from mentionwatch.backfill import run_backfill
    from mentionwatch.classify.model import ModelLoadError

    loaded = command.load_config_file(args.config)
    now = dt.datetime.now(dt.UTC)
    try:
        summary = run_backfill(
            loaded,
            model=args.model,
            since=_moment(args.since, "since", now),
            until=_moment(args.until, "until", now),
            beam_args=list(beam_args),
        )
    except ModelLoadError as exc:
        raise command.CommandError(f"model: {exc}") from None
    print(f"mentionwatch backfill {args.config}")
    for line in summary.lines():
        print("  " + line)
    return command.EXIT_OK


# --------------------------------------------------------------------------- store


def cmd_store_upgrade(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    from mentionwatch.store import StoreUnavailable
    from mentionwatch.store.engine import make_engine
    from mentionwatch.store.migrate import upgrade

    url, _ = _store_url(args, args.config)
    engine = make_engine(url)
    try:
        before, after = upgrade(engine, args.revision)
    except StoreUnavailable as exc:
        raise command.CommandError(str(exc)) from None
    finally:
        engine.dispose()
    if before == after:
        print(f"history store already at revision {after}")
    else:
        print(f"history store upgraded from {before or 'empty'} to {after}")
    return command.EXIT_OK


def cmd_store_status(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    import sqlalchemy as sa

    from mentionwatch.store import schema
    from mentionwatch.store.engine import make_engine
    from mentionwatch.store.migrate import current_revision, differences, head_revision

    url, _ = _store_url(args, args.config)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            revision = current_revision(connection)
            present = set(sa.inspect(connection).get_table_names())
            counts = {
                name: int(
                    connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                )
                for name, table in sorted(schema.metadata.tables.items())
                if name in present
            }
        drift = differences(engine) if revision == head_revision() else []
    except sa.exc.OperationalError as exc:
        raise command.CommandError(f"cannot open the history store: {exc.orig}") from None
    finally:
        engine.dispose()
    print(f"store     {sa.engine.make_url(url).render_as_string(hide_password=True)}")
    print(f"revision  {revision or 'none (empty)'}; this mentionwatch needs {head_revision()}")
    if revision != head_revision():
        print(f"          run: mentionwatch store upgrade {args.config or '--store URL'}")
    if drift:
        print(f"          schema differs from the code in {len(drift)} place(s): {drift[:3]}")
    for name, count in counts.items():
        print(f"  {name:<22} {count:>12,} rows")
    return command.EXIT_OK if revision == head_revision() and not drift else command.EXIT_FAILED


def cmd_store_retention(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    from mentionwatch.store import StoreUnavailable
    from mentionwatch.store.retention import RetentionPolicy, apply_retention

    loaded = command.load_config_file(args.config)
    policy = RetentionPolicy.from_config(loaded.config)
    store = _open(args.store or loaded.config.store.url)
    try:
        counts = apply_retention(store, policy, dry_run=args.dry_run)
    except StoreUnavailable as exc:
        raise command.CommandError(str(exc)) from None
    finally:
        store.close()
    keep = (
        f"history kept {policy.history_days} days"
        if policy.history_days
        else "history kept until deleted"
    )
    print(
        f"retention ({'dry run, nothing deleted' if args.dry_run else 'applied'}): raw bodies {policy.raw_days} days "
        f"unless referenced; dead letters {policy.dead_letters_days} days; {keep}"
    )
    for name, count in counts.items():
        print(f"  {name:<16} {count:>10,} {'would be ' if args.dry_run else ''}deleted")
    return command.EXIT_OK


# --------------------------------------------------------------------------- parser


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Registers the analyst commands on the ``mentionwatch`` parser."""
    formats = ("table", "csv", "jsonl", "parquet")

    p = commands.add_parser(
        "history",
        help="query the mention history (filters; table, CSV, JSON lines, Parquet); 'history sql' for read-only SQL",
        description='mentionwatch history CONFIG [filters]  |  mentionwatch history sql CONFIG "SELECT ...". '
        "Text is masked unless --show-text. Times: 30d, 12h, 2w or ISO dates (UTC). docs/history.md has examples.",
    )
    p.add_argument("words", nargs="*", metavar="CONFIG | sql CONFIG QUERY")
    p.add_argument("--store", help="a store URL instead of the config's")
    p.add_argument("--subject", action="append", help="subject name (repeat or comma-separate)")
    p.add_argument("--label", action="append", help=f"label: {', '.join(LABELS)}")
    p.add_argument(
        "--type", action="append", help=f"harassment type: {', '.join(HARASSMENT_TYPES)}"
    )
    p.add_argument(
        "--source", action="append", help="source name, exactly as stored (repeat for several)"
    )
    p.add_argument("--domain", action="append", help="the URL's domain, e.g. tubehub.example")
    p.add_argument("--since", help="from this time (30d = the last 30 days; or an ISO date)")
    p.add_argument("--until", help="up to this time (exclusive)")
    p.add_argument("--text", help="case-insensitive text in the title or body")
    p.add_argument("--min-severity", choices=SEVERITIES[1:], help="only this severity or higher")
    p.add_argument(
        "--model-version", help="rows of this model version (default: each mention's current one)"
    )
    p.add_argument(
        "--all-versions",
        action="store_true",
        help="every model version's row, not just the current one",
    )
    p.add_argument("--alerted", action="store_true", help="only mentions that made an alert")
    p.add_argument(
        "--show-text",
        action="store_true",
        help="include title and text (content warning: abusive text)",
    )
    p.add_argument("--format", choices=formats, default="table")
    p.add_argument("--out", help="write to this file (required for parquet)")
    p.add_argument(
        "--limit", type=int, help="at most this many rows (table default: 100; history sql: 1000)"
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        help="history sql: stop a query after this many seconds",
    )
    p.set_defaults(
        func=cmd_history, beam=True
    )  # beam=True: extra words are accepted (see _history)

    evidence = commands.add_parser(
        "evidence", help="evidence packs: raw pages as fetched, hashed, for an alert"
    )
    actions = evidence.add_subparsers(dest="evidence_command", required=True, metavar="ACTION")
    p = actions.add_parser(
        "export", help="write an alert's evidence pack (zip with manifest and hashes)"
    )
    p.add_argument("config")
    p.add_argument("alert_id")
    p.add_argument("--store", help="a store URL instead of the config's")
    p.add_argument("--out", help="zip to write (default: evidence-ALERT_ID.zip)")
    p.set_defaults(func=cmd_evidence_export)
    p = actions.add_parser(
        "verify", help="recompute every hash in an evidence pack; exit 1 if anything changed"
    )
    p.add_argument("zip")
    p.add_argument(
        "--manifest-sha256", help="also require this SHA-256 of manifest.json (printed at export)"
    )
    p.set_defaults(func=cmd_evidence_verify)

    p = commands.add_parser(
        "report", help="an HTML report with charts (no abusive text) for a period"
    )
    p.add_argument("config")
    p.add_argument(
        "--since", default="30d", help="start: 30d (before --until), or an ISO date (default 30d)"
    )
    p.add_argument("--until", help="end (default: now)")
    p.add_argument("--subject", action="append", help="only these subjects (default: the config's)")
    p.add_argument("--store", help="a store URL instead of the config's")
    p.add_argument(
        "--out", default="report.html", help="HTML file; the PNG charts are written beside it"
    )
    p.set_defaults(func=cmd_report)

    alerts = commands.add_parser(
        "alerts", help="alerts on their way to people: delivered, waiting, failed"
    )
    actions = alerts.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    p = actions.add_parser(
        "status",
        help="where each alert stands: published, delivered to whom and how, queued for a digest, failed",
        description="Lists the alerts not delivered yet (all of them with --all), with every recipient's channel "
        "and its state, from the history store. Never shows the alert text.",
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

    p = commands.add_parser(
        "backfill",
        help="re-run matching and classification over stored items with a (new) model; history keeps both",
        description="Extra arguments are Beam pipeline options.",
    )
    p.add_argument("config")
    p.add_argument(
        "--model", help="model directory (or 'shipped'); default: the config's model.name"
    )
    p.add_argument("--since", help="items fetched from this time (30d or ISO)")
    p.add_argument("--until", help="items fetched before this time")
    p.set_defaults(func=cmd_backfill, beam=True)

    store = commands.add_parser(
        "store", help="the history store: schema upgrades, status, retention"
    )
    actions = store.add_subparsers(dest="store_command", required=True, metavar="ACTION")
    p = actions.add_parser(
        "upgrade", help="upgrade the store's schema to this mentionwatch's (Alembic)"
    )
    p.add_argument("config", nargs="?")
    p.add_argument("--store", help="a store URL instead of the config's")
    p.add_argument("--revision", default="head", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_store_upgrade)
    p = actions.add_parser("status", help="schema revision, drift and row counts")
    p.add_argument("config", nargs="?")
    p.add_argument("--store", help="a store URL instead of the config's")
    p.set_defaults(func=cmd_store_status)
    p = actions.add_parser(
        "retention", help="delete what the retention policy no longer keeps (store.retention)"
    )
    p.add_argument("config")
    p.add_argument("--store", help="a store URL instead of the config's")
    p.add_argument("--dry-run", action="store_true", help="count only; delete nothing")
    p.set_defaults(func=cmd_store_retention)
