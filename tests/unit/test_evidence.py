"""Evidence: raw bodies kept by hash at fetch time; packs that verify, and fail on one changed
byte."""

import datetime as dt
import gzip
import hashlib
import json
import zipfile

import pytest
import sqlalchemy as sa
from evidence_data import BODY, HEADERS, alerted_mention, fetched, flip_one_byte, rewrite
from history_data import ALERTED, load

from mentionwatch.sources.http import FetchResult, fetch
from mentionwatch.store import schema
from mentionwatch.store.evidence import EvidenceError, capture_fetch, read_body, record_fetch
from mentionwatch.store.evidence_pack import export_alert
from mentionwatch.store.evidence_verify import verify_pack


def test_a_body_is_stored_once_per_hash_and_each_url_is_a_fetch_record(store):
    sha = record_fetch(store, fetched(), "Forum")
    assert sha == hashlib.sha256(BODY).hexdigest()
    record_fetch(store, fetched(at="2026-11-22T08:05:00Z"), "Forum")  # same body again
    record_fetch(store, fetched(url="https://mirror.example/feed.xml"), "Mirror")
    assert store.count("evidence_blobs") == 1 and store.count("fetches") == 2
    with store.engine.connect() as connection:
        row = (
            connection.execute(
                sa.select(schema.fetches).where(
                    schema.fetches.c.url == "https://forum.example/feed.xml"
                )
            )
            .mappings()
            .one()
        )
    assert row["fetch_count"] == 2 and row["status"] == 200 and row["headers"] == HEADERS
    last = (
        row["last_fetched_at"]
        if row["last_fetched_at"].tzinfo
        else row["last_fetched_at"].replace(tzinfo=dt.UTC)
    )
    assert last == dt.datetime(2026, 11, 22, 8, 5, tzinfo=dt.UTC)
    assert read_body(store, sha) == BODY  # byte for byte (stored compressed)


def test_a_not_modified_answer_stores_nothing(store):
    assert (
        record_fetch(
            store,
            FetchResult(
                "https://f.example/x", 304, {}, b"", "2026-11-22T08:00:00Z", not_modified=True
            ),
            "F",
        )
        == ""
    )
    assert store.count("fetches") == 0


def test_capture_keeps_going_and_dead_letters_when_keeping_the_body_fails(store, monkeypatch):
    from mentionwatch.store import evidence

    monkeypatch.setattr(
        evidence, "_encode", lambda body: (_ for _ in ()).throw(ValueError("disk says no"))
    )
    assert capture_fetch(store, fetched(), "Forum") == ""
    assert store.count("dead_letters", stage="RecordEvidence") == 1


def test_a_stored_body_that_no_longer_matches_its_hash_is_refused(store):
    sha = record_fetch(store, fetched(), "Forum")
    with store.engine.begin() as connection:
        connection.execute(
            schema.evidence_blobs.update()
            .values(data=b"tampered", encoding="identity")
            .where(schema.evidence_blobs.c.sha256 == sha)
        )
    alert = alerted_mention(store, sha)
    with pytest.raises(EvidenceError, match="does not match its SHA-256"):
        export_alert(store, alert.alert_id, "/dev/null")


def test_the_pack_holds_the_raw_bytes_manifest_and_hashes(store, tmp_path):
    sha = record_fetch(store, fetched(), "Forum")
    alert = alerted_mention(store, sha)
    out = tmp_path / "pack.zip"
    result = export_alert(store, alert.alert_id, str(out))
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        raw_name = f"raw/{sha}.xml"
        assert names == {
            "manifest.json",
            "SHA256SUMS",
            "README.txt",
            raw_name,
            "summary.html",
            "summary.pdf",
        }
        assert archive.read(raw_name) == BODY
        manifest = json.loads(archive.read("manifest.json"))
        sums = archive.read("SHA256SUMS").decode()
    assert (
        result.manifest_sha256
        == hashlib.sha256(zipfile.ZipFile(out).read("manifest.json")).hexdigest()
    )
    assert (
        manifest["alert"]["alert_id"] == alert.alert_id
        and manifest["alert"]["severity"] == "critical"
    )
    (classification,) = manifest["classifications"]
    assert classification["model"] == {"id": "mentionwatch-minilm", "version": "2026.11.1"}
    assert classification["thresholds"] == {"harassment": 0.55, "re_promotion": 0.6}
    assert (
        classification["label"] == "harassment" and classification["harassment_type"] == "doxxing"
    )
    assert (
        classification["signals"] == ["pii:address"]
        and classification["scores"]["type:doxxing"] == 0.9
    )
    (fetch_record,) = manifest["fetches"]
    assert fetch_record["url"] == "https://forum.example/feed.xml" and fetch_record["status"] == 200
    assert (
        fetch_record["headers"] == HEADERS
        and fetch_record["first_fetched_at"] == "2026-11-22T08:00:03Z"
    )
    assert fetch_record["sha256"] == sha and fetch_record["file"] == raw_name
    assert manifest["items"][0]["raw_sha256"] == sha and "text" not in manifest["items"][0]
    assert {f["path"]: f["sha256"] for f in manifest["files"]}[raw_name] == sha
    assert f"{sha}  {raw_name}" in sums and f"{result.manifest_sha256}  manifest.json" in sums
    report = verify_pack(str(out))
    assert report.ok and set(report.checked) >= {raw_name, "README.txt", "SHA256SUMS"}


