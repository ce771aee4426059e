"""Runs the demo config's scan (bundled feeds, fake model) into a given store, for report and
evidence tests."""

from __future__ import annotations

import pathlib

from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from helpers import make_fake_handler

from mentionwatch.config import LoadedConfig, StoreSettings, load_config
from mentionwatch.jobs.scan import build_pipeline

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEMO = ROOT / "configs" / "demo.yaml"


def demo_config(store_url: str) -> LoadedConfig:
    """configs/demo.yaml with the given store and no Pub/Sub (alerts are recorded 'local')."""
    loaded = load_config(str(DEMO))
    config = loaded.config.model_copy(
        update={"pubsub": None, "store": StoreSettings(url=store_url)}
    )
    return LoadedConfig(config, loaded.path)


def scan_demo(store_url: str, handler=None) -> LoadedConfig:
    loaded = demo_config(store_url)
    with BeamTestPipeline() as p:
        build_pipeline(p, loaded, model_handler=handler or make_fake_handler())
    return loaded


__all__ = ["DEMO", "ROOT", "demo_config", "scan_demo"]
