"""Ingest: poll every configured source once and publish new items to the items topic.

A batch Beam job meant to run every few seconds or minutes (``mentionwatch
watch`` does; so can cron or Cloud Scheduler): conditional GET per feed,
per-host politeness, Retry-After, dedup against the items already seen, and
an outbox in the history store so an item is never lost between here and
the monitor. The graph is built by ``mentionwatch.jobs.ingest.build_pipeline``.

    python pipelines/ingest.py configs/demo.yaml
    python pipelines/ingest.py --config configs/gcp.yaml --runner DataflowRunner \
        --project P --region R --temp_location gs://BUCKET/tmp [--dry_run]

On a remote runner (Dataflow, a flex-template launch from Cloud Scheduler)
the script only builds and submits the job and exits
(``mentionwatch.jobs.launch``); locally it is ``mentionwatch ingest CONFIG``.
"""

import sys

from mentionwatch.cli import main
from mentionwatch.jobs.launch import LaunchError, config_argument


def run(argv=None) -> int:
    """``mentionwatch ingest CONFIG …``, with ``--config PATH`` (flex templates) accepted."""
    try:
        args = config_argument(sys.argv[1:] if argv is None else argv)
    except LaunchError as exc:
        print(f"mentionwatch ingest: {exc}", file=sys.stderr)
        return 2
    return main(["ingest", *args])


if __name__ == "__main__":
    sys.exit(run())
