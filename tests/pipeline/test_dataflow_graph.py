"""The monitor and ingest build for Dataflow offline, and every DoFn survives a fresh process.

Issue 17's acceptance: with the network off (``unshare -rn``: a new network
namespace with no interface but a downed loopback), ``pipelines/monitor.py``
and ``pipelines/ingest.py`` with ``--runner DataflowRunner … --dry_run``
build and translate the job from ``configs/gcp.yaml`` and exit 0, printing
how many transforms they built; the count is checked against the same graph
built here. Then every DoFn of both graphs, and the model handler, is
pickled with Beam's pickler and unpickled by a separate ``python`` process
that has imported nothing of ours, as a Dataflow worker does.
"""

from __future__ import annotations

import os
import pathlib
import re
import shutil
import subprocess
import sys

import apache_beam as beam
import pytest
from apache_beam.internal import pickler
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.pipeline import PipelineVisitor

from mentionwatch.classify.handler import MentionModelHandler
from mentionwatch.command import load_config_file
from mentionwatch.jobs import launch

pytestmark = pytest.mark.pipeline

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIG = ROOT / "configs" / "gcp.yaml"
DATAFLOW = [
    "--runner",
    "DataflowRunner",
    "--project",
    "p",
    "--region",
    "us-central1",
    "--temp_location",
    "gs://b/tmp",
    "--dry_run",
]


def _unshare_works() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        return (
            subprocess.run(["unshare", "-rn", "true"], check=False, capture_output=True).returncode
            == 0
        )
    except OSError:
        return False


def _graph(job: str) -> beam.Pipeline:
    """The job's graph as the launcher builds it for Dataflow (built, not run)."""
    options = PipelineOptions(["--project", "mentionwatch-test", "--region", "us-central1"])
    options.view_as(StandardOptions).streaming = job == "monitor"
    p = beam.Pipeline(runner="DirectRunner", options=options)
    launch.build_job(p, load_config_file(str(CONFIG)), job)
    return p


class _DoFns(PipelineVisitor):
    def __init__(self):
        self.fns = {}

    def visit_transform(self, node):
        fn = getattr(node.transform, "fn", None)
        if isinstance(fn, beam.DoFn):
            self.fns[node.full_label] = fn


