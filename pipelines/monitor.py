"""Monitor: the streaming job from the items topic to mentions, history and alerts.

``ReadFromPubSub(items)`` → match → classify → store every mention → decide
alerts over time (bursts grouped, threats never held, pile-ons detected) →
publish to the alerts topic. Runs until cancelled. The graph is built by
``mentionwatch.jobs.monitor.build_pipeline``.

    python pipelines/monitor.py configs/demo.yaml            # DirectRunner, streaming
    python pipelines/monitor.py --config configs/gcp.yaml --runner DataflowRunner \
        --project P --region R --temp_location gs://BUCKET/tmp [--dry_run]

On a remote runner (Dataflow, a flex-template launch) the script only builds
and submits the job and exits: no preflight against live services, no
republish, no waiting (``mentionwatch.jobs.launch``). Locally it is
``mentionwatch monitor CONFIG`` exactly.
"""

import sys

from mentionwatch.cli import main
from mentionwatch.jobs.launch import LaunchError, config_argument


def run(argv=None) -> int:
    """``mentionwatch monitor CONFIG …``, with ``--config PATH`` (flex templates) accepted."""
    try:
        args = config_argument(sys.argv[1:] if argv is None else argv)
    except LaunchError as exc:
        print(f"mentionwatch monitor: {exc}", file=sys.stderr)
        return 2
    return main(["monitor", *args])


if __name__ == "__main__":
    sys.exit(run())
