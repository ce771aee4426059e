"""The evidence pack's one-page summary: PDF and HTML, masked by default, deterministic, and
checked by ``evidence verify`` (issue 18, "evidence a person can read")."""

import hashlib
import io
import json
import os
import re
import subprocess
import sys
import zipfile

import pytest
from evidence_data import BODY, HEADERS, alerted_mention, flip_one_byte, rewrite
from pypdf import PdfReader

from mentionwatch.cli import main
from mentionwatch.records import Classification, ClassifiedMention, Item, Mention, Span
from mentionwatch.sources.http import FetchResult
from mentionwatch.store.evidence import record_fetch
from mentionwatch.store.evidence_pack import export_alert
from mentionwatch.store.evidence_pdf import pdf_text, shown_strings
from mentionwatch.store.evidence_verify import verify_pack

ABUSE = "Dana Reyes I know where you live"
FEED_URL = "https://forum.example/feed.xml"
FINAL_URL = "https://cdn.forum.example/feeds/v2/feed.xml"


def redirected_fetch(store, body=BODY):
    result = FetchResult(
        FEED_URL,
        200,
        HEADERS,
        body,
        "2026-11-22T08:00:03Z",
        redirects=("https://forum.example/feed", FINAL_URL),
    )
    return record_fetch(store, result, "Forum")


def export(store, tmp_path, name="pack.zip", show_text=False, raw_ref=None):
    sha = raw_ref or redirected_fetch(store)
    alert = alerted_mention(store, sha)
    out = tmp_path / name
    result = export_alert(store, alert.alert_id, str(out), show_text=show_text)
    return alert, sha, out, result


