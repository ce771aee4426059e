"""The scan graph on the DirectRunner, with injected edges and a fake model."""

import json
import textwrap

import apache_beam as beam
import pytest
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from apache_beam.testing.util import assert_that, equal_to, is_not_empty
from helpers import Route

from mentionwatch.config import LoadedConfig, parse_config
from mentionwatch.jobs.scan import build_pipeline
from mentionwatch.records import Item
from mentionwatch.store import HistoryStore

pytestmark = pytest.mark.pipeline


def config(tmp_path, feeds=""):
    text = (
        textwrap.dedent(
            f"""
        subjects:
          - name: Dana Reyes
            aliases: [Dana R.]
            handles: ["@danareyes"]
            exclude: [Dana Point]
        store:
          url: sqlite:///{tmp_path}/history.db
        model:
          thresholds: {{harassment: 0.5, re_promotion: 0.5}}
        """
        )
        + feeds
    )
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return LoadedConfig(parse_config(text, str(path)), path)


ITEMS = [
    Item("a", "forum", "https://f.example/a", "", "Dana Reyes, I will kill you"),
    Item("b", "tube", "https://t.example/b", "Dana Reyes leaked full video", "watch free"),
    Item("c", "news", "https://n.example/c", "", "Dana Reyes opens a bakery"),
    Item("d", "news", "https://n.example/d", "", "Surf report from Dana Point"),
    Item("e", "forum", "https://f.example/e", "", "@danareyes RAISE_IN_MODEL"),
]


def test_scan_classifies_stores_alerts_and_dead_letters(tmp_path, fake_handler):
    loaded = config(tmp_path)
    with BeamTestPipeline() as p:
        out = build_pipeline(p, loaded, items=beam.Create(ITEMS), model_handler=fake_handler)
        labels = out.classified | beam.Map(
            lambda c: (c.mention.item.id, c.classification.label, c.classification.harassment_type)
        )
        assert_that(
            labels,
            equal_to(
                [("a", "harassment", "threat"), ("b", "re_promotion", None), ("c", "benign", None)]
            ),
            label="Labels",
        )
        alerts = out.alerts | beam.Map(lambda a: (a.item_id, a.label, a.severity))
        assert_that(
            alerts,
            equal_to([("a", "harassment", "critical"), ("b", "re_promotion", "medium")]),
            label="Alerts",
        )
        letters = out.dead_letters | beam.Map(lambda d: (d.stage, d.ref, "model failed" in d.error))
        assert_that(
            letters, equal_to([("ClassifyMentions", "e/Dana Reyes", True)]), label="DeadLetters"
        )
    store = HistoryStore(loaded.config.store.url)
    assert store.count("mentions") == 3
    assert store.count("alerts", status="local") == 2  # no pubsub block: recorded, not published
    assert store.count("dead_letters", stage="ClassifyMentions") == 1


def test_output_has_one_line_per_item_with_the_contract_fields(tmp_path, fake_handler):
    loaded = config(tmp_path)
    output = tmp_path / "results.jsonl"
    with BeamTestPipeline() as p:
        build_pipeline(
            p,
            loaded,
            items=beam.Create(ITEMS[:4]),
            model_handler=fake_handler,
            output_path=str(output),
        )
    lines = {row["id"]: row for row in map(json.loads, output.read_text().splitlines())}
    assert sorted(lines) == ["a", "b", "c", "d"]
    assert lines["d"]["mentions"] == []
    (threat,) = lines["a"]["mentions"]
    assert threat["subject"] == "Dana Reyes" and threat["label"] == "harassment"
    assert threat["harassment_type"] == "threat" and threat["alert"] is True
    assert set(threat["scores"]) >= {"harassment", "re_promotion", "benign"}
    assert threat["spans"][0] == {
        "field": "text",
        "start": 0,
        "end": 10,
        "matched": "Dana Reyes",
        "variant": "dana reyes",
    }
    (benign,) = lines["c"]["mentions"]
    assert (benign["label"], benign["harassment_type"], benign["alert"]) == ("benign", None, False)


