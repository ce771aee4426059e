"""Hostile evidence packs: ``evidence verify`` stays bounded and says what is wrong (issue 15,
item 5)."""

import json
import resource
import subprocess
import sys
import time
import zipfile

import pytest

from mentionwatch.store.evidence_verify import MAX_MEMBER_BYTES, verify_pack

pytestmark = pytest.mark.hostile

MB = 1024 * 1024


def write_zip(path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def test_members_larger_than_the_limit_are_not_read(tmp_path):
    pack = tmp_path / "bomb.zip"
    with zipfile.ZipFile(pack, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for n in range(2):
            with archive.open(f"raw/{n:064x}.txt", "w", force_zip64=True) as member:
                for _ in range(MAX_MEMBER_BYTES // MB + 8):
                    member.write(bytes(MB))
        archive.writestr(
            "manifest.json", json.dumps({"format": "mentionwatch-evidence/1", "files": []})
        )
    assert pack.stat().st_size < 8 * MB
    started = time.monotonic()
    report = verify_pack(str(pack))
    assert not report.ok and time.monotonic() - started < 10
    assert sum("not read" in p for p in report.problems) == 2
    assert (
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 1024 * MB / 1024
    )  # KB: well under 1 GB


@pytest.mark.parametrize(
    "manifest",
    [
        [1, 2, 3],
        {"files": "everything"},
        {"files": [{"path": 1}]},
        {"files": [], "fetches": [7]},
        {"alert": []},
    ],
)
def test_a_manifest_of_the_wrong_shape_is_a_problem_not_a_traceback(tmp_path, manifest):
    pack = tmp_path / "shape.zip"
    write_zip(pack, {"manifest.json": json.dumps(manifest).encode(), "SHA256SUMS": b""})
    report = verify_pack(str(pack))
    assert not report.ok and any("manifest.json" in p for p in report.problems)


@pytest.mark.parametrize(
    "name", ["../../etc/cron.d/x", "/etc/passwd", "raw/../../x.txt", "notes.txt", "raw/a.txt"]
)
def test_member_names_outside_the_layout_are_reported(tmp_path, name):
    pack = tmp_path / "names.zip"
    write_zip(
        pack,
        {
            "manifest.json": json.dumps(
                {"format": "mentionwatch-evidence/1", "files": []}
            ).encode(),
            "SHA256SUMS": b"",
            name: b"planted",
        },
    )
    report = verify_pack(str(pack))
    assert not report.ok and any(repr(name) in p for p in report.problems)


def test_the_cli_says_failed_with_reasons_and_no_traceback(tmp_path):
    pack = tmp_path / "shape.zip"
    write_zip(pack, {"manifest.json": b"[]", "../x": b"planted"})
    done = subprocess.run(
        [sys.executable, "-m", "mentionwatch.cli", "evidence", "verify", str(pack)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (
        done.returncode == 1
        and "FAILED" in done.stdout
        and "Traceback" not in done.stderr + done.stdout
    )


SUMMARY_LAYOUT = "mentionwatch-summary/1"


@pytest.mark.parametrize(
    "summary, extra",
    [
        ("everything", {}),
        ({"layout": "mentionwatch-summary/99"}, {}),
        ({"layout": SUMMARY_LAYOUT}, {"classifications": ["not an object"]}),
        ({"layout": SUMMARY_LAYOUT}, {"alert": {"subject": {"a": 1}}, "items": [{"x": []}]}),
        (
            {"layout": SUMMARY_LAYOUT},
            {"classifications": [{"thresholds": {"harassment": "high"}, "scores": [1]}]},
        ),
    ],
)
def test_a_summary_entry_of_the_wrong_shape_is_a_problem_not_a_traceback(tmp_path, summary, extra):
    pack = tmp_path / "summary.zip"
    manifest = {"format": "mentionwatch-evidence/1", "files": [], "summary": summary, **extra}
    write_zip(
        pack,
        {
            "manifest.json": json.dumps(manifest).encode(),
            "SHA256SUMS": b"",
            "summary.pdf": b"%PDF-1.3 not really",
            "summary.html": b"<p>hello</p>",
        },
    )
    report = verify_pack(str(pack))
    assert not report.ok and any(
        "manifest.json" in p or p.startswith("summary.") for p in report.problems
    ), report.problems


def test_a_summary_pdf_that_is_not_ours_is_reported_and_bounded(tmp_path):
    pack = tmp_path / "pdf.zip"
    with zipfile.ZipFile(pack, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "manifest.json",
            json.dumps(
                {
                    "format": "mentionwatch-evidence/1",
                    "files": [],
                    "summary": {"layout": SUMMARY_LAYOUT, "text_shown": False},
                }
            ),
        )
        with archive.open("summary.pdf", "w", force_zip64=True) as member:
            for _ in range(64):  # 64 MB of "(x) Tj": over the summary limit, never parsed
                member.write(b"(x) Tj " * (MB // 7))
    started = time.monotonic()
    report = verify_pack(str(pack))
    assert not report.ok and time.monotonic() - started < 20
    assert any(p.startswith("summary.pdf: larger than") for p in report.problems), report.problems
