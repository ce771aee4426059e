"""Ingest: poll every configured source once and publish new items to the items topic.

A batch Beam job meant to run every few seconds or minutes (``mentionwatch
watch`` does; so can cron or Cloud Scheduler): conditional GET per feed,
per-host politeness, Retry-After, dedup against the items already seen, and
an outbox in the history store so an item is never lost between here and
the monitor. The graph is built by ``mentionwatch.jobs.ingest.build_pipeline``.

    python pipelines/ingest.py configs/demo.yaml
"""

import sys

from mentionwatch.cli import main


def run(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # Dataflow flex templates pass parameters as --name=value; accept --config=PATH too.
    args = [a.removeprefix("--config=") for a in args]
    return main(["ingest", *args])


if __name__ == "__main__":
    sys.exit(run())
