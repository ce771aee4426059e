"""``mentionwatch takedown draft|mark|status|show``: takedown and report requests, tracked.

``draft`` writes a request (dmca, ncii, dsa or platform) from a stored alert
and stores it; she sends it herself and records it with ``mark --status
sent``; ``status`` re-checks the URLs of open requests, shows each clock
against its deadline and tells her helper once when one is overdue; ``show``
prints one request's history. docs/takedown.md is the guide.
"""

from __future__ import annotations

import argparse
import pathlib
from collections.abc import Sequence

from mentionwatch.cli.common import open_store, parse_time_option, store_url
from mentionwatch.command import EXIT_FAILED, EXIT_OK, CommandError
from mentionwatch.takedown.rules import KINDS, STATUSES, TakedownError
from mentionwatch.timeutil import iso_z, now


def _open(args: argparse.Namespace):
    target, loaded = store_url(args, args.config)
    return open_store(target), loaded


def cmd_takedown_draft(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Drafts a request from a stored alert, stores it and writes it to a file."""
    from mentionwatch.takedown.draft import draft_request

    store, loaded = _open(args)
    try:
        draft = draft_request(
            store,
            loaded.config,
            args.alert_id,
            args.kind,
            now=now(),
            bulk_host=args.bulk_host,
            work_title=args.work,
        )
    except TakedownError as exc:
        raise CommandError(str(exc), EXIT_FAILED) from None
    finally:
        store.close()
    out = pathlib.Path(args.out or f"takedown-{draft.request_id}.md")
    out.write_text(draft.document, encoding="utf-8")
    links = len(draft.facts.locations)
    print(
        f"{draft.kind} request {draft.request_id} about {links} link{'s' if links != 1 else ''} "
        f"on {draft.facts.host}: written to {out}"
    )
    if draft.status != "drafted":
        print(f"  it was already {draft.status}: the file is the request as stored, unchanged")
        return EXIT_OK
    blanks = draft.document.count("[FILL IN:")
    print(f"  read it through and fill in the {blanks} places marked [FILL IN: …]")
    print("  it is not legal advice; docs/takedown.md explains which kind fits")
    print(
        f"  once you have sent it: mentionwatch takedown mark {args.config} "
        f"{draft.request_id} --status sent"
    )
    return EXIT_OK


def cmd_takedown_mark(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Records a request's new status (sent, acknowledged, removed, refused)."""
    from mentionwatch.takedown.status import mark

    moment = now()
    at = parse_time_option(args.at, "at", moment) or moment
    store, _ = _open(args)
    try:
        row = mark(store, args.request_id, args.status, at=at, note=args.note or "")
    except TakedownError as exc:
        raise CommandError(str(exc), EXIT_FAILED) from None
    finally:
        store.close()
    print(f"{row['request_id']} is now {row['status']} (since {iso_z(at)})")
    if row["status"] == "sent":
        print(f"  deadline: {row['deadline_rule']}")
    return EXIT_OK


def cmd_takedown_status(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Lists open requests with their clocks; re-checks URLs and tells helpers of overdue ones."""
    from mentionwatch.takedown.status import describe, review

    moment = now()
    store, loaded = _open(args)
    try:
        statuses = review(
            store,
            loaded.config,
            now=moment,
            check=not args.no_check,
            notify=not args.no_notify,
            include_closed=args.all,
            base_dir=loaded.base_dir,
        )
    finally:
        store.close()
    for line in describe(statuses, moment, show_links=args.show_links):
        print(line)
    return EXIT_OK


def cmd_takedown_show(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Prints one request's history (status changes, re-checks, notices), or its document."""
    from mentionwatch.takedown.platforms import host_of

    store, _ = _open(args)
    try:
        request = store.takedown(args.request_id)
        events = store.takedown_events(args.request_id) if request else []
    finally:
        store.close()
    if request is None:
        raise CommandError(f"no takedown request {args.request_id!r}", EXIT_FAILED)
    if args.document:
        print(request["document"], end="")
        return EXIT_OK
    print(f"{request['request_id']}  {request['kind']}  {request['host']}  {request['status']}")
    print(f"  deadline: {request['deadline_rule']}")
    for event in events:
        when = iso_z(event["time"])
        if event["event"] == "check":
            link = event["url"] if args.show_links else f"{host_of(event['url'])}/…"
            code = f" HTTP {event['http_status']}" if event["http_status"] else ""
            print(f"  {when}  re-check {link}: {event['outcome']}{code} {event['fetch_id'] or ''}")
        elif event["event"] == "status":
            note = f" ({event['detail']})" if event["detail"] else ""
            print(f"  {when}  {event['status']}{note}")
        else:
            print(f"  {when}  {event['event']}: {event['detail']}")
    return EXIT_OK


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("config")
    parser.add_argument("--store", help="a store URL instead of the config's")


def register(commands: argparse._SubParsersAction) -> None:
    """Adds ``takedown`` and its actions ``draft``, ``mark``, ``status`` and ``show``."""
    takedown = commands.add_parser(
        "takedown", help="takedown and report requests: draft, record, follow their clocks"
    )
    actions = takedown.add_subparsers(dest="takedown_command", required=True, metavar="ACTION")
    p = actions.add_parser("draft", help="write a request (dmca, ncii, dsa, platform) for an alert")
    _common(p)
    p.add_argument("alert_id")
    p.add_argument("--kind", required=True, choices=KINDS, help="which request (docs/takedown.md)")
    p.add_argument("--out", help="file to write (default: takedown-REQUEST_ID.md)")
    p.add_argument(
        "--bulk-host",
        metavar="HOST",
        help="one request covering every stored re-promotion of the same work on HOST",
    )
    p.add_argument("--work", metavar="TITLE", help="the known_content title it is about")
    p.set_defaults(func=cmd_takedown_draft)
    p = actions.add_parser("mark", help="record a request's status (e.g. --status sent)")
    _common(p)
    p.add_argument("request_id")
    p.add_argument("--status", required=True, choices=[s for s in STATUSES if s != "drafted"])
    p.add_argument("--at", help="when it happened: ISO-8601, or 12h, 3d before now (default: now)")
    p.add_argument("--note", help="a note kept with the change (e.g. the platform's case number)")
    p.set_defaults(func=cmd_takedown_mark)
    p = actions.add_parser(
        "status", help="open requests, their clocks, whether the URLs still serve"
    )
    _common(p)
    p.add_argument("--all", action="store_true", help="list removed and refused requests too")
    p.add_argument("--no-check", action="store_true", help="do not re-check the URLs")
    p.add_argument("--no-notify", action="store_true", help="do not tell helpers of overdue ones")
    p.add_argument("--show-links", action="store_true", help="show whole links, not only hosts")
    p.set_defaults(func=cmd_takedown_status)
    p = actions.add_parser("show", help="one request's history, or its document")
    _common(p)
    p.add_argument("request_id")
    p.add_argument("--document", action="store_true", help="print the request as drafted")
    p.add_argument("--show-links", action="store_true", help="show whole links, not only hosts")
    p.set_defaults(func=cmd_takedown_show)
