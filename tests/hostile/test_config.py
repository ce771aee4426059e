"""A hostile config: an alias bomb is refused at once, in bounded time and memory (issue 15,
item 10)."""

import subprocess
import sys
import time

import pytest

from mentionwatch.config import ConfigError, parse_config

pytestmark = pytest.mark.hostile

BOMB = (
    "\n".join(
        [
            "subjects:",
            "  - name: Dana Reyes",
            "    context: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]",
        ]
        + [f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    )
    + "\n"
)


def test_an_alias_bomb_is_refused_with_a_clear_error():
    assert len(BOMB.encode()) < 600  # about 500 bytes that expand to 9^9 = 387 million values
    started = time.monotonic()
    with pytest.raises(ConfigError, match="expands to .* values through YAML aliases"):
        parse_config(BOMB, "bomb.yaml")
    assert time.monotonic() - started < 2


def test_validate_on_an_alias_bomb_stays_small(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    wrapper = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            wrapper,
            sys.executable,
            "-m",
            "mentionwatch.cli",
            "validate",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    assert out[0] == "2" and int(out[1]) < 512 * 1024, out  # exit 2 (invalid config), under 512 MB


def test_a_few_ordinary_aliases_still_work():
    config = parse_config(
        "subjects:\n  - name: Dana Reyes\n    context: &places [Phoenix, Tempe]\n"
        "  - name: Sam Okafor\n    context: *places\n"
    )
    assert config.subjects[1].context == ("Phoenix", "Tempe")
