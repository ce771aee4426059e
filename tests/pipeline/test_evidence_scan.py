"""Evidence is captured at fetch time by the scan (real HTTP on 127.0.0.1) and exports a pack
that verifies."""

import io
import json
import textwrap
import zipfile

import pytest
import sqlalchemy as sa
from apache_beam.testing.test_pipeline import TestPipeline as BeamTestPipeline
from demo_store import ROOT
from pypdf import PdfReader

from mentionwatch.cli import main
from mentionwatch.config import LoadedConfig, parse_config
from mentionwatch.jobs.scan import build_pipeline
from mentionwatch.store import HistoryStore, schema

pytestmark = pytest.mark.pipeline


def config(tmp_path, store_url, feed_server):
    text = textwrap.dedent(
        f"""
        subjects:
          - name: Dana Reyes
            aliases: [Dana R., Danita Reyes]
            handles: ["@danareyes"]
            hashtags: ["#DanaReyes"]
        store:
          url: {store_url}
        model:
          thresholds: {{harassment: 0.5, re_promotion: 0.5}}
        sources:
          feeds:
            - url: {feed_server.url("/demo/corner-forum.atom")}
              name: Corner Forum
            - url: {feed_server.url("/demo/tubehub-new.xml")}
              name: TubeHub
        """
    )
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return LoadedConfig(parse_config(text, str(path)), path)


def test_scan_keeps_each_fetched_body_and_an_alert_exports_verifiable_evidence(
    store_url, tmp_path, feed_server, fake_handler, capsys
):
    loaded = config(tmp_path, store_url, feed_server)
    with BeamTestPipeline() as p:
        build_pipeline(p, loaded, model_handler=fake_handler)
    store = HistoryStore(store_url)
    assert store.count("fetches") == 2 and store.count("evidence_blobs") == 2
    with store.engine.connect() as connection:
        alert_id, item_id = connection.execute(
            sa.select(schema.alerts.c.alert_id, schema.alerts.c.item_id).where(
                schema.alerts.c.harassment_type == "doxxing"
            )
        ).one()
        raw_ref = connection.execute(
            sa.select(schema.items.c.raw_ref).where(schema.items.c.id == item_id)
        ).scalar_one()
    store.close()

    out = tmp_path / "pack.zip"
    assert main(["evidence", "export", str(loaded.path), alert_id, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "SHA-256 of manifest.json" in printed
    original = (ROOT / "configs" / "feeds" / "demo" / "corner-forum.atom").read_bytes()
    with zipfile.ZipFile(out) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        (fetch,) = manifest["fetches"]
        assert archive.read(fetch["file"]) == original  # the server's bytes, not a re-render
    assert fetch["url"] == feed_server.url("/demo/corner-forum.atom") and fetch["status"] == 200
    assert fetch["headers"]["content-type"] == "application/atom+xml" and "date" in fetch["headers"]
    assert fetch["sha256"] == raw_ref and manifest["items"][0]["raw_sha256"] == raw_ref
    assert manifest["classifications"][0]["model"] == {"id": "fake-model", "version": "1"}

    summary = PdfReader(io.BytesIO(zipfile.ZipFile(out).read("summary.pdf")))
    (page,) = summary.pages
    text = " ".join(page.extract_text().split())
    assert "Subject Dana Reyes" in text and "Finding harassment (doxxing)" in text
    assert f"Final address {feed_server.url('/demo/corner-forum.atom')}" in text
    assert f"Page as fetched {raw_ref}" in text and "Model fake-model, version 1" in text
    assert "Hidden behind a content warning" in text

    capsys.readouterr()
    assert main(["evidence", "verify", str(out)]) == 0
    assert "the summary (PDF and HTML) agrees with the pack's records" in capsys.readouterr().out
    assert main(["evidence", "verify", str(out), "--manifest-sha256", "0" * 64]) == 1
    with zipfile.ZipFile(out) as archive:
        entries = [(i, archive.read(i.filename)) for i in archive.infolist()]
    with zipfile.ZipFile(out, "w") as archive:
        for info, data in entries:
            if info.filename == fetch["file"]:
                data = data.replace(b"2241", b"2242", 1)  # one byte of the evidence changed
            archive.writestr(info, data)
    capsys.readouterr()
    assert main(["evidence", "verify", str(out)]) == 1
    assert f"{fetch['file']}: SHA-256 is" in capsys.readouterr().out
    assert (
        main(["evidence", "export", str(loaded.path), "al_nope", "--out", str(tmp_path / "x.zip")])
        == 1
    )
