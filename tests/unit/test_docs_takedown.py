"""docs/takedown.md stays true to the code it describes.

The guide is read by the person and her helper, who will type its commands
and rely on its statuses and clocks. These tests parse every ``mentionwatch``
command line in it with the real parser (an option that does not exist, or a
``--kind``/``--status`` value that is not accepted, fails), compare its status
table with the allowed transitions, its clock figures with the defaults, and
validate its ``takedown:`` config example.
"""

from __future__ import annotations

import pathlib
import re
import shlex

import pytest

from mentionwatch.cli import build_parser
from mentionwatch.config import parse_config
from mentionwatch.config.takedown import FollowUp
from mentionwatch.takedown.rules import KINDS, NCII_HOURS, STATUSES, TRANSITIONS

GUIDE = pathlib.Path(__file__).resolve().parents[2] / "docs" / "takedown.md"
TEXT = GUIDE.read_text(encoding="utf-8")
FLAT = " ".join(TEXT.split())  # the text with its line breaks (and '>' quoting kept) as spaces
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def _blocks(language: str) -> list[str]:
    return [body for lang, body in FENCE.findall(TEXT) if lang == language]


def _command_lines() -> list[str]:
    lines = []
    for body in _blocks("sh"):
        for line in body.splitlines():
            line = line.split(" #", 1)[0].strip()
            if line.startswith("mentionwatch "):
                lines.append(line)
    return lines


def _section(title: str) -> str:
    start = TEXT.index(f"## {title}")
    end = TEXT.find("\n## ", start + 1)
    return TEXT[start : end if end != -1 else None]


def test_the_guide_says_first_that_it_is_not_legal_advice():
    opening = " ".join(line.lstrip("> ") for line in TEXT.split("\n## ", 1)[0].splitlines())
    assert "**This is not legal advice.**" in opening
    assert "talk to a lawyer" in " ".join(opening.split())


def test_the_guide_shows_every_takedown_action_and_kind():
    commands = _command_lines()
    actions = {shlex.split(c)[2] for c in commands if shlex.split(c)[1] == "takedown"}
    assert actions == {"draft", "mark", "status", "show"}
    drafted = " ".join(c for c in commands if " takedown draft " in c)
    assert "--kind" in drafted and "--bulk-host" in drafted
    for kind in KINDS:
        assert f"`{kind}`" in TEXT, f"the guide does not explain --kind {kind}"


@pytest.mark.parametrize("line", _command_lines())
def test_every_command_in_the_guide_parses(line):
    parser = build_parser()
    try:
        args = parser.parse_args(shlex.split(line)[1:])
    except SystemExit as exc:  # argparse's way of refusing an option or a value
        pytest.fail(f"docs/takedown.md shows a command mentionwatch refuses: {line} ({exc})")
    assert callable(args.func)


def test_the_status_table_matches_the_allowed_transitions():
    table = _section("Keeping track")
    rows = re.findall(r"^\| `(\w+)` \|[^|]*\| ([^|]*) \|$", table, re.MULTILINE)
    assert [status for status, _ in rows] == list(STATUSES)
    for status, becomes in rows:
        listed = tuple(s for s in re.findall(r"`(\w+)`", becomes) if s in STATUSES)
        assert sorted(listed) == sorted(TRANSITIONS[status]), status


def test_the_clocks_in_the_guide_are_the_code_s():
    assert f"**{NCII_HOURS:g} hours**" in FLAT  # the table of kinds
    assert f"it is the {NCII_HOURS:g} hours of the TAKE IT DOWN Act" in FLAT  # the clocks
    defaults = FollowUp()
    days = {defaults.dmca, defaults.dsa, defaults.platform}
    assert len(days) == 1, "the guide gives one default follow-up for dmca, dsa and platform"
    assert f"({days.pop():g} days unless you change it)" in FLAT


def test_the_config_example_is_valid():
    (example,) = [b for b in _blocks("yaml") if b.startswith("takedown:")]
    config = parse_config("subjects:\n  - name: Dana Reyes\n" + example)
    sender = config.takedown.sender_for("Dana Reyes")
    assert sender is not None and sender.representative
    assert config.takedown.follow_up_days == FollowUp()


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def test_every_link_inside_the_docs_lands_on_a_heading():
    docs = GUIDE.parent
    links = re.findall(r"\]\(([\w.-]*\.md)?#([\w-]+)\)", TEXT)
    assert links, "the guide links its own sections"
    for page, anchor in links:
        target = (docs / page).read_text(encoding="utf-8") if page else TEXT
        headings = re.findall(r"^#+ (.+)$", target, re.MULTILINE)
        assert anchor in {_anchor(h) for h in headings}, f"{page or 'takedown.md'}#{anchor}"
