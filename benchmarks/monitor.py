"""The monitor's graph measured: items/s, store round-trips per item, CPU-seconds per item.

Realistic text: real corpus posts (shared/corpora, as in the many-workers
test: ``tests/corpus_items.py``), 5 % of them short posts mentioning the
subject (a third threats, a sixth re-promotions of her known tape, the rest
benign). They are recorded in the store's outbox as ingest records them,
encoded as items messages of ``--per-message`` items (``messages``) and fed
to the monitor's graph after the Pub/Sub read (``jobs.monitor.MonitorItems``:
decode, skip processed, match, classify with the shipped model, store,
decide in streaming mode, publish to the Pub/Sub emulator, confirm) on the
streaming DirectRunner, against a durable throwaway PostgreSQL on 127.0.0.1
(``store.localpg``, fsync on) — the store a Dataflow deployment uses.

Store round-trips: every SQL statement the process sends (a SQLAlchemy
``before_cursor_execute`` listener on every engine; an ``executemany`` of
many rows is one) and every commit, counted from the first message to the
last confirmation; the outbox writes before the run are ingest's and are not
counted. CPU-seconds: ``time.process_time`` plus children, per item: what a
worker vCPU spends per item, from which docs/deploy.md estimates the cost of
a million items.

Baseline in the same run and process: the same items through
``MatchSubjects`` alone (every item must be matched; nothing is stored).

Both timings include each pipeline's start (for the monitor: the model's
load and the store's schema check), so at a few thousand items the per-item
figures are upper bounds. The PostgreSQL server's and the emulator's CPU
are not counted (they are not this process's children).

Targets, chosen from what this machine measured when the benchmark was
written (0.28 statements per item, 0.15 of the matching-only rate, on 2
shared cores): at most ``--max-round-trips`` = 0.4 statements per item (the
issue counted about five store transactions per element before batching),
and the monitor at least ``--min-fraction`` = 0.1 of the matching-only
rate. Exits 1 when one is missed.

    .venv/bin/python benchmarks/monitor.py [--items 3000] [--per-message 100]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import tempfile
import textwrap
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import apache_beam as beam  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions  # noqa: E402
from apache_beam.testing.test_stream import TestStream  # noqa: E402
from corpus_items import SUBJECT_YAML, realistic_items  # noqa: E402

from mentionwatch.config import load_config  # noqa: E402
from mentionwatch.jobs.monitor import MonitorItems  # noqa: E402
from mentionwatch.matching.transform import MatchSubjects  # noqa: E402
from mentionwatch.messages import encode_items  # noqa: E402
from mentionwatch.pubsub.admin import ensure_resources  # noqa: E402
from mentionwatch.pubsub.emulator import PubSubEmulator  # noqa: E402
from mentionwatch.store import HistoryStore  # noqa: E402
from mentionwatch.store.localpg import LocalPostgres  # noqa: E402
from mentionwatch.subjects import from_config  # noqa: E402

MENTION_SHARE = 0.05


class RoundTrips:
    """Counts SQL statements and commits sent by every engine of this process while on."""

    def __init__(self):
        self.statements = 0
        self.commits = 0
        self.on = False
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._statement)
        sa.event.listen(sa.engine.Engine, "commit", self._commit)

    def _statement(self, *_args, **_kwargs):
        if self.on:
            self.statements += 1

    def _commit(self, *_args, **_kwargs):
        if self.on:
            self.commits += 1


def cpu_seconds() -> float:
    """CPU time of this process and its waited-for children."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


def streaming_options() -> PipelineOptions:
    """The monitor's runner: the DirectRunner in streaming mode."""
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    return options


def messages_stream(items, per_message: int) -> TestStream:
    """The items as items messages, ten messages per arrival, as a subscription delivers."""
    messages = [
        encode_items(items[k : k + per_message])[0] for k in range(0, len(items), per_message)
    ]
    stream = TestStream()
    for k in range(0, len(messages), 10):
        stream = stream.add_elements(messages[k : k + 10])
    return stream.advance_watermark_to_infinity()


