"""Backfill: classify stored items again with a new model; history keeps both versions.

Reads the items the history store holds (those that mentioned a subject,
and those ingest still remembers), matches them against the config's
subjects, classifies them with ``--model DIR`` (a directory written by
``mentionwatch train``; default: the config's ``model.name``) and writes the
new rows beside the old ones. No alerts are sent. docs/history.md explains
how the current classification of a mention is chosen.

Run locally::

    python pipelines/backfill.py configs/demo.yaml --model models/2026-12 --since 90d \
        --direct_running_mode=multi_processing --direct_num_workers=2

Any further arguments are Beam pipeline options (``--runner``, ...). The
graph itself is built by ``mentionwatch.jobs.backfill.build_pipeline``.
"""

import sys

from mentionwatch.cli import main
from mentionwatch.jobs.launch import LaunchError, config_argument


def run(argv=None) -> int:
    """``mentionwatch backfill CONFIG …``, with ``--config PATH`` (flex templates) accepted."""
    try:
        args = config_argument(sys.argv[1:] if argv is None else argv)
    except LaunchError as exc:
        print(f"mentionwatch backfill: {exc}", file=sys.stderr)
        return 2
    return main(["backfill", *args])


if __name__ == "__main__":
    sys.exit(run())
