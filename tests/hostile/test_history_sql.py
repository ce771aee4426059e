"""A curious (or careless) analyst: history sql stops runaway queries and reads only what it shows
(issue 15, item 7; read-only refusal of missing and old stores is in
tests/integration/test_delivery.py)."""

import time

import pytest
from history_data import write_config

from mentionwatch.cli import main
from mentionwatch.history.sql import ReadOnlySQLError, iter_readonly

pytestmark = pytest.mark.hostile

RUNAWAY = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"


@pytest.fixture
def config(store_url, tmp_path):
    return write_config(store_url, tmp_path), store_url


def test_an_endless_recursive_query_is_stopped_at_the_timeout(config):
    _, url = config
    started = time.monotonic()
    with pytest.raises(ReadOnlySQLError, match="longer than 1 s and was stopped"):
        list(iter_readonly(url, RUNAWAY, timeout_s=1))
    assert time.monotonic() - started < 10


def test_the_command_says_so_and_exits_1(config, capsys):
    path, _ = config
    assert main(["history", "sql", path, RUNAWAY, "--timeout", "1"]) == 1
    assert "was stopped" in capsys.readouterr().err


def test_a_huge_result_is_read_only_as_far_as_it_is_shown(config, capsys):
    path, _ = config
    huge = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000000) "
        "SELECT i FROM n"
    )
    started = time.monotonic()
    assert main(["history", "sql", path, huge, "--limit", "5", "--format", "csv"]) == 0
    assert capsys.readouterr().out.split() == ["i", "1", "2", "3", "4", "5"]
    assert time.monotonic() - started < 10  # 10^8 rows would take minutes to read through
