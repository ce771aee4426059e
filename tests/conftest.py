"""Shared fixtures: the shared corpora, a local HTTP server, the Pub/Sub emulator, a fake model.

Tiers (markers, see pyproject.toml): unit tests are unmarked and fast;
``pipeline`` runs Beam on the DirectRunner; ``integration`` starts real
components (the Pub/Sub emulator, HTTP servers on 127.0.0.1, SMTP,
PostgreSQL); ``model`` loads the shipped transformers model.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator

import pytest
from helpers import FeedServer, make_fake_handler

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = pathlib.Path(os.environ.get("MENTIONWATCH_SHARED", ROOT.parent / "shared"))
CORPORA = SHARED / "corpora"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# store_url / store / postgres_url: SQLite and PostgreSQL for every store test.
pytest_plugins = ("store_fixtures",)


@pytest.fixture(scope="session")
def corpora() -> pathlib.Path:
    if not CORPORA.is_dir():
        pytest.fail(
            f"shared corpora not found at {CORPORA}; set MENTIONWATCH_SHARED to the shared/ folder"
        )
    return CORPORA


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer(ROOT / "configs" / "feeds").start()
    yield server
    server.stop()


# --------------------------------------------------------------------------- Pub/Sub emulator


@pytest.fixture(scope="session")
def pubsub_emulator():
    """One real emulator for the session; tests use their own topic names."""
    from mentionwatch.pubsub.emulator import PubSubEmulator

    emulator = PubSubEmulator(project="mentionwatch-test")
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def fake_handler():
    return make_fake_handler()
