"""History store benchmark: a million mentions, the report's queries, and the insert rate.

For each backend (SQLite in a temporary file; PostgreSQL on a throwaway
durable server started for the run, or ``--postgres-url``):

1. a naive baseline: ``--baseline`` mentions inserted one row per transaction;
2. ``--mentions`` synthetic mentions (default 1,000,000, with their items)
   written through ``HistoryStore.write_mentions`` in batches of ``--batch``,
   the path every pipeline's ``WriteMentionHistory`` takes (items upsert,
   mentions upsert, current-version flags, one transaction per batch), in
   the order they would arrive in service: by time, give or take a
   30-minute publishing lag. Only ``write_mentions`` is timed;
3. ``ANALYZE`` (what autovacuum / ``PRAGMA optimize`` do in service);
4. every query of ``mentionwatch report`` for the last 30 days and all
   subjects, and a few ``mentionwatch history`` filters: the median of
   ``--repeat`` runs each (warm cache), against the 1 s target;
5. ``--backfill`` more mentions (default 50,000) in random time order, as a
   backfill over stored items writes them, on top of the million; then as
   many recent arrivals in batches of 500, the most the streaming sink
   (``WriteMentionHistory``) writes at once.

The synthetic year: 5 subjects, 20% harassment (six types), 10%
re-promotion, 70% benign, 200 sources, 1,000 domains, 5,000 authors, and
twenty one-hour harassment bursts (pile-ons) on top of a steady background.

Run::

    .venv/bin/python benchmarks/history.py                 # both backends, 1,000,000 mentions
    .venv/bin/python benchmarks/history.py --mentions 100000 --backends sqlite --explain
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import pathlib
import random
import statistics
import sys
import tempfile
import time

import sqlalchemy as sa

from mentionwatch.history.explain import explain, uses_index
from mentionwatch.history.query import HistoryFilter, iter_mentions, select_mentions
from mentionwatch.records import (
    HARASSMENT_TYPES,
    Classification,
    ClassifiedMention,
    Item,
    Mention,
    Span,
)
from mentionwatch.report import PileOnSettings
from mentionwatch.report.build import run_queries
from mentionwatch.report.queries import Window, report_statements
from mentionwatch.store import HistoryStore, schema

TARGET_S = 1.0
SUBJECTS = ("Dana Reyes", "Sam Okafor", "Lee Marsh", "Ana Ruiz", "Kim Doyle")
SUBJECT_WEIGHTS = (40, 25, 15, 12, 8)
WORDS = [
    "podcast",
    "episode",
    "video",
    "studio",
    "forum",
    "thread",
    "stream",
    "clip",
    "reply",
    "post",
    "news",
    "show",
    "interview",
    "city",
    "park",
]
THRESHOLDS = {"harassment": 0.55, "re_promotion": 0.6}


class Synthetic:
    """A reproducible year of mentions ending at ``end``."""

    def __init__(self, total: int, end: dt.datetime, seed: int = 7, days: int = 365):
        self.total = total
        self.end = end
        self.days = days
        self.start = end - dt.timedelta(days=days)
        self.random = random.Random(seed)
        self.sources = [f"Source {i:03d}" for i in range(200)]
        self.domains = [f"site{i:04d}.example" for i in range(1000)]
        self.authors = [f"user{i:05d}" for i in range(5000)]
        burst_count = 20
        self.bursts = [
            self.start + dt.timedelta(seconds=self.random.uniform(0, days * 86_400 - 3600))
            for _ in range(burst_count)
        ]
        self.burst_size = min(300, max(1, total // 1000))

    def _classified(
        self, n: int, moment: dt.datetime, subject: str, label: str, kind: str | None
    ) -> ClassifiedMention:
        r = self.random
        domain = self.domains[int(r.paretovariate(1.2)) % len(self.domains)]
        text = f"{subject} " + " ".join(r.choices(WORDS, k=12))
        published = moment.isoformat().replace("+00:00", "Z")
        item = Item(
            id=f"it_bench_{n:08d}",
            source=self.sources[int(r.paretovariate(1.1)) % len(self.sources)],
            url=f"https://{domain}/p/{n}",
            title="",
            text=text,
            author=self.authors[int(r.paretovariate(1.05)) % len(self.authors)],
            published_at=published,
            fetched_at=published,
            raw_ref=f"{r.getrandbits(256):064x}",
        )
        top = r.uniform(0.6, 0.99)
        scores = {"harassment": 0.02, "re_promotion": 0.02, "benign": 0.02, label: top}
        if kind:
            scores[f"type:{kind}"] = r.uniform(0.5, 0.95)
        result = Classification(label, kind, scores, "bench-model", "1", THRESHOLDS)
        return ClassifiedMention(
            Mention(item, subject, (Span("text", 0, len(subject), subject, subject.lower()),)),
            result,
        )

    def _plan(self, random_order: bool) -> list[tuple[float, int]]:
        """(seconds after ``start``, kind) per mention; kind 0 = background, 1 = burst
        harassment."""
        r = self.random
        year = self.days * 86_400
        burst_total = self.burst_size * len(self.bursts)
        plan = [
            ((b - self.start).total_seconds() + r.uniform(0, 3600), 1)
            for b in self.bursts
            for _ in range(self.burst_size)
        ]
        plan += [(r.uniform(0, year), 0) for _ in range(max(0, self.total - burst_total))]
        if not random_order:
            # As they arrive in service: in time order, give or take a publishing lag of up to
            # 30 minutes.
            plan.sort(key=lambda entry: entry[0] + r.uniform(0, 1800))
        else:
            r.shuffle(plan)
        return plan[: self.total]

    def batches(self, size: int, *, random_order: bool = False, first: int = 0):
        r = self.random
        batch = []
        for n, (offset, kind) in enumerate(self._plan(random_order), start=first):
            moment = self.start + dt.timedelta(seconds=offset)
            if kind:
                subject, label, harassment_type = (
                    SUBJECTS[0],
                    "harassment",
                    r.choice(("insult", "threat", "incitement")),
                )
            else:
                subject = r.choices(SUBJECTS, SUBJECT_WEIGHTS)[0]
                roll = r.random()
                label = "harassment" if roll < 0.2 else ("re_promotion" if roll < 0.3 else "benign")
                harassment_type = r.choice(HARASSMENT_TYPES) if label == "harassment" else None
            batch.append(self._classified(n, moment, subject, label, harassment_type))
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch


def naive_baseline(store: HistoryStore, count: int, end: dt.datetime) -> float:
    """Rows per second inserting one mention (and its item) per transaction, row by row."""
    data = Synthetic(count, end, seed=99)
    rows = []
    now = dt.datetime.now(dt.UTC)
    for batch in data.batches(count):
        for entry in batch:
            item = entry.mention.item
            item_row = store.item_rows([dataclass_replace_id(item)], now)[0]
            mention_row = store.mention_row(entry, now)
            mention_row["item_id"] = item_row["id"]
            mention_row["mention_id"] = "mn_naive_" + item_row["id"]
            rows.append((item_row, mention_row))
    started = time.perf_counter()
    for item_row, mention_row in rows:
        with store.engine.begin() as connection:
            connection.execute(schema.items.insert(), item_row)
            connection.execute(schema.mentions.insert(), mention_row)
    elapsed = time.perf_counter() - started
    with store.engine.begin() as connection:  # leave the store as the bulk load will find it
        connection.execute(
            schema.mentions.delete().where(schema.mentions.c.mention_id.like("mn_naive_%"))
        )
        connection.execute(schema.items.delete().where(schema.items.c.id.like("it_naive_%")))
    return count / elapsed


def dataclass_replace_id(item: Item) -> Item:
    import dataclasses

    return dataclasses.replace(item, id=item.id.replace("it_bench_", "it_naive_"))


def load(
    store: HistoryStore, data: Synthetic, batch: int, *, random_order: bool = False, first: int = 0
) -> tuple[float, float]:
    """Writes every synthetic mention in batches; returns (overall rate, rate over the last tenth).

    Only ``write_mentions`` is timed (building the synthetic records is not):
    row preparation, the items and mentions upserts, the current-version
    update and the commit, per batch.
    """
    writing = 0.0
    written = 0
    tail_time, tail_written = 0.0, 0
    for chunk in data.batches(batch, random_order=random_order, first=first):
        started = time.perf_counter()
        store.write_mentions(chunk)
        spent = time.perf_counter() - started
        writing += spent
        written += len(chunk)
        if written > data.total * 0.9:
            tail_time += spent
            tail_written += len(chunk)
        if written % 100_000 < batch and not random_order:
            print(
                f"    {written:>9,} mentions written ({written / writing:,.0f}/s)",
                file=sys.stderr,
                flush=True,
            )
    return written / writing, (tail_written / tail_time if tail_time else 0.0)


def analyze(store: HistoryStore) -> None:
    with store.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


def history_filters(window: Window) -> dict[str, HistoryFilter]:
    since, until = window.since, window.until
    return {
        "history: one subject, 30 days, newest 100": HistoryFilter(
            subjects=(SUBJECTS[1],), since=since, until=until, limit=100
        ),
        "history: threats, 30 days, all of them": HistoryFilter(
            types=("threat",), since=since, until=until
        ),
        "history: one source, newest 100": HistoryFilter(sources=("Source 007",), limit=100),
        "history: one domain, re-promotion, newest 100": HistoryFilter(
            domains=("site0002.example",), labels=("re_promotion",), limit=100
        ),
        "history: text within a subject, 30 days": HistoryFilter(
            subjects=(SUBJECTS[2],), since=since, until=until, text="studio park"
        ),
    }


def time_queries(
    store: HistoryStore, window: Window, pile_on: PileOnSettings, repeat: int
) -> dict[str, float]:
    samples: dict[str, list[float]] = {}
    for _ in range(repeat):
        timings: dict[str, float] = {}
        with store.engine.connect() as connection, connection.begin():
            run_queries(connection, window, pile_on, timings)
        for name, seconds in timings.items():
            samples.setdefault(name, []).append(seconds)
        for name, selection in history_filters(window).items():
            started = time.perf_counter()
            sum(1 for _ in iter_mentions(store.engine, selection))
            samples.setdefault(name, []).append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in samples.items()}


def print_plans(store: HistoryStore, window: Window, pile_on: PileOnSettings) -> None:
    dialect = store.engine.dialect.name
    statements = report_statements(
        dialect, window, window_s=pile_on.window_s, baseline_days=pile_on.baseline_days
    )
    statements.update({name: select_mentions(f) for name, f in history_filters(window).items()})
    tables = {
        "pile-on alerts": "alerts",
        "alerts by status": "alerts",
        "dead letters by stage": "dead_letters",
    }
    with store.engine.connect() as connection:
        for name, statement in statements.items():
            plan = explain(connection, statement)
            verdict = "index" if uses_index(plan, tables.get(name, "mentions")) else "NO INDEX"
            print(f"  [{dialect}] {name}: {verdict}")
            for line in plan:
                print(f"      {line}")


def size_of(store: HistoryStore, path: pathlib.Path | None) -> str:
    if path is not None:
        total = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
        return f"{total / 1e9:.2f} GB"
    with store.engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT pg_size_pretty(pg_database_size(current_database()))"
        ).scalar()


def run_backend(
    name: str, url: str, args, end: dt.datetime, sqlite_path: pathlib.Path | None
) -> dict:
    print(
        f"== {name}: {sa.engine.make_url(url).render_as_string(hide_password=True)}",
        file=sys.stderr,
        flush=True,
    )
    store = HistoryStore(url)
    baseline = naive_baseline(store, args.baseline, end)
    print(f"    naive row-by-row: {baseline:,.0f} mentions/s", file=sys.stderr, flush=True)
    rate, tail = load(store, Synthetic(args.mentions, end), args.batch)
    started = time.perf_counter()
    analyze(store)
    analyze_s = time.perf_counter() - started
    window = Window(end - dt.timedelta(days=30), end, SUBJECTS)
    pile_on = PileOnSettings()
    if args.explain:
        print_plans(store, window, pile_on)
    timings = time_queries(store, window, pile_on, args.repeat)
    with store.engine.connect() as connection:
        in_window = connection.execute(
            sa.select(sa.func.count())
            .select_from(schema.mentions)
            .where(
                schema.mentions.c.occurred_at >= window.since,
                schema.mentions.c.occurred_at < window.until,
            )
        ).scalar_one()
    result = {
        "baseline": baseline,
        "rate": rate,
        "tail": tail,
        "timings": timings,
        "analyze_s": analyze_s,
        "size": size_of(store, sqlite_path),
        "rows": store.count("mentions"),
        "in_window": in_window,
    }
    # A backfill writes in the order it reads stored items: times all over the year.
    result["backfill"], _ = load(
        store, Synthetic(args.backfill, end, seed=11), args.batch, random_order=True, first=10**8
    )
    print(
        f"    backfill order (random times), {args.backfill:,} more: {result['backfill']:,.0f}/s",
        file=sys.stderr,
        flush=True,
    )
    # The streaming monitor's sink batches at most 500 (WriteMentionHistory's default): new
    # arrivals of the last week.
    result["small"], _ = load(
        store, Synthetic(args.backfill, end, seed=13, days=7), 500, first=2 * 10**8
    )
    print(
        f"    500 per batch, {args.backfill:,} more: {result['small']:,.0f}/s",
        file=sys.stderr,
        flush=True,
    )
    store.close()
    return result


@contextlib.contextmanager
def postgres(args):
    if args.postgres_url:
        from sqlalchemy.engine import make_url

        server = make_url(args.postgres_url)
        name = f"mw_bench_{int(time.time())}"
        admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield server.set(database=name).render_as_string(hide_password=False), "given server"
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
        return
    from mentionwatch.store.localpg import LocalPostgres

    with LocalPostgres(fast=False) as server:  # fsync on: the figures of a durable server
        yield server.url(), "throwaway local server, default durability (fsync on)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mentions", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000, help="mentions per write_mentions call")
    parser.add_argument(
        "--baseline", type=int, default=2000, help="mentions for the naive row-by-row baseline"
    )
    parser.add_argument(
        "--backfill",
        type=int,
        default=50_000,
        help="mentions written afterwards in random time order",
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per query (the median is shown)"
    )
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres-url",
        help="use this server (a database is created and dropped) instead of a local one",
    )
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    args = parser.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    end = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)
    results: dict[str, dict] = {}
    notes = []
    if "sqlite" in backends:
        # Removed before PostgreSQL starts, so its dirty pages are not written back meanwhile.
        with tempfile.TemporaryDirectory(prefix="mw-bench-") as folder:
            path = pathlib.Path(folder) / "history.db"
            results["SQLite"] = run_backend("SQLite", f"sqlite:///{path}", args, end, path)
            notes.append(
                "SQLite: WAL, synchronous=NORMAL, 64 MB page cache (mentionwatch's settings), "
                "temporary file"
            )
    if "postgresql" in backends:
        with postgres(args) as (url, what):
            results["PostgreSQL"] = run_backend("PostgreSQL", url, args, end, None)
            notes.append(f"PostgreSQL: {what}")

    names = list(next(iter(results.values()))["timings"]) if results else []
    columns = list(results)
    print(
        f"\nmentionwatch history benchmark: {args.mentions:,} synthetic mentions, "
        "report window = last 30 days, "
        f"all {len(SUBJECTS)} subjects; median of {args.repeat} runs (warm)"
    )
    for backend, result in results.items():
        print(
            f"  {backend}: {result['rows']:,} mention rows, {result['in_window']:,} in the window, "
            f"store size {result['size']}, "
            f"ANALYZE {result['analyze_s']:.1f} s"
        )
    width = max(len(n) for n in names) if names else 10
    print()
    print(f"{'query':<{width}}  " + "  ".join(f"{c:>11}" for c in columns) + f"  {'target':>7}  ok")
    print("-" * (width + 2) + "  ".join("-" * 11 for _ in columns) + "  -------  --")
    failures = 0
    for name in names:
        values = [results[c]["timings"][name] for c in columns]
        ok = all(v < TARGET_S for v in values)
        failures += not ok
        print(
            f"{name:<{width}}  "
            + "  ".join(f"{v * 1000:>8.1f} ms" for v in values)
            + f"  {'< 1 s':>7}  {'yes' if ok else 'NO'}"
        )
    print()
    print(
        f"{'insert rate (mentions/s)':<{width}}  "
        + "  ".join(f"{c:>11}" for c in columns)
        + f"  {'target':>7}  ok"
    )
    rows = (
        (f"batched write_mentions, {args.batch:,} per batch", "rate"),
        ("  the same, last 10% of the load", "tail"),
        (f"  backfill order (random times), {args.backfill:,} more", "backfill"),
        (f"500 per batch (the monitor's sink), {args.backfill:,} more", "small"),
        (f"naive: one row per transaction ({args.baseline:,})", "baseline"),
    )
    for label, key in rows:
        values = [results[c][key] for c in columns]
        target = key != "baseline"
        ok = all(v >= 5000 for v in values) if target else None
        counted = key in (
            "rate",
            "tail",
        )  # the target is for the batched load; the others are disclosed
        if counted:
            failures += not ok
        mark = ("yes" if ok else "NO") + ("" if counted else "*")
        print(
            f"{label:<{width}}  "
            + "  ".join(f"{v:>11,.0f}" for v in values)
            + (f"  {'>= 5000':>7}  {mark}" if target else "")
        )
    speedups = "  ".join(f"{c} {results[c]['rate'] / results[c]['baseline']:.1f}x" for c in columns)
    print(f"batched vs naive: {speedups}")
    print(
        "  * shown for information, not counted in the exit status: "
        "random-order writes (a backfill) and the"
    )
    print(
        "    streaming sink's small batches touch more index pages per mention "
        "than the batched load"
    )
    for note in notes:
        print(f"  {note}")
    print(
        f"  machine: {os.cpu_count()} CPU(s); Python {sys.version.split()[0]}; "
        f"SQLAlchemy {sa.__version__}"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