def run_monitor(loaded, host: str, items, per_message: int, trips: RoundTrips) -> dict:
    """The monitor's graph over the items; returns its wall time, CPU time and round-trips."""
    store = HistoryStore(loaded.config.store.url)
    store.add_new_items(items)  # ingest's outbox, before the monitor's clock starts
    wall, cpu = time.perf_counter(), cpu_seconds()
    trips.on = True
    with beam.Pipeline(options=streaming_options()) as p:
        _ = p | messages_stream(items, per_message) | MonitorItems(loaded, emulator_host=host)
    trips.on = False
    figures = {"wall": time.perf_counter() - wall, "cpu": cpu_seconds() - cpu}
    ids = [i.id for i in items]
    done = sum(len(store.processed_item_ids(ids[k : k + 900])) for k in range(0, len(ids), 900))
    store.close()
    figures.update(confirmed=done, statements=trips.statements, commits=trips.commits)
    return figures


def run_matching(loaded, items, per_message: int) -> dict:
    """The baseline: the same messages decoded and matched only, on the same runner."""
    from mentionwatch.messages import decode_items

    subjects = from_config(loaded.config.subjects)
    wall, cpu = time.perf_counter(), cpu_seconds()
    with beam.Pipeline(options=streaming_options()) as p:
        _ = (
            p
            | messages_stream(items, per_message)
            | "Decode" >> beam.FlatMap(decode_items)
            | "MatchSubjects" >> MatchSubjects(subjects)
        )
    return {"wall": time.perf_counter() - wall, "cpu": cpu_seconds() - cpu}


def write_config(folder: pathlib.Path, host: str, store_url: str) -> pathlib.Path:
    """The benchmark's config: the subject, the emulator, PostgreSQL, the shipped model."""
    path = folder / "monitor.yaml"
    path.write_text(
        SUBJECT_YAML
        + textwrap.dedent(
            f"""\
            pubsub:
              project: mentionwatch-bench
              emulator: true
              emulator_host: {host}
            store:
              url: {store_url}
            """
        )
    )
    return path


def report(args, count: int, monitor: dict, matching: dict) -> list[str]:
    """Prints the figures; returns the targets missed."""
    rate = count / monitor["wall"]
    base = count / matching["wall"]
    per_item = monitor["statements"] / count
    print(f"monitor graph, {count} items ({MENTION_SHARE:.0%} mention the subject), streaming")
    print(f"  items/s                       {rate:9.0f}")
    print(f"  store statements per item     {per_item:9.3f}   (target ≤ {args.max_round_trips:g})")
    print(f"  store commits per item        {monitor['commits'] / count:9.3f}")
    mentions = round(count * MENTION_SHARE)
    print(f"  store statements per mention  {monitor['statements'] / mentions:9.2f}")
    print(f"  CPU-seconds per item          {monitor['cpu'] / count:9.5f}")
    print(f"  CPU-seconds per million items {monitor['cpu'] / count * 1e6:9.0f}")
    print(f"  items confirmed               {monitor['confirmed']:9d} of {count}")
    print("baseline, same process: decode + MatchSubjects only")
    print(f"  items/s                       {base:9.0f}")
    print(f"  CPU-seconds per item          {matching['cpu'] / count:9.5f}")
    print(f"monitor / matching-only         {rate / base:9.2f}   (target ≥ {args.min_fraction:g})")
    missed = []
    if monitor["confirmed"] != count:
        missed.append(f"only {monitor['confirmed']} of {count} items confirmed")
    if per_item > args.max_round_trips:
        missed.append(f"{per_item:.3f} store statements per item > {args.max_round_trips:g}")
    if rate / base < args.min_fraction:
        missed.append(f"monitor at {rate / base:.2f} of matching-only < {args.min_fraction:g}")
    return missed


def main(argv=None) -> int:
    """Runs both measurements and returns 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=int, default=3000)
    parser.add_argument("--per-message", type=int, default=100)
    parser.add_argument("--max-round-trips", type=float, default=0.4)
    parser.add_argument("--min-fraction", type=float, default=0.1)
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    items, _ = realistic_items(args.items, round(args.items * MENTION_SHARE), tag="bench")
    trips = RoundTrips()
    with (
        tempfile.TemporaryDirectory() as folder,
        LocalPostgres(fast=False) as postgres,
        PubSubEmulator(project="mentionwatch-bench") as emulator,
    ):
        loaded = load_config(write_config(pathlib.Path(folder), emulator.endpoint, postgres.url()))
        ensure_resources(loaded.config.pubsub, emulator.endpoint)
        matching = run_matching(loaded, items, args.per_message)
        monitor = run_monitor(loaded, emulator.endpoint, items, args.per_message, trips)
    missed = report(args, len(items), monitor, matching)
    for line in missed:
        print(f"TARGET MISSED: {line}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
