"""``mentionwatch demo``: the whole flow on one machine, in one command.

Starts Google's Pub/Sub emulator on a free port, creates the topics, scans the
demo config's bundled feeds into a fresh SQLite store, pulls the alerts back
from the alerts subscription and prints them with their text hidden behind a
content warning, then a summary that counts every label. The emulator is
stopped on the way out, whatever happens.
"""

from __future__ import annotations

import pathlib
import shutil
from collections.abc import Sequence

from mentionwatch.alerts.receive import format_alert, pull_alerts
from mentionwatch.cli import EXIT_CONFIG, EXIT_ENV, EXIT_FAILED, EXIT_OK, CommandError
from mentionwatch.config import LoadedConfig, StoreSettings
from mentionwatch.pubsub.admin import PubSubUnavailable, ensure_resources
from mentionwatch.pubsub.emulator import EmulatorError, PubSubEmulator
from mentionwatch.scan import PreflightError, preflight, run_scan


def run_demo(loaded: LoadedConfig, *, out_dir: str, beam_args: Sequence[str] = ()) -> int:
    settings = loaded.config.pubsub
    if settings is None:
        raise CommandError(f"{loaded.path}: the demo needs a 'pubsub' block", EXIT_CONFIG)
    out = pathlib.Path(out_dir).resolve()
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    config = loaded.config.model_copy(update={"store": StoreSettings(url=f"sqlite:///{out / 'mentionwatch.db'}")})
    demo = LoadedConfig(config, loaded.path)
    results = out / "results.jsonl"

    print(f"[1/4] starting Google's Pub/Sub emulator (project {settings.project})", flush=True)
    try:
        with PubSubEmulator(project=settings.project) as emulator:
            ensure_resources(settings, emulator.endpoint)
            preflight(demo, emulator.endpoint)
            print(f"      emulator on {emulator.endpoint}; topics and subscriptions created", flush=True)
            print(f"[2/4] scanning {len(config.sources.feeds)} feeds for {len(config.subjects)} subject(s)", flush=True)
            summary = run_scan(demo, output_path=str(results), beam_args=list(beam_args), emulator_host=emulator.endpoint)
            print("[3/4] alerts received back from Pub/Sub (text hidden behind a content warning):", flush=True)
            alerts = pull_alerts(settings, emulator.endpoint, max_messages=10_000, wait=10.0)
    except (EmulatorError, PubSubUnavailable, PreflightError) as exc:
        raise CommandError(str(exc), EXIT_ENV) from None

    for alert in alerts:
        print(format_alert(alert))
    print("[4/4] summary")
    for line in summary.lines():
        print("      " + line)
    print(f"      received back   {len(alerts)} alert(s) from the alerts subscription")
    print(f"      results         {results}")
    print(f"      history store   {out / 'mentionwatch.db'}")
    if len(alerts) != summary.published:
        print(f"mentionwatch: published {summary.published} alerts but received {len(alerts)}")
        return EXIT_FAILED
    return EXIT_OK
