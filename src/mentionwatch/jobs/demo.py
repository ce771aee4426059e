"""``mentionwatch demo``: the whole flow on one machine, in one command.

Starts Google's Pub/Sub emulator on a free port, creates the topics, scans the
demo config's bundled feeds into a fresh SQLite store, then runs
``mentionwatch notify --once --flush-digests`` over the alerts subscription:
the alerts received back are printed with their text hidden behind a content
warning, followed by the notifications the config's recipients got (the
console channel; the file channel writes them under ``<out>/notifications/``),
then a summary that counts every label. A config without a ``notify`` block
just pulls the alerts back. The emulator is stopped on the way out, whatever
happens.
"""

from __future__ import annotations

import io
import pathlib
import shutil
import textwrap
from collections.abc import Sequence

from mentionwatch.alerts.receive import format_alert, pull_alerts
from mentionwatch.command import EXIT_CONFIG, EXIT_ENV, EXIT_FAILED, EXIT_OK, CommandError
from mentionwatch.config import LoadedConfig, StoreSettings
from mentionwatch.jobs.preflight import PreflightError, preflight
from mentionwatch.jobs.scan import run_scan
from mentionwatch.pubsub.admin import PubSubUnavailable, ensure_resources
from mentionwatch.pubsub.emulator import EmulatorError, PubSubEmulator


def run_demo(loaded: LoadedConfig, *, out_dir: str, beam_args: Sequence[str] = ()) -> int:
    """Runs the demo into ``out_dir`` (emptied first); returns the command's exit status.

    Raises:
      CommandError: the config has no ``pubsub`` block, or the emulator,
        Pub/Sub, the model or the store is unusable.
    """
    settings = loaded.config.pubsub
    if settings is None:
        raise CommandError(f"{loaded.path}: the demo needs a 'pubsub' block", EXIT_CONFIG)
    out = pathlib.Path(out_dir).resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    config = loaded.config.model_copy(
        update={"store": StoreSettings(url=f"sqlite:///{out / 'mentionwatch.db'}")}
    )
    demo = LoadedConfig(config, loaded.path)
    results = out / "results.jsonl"

    print(f"[1/4] starting Google's Pub/Sub emulator (project {settings.project})", flush=True)
    try:
        with PubSubEmulator(project=settings.project) as emulator:
            ensure_resources(settings, emulator.endpoint)
            preflight(demo, emulator.endpoint)
            print(
                f"      emulator on {emulator.endpoint}; topics and subscriptions created",
                flush=True,
            )
            print(
                f"[2/4] scanning {len(config.sources.feeds)} feeds "
                f"for {len(config.subjects)} subject(s)",
                flush=True,
            )
            summary = run_scan(
                demo,
                output_path=str(results),
                beam_args=list(beam_args),
                emulator_host=emulator.endpoint,
            )
            print(
                "[3/4] alerts received back from Pub/Sub (text hidden behind a content warning):",
                flush=True,
            )
            if config.notify is None:
                alerts, report, console = (
                    pull_alerts(
                        settings, emulator.endpoint, max_messages=10_000, wait=10.0, consume=True
                    ),
                    None,
                    "",
                )
            else:
                alerts, report, console = _notify_once(demo, emulator.endpoint, out)
    except (EmulatorError, PubSubUnavailable, PreflightError) as exc:
        raise CommandError(str(exc), EXIT_ENV) from None

    _print_outcome(alerts, report, console, summary, out)
    if len(alerts) != summary.published:
        print(f"mentionwatch: published {summary.published} alerts but received {len(alerts)}")
        return EXIT_FAILED
    return EXIT_OK


def _print_outcome(alerts: list[dict], report, console: str, summary, out: pathlib.Path) -> None:
    """Steps 3 and 4's output: the alerts, what notify delivered, the summary, the files."""
    for alert in alerts:
        print(format_alert(alert))
    if report is not None:
        print(
            "      notifications delivered by `mentionwatch notify` "
            f"(console channel; files in {out / 'notifications'}):"
        )
        print(textwrap.indent(console.rstrip(), "      ") if console.strip() else "      (none)")
    print("[4/4] summary")
    for line in summary.lines():
        print("      " + line)
    print(f"      received back   {len(alerts)} alert(s) from the alerts subscription")
    if report is not None:
        messages = {(kind, ref, recipient) for kind, ref, recipient, _ in report.delivered}
        kinds = [kind for kind, _, _ in messages]
        print(
            f"      notifications   {kinds.count('immediate')} immediate, "
            f"{kinds.count('digest')} digest(s) to "
            f"{len({r for _, _, r in messages})} recipient(s) "
            f"over {len(report.delivered)} channel(s); "
            f"{report.dead_lettered} dead letter(s)"
        )
    print(f"      results         {out / 'results.jsonl'}")
    print(f"      history store   {out / 'mentionwatch.db'}")


_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}


def _notify_once(
    demo: LoadedConfig, endpoint: str, out: pathlib.Path
) -> tuple[list[dict], object, str]:
    """``mentionwatch notify --once --flush-digests`` on the alerts subscription, console captured.

    Returns the alerts received (sorted for display), the notify report and
    what the console channel printed.
    """
    from mentionwatch.notify.channels import ChannelSetupError
    from mentionwatch.notify.run import run_notify

    console = io.StringIO()
    try:
        report = run_notify(
            demo,
            endpoint,
            once=True,
            flush_all=True,
            keep_received=True,
            console=console,
            base_dir=out,
            wait=10.0,
            idle=2.0,
        )
    except ChannelSetupError as exc:
        raise CommandError(str(exc), EXIT_CONFIG) from None
    alerts = sorted(
        report.received.values(),
        key=lambda a: (
            _SEVERITY_ORDER.get(a.get("severity"), 9),
            a.get("subject", ""),
            a.get("published_at") or "",
        ),
    )
    return alerts, report, console.getvalue()
