"""``mentionwatch evidence export|verify``: an alert's raw pages as fetched, hashed, in a zip.

The zip also holds a one-page summary (``summary.pdf``, the same as
``summary.html``) whose text excerpt is hidden unless ``--show-text`` is given.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from mentionwatch.cli.common import open_existing_store, store_url
from mentionwatch.command import EXIT_FAILED, EXIT_OK, CommandError


def cmd_evidence_export(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Writes an alert's evidence pack and prints its hashes; an unknown alert raises (exit 1)."""
    from mentionwatch.store.evidence import EvidenceError
    from mentionwatch.store.evidence_pack import export_alert

    url, _ = store_url(args, args.config)
    out = args.out or f"evidence-{args.alert_id}.zip"
    store = open_existing_store(url)
    try:
        result = export_alert(store, args.alert_id, out, show_text=args.show_text)
    except EvidenceError as exc:
        raise CommandError(str(exc), EXIT_FAILED) from None
    finally:
        store.close()
    print(f"evidence pack for {result.alert_id}: {result.path}")
    for name in result.files:
        print(f"  {name}")
    print(f"  SHA-256 of manifest.json  {result.manifest_sha256}")
    print(f"  SHA-256 of the zip        {result.zip_sha256}")
    print("  keep these two hashes somewhere separate from the zip (they pin its content)")
    for name, sha in result.summaries:
        print(f"  SHA-256 of {name:<14} {sha}")
    if result.summaries:
        shown = "with its text excerpt" if args.show_text else "text excerpt hidden"
        print(f"  summary.pdf is the one page to read or send first ({shown})")
    return EXIT_OK


def cmd_evidence_verify(args: argparse.Namespace, _extra: Sequence[str]) -> int:
    """Rechecks every hash in a pack: exit 0 when all match, 1 listing what changed."""
    from mentionwatch.store.evidence_verify import verify_pack

    report = verify_pack(args.zip)
    if report.ok:
        print(
            f"{args.zip}: OK, {len(report.checked)} files verified (alert {report.alert_id}; "
            f"manifest SHA-256 {report.manifest_sha256})"
        )
        if report.summary_checked:
            print(f"{args.zip}: the summary (PDF and HTML) agrees with the pack's records")
        else:
            print(f"{args.zip}: no summary in this pack (exported before summaries existed)")
        if args.manifest_sha256 and args.manifest_sha256.lower() != report.manifest_sha256:
            print(
                f"{args.zip}: FAILED, manifest SHA-256 is not the expected {args.manifest_sha256}"
            )
            return EXIT_FAILED
        return EXIT_OK
    print(f"{args.zip}: FAILED")
    for problem in report.problems:
        print(f"  {problem}")
    return EXIT_FAILED


def register(commands: argparse._SubParsersAction) -> None:
    """Adds ``evidence`` and its actions ``export`` and ``verify``."""
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
    p.add_argument(
        "--show-text",
        action="store_true",
        help="put the text excerpt on the summary (hidden behind a content warning otherwise)",
    )
    p.set_defaults(func=cmd_evidence_export)
    p = actions.add_parser(
        "verify", help="recompute every hash in an evidence pack; exit 1 if anything changed"
    )
    p.add_argument("zip")
    p.add_argument(
        "--manifest-sha256", help="also require this SHA-256 of manifest.json (printed at export)"
    )
    p.set_defaults(func=cmd_evidence_verify)