@pytest.mark.parametrize(
    "target", ["raw", "manifest.json", "README.txt", "SHA256SUMS", "summary.pdf", "summary.html"]
)
def test_one_changed_byte_anywhere_fails_verification(store, tmp_path, target):
    sha = record_fetch(store, fetched(), "Forum")
    alert = alerted_mention(store, sha)
    out = tmp_path / "pack.zip"
    export_alert(store, alert.alert_id, str(out))
    name = f"raw/{sha}.xml" if target == "raw" else target
    rewrite(out, name, flip_one_byte)
    report = verify_pack(str(out))
    assert not report.ok
    assert any(name in problem or "manifest" in problem for problem in report.problems), (
        report.problems
    )


def test_a_raw_file_swapped_for_another_with_a_matching_manifest_entry_still_fails(store, tmp_path):
    sha = record_fetch(store, fetched(), "Forum")
    alert = alerted_mention(store, sha)
    out = tmp_path / "pack.zip"
    export_alert(store, alert.alert_id, str(out))
    forged = b"<rss>nothing to see</rss>"
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    for entry in manifest["files"]:
        if entry["path"].startswith("raw/"):
            entry.update(sha256=hashlib.sha256(forged).hexdigest(), size=len(forged))
    rewrite(out, f"raw/{sha}.xml", lambda _: forged)
    rewrite(out, "manifest.json", lambda _: json.dumps(manifest).encode())
    report = verify_pack(str(out))
    assert not report.ok  # the fetch record's hash and SHA256SUMS still name the original bytes


def test_an_extra_file_or_a_missing_one_fails(store, tmp_path):
    sha = record_fetch(store, fetched(), "Forum")
    alert = alerted_mention(store, sha)
    out = tmp_path / "pack.zip"
    export_alert(store, alert.alert_id, str(out))
    with zipfile.ZipFile(out, "a") as archive:
        archive.writestr("raw/extra.txt", b"planted")
    report = verify_pack(str(out))
    assert not report.ok and any("raw/extra.txt" in p for p in report.problems)
    assert not verify_pack(str(tmp_path / "missing.zip")).ok


def test_an_alert_without_a_raw_body_still_exports_with_a_note(store, tmp_path):
    load(store)  # items with raw references that were never fetched (pushed items)
    with store.engine.connect() as connection:
        alert_id = connection.execute(
            sa.select(schema.alerts.c.alert_id).where(schema.alerts.c.item_id == f"it_{ALERTED[0]}")
        ).scalar_one()
    out = tmp_path / "pack.zip"
    export_alert(store, alert_id, str(out))
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert any("no longer stored" in note for note in manifest["notes"])
    assert verify_pack(str(out)).ok
    with pytest.raises(EvidenceError, match="no alert"):
        export_alert(store, "al_missing", str(out))


def test_gzip_bodies_are_kept_as_decoded_bytes_over_real_http(store, feed_server, tmp_path):
    from helpers import Route

    feed_server.routes["/feed.xml"] = Route(
        gzip.compress(BODY),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"},
    )
    result = fetch(feed_server.url("/feed.xml"))
    sha = record_fetch(store, result, "Forum")
    assert read_body(store, sha) == BODY
    alert = alerted_mention(store, sha)
    out = tmp_path / "pack.zip"
    export_alert(store, alert.alert_id, str(out))
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert manifest["fetches"][0]["headers"]["content-encoding"] == "gzip"
    assert any("Content-Encoding" in note for note in manifest["notes"])


def test_ingest_keeps_source_pages_but_never_credential_responses(store):
    from mentionwatch.store.evidence import keeping_evidence

    calls = []

    def fake_fetch(url, **kwargs):
        calls.append(url)
        body = b'{"access_token": "secret"}' if kwargs.get("data") else BODY
        return fetched(body=body, url=url)

    fetch_and_keep = keeping_evidence(store, fake_fetch)
    assert fetch_and_keep("https://forum.example/feed.xml", etag=None).body == BODY
    fetch_and_keep(
        "https://www.reddit.example/api/v1/access_token", data=b"grant_type=client_credentials"
    )
    assert calls == [
        "https://forum.example/feed.xml",
        "https://www.reddit.example/api/v1/access_token",
    ]
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(schema.fetches.c.url, schema.fetches.c.source)).all()
    assert [tuple(r) for r in rows] == [("https://forum.example/feed.xml", "forum.example")]
    assert store.count("evidence_blobs") == 1