def members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def pdf_text_of(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


def html_text_of(data: bytes) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", data.decode("utf-8")).split())


def test_the_summary_pdf_shows_who_what_where_when_and_the_fingerprints(store, tmp_path):
    alert, sha, out, result = export(store, tmp_path)
    files = members(out)
    text = pdf_text_of(files["summary.pdf"])
    # who, what (label, type, severity, model id and version, scores)
    assert "Subject Dana Reyes" in text
    assert "Finding harassment (doxxing)" in text and "Severity critical" in text
    assert "Model mentionwatch-minilm, version 2026.11.1" in text
    assert "harassment 0.97 · re-promotion 0.01 · benign 0.02" in text
    assert "doxxing 0.90" in text and "harassment 0.55, re-promotion 0.60" in text
    assert f"Alert id {alert.alert_id}" in text
    # where: the post, where it was fetched and the final address after the redirects
    assert "Post address https://forum.example/t/1" in text
    assert f"Fetched from {FEED_URL}" in text and f"Final address {FINAL_URL}" in text
    assert "Redirects 2" in text and "HTTP status 200" in text
    # when
    assert "Published 2026-11-22 07:59:00 UTC" in text
    assert "First fetched 2026-11-22 08:00:03 UTC" in text and "fetched once" in text
    # the excerpt is masked: what kind, how long, never the words
    assert "Hidden behind a content warning: harassment (doxxing), 32 characters" in text
    assert "where you live" not in text and "where you live" not in html_text_of(
        files["summary.html"]
    )
    # the fingerprints, and what they prove
    assert f"Page as fetched {sha}" in text and f"File in this pack raw/{sha}.xml" in text
    assert "if even one byte changes, the fingerprint changes" in text
    assert "do not by themselves show who wrote or published the page" in text
    # the summary's own hashes are in the manifest, in SHA256SUMS and printed at export
    manifest = json.loads(files["manifest.json"])
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    for name in ("summary.html", "summary.pdf"):
        digest = hashlib.sha256(files[name]).hexdigest()
        assert listed[name] == digest and dict(result.summaries)[name] == digest
        assert f"{digest}  {name}" in files["SHA256SUMS"].decode()
    assert manifest["summary"]["text_shown"] is False and manifest["summary"]["excerpt"] == ""
    report = verify_pack(str(out))
    assert report.ok and report.summary_checked, report.problems


def test_the_html_holds_the_same_facts_as_the_pdf(store, tmp_path):
    _, sha, out, _ = export(store, tmp_path)
    files = members(out)
    html = html_text_of(files["summary.html"])
    pdf = pdf_text_of(files["summary.pdf"])
    for fact in (
        "Dana Reyes",
        "harassment (doxxing)",
        "critical",
        "mentionwatch-minilm, version 2026.11.1",
        FINAL_URL,
        "2026-11-22 07:59:00 UTC",
        "2026-11-22 08:00:03 UTC",
        sha,
    ):
        assert fact in html and fact in pdf, fact
    assert files["summary.html"].startswith(b"<!DOCTYPE html>")
    assert (
        b"<script" not in files["summary.html"]
        and b"http" not in files["summary.html"].split(b"<body>")[0]
    )  # self-contained: nothing loaded from elsewhere


def test_show_text_puts_the_excerpt_on_the_summary_under_its_warning(store, tmp_path):
    _, _, out, _ = export(store, tmp_path, show_text=True)
    files = members(out)
    text = pdf_text_of(files["summary.pdf"])
    assert "Content warning harassment (doxxing)" in text and ABUSE in text
    assert ABUSE in html_text_of(files["summary.html"])
    assert json.loads(files["manifest.json"])["summary"]["excerpt"] == ABUSE
    assert verify_pack(str(out)).ok


def test_the_summary_is_the_same_bytes_every_time_and_dated_by_the_pack(store, tmp_path):
    sha = redirected_fetch(store)
    alert = alerted_mention(store, sha)
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    export_alert(store, alert.alert_id, str(first))
    export_alert(store, alert.alert_id, str(second))
    a, b = members(first), members(second)
    assert a["summary.pdf"] == b["summary.pdf"] and a["summary.html"] == b["summary.html"]
    manifest = json.loads(a["manifest.json"])
    latest = max(manifest["alert"]["created_at"], manifest["classifications"][0]["classified_at"])
    stamp = re.sub(r"\D", "", latest)[:14]
    assert (
        PdfReader(io.BytesIO(a["summary.pdf"])).metadata["/CreationDate"].startswith(f"D:{stamp}")
    )


@pytest.mark.parametrize("name", ["summary.pdf", "summary.html"])
def test_an_altered_summary_fails_verification_with_a_clear_message(store, tmp_path, name):
    _, _, out, _ = export(store, tmp_path)
    rewrite(out, name, flip_one_byte)
    report = verify_pack(str(out))
    assert not report.ok
    assert any(problem.startswith(f"{name}: SHA-256 is") for problem in report.problems), (
        report.problems
    )
    assert main(["evidence", "verify", str(out)]) == 1


def _forge(path, changes):
    """Replaces members and recomputes every hash in the manifest and SHA256SUMS, as a careful
    forger would."""
    files = {**members(path), **changes}
    manifest = json.loads(files["manifest.json"])
    for entry in manifest["files"]:
        entry.update(
            sha256=hashlib.sha256(files[entry["path"]]).hexdigest(), size=len(files[entry["path"]])
        )
    files["manifest.json"] = json.dumps(manifest, indent=2).encode()
    files["SHA256SUMS"] = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n"
        for name, data in sorted(files.items())
        if name != "SHA256SUMS"
    ).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)


def test_a_summary_edited_with_its_hashes_recomputed_still_fails(store, tmp_path):
    _, _, out, _ = export(store, tmp_path)
    files = members(out)
    _forge(out, {"summary.html": files["summary.html"].replace(b"critical", b"low", 1)})
    report = verify_pack(str(out))
    assert not report.ok
    (problem,) = report.problems
    assert "summary.html: does not agree with the pack's records" in problem
    assert "'<tr><th>Severity</th><td>low</td></tr>'" in problem

    _, _, out, _ = export(store, tmp_path, name="pdf.zip")
    pdf = members(out)["summary.pdf"]
    # same length, so the PDF's cross-reference table stays valid: only the text differs
    _forge(out, {"summary.pdf": pdf.replace(b"(critical) Tj", b"(low\\040\\040\\040) Tj", 1)})
    report = verify_pack(str(out))
    assert not report.ok
    assert any(
        p.startswith("summary.pdf: its text does not agree with the pack's records")
        and "'low   '" in p
        for p in report.problems
    ), report.problems


