"""The analyst commands end to end through ``mentionwatch.cli.main`` (both backends)."""

import csv
import json

import pyarrow.parquet as pq
import pytest
from history_data import write_config

from mentionwatch.cli import main
from mentionwatch.store import HistoryStore
from mentionwatch.store.engine import make_engine
from mentionwatch.store.migrate import downgrade, head_revision


@pytest.fixture
def config(store_url, tmp_path):
    return write_config(store_url, tmp_path, "  retention: {raw_days: 7, history_days: 30}\n")


def run(capsys, *argv):
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_history_prints_a_masked_table(config, capsys):
    code, out, _ = run(
        capsys, "history", config, "--subject", "Dana Reyes", "--label", "harassment,re_promotion"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["occurred_at", "subject", "label"] and lines[-1] == "(3 rows)"
    assert "[content hidden: harassment: threat, 26 characters]" in out and "hurt" not in out


def test_history_filters_and_files(config, capsys, tmp_path):
    out_csv = tmp_path / "h.csv"
    code, out, _ = run(
        capsys,
        "history",
        config,
        "--since",
        "2026-11-02",
        "--until",
        "2026-11-06",
        "--source",
        "Corner Forum",
        "--format",
        "csv",
        "--out",
        str(out_csv),
    )
    assert code == 0 and "2 mentions written" in out
    assert sorted(r["item_id"] for r in csv.DictReader(out_csv.open())) == ["it_a", "it_b"]
    code, out, _ = run(capsys, "history", config, "--type", "doxxing", "--format", "jsonl")
    assert code == 0 and [json.loads(line)["item_id"] for line in out.splitlines()] == ["it_e"]
    code, out, _ = run(
        capsys, "history", config, "--text", "BAKERY", "--show-text", "--format", "jsonl"
    )
    assert json.loads(out)["text"] == "Dana Reyes opens a bakery"
    parquet = tmp_path / "h.parquet"
    code, out, _ = run(
        capsys, "history", config, "--all-versions", "--format", "parquet", "--out", str(parquet)
    )
    assert code == 0 and pq.read_table(parquet).num_rows == 8
    code, out, _ = run(
        capsys,
        "history",
        config,
        "--domain",
        "tubehub.example",
        "--min-severity",
        "medium",
        "--alerted",
        "--format",
        "jsonl",
    )
    assert [json.loads(line)["item_id"] for line in out.splitlines()] == ["it_c"]


def test_history_rejects_bad_arguments(config, capsys):
    assert run(capsys, "history", config, "--label", "nasty")[0] == 2
    assert run(capsys, "history", config, "--format", "parquet")[0] == 2
    assert run(capsys, "history", config, "--since", "yesterday-ish")[0] == 2
    assert run(capsys, "history", config, "extra")[0] == 2
    assert run(capsys, "history")[0] == 2


def test_history_sql(config, store_url, capsys):
    code, out, _ = run(
        capsys, "history", "sql", config, "SELECT count(*) AS n FROM mentions WHERE is_current"
    )
    assert code == 0 and out.splitlines()[2].strip() == "7"
    code, out, _ = run(
        capsys,
        "history",
        "sql",
        "--store",
        store_url,
        "SELECT label FROM mentions WHERE item_id = 'it_a'",
        "--format",
        "csv",
    )
    assert code == 0 and out.splitlines() == ["label", "harassment"]
    code, _, err = run(capsys, "history", "sql", "--store", store_url, "DELETE FROM mentions")
    assert code == 1 and "read-only" in err
    assert HistoryStore(store_url).count("mentions") == 8


def test_store_status_upgrade_and_retention(config, store_url, capsys):
    code, out, _ = run(capsys, "store", "status", config)
    assert code == 0 and f"revision  {head_revision()}" in out and "mentions" in out
    engine = make_engine(store_url)
    downgrade(engine, "0001")
    engine.dispose()
    code, out, _ = run(capsys, "store", "status", config)
    assert code == 1 and "mentionwatch store upgrade" in out
    code, out, _ = run(capsys, "store", "upgrade", config)
    assert code == 0 and f"upgraded from 0001 to {head_revision()}" in out
    code, out, _ = run(capsys, "store", "upgrade", "--store", store_url)
    assert code == 0 and "already at revision" in out
    code, out, _ = run(capsys, "store", "retention", config, "--dry-run")
    assert code == 0 and "dry run" in out and "mentions" in out
