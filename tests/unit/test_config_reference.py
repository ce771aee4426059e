"""docs/config.md is generated from the schema: it must say what the code accepts."""

import json
import pathlib
import subprocess
import sys

from mentionwatch.config import Config
from mentionwatch.config.reference import json_schema, reference_markdown

DOC = pathlib.Path(__file__).resolve().parents[2] / "docs" / "config.md"


def test_the_committed_reference_is_current():
    assert DOC.read_text(encoding="utf-8") == reference_markdown(), (
        "docs/config.md is out of date: run  "
        ".venv/bin/mentionwatch config reference > docs/config.md"
    )


def test_every_block_and_key_of_the_schema_is_in_the_reference():
    text = reference_markdown()
    schema = json_schema()
    for name, block in schema["$defs"].items():
        assert f"\n## {name}\n" in text, name
        for key in block.get("properties", {}):
            assert f"| `{key}` |" in text, f"{name}.{key}"
    for key in Config.model_fields:
        assert f"| `{key}` |" in text


def test_config_schema_command_prints_valid_json_schema():
    out = subprocess.run(
        [sys.executable, "-m", "mentionwatch.cli", "config", "schema"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    schema = json.loads(out)
    assert schema["title"] == "Config" and "subjects" in schema["required"]
    assert schema["properties"]["notify"]["anyOf"][0]["$ref"] == "#/$defs/NotifySettings"
