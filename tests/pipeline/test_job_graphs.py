"""Scan, monitor and backfill build their middle from the same two composites.

Each job's graph is built (not run) on the DirectRunner and its applied
transforms are read back: ``MatchAndClassify`` and ``DecideAndPublish`` are
there, as those classes, with the stages they wire inside them; the
monitor's step names that Dataflow's ``--update`` matches are as documented.
"""

import textwrap

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.pipeline import PipelineVisitor

from mentionwatch.config import LoadedConfig, parse_config
from mentionwatch.jobs import backfill, monitor, scan
from mentionwatch.jobs.stages import DecideAndPublish, MatchAndClassify
from mentionwatch.records import Item

pytestmark = pytest.mark.pipeline


def loaded_config(tmp_path, *, pubsub=False):
    text = textwrap.dedent(
        f"""
        subjects:
          - name: Dana Reyes
        store:
          url: sqlite:///{tmp_path}/h.db
        model:
          thresholds: {{harassment: 0.5, re_promotion: 0.5}}
        """
    )
    if pubsub:
        text += textwrap.dedent(
            """
            pubsub:
              project: mentionwatch-test
              emulator: true
              emulator_host: localhost:8085
            """
        )
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return LoadedConfig(parse_config(text, str(path)), path)


class _Steps(PipelineVisitor):
    """Every applied transform of a pipeline, composites included, by full label."""

    def __init__(self):
        self.by_label = {}

    def enter_composite_transform(self, node):
        self.by_label[node.full_label] = node.transform

    def visit_transform(self, node):
        self.by_label[node.full_label] = node.transform


def steps(p: beam.Pipeline) -> dict:
    visitor = _Steps()
    p.visit(visitor)
    return visitor.by_label


def assert_composites(found: dict, prefix: str, *, inside_decide: tuple[str, ...]):
    assert isinstance(found[f"{prefix}MatchAndClassify"], MatchAndClassify)
    assert isinstance(found[f"{prefix}DecideAndPublish"], DecideAndPublish)
    for stage in ("MatchSubjects", "ClassifyMentions"):
        assert f"{prefix}MatchAndClassify/{stage}" in found
    for stage in inside_decide:
        assert f"{prefix}DecideAndPublish/{stage}" in found


ITEMS = [Item("a", "forum", "https://f.example/a", "", "Dana Reyes, I will kill you")]


def test_scan_builds_its_middle_from_the_two_composites(tmp_path, fake_handler):
    p = beam.Pipeline()
    scan.build_pipeline(
        p, loaded_config(tmp_path), items=beam.Create(ITEMS), model_handler=fake_handler
    )
    found = steps(p)
    assert_composites(
        found, "", inside_decide=("WriteMentionHistory", "DecideAlerts", "PublishAlerts")
    )
    assert "MatchAndClassify/SpreadMentions" in found  # a batch read lands on a few workers
    assert "WriteDeadLetters" in found


def test_backfill_builds_its_middle_from_the_two_composites_without_alerts(tmp_path, fake_handler):
    p = beam.Pipeline()
    backfill.build_pipeline(
        p, loaded_config(tmp_path), items=beam.Create(ITEMS), model_handler=fake_handler
    )
    found = steps(p)
    assert_composites(found, "", inside_decide=("WriteMentionHistory",))
    assert not any("DecideAlerts" in label or "PublishAlerts" in label for label in found)


def test_monitor_builds_its_middle_from_the_two_composites_under_stable_names(
    tmp_path, fake_handler
):
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    p = beam.Pipeline(options=options)
    messages = p | "ReadItems" >> beam.Create([b"{}"])
    messages | "Monitor" >> monitor.MonitorItems(
        loaded_config(tmp_path, pubsub=True), emulator_host=None, model_handler=fake_handler
    )
    found = steps(p)
    assert_composites(
        found, "Monitor/", inside_decide=("WriteMentionHistory", "DecideAlerts", "PublishAlerts")
    )
    # The step names a running monitor's state is matched by on --update.
    for label in ("DecodeItems", "SkipProcessed", "RecordExpected", "WriteDeadLetters"):
        assert f"Monitor/{label}" in found
    # The documented mapping from the names before the composites leads to real steps.
    for old, new in monitor.UPDATE_NAME_MAPPING.items():
        assert old not in found
        assert new in found


def test_the_monitor_job_reads_the_items_subscription_into_the_same_graph(tmp_path):
    options = PipelineOptions()
    options.view_as(StandardOptions).streaming = True
    p = beam.Pipeline(options=options)
    monitor.build_pipeline(
        p, loaded_config(tmp_path, pubsub=True), emulator_host=None, dedupe_attribute=False
    )
    found = steps(p)
    assert "ReadItems" in found
    assert isinstance(found["Monitor"], monitor.MonitorItems)
    assert_composites(found, "Monitor/", inside_decide=("DecideAlerts",))