@pytest.mark.skipif(not _unshare_works(), reason="unshare -rn is not permitted on this machine")
@pytest.mark.parametrize("job", ["monitor", "ingest"])
def test_the_dataflow_dry_run_builds_with_the_network_off(job):
    assert CONFIG.is_file(), "configs/gcp.yaml is the production config the dry run uses"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PUBSUB_EMULATOR_HOST", None)
    done = subprocess.run(
        ["unshare", "-rn", sys.executable, f"pipelines/{job}.py", "--config", str(CONFIG)]
        + DATAFLOW,
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    printed = re.search(
        rf"mentionwatch {job}: (\d+) transforms built for DataflowRunner; dry run", done.stdout
    )
    assert printed, done.stdout
    expected = len(_graph(job).to_runner_api().components.transforms)
    assert int(printed.group(1)) == expected
    # The placeholders of the acceptance command are said to be placeholders.
    assert "--project p is not a valid project ID" in done.stdout


def test_a_remote_runner_never_waits_or_republishes(monkeypatch, capsys):
    """The launcher path: build and submit only (no preflight, republish or wait)."""
    from mentionwatch.jobs import preflight, watch

    def forbidden(*_a, **_k):
        raise AssertionError("the launcher must not do this")

    class Submitted:
        wait_until_finish = cancel = forbidden

        def job_id(self):
            return "2026-12-10_job"

    runs = []
    monkeypatch.setattr(watch, "republish_pending", forbidden)
    monkeypatch.setattr(preflight, "preflight", forbidden)
    monkeypatch.setattr(beam.Pipeline, "run", lambda self: runs.append(self) or Submitted())
    from mentionwatch.cli import main

    assert main(["monitor", str(CONFIG), *DATAFLOW]) == 0
    assert len(runs) == 1 and runs[0].options.view_as(StandardOptions).streaming
    assert "dry run: nothing submitted" in capsys.readouterr().out


def test_sqlite_is_refused_for_dataflow_before_anything_is_built(tmp_path, capsys):
    text = CONFIG.read_text()
    store = re.search(r"(?ms)^store:\n(?:[ \t]+.*\n|\n)*", text)
    assert store, "configs/gcp.yaml has a store block"
    local = tmp_path / "c.yaml"
    local.write_text(text.replace(store.group(0), "store:\n  url: sqlite:///h.db\n"))
    from mentionwatch.cli import main

    assert main(["ingest", str(local), *DATAFLOW]) == 2
    err = capsys.readouterr().err
    assert "sqlite" in err and "DataflowRunner" in err
    assert not (tmp_path / "h.db").exists()


def test_config_argument_forms():
    assert launch.config_argument(["--config", "c.yaml", "--x=1"]) == ["c.yaml", "--x=1"]
    assert launch.config_argument(["--config=c.yaml"]) == ["c.yaml"]
    assert launch.config_argument(["c.yaml", "--runner", "X"]) == ["c.yaml", "--runner", "X"]
    with pytest.raises(launch.LaunchError, match="needs a path"):
        launch.config_argument(["--config"])
    with pytest.raises(launch.LaunchError, match="2 times"):
        launch.config_argument(["--config", "a.yaml", "--config=b.yaml"])
    assert launch.beam_flags(["--dry_run", "--x"]) == ["--dry_run=True", "--x"]
    assert launch.is_remote(["--runner=DataflowRunner"]) and not launch.is_remote([])


_UNPICKLE = """
import sys
from apache_beam.internal import pickler
names = []
for line in open(sys.argv[1], "rb").read().split(b"\\n"):
    if line:
        obj = pickler.loads(line)
        names.append(type(obj).__module__ + "." + type(obj).__name__)
print("\\n".join(names))
"""


def test_every_dofn_and_the_model_handler_unpickle_in_a_fresh_process(tmp_path):
    objects = {}
    for job in ("monitor", "ingest"):
        visitor = _DoFns()
        _graph(job).visit(visitor)
        objects.update({f"{job}:{label}": fn for label, fn in visitor.fns.items()})
    loaded = load_config_file(str(CONFIG))
    objects["handler"] = MentionModelHandler.from_settings(loaded.config.model, across_bundles=True)
    names = {type(o).__module__ + "." + type(o).__name__ for o in objects.values()}
    # The store-, Pub/Sub- and policy-holding DoFns are among them.
    for expected in (
        "mentionwatch.pubsub.publish._PublishBatchFn",
        "mentionwatch.alerts.transform._DecideOverTimeFn",
        "mentionwatch.jobs.monitor._SkipProcessedFn",
        "mentionwatch.jobs.outbox._PublishItemsFn",
        "mentionwatch.jobs.outbox._ReadOutboxFn",
        "mentionwatch.classify.handler.MentionModelHandler",
    ):
        assert expected in names
    pickled = [pickler.dumps(o) for o in objects.values()]
    assert all(b"\n" not in p for p in pickled)  # Beam's pickler writes base64
    path = tmp_path / "fns.bin"
    path.write_bytes(b"\n".join(pickled))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-c", _UNPICKLE, str(path)],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    unpickled = done.stdout.split()
    assert unpickled == [type(o).__module__ + "." + type(o).__name__ for o in objects.values()]
    handler = pickler.loads(pickled[-1])
    assert handler.batch_elements_kwargs()["max_batch_duration_secs"] == (
        loaded.config.model.max_batch_duration_s
    )


def test_the_monitor_reads_with_the_dedupe_id_and_the_producers_event_time():
    from apache_beam.io.gcp.pubsub import PubsubMessage, ReadFromPubSub
    from apache_beam.transforms.window import TimestampedValue
    from apache_beam.utils.timestamp import Timestamp

    from mentionwatch.jobs import monitor
    from mentionwatch.messages import encode_items
    from mentionwatch.records import Item

    reads = []

    class Reads(PipelineVisitor):
        def enter_composite_transform(self, node):
            if isinstance(node.transform, ReadFromPubSub):
                reads.append(node.transform._source)

    _graph("monitor").visit(Reads())
    # The reader is not given the timestamp attribute: it would fail the whole read on one
    # malformed value; DecodeItems reads it instead.
    assert [(r.id_label, r.timestamp_attribute) for r in reads] == [("item_id", None)]
    data, attributes = encode_items(
        [Item("it_1", "feed", "https://f.example/1", "t", "text")],
        published_at="2020-01-02T09:00:00.250Z",
    )
    stamped = Timestamp.from_rfc3339(attributes["published_at"])
    (value,) = monitor._decode(PubsubMessage(data, attributes))
    assert isinstance(value, TimestampedValue) and value.timestamp == stamped  # event time
    assert value.value.observed_at == "2020-01-02T09:00:00.250000Z"  # the producer's clock
    millis = dict(attributes, published_at=str(stamped.micros // 1000))
    (value,) = monitor._decode(PubsubMessage(data, millis))
    assert value.timestamp == stamped
    for other in ({"item_id": "it_1"}, dict(attributes, published_at="yesterday at noon")):
        (unstamped,) = monitor._decode(PubsubMessage(data, other))
        assert isinstance(unstamped, Item)  # keeps Pub/Sub's publish time as event time
        assert unstamped.observed_at > "2021"  # no readable attribute: when it was read
