"""The scan against Google's real Pub/Sub emulator."""

import textwrap

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline

from mentionwatch.alerts.receive import pull_alerts
from mentionwatch.cli import main
from mentionwatch.config import LoadedConfig, parse_config
from mentionwatch.jobs.scan import build_pipeline
from mentionwatch.pubsub.admin import PubSubUnavailable, check_reachable, ensure_resources
from mentionwatch.records import Item

pytestmark = pytest.mark.integration

ITEMS = [
    Item("a", "forum", "https://f.example/a", "", "Dana Reyes, I will kill you"),
    Item("b", "tube", "https://t.example/b", "Dana Reyes leaked full video", "watch free"),
    Item("c", "news", "https://n.example/c", "", "Dana Reyes opens a bakery"),
    Item("d", "news", "https://n.example/d", "", "nothing about her"),
]


def write_config(tmp_path, name, emulator_host, extra=""):
    text = (
        textwrap.dedent(
            f"""
        subjects:
          - name: Dana Reyes
        store:
          url: sqlite:///{tmp_path}/history.db
        pubsub:
          project: mentionwatch-test
          emulator: true
          emulator_host: {emulator_host}
          topics: {{alerts: {name}-alerts, items: {name}-items, dead_letters: {name}-dead}}
          subscriptions: {{alerts: {name}-alerts-sub, items: {name}-items-sub}}
        """
        )
        + extra
    )
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return LoadedConfig(parse_config(text, str(path)), path)


def run_scan_with_fake_model(loaded, endpoint, fake_handler):
    with BeamTestPipeline() as p:
        build_pipeline(
            p, loaded, items=beam.Create(ITEMS), model_handler=fake_handler, emulator_host=endpoint
        )


def test_resources_are_created_once(tmp_path, pubsub_emulator):
    loaded = write_config(tmp_path, "res", pubsub_emulator.endpoint)
    created = ensure_resources(loaded.config.pubsub, pubsub_emulator.endpoint)
    assert len(created) == 5
    assert ensure_resources(loaded.config.pubsub, pubsub_emulator.endpoint) == []
    check_reachable(loaded.config.pubsub, pubsub_emulator.endpoint)


def test_alerts_arrive_with_attributes_and_a_rerun_sends_nothing_twice(
    tmp_path, pubsub_emulator, fake_handler
):
    loaded = write_config(tmp_path, "scan", pubsub_emulator.endpoint)
    settings = loaded.config.pubsub
    ensure_resources(settings, pubsub_emulator.endpoint)
    run_scan_with_fake_model(loaded, pubsub_emulator.endpoint, fake_handler)
    alerts = pull_alerts(settings, pubsub_emulator.endpoint, wait=10, consume=True)
    by_item = {a["item_id"]: a for a in alerts}
    assert sorted(by_item) == ["a", "b"]
    threat = by_item["a"]
    assert threat["_attributes"] == {
        "subject": "Dana Reyes",
        "label": "harassment",
        "severity": "critical",
        "alert_id": threat["alert_id"],
    }
    assert threat["harassment_type"] == "threat" and threat["content_warning"] is True
    assert threat["schema_version"] == 1

    run_scan_with_fake_model(loaded, pubsub_emulator.endpoint, fake_handler)  # same input again
    assert pull_alerts(settings, pubsub_emulator.endpoint, wait=3) == []


def test_unreachable_pubsub_fails_fast_with_a_fix(tmp_path, capsys):
    loaded = write_config(tmp_path, "down", "127.0.0.1:9")
    with pytest.raises(PubSubUnavailable, match="mentionwatch pubsub emulator"):
        check_reachable(loaded.config.pubsub, "127.0.0.1:9", timeout=3)
    code = main(["scan", str(loaded.path)])
    assert code == 3
    assert "cannot reach the Pub/Sub emulator at 127.0.0.1:9" in capsys.readouterr().err


def test_missing_topic_says_to_run_pubsub_up(tmp_path, pubsub_emulator, capsys):
    loaded = write_config(tmp_path, "notopic", pubsub_emulator.endpoint)
    assert main(["scan", str(loaded.path)]) == 3
    assert "mentionwatch pubsub up" in capsys.readouterr().err
    assert main(["pubsub", "up", str(loaded.path)]) == 0
    assert "5 created" in capsys.readouterr().out
