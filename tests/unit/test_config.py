import pathlib
import textwrap

import pytest

from mentionwatch.config import ConfigError, load_config, parse_config

ROOT = pathlib.Path(__file__).resolve().parents[2]

DANA = textwrap.dedent(
    """
    subjects:
      - name: Dana Reyes
        aliases: [Dana R., Danita Reyes]
        handles: ["@danareyes"]
        hashtags: ["#DanaReyes"]
        context: [Full Count]
        exclude: [Dana Point]
        known_content:
          - title: "Dana Reyes - Hotel Room Tape"
            released: 2019-03-14
            url: https://studio.example/v/1903
    sources:
      feeds:
        - url: https://news.example/rss
          name: Example News
    """
)


@pytest.mark.parametrize("path", sorted((ROOT / "configs").rglob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_validates(path):
    loaded = load_config(path)
    assert loaded.config.subjects, "a config tracks at least one subject"


def test_subjects_block_has_the_documented_shape():
    config = parse_config(DANA)
    dana = config.subjects[0]
    assert dana.name == "Dana Reyes"
    assert dana.aliases == ("Dana R.", "Danita Reyes")
    assert dana.handles == ("@danareyes",)
    assert dana.known_content[0].released.isoformat() == "2019-03-14"
    assert config.pubsub is None  # optional: alerts are then not published
    assert config.sources.feeds[0].name == "Example News"


def test_every_problem_is_reported_with_file_line_and_field():
    text = textwrap.dedent(
        """\
        subjects:
          - name: Dana Reyes
            handles: ["danareyes"]
            known_content:
              - title: "Old"
                released: 2019-13-14
              - released: 2019-03-14
            alias: oops
        sources:
          feeds:
            - url: ftp://news.example/rss
        pubsub:
          project: x
        """
    )
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "deploy.yaml")
    problems = {(p.line, p.field): p.message for p in caught.value.problems}
    assert len(problems) == 6
    assert "must look like '@name'" in problems[(3, "subjects[0].handles")]
    assert "month value is outside" in problems[(6, "subjects[0].known_content[0].released")]
    assert problems[(7, "subjects[0].known_content[1].title")] == "required but missing"
    assert problems[(8, "subjects[0].alias")].startswith(
        "unknown key 'alias'; expected one of: name, aliases"
    )
    assert "http://, https:// or file:" in problems[(11, "sources.feeds[0].url")]
    assert "not a valid Google Cloud project id" in problems[(13, "pubsub.project")]
    assert str(caught.value).startswith("deploy.yaml:3: subjects[0].handles:")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "the file is empty"),
        ("subjects: [\n", "not valid YAML"),
        ("- a\n- b\n", "expected a mapping at the top level"),
        ("subjects: []\n", "at least 1 item"),
        ("subjects:\n  - name: A B\n  - name: a b\n", "appears twice"),
        ("subjects:\n  - name: A B\nsubjects:\n  - name: C D\n", "duplicate key"),
        (
            "subjects:\n  - name: A B\nstore:\n  url: mysql://x\n",
            "SQLAlchemy URL for SQLite or PostgreSQL",
        ),
        (
            "subjects:\n  - name: A B\nmodel:\n  thresholds: {harassment: 1.5}\n",
            "less than or equal to 1",
        ),
    ],
)
def test_bad_configs_say_what_is_wrong(text, expected):
    with pytest.raises(ConfigError, match=expected):
        parse_config(text)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yaml")


def test_thresholds_default_to_the_models_calibration():
    config = parse_config("subjects:\n  - name: A B\n")
    assert config.model.thresholds.harassment is None
    assert config.model.name == "shipped"
