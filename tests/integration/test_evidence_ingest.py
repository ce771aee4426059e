"""Ingest keeps the raw pages it polls as evidence (real HTTP server, real Pub/Sub emulator)."""

import textwrap

import pytest
import sqlalchemy as sa
from helpers import Route

from mentionwatch.config import LoadedConfig, parse_config
from mentionwatch.jobs.ingest import run_ingest
from mentionwatch.pubsub.admin import ensure_resources
from mentionwatch.store import HistoryStore, schema
from mentionwatch.store.evidence import read_body

pytestmark = pytest.mark.integration

FEED = (
    b'<rss version="2.0"><channel><title>f</title><item><title>Dana Reyes</title><guid>p-1</guid>'
    b"<link>https://f.example/p-1</link>"
    b"<description>Dana Reyes you pathetic loser</description></item></channel></rss>"
)


def test_each_polled_page_is_kept_once_with_its_fetch_record(
    tmp_path, pubsub_emulator, feed_server
):
    feed_server.routes["/feed.xml"] = Route(
        FEED, headers={"Content-Type": "application/rss+xml", "ETag": '"v1"'}
    )
    text = textwrap.dedent(
        f"""
        subjects:
          - name: Dana Reyes
        store:
          url: sqlite:///{tmp_path}/h.db
        pubsub:
          project: mentionwatch-test
          emulator: true
          emulator_host: {pubsub_emulator.endpoint}
          topics: {{alerts: ev-alerts, items: ev-items, dead_letters: ev-dead}}
          subscriptions: {{alerts: ev-alerts-sub, items: ev-items-sub}}
        ingest:
          host_min_interval_s: 0
        sources:
          feeds:
            - url: {feed_server.url("/feed.xml")}
              name: Forum
        """
    )
    path = tmp_path / "c.yaml"
    path.write_text(text)
    loaded = LoadedConfig(parse_config(text, str(path)), path)
    ensure_resources(loaded.config.pubsub, pubsub_emulator.endpoint)

    run_ingest(loaded, emulator_host=pubsub_emulator.endpoint)
    run_ingest(
        loaded, emulator_host=pubsub_emulator.endpoint
    )  # the same body again (this server ignores ETags)
    store = HistoryStore(loaded.config.store.url)
    with store.engine.connect() as connection:
        (fetch,) = connection.execute(sa.select(schema.fetches)).mappings().all()
        raw_ref = connection.execute(sa.select(schema.item_outbox.c.payload)).scalar_one()[
            "raw_ref"
        ]
    assert (
        fetch["url"] == feed_server.url("/feed.xml")
        and fetch["status"] == 200
        and fetch["fetch_count"] == 2
    )
    assert store.count("evidence_blobs") == 1  # kept once however often it is fetched
    assert fetch["headers"]["etag"] == '"v1"' and fetch["sha256"] == raw_ref
    assert read_body(store, raw_ref) == FEED