def test_records_changed_under_an_unchanged_summary_fail(store, tmp_path):
    _, _, out, _ = export(store, tmp_path)
    manifest = json.loads(members(out)["manifest.json"])
    manifest["alert"]["severity"] = "low"
    manifest["fetches"][0]["final_url"] = "https://elsewhere.example/"
    files = members(out)
    files["manifest.json"] = json.dumps(manifest).encode()
    _forge(out, {"manifest.json": files["manifest.json"]})
    problems = verify_pack(str(out)).problems
    assert any(p.startswith("summary.html: does not agree") for p in problems), problems
    assert any(p.startswith("summary.pdf: its text does not agree") for p in problems), problems


def test_a_summary_missing_from_the_manifest_or_the_zip_fails(store, tmp_path):
    _, _, out, _ = export(store, tmp_path)
    files = members(out)
    manifest = json.loads(files["manifest.json"])
    manifest["files"] = [f for f in manifest["files"] if f["path"] != "summary.pdf"]
    _forge(out, {"manifest.json": json.dumps(manifest).encode()})
    problems = verify_pack(str(out)).problems
    assert "summary.pdf: not listed with its SHA-256 in manifest.json" in problems
    assert "summary.pdf: in the zip but not in the manifest" in problems


def test_a_pack_made_before_summaries_existed_still_verifies(store, tmp_path):
    _, _, out, _ = export(store, tmp_path)
    files = members(out)
    manifest = json.loads(files["manifest.json"])
    del manifest["summary"]
    manifest["files"] = [f for f in manifest["files"] if not f["path"].startswith("summary.")]
    files = {k: v for k, v in files.items() if not k.startswith("summary.")}
    files["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    _forge(out, {})
    report = verify_pack(str(out))
    assert report.ok and not report.summary_checked, report.problems


def non_latin_alert(store, sha, subject="Дана Рейес"):
    item = Item(
        "it_cyr",
        "Форум",
        "https://forum.example/t/2",
        "",
        f"{subject} — я знаю, где ты живёшь",
        published_at="2026-11-22T07:59:00Z",
        fetched_at="2026-11-22T08:00:03Z",
        raw_ref=sha,
    )
    result = Classification(
        "harassment",
        "threat",
        {"harassment": 0.9, "re_promotion": 0.05, "benign": 0.05, "type:threat": 0.8},
        "mentionwatch-e5",
        "2026.12.1",
        {"harassment": 0.5},
        (),
    )
    classified = ClassifiedMention(
        Mention(item, subject, (Span("text", 0, len(subject), subject, subject.lower()),)), result
    )
    from mentionwatch.alerts.selection import make_alert

    store.write_mentions([classified])
    alert = make_alert(classified)
    store.record_alerts([alert], status="local")
    return alert


def test_names_and_text_in_other_scripts_never_break_the_pdf(store, tmp_path):
    sha = redirected_fetch(store)
    alert = non_latin_alert(store, sha)
    out = tmp_path / "cyr.zip"
    export_alert(store, alert.alert_id, str(out), show_text=True)
    files = members(out)
    text = pdf_text_of(files["summary.pdf"])
    assert "Subject «Dana Reyes»" in text  # transliterated, and marked as such
    assert "Text between « » was written in another script" in text
    assert "Дана Рейес" in files["summary.html"].decode()  # the HTML shows it as written
    assert verify_pack(str(out)).ok


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Dana Reyes", ("Dana Reyes", False)),
        ("Zoë Müller – café", ("Zoë Müller – café", False)),  # Windows-1252 letters stay
        ("Dana 李小龍 Reyes", ("Dana «LiXiaoLong» Reyes", True)),
        ("ليلى", ("«lyla»", True)),
        ("line\nbreak\x00", ("line break ", False)),
    ],
)
def test_pdf_text_keeps_latin_and_transliterates_the_rest(value, expected):
    assert pdf_text(value) == expected


