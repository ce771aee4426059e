"""Scan: one batch run from feeds (or an items file) to mentions, history and alerts.

The whole chain in one Beam job: read the config's feeds (or ``--input``
JSON lines), find mentions of the tracked subjects, classify each with the
offline transformers model, store every mention, and publish an alert to the
Pub/Sub alerts topic for each mention the alert policy selects. ``--output``
writes one JSON line per item (docs/architecture.md has the contract).

Run locally::

    python pipelines/scan.py configs/demo.yaml --input items.jsonl --output results.jsonl \
        --direct_running_mode=multi_processing --direct_num_workers=2

Any further arguments are Beam pipeline options (``--runner``, ...). The
graph itself is built by ``mentionwatch.jobs.scan.build_pipeline``.
"""

import sys

from mentionwatch.cli import main
from mentionwatch.jobs.launch import LaunchError, config_argument


def run(argv=None) -> int:
    """``mentionwatch scan CONFIG …``, with ``--config PATH`` (flex templates) accepted."""
    try:
        args = config_argument(sys.argv[1:] if argv is None else argv)
    except LaunchError as exc:
        print(f"mentionwatch scan: {exc}", file=sys.stderr)
        return 2
    return main(["scan", *args])


if __name__ == "__main__":
    sys.exit(run())
