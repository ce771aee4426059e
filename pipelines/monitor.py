"""Monitor: the streaming job from the items topic to mentions, history and alerts.

``ReadFromPubSub(items)`` → match → classify → store every mention → decide
alerts over time (bursts grouped, threats never held, pile-ons detected) →
publish to the alerts topic. Runs until cancelled. The graph is built by
``mentionwatch.jobs.monitor.build_pipeline``.

    python pipelines/monitor.py configs/demo.yaml            # DirectRunner, streaming
    python pipelines/monitor.py CONFIG --runner=DataflowRunner --project=... --region=...
"""

import sys

from mentionwatch.cli import main


def run(argv=None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # Dataflow flex templates pass parameters as --name=value; accept --config=PATH too.
    args = [a.removeprefix("--config=") for a in args]
    return main(["monitor", *args])


if __name__ == "__main__":
    sys.exit(run())