def test_a_long_excerpt_and_a_long_url_stay_on_one_page(store, tmp_path):
    long_url = "https://forum.example/" + "a" * 600
    body = BODY + b"x"
    result = FetchResult(long_url, 200, HEADERS, body, "2026-11-22T08:00:03Z")
    sha = record_fetch(store, result, "Forum")
    item_url = "https://forum.example/t/" + "b" * 700
    alert = alerted_mention(store, sha, item_id="it_long", url=item_url)
    out = tmp_path / "long.zip"
    export_alert(store, alert.alert_id, str(out), show_text=True)
    files = members(out)
    text = pdf_text_of(files["summary.pdf"])  # asserts one page
    assert "b" * 60 in text and "b" * 700 not in text.replace(" ", "")  # shortened …
    assert "Values ending in … are shortened to fit this page" in text
    assert f"Page as fetched {sha}" in text and ABUSE in text  # nothing after it was lost
    assert "This page is full" not in text
    assert item_url in files["summary.html"].decode()  # in full in the HTML
    assert verify_pack(str(out)).ok


def test_the_cli_exports_with_show_text_and_verify_says_the_summary_agrees(
    store, store_url, tmp_path, capsys
):
    sha = redirected_fetch(store)
    alert = alerted_mention(store, sha)
    config = tmp_path / "c.yaml"
    config.write_text(f"subjects:\n  - name: Dana Reyes\nstore:\n  url: {store_url}\n")
    out = tmp_path / "cli.zip"
    args = ["evidence", "export", str(config), alert.alert_id, "--out", str(out), "--show-text"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert re.search(r"SHA-256 of summary\.pdf\s+[0-9a-f]{64}", printed)
    assert "with its text excerpt" in printed
    assert ABUSE in pdf_text_of(members(out)["summary.pdf"])
    assert main(["evidence", "verify", str(out)]) == 0
    assert "the summary (PDF and HTML) agrees with the pack's records" in capsys.readouterr().out


def test_the_summary_is_the_same_in_another_process_with_another_hash_seed(store, tmp_path):
    _, _, out, _ = export(store, tmp_path)
    files = members(out)
    (tmp_path / "manifest.json").write_bytes(files["manifest.json"])
    script = (
        "import json, sys\n"
        "from mentionwatch.store.evidence_summary import build_summary, render_html\n"
        "from mentionwatch.store.evidence_pdf import render_pdf\n"
        "s = build_summary(json.load(open(sys.argv[1])))\n"
        "open(sys.argv[2], 'wb').write(render_pdf(s))\n"
        "open(sys.argv[3], 'wb').write(render_html(s))\n"
    )
    pdf, html = tmp_path / "again.pdf", tmp_path / "again.html"
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "manifest.json"), str(pdf), str(html)],
        env={**os.environ, "PYTHONHASHSEED": "4242"},
        check=True,
        timeout=120,
    )
    assert pdf.read_bytes() == files["summary.pdf"]
    assert html.read_bytes() == files["summary.html"]


@pytest.mark.parametrize(
    "added, problem",
    [
        (b"BT [(Severity) -20 (: low)] TJ ET", "its text does not agree"),
        (b"BT <4c6f77> Tj ET", "its text does not agree"),
        (b"BT (low) ' ET", "its text does not agree"),
        (b"/XObject << >>", "holds an image or a form"),
    ],
)
def test_text_or_pictures_added_to_the_pdf_another_way_are_found(store, tmp_path, added, problem):
    _, _, out, _ = export(store, tmp_path)
    pdf = members(out)["summary.pdf"]
    _forge(out, {"summary.pdf": pdf.replace(b"endstream", added + b"\nendstream", 1)})
    problems = verify_pack(str(out)).problems
    assert any(p.startswith(f"summary.pdf: {problem}") for p in problems), problems


def test_shown_strings_reads_every_way_a_pdf_shows_text():
    data = b"BT (a\\(b\\)\\351) Tj [(c) 10 (d)] TJ <4546> Tj (g) ' ET"
    assert shown_strings(data) == ["a(b)é", "cd", "EF", "g"]
