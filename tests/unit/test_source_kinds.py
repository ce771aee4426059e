"""The registry of source kinds and the config's lists of sources describe the same kinds."""

import pathlib
import re

from mentionwatch.config import SourcesSettings
from mentionwatch.sources.registry import SOURCE_KINDS, get_source, kinds

DOCS = pathlib.Path(__file__).resolve().parents[2] / "docs"


def test_every_polled_list_has_one_source_kind_and_every_kind_a_list():
    registered = [entry.settings for entry in SOURCE_KINDS]
    assert sorted(registered, key=lambda c: c.__name__) == sorted(
        SourcesSettings.polled_lists().values(), key=lambda c: c.__name__
    )
    assert len(set(registered)) == len(registered)


def test_each_kind_is_read_by_its_own_source():
    assert kinds() == sorted(entry.kind for entry in SOURCE_KINDS)
    for entry in SOURCE_KINDS:
        assert get_source(entry.kind) is entry.source


def test_the_sources_guide_has_a_row_for_every_list():
    text = (DOCS / "sources.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `(\w+)` \|", text, flags=re.MULTILINE))
    assert set(SourcesSettings.model_fields) <= rows
