"""The mentionwatch command end to end, with the shipped model."""

import json
import pathlib
import shutil
import subprocess
import sys

import pytest

from mentionwatch.cli import main

pytestmark = [pytest.mark.integration, pytest.mark.model]

ROOT = pathlib.Path(__file__).resolve().parents[2]
LABELS = {"harassment", "re_promotion", "benign"}
TYPES = {None, "threat", "sexual_harassment", "insult", "identity_attack", "doxxing", "incitement"}


def no_pubsub_config(tmp_path) -> pathlib.Path:
    """The demo config without its pubsub block, storing into tmp_path."""
    text = (ROOT / "configs" / "demo.yaml").read_text()
    text = text.split("\npubsub:")[0] + f"\nstore:\n  url: sqlite:///{tmp_path}/h.db\n"
    (tmp_path / "feeds").symlink_to(ROOT / "configs" / "feeds")
    path = tmp_path / "demo.yaml"
    path.write_text(text)
    return path


def items_file(tmp_path) -> pathlib.Path:
    rows = [
        {
            "id": "x1",
            "text": "Dana Reyes, I know where you live and you will regret every episode.",
            "url": "https://f.example/1",
        },
        {
            "id": "x2",
            "text": "NEW Dana Reyes Hotel Room Tape full video 2026, watch free",
            "title": "leak",
            "published": "2026-11-20T10:00:00Z",
        },
        {
            "id": "x3",
            "text": "Great interview with Dana Reyes about her softball fundraiser.",
            "source": "news.example",
        },
        {"id": "x4", "text": "The weather in Dana Point is lovely today."},
        {"id": "x5", "text": "Recipe: lentil soup with cumin.", "ignored": {"nested": True}},
    ]
    path = tmp_path / "items.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def check_contract(output: pathlib.Path, ids: set[str]) -> dict[str, dict]:
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    by_id = {r["id"]: r for r in rows}
    assert set(by_id) == ids and len(rows) == len(ids)
    for row in rows:
        assert set(row) >= {"id", "url", "mentions"}
        for mention in row["mentions"]:
            assert mention["subject"] == "Dana Reyes"
            assert mention["label"] in LABELS and mention["harassment_type"] in TYPES
            assert (mention["harassment_type"] is not None) == (mention["label"] == "harassment")
            assert isinstance(mention["alert"], bool) and mention["spans"]
            assert all(0.0 <= v <= 1.0 for v in mention["scores"].values())
    return by_id


def test_validate_exit_codes(tmp_path, capsys):
    assert main(["validate", str(ROOT / "configs" / "demo.yaml")]) == 0
    assert "1 subject, 5 sources (feeds 5)" in capsys.readouterr().out
    assert main(["validate", str(ROOT / "configs" / "sources-bluesky.yaml")]) == 0
    assert "3 sources (bluesky 2, jetstream 1)" in capsys.readouterr().out
    bad = tmp_path / "bad.yaml"
    bad.write_text("subjects:\n  - name: Dana Reyes\n    handles: [nope]\n")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3: subjects[0].handles" in err and "1 problem in" in err


def test_scan_input_output_contract(tmp_path, capsys):
    config = no_pubsub_config(tmp_path)
    output = tmp_path / "out.jsonl"
    assert (
        main(["scan", str(config), "--input", str(items_file(tmp_path)), "--output", str(output)])
        == 0
    )
    rows = check_contract(output, {"x1", "x2", "x3", "x4", "x5"})
    assert [len(rows[i]["mentions"]) for i in ("x1", "x2", "x3", "x4", "x5")] == [1, 1, 1, 0, 0]
    summary = capsys.readouterr().out
    assert "items read      5" in summary and "mentions        3" in summary


def test_scan_reads_feeds_in_multiprocessing_mode(tmp_path):
    config = no_pubsub_config(tmp_path)
    output = tmp_path / "out.jsonl"
    command = [
        sys.executable,
        "-m",
        "mentionwatch.cli",
        "scan",
        str(config),
        "--output",
        str(output),
        "--direct_running_mode=multi_processing",
        "--direct_num_workers=2",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=600, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert len(rows) == 21  # every entry of the demo feeds but the one without text (6 + 7 + 4 + 4)
    assert "dead letters    2" in done.stdout
    # Each dead letter with the feed and the error behind it; alerts counted by what became of them.
    assert "broken-page.html: FeedError: not a feed" in done.stdout
    assert "social-digest.json: EntryError: entry has no title and no text" in done.stdout
    assert "local only (no pubsub block: nobody is told)" in done.stdout
    assert "Tags {'counts'}" not in done.stderr  # no stray Beam warning


@pytest.mark.skipif(
    shutil.which("gcloud") is None, reason="needs the Google Cloud CLI's Pub/Sub emulator"
)
def test_demo_prints_alerts_received_from_the_emulator(tmp_path):
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "mentionwatch.cli",
            "demo",
            str(ROOT / "configs" / "demo.yaml"),
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    out = done.stdout
    assert "alerts received back from Pub/Sub" in out
    assert "harassment" in out and "re_promotion" in out
    for label in ("harassment", "re_promotion", "benign"):
        assert f"{label} " in out.split("[4/4] summary")[1]
    # Abusive text never reaches the console: the forum threat's words are masked.
    assert "showing her face" not in out and "[content hidden:" in out


def test_republish_leaves_an_alert_a_live_monitor_is_sending_and_says_so(tmp_path, capsys):
    from history_data import threat_alert

    from mentionwatch.store import HistoryStore

    config = no_pubsub_config(tmp_path)
    config.write_text(
        config.read_text()
        + "pubsub:\n  project: mentionwatch-demo\n  emulator: true\n  emulator_host: 127.0.0.1:1\n"
    )
    store = HistoryStore(f"sqlite:///{tmp_path}/h.db")
    just_recorded = threat_alert("al_1")
    assert store.record_alerts([just_recorded]) == ["al_1"]
    store.close()
    assert (
        main(["pubsub", "republish", str(config)]) == 0
    )  # nothing is published, so no broker is needed
    out = capsys.readouterr().out
    assert "no alerts to republish; 1 pending for less than 2 minutes" in out