def test_input_file_with_bad_lines(tmp_path, fake_handler):
    loaded = config(tmp_path)
    source = tmp_path / "items.jsonl"
    source.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "id": "1",
                        "text": "Dana Reyes you pathetic loser",
                        "url": "https://x.example/1",
                    }
                ),
                "{not json",
                json.dumps({"id": "3"}),
                "",
                json.dumps({"id": "5", "text": "nothing to see"}),
            ]
        )
    )
    output = tmp_path / "out.jsonl"
    with BeamTestPipeline() as p:
        out = build_pipeline(
            p, loaded, input_path=str(source), output_path=str(output), model_handler=fake_handler
        )
        refs = out.dead_letters | beam.Map(lambda d: (d.stage, d.ref))
        assert_that(refs, equal_to([("ReadInput", f"{source}:2"), ("ReadInput", f"{source}:3")]))
    rows = {r["id"]: r for r in map(json.loads, output.read_text().splitlines())}
    assert rows["1"]["mentions"][0]["harassment_type"] == "insult" and rows["5"]["mentions"] == []


def test_feeds_that_fail_become_dead_letters_and_the_rest_flows(
    tmp_path, fake_handler, feed_server
):
    feed_server.routes["/slow.xml"] = Route(b"<rss/>", delay=3)
    feed_server.routes["/down.xml"] = Route(b"busy", status=503)
    feeds = textwrap.dedent(
        f"""
        fetch:
          timeout_s: 1
        sources:
          feeds:
            - url: {feed_server.url("/demo/corner-forum.atom")}
              name: Corner Forum
            - url: {feed_server.url("/missing.xml")}
            - url: {feed_server.url("/slow.xml")}
            - url: {feed_server.url("/down.xml")}
            - url: {feed_server.url("/demo/broken-page.html")}
        """
    )
    loaded = config(tmp_path, feeds)
    with BeamTestPipeline() as p:
        out = build_pipeline(p, loaded, model_handler=fake_handler)
        errors = out.dead_letters | beam.Map(
            lambda d: (d.stage, d.ref.rsplit("/", 1)[-1], d.error.split(":")[0])
        )
        assert_that(
            errors,
            equal_to(
                [
                    ("FetchFeeds", "missing.xml", "FetchError"),
                    ("FetchFeeds", "slow.xml", "FetchError"),
                    ("FetchFeeds", "down.xml", "FetchError"),
                    ("ParseEntries", "broken-page.html", "FeedError"),
                ]
            ),
            label="Errors",
        )
        assert_that(out.items | beam.combiners.Count.Globally(), equal_to([7]), label="Items")
        assert_that(out.classified, is_not_empty(), label="Classified")


def test_a_source_about_her_turns_a_surname_only_comment_into_a_mention(tmp_path, fake_handler):
    loaded = config(
        tmp_path,
        textwrap.dedent(
            """
            sources:
              feeds:
                - url: file:comments.xml
                  name: Her channel comments
                  about: [Dana Reyes]
                - url: file:forum.xml
                  name: A general forum
            """
        ),
    )
    items = [
        Item(
            "c1", "Her channel comments", "https://v.example/c1", "", "Reyes was brilliant tonight"
        ),
        Item("f1", "A general forum", "https://f.example/f1", "", "Reyes was brilliant tonight"),
    ]
    with BeamTestPipeline() as p:
        out = build_pipeline(p, loaded, items=beam.Create(items), model_handler=fake_handler)
        mentions = out.classified | beam.Map(lambda c: (c.mention.item.id, c.mention.subject))
        assert_that(mentions, equal_to([("c1", "Dana Reyes")]))


def test_about_must_name_a_subject_of_the_file(tmp_path):
    from mentionwatch.config import ConfigError

    with pytest.raises(ConfigError, match="not a subject in this file"):
        config(tmp_path, "sources:\n  feeds:\n    - url: file:x.xml\n      about: [Dana Rayes]\n")
