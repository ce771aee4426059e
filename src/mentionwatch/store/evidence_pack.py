"""Evidence packs: an alert's raw bodies and what was decided about them, in a zip that verifies.

``export_alert`` (``mentionwatch evidence export``) writes a zip with

* ``raw/<sha256>.<ext>``: each raw body, exactly as fetched;
* ``manifest.json``: the alert, the classification of every mention it
  covers (label, type, scores, model id and version, thresholds, spans), the
  items (URL, source, author, times; no text), the fetch records (URL, fetch
  times, status, headers) and the SHA-256 and size of every file;
* ``SHA256SUMS``: the hash of every file, manifest included, in the format
  ``sha256sum -c`` reads, so the pack can be checked without mentionwatch;
* ``README.txt``: what the pack is and how to check it;
* ``summary.html`` and ``summary.pdf``: the same one-page summary a lawyer or a
  platform can read (``store.evidence_summary``), rebuilt from the manifest's
  records alone, its excerpt hidden unless exported with ``show_text``.

Hashes are recomputed from the stored bytes while exporting: a body whose
bytes no longer match its hash is refused (``EvidenceError``), never
packed. The written zip is read back with ``evidence_verify.verify_pack``
before it is handed out.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import zipfile
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from mentionwatch import __version__
from mentionwatch.ids import sha256_hex
from mentionwatch.records import utc_now
from mentionwatch.store import schema
from mentionwatch.store.db import HistoryStore
from mentionwatch.store.evidence import EvidenceError, read_body
from mentionwatch.store.evidence_pdf import render_pdf
from mentionwatch.store.evidence_summary import (
    SUMMARY_FILES,
    SUMMARY_HTML,
    SUMMARY_PDF,
    build_summary,
    render_html,
    summary_block,
)
from mentionwatch.store.evidence_verify import FORMAT, MANIFEST, README, SUMS, verify_pack
from mentionwatch.timeutil import iso_z


@dataclasses.dataclass(frozen=True)
class ExportResult:
    """A written pack: where, its members, and the hashes to keep apart from it.

    ``summaries`` holds (file, SHA-256) for ``summary.html`` and ``summary.pdf``.
    """

    path: str
    alert_id: str
    files: tuple[str, ...]
    manifest_sha256: str
    zip_sha256: str
    summaries: tuple[tuple[str, str], ...] = ()


@dataclasses.dataclass(frozen=True)
class _PackRows:
    """The stored rows an alert's pack is made of."""

    alert: Mapping[str, Any]
    members: Sequence[Any]  # alerts grouped under it: (alert_id, item_id, mention_id)
    mentions: Sequence[Mapping[str, Any]]
    items: Sequence[Mapping[str, Any]]
    refs: list[str]  # the raw bodies' SHA-256s
    fetches: Sequence[Mapping[str, Any]]


def _extension(headers: Mapping[str, str]) -> str:
    kind = str(headers.get("content-type", "")).split(";")[0].strip().lower()
    if "json" in kind:
        return "json"
    if "html" in kind:
        return "html"
    if "xml" in kind or "rss" in kind or "atom" in kind:
        return "xml"
    if kind.startswith("text/"):
        return "txt"
    return "bin"


def _json_bytes(document: Any) -> bytes:
    return (json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode(
        "utf-8"
    )


def _readme(alert_id: str) -> bytes:
    return f"""mentionwatch evidence pack for alert {alert_id}

CONTENT WARNING: the files under raw/ are the pages and feeds exactly as
the server sent them; they contain the abusive or re-promoting content.

summary.pdf     one page to read first: who, what, where, when, the model
summary.html    that classified it, and the fingerprints; the same in both.
                Its text excerpt is hidden unless exported with --show-text.
manifest.json   the alert, what the classifier decided and with which model,
                the items, when and from where each raw file was fetched
                (status and HTTP headers), and the SHA-256 of every file.
raw/            the raw response bodies, byte for byte as fetched. Each is
                named by its SHA-256.
SHA256SUMS      SHA-256 of every file, manifest and summary included.

To check that nothing changed since the export, in the unzipped folder:
    sha256sum -c SHA256SUMS
or: mentionwatch evidence verify THIS.zip
Keep the SHA-256 of manifest.json printed at export time somewhere separate
(an e-mail to yourself or your lawyer): it pins the whole pack.
""".encode()


def _pack_rows(store: HistoryStore, alert_id: str) -> _PackRows:
    """Reads the alert, the alerts grouped under it, their mentions, items and fetches."""
    alerts, mentions, items, fetches = schema.alerts, schema.mentions, schema.items, schema.fetches
    with store.engine.connect() as connection:
        alert = (
            connection.execute(sa.select(alerts).where(alerts.c.alert_id == alert_id))
            .mappings()
            .first()
        )
        if alert is None:
            raise EvidenceError(f"no alert {alert_id!r} in the history store")
        members = connection.execute(
            sa.select(alerts.c.alert_id, alerts.c.item_id, alerts.c.mention_id).where(
                alerts.c.leader_id == alert_id
            )
        ).all()
        mention_ids = sorted({alert["mention_id"], *(m.mention_id for m in members)})
        item_ids = sorted({alert["item_id"], *(m.item_id for m in members)})
        mention_rows = (
            connection.execute(
                sa.select(mentions)
                .where(mentions.c.mention_id.in_(mention_ids))
                .order_by(mentions.c.mention_id, mentions.c.classified_at)
            )
            .mappings()
            .all()
        )
        item_rows = (
            connection.execute(
                sa.select(items).where(items.c.id.in_(item_ids)).order_by(items.c.id)
            )
            .mappings()
            .all()
        )
        refs = sorted({row["raw_ref"] for row in item_rows if row["raw_ref"]})
        fetch_rows = (
            connection.execute(
                sa.select(fetches)
                .where(fetches.c.sha256.in_(refs))
                .order_by(fetches.c.first_fetched_at, fetches.c.url)
            )
            .mappings()
            .all()
            if refs
            else []
        )
    return _PackRows(alert, members, mention_rows, item_rows, refs, fetch_rows)


def _raw_files(
    store: HistoryStore, rows: _PackRows
) -> tuple[dict[str, bytes], dict[str, str], list[str]]:
    """The raw bodies by pack path, the path of each by SHA-256, and notes on what is missing.

    Raises ``EvidenceError`` when a stored body no longer matches its hash.
    """
    files: dict[str, bytes] = {}
    raw_files: dict[str, str] = {}
    notes: list[str] = []
    for sha in rows.refs:
        body = read_body(store, sha)
        if body is None:
            notes.append(
                f"raw body {sha} is no longer stored "
                "(purged by retention before this alert referenced it?)"
            )
            continue
        headers = next((f["headers"] for f in rows.fetches if f["sha256"] == sha), {})
        path = f"raw/{sha}.{_extension(headers)}"
        files[path] = body
        raw_files[sha] = path
    for row in rows.items:
        if not row["raw_ref"]:
            notes.append(
                f"item {row['id']} came without a raw response (pushed by a producer or read "
                "from an items file); only its metadata is in this pack"
            )
    if any("content-encoding" in (f["headers"] or {}) for f in rows.fetches):
        notes.append(
            "bodies are stored after removing the HTTP Content-Encoding (gzip/deflate) named in "
            "their headers"
        )
    return files, raw_files, notes


def _alert_entry(alert: Mapping[str, Any], members: Sequence[Any]) -> dict[str, Any]:
    body = alert["body"] or {}
    return {
        "alert_id": alert["alert_id"],
        "kind": alert["kind"],
        "subject": alert["subject"],
        "label": alert["label"],
        "harassment_type": alert["harassment_type"],
        "severity": alert["severity"],
        "status": alert["status"],
        "count": alert["count"],
        "item_id": alert["item_id"],
        "mention_id": alert["mention_id"],
        "model": {"id": body.get("model_id"), "version": body.get("model_version")},
        "created_at": iso_z(alert["created_at"], "auto"),
        "published_at": iso_z(alert["published_at"], "auto"),
        "pubsub_message_id": alert["message_id"],
        "url": body.get("url"),
        "source": body.get("source"),
        "related_urls": list(body.get("related_urls") or []),
        "grouped_alerts": sorted(m.alert_id for m in members),
    }


def _classification_entry(m: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "mention_id": m["mention_id"],
        "item_id": m["item_id"],
        "subject": m["subject"],
        "label": m["label"],
        "harassment_type": m["harassment_type"],
        "severity": m["severity"],
        "score": m["score"],
        "scores": m["scores"],
        "thresholds": m["thresholds"],
        "signals": m["signals"],
        "spans": m["spans"],
        "model": {"id": m["model_id"], "version": m["model_version"]},
        "classified_at": iso_z(m["classified_at"], "auto"),
        "current": bool(m["is_current"]),
    }


def _item_entry(i: Mapping[str, Any], raw_files: Mapping[str, str]) -> dict[str, Any]:
    return {
        "item_id": i["id"],
        "source": i["source"],
        "url": i["url"],
        "author": i["author"],
        "published_at": iso_z(i["published_at"], "auto"),
        "fetched_at": iso_z(i["fetched_at"], "auto"),
        "raw_sha256": i["raw_ref"] or None,
        "raw_file": raw_files.get(i["raw_ref"]),
    }


def _fetch_entry(f: Mapping[str, Any], raw_files: Mapping[str, str]) -> dict[str, Any]:
    return {
        "url": f["url"],
        "source": f["source"],
        "status": f["status"],
        "headers": f["headers"],
        # The body came from final_url when the request was redirected (every hop in redirects).
        "final_url": f.get("final_url") or f["url"],
        "redirects": f.get("redirects") or [],
        "first_fetched_at": iso_z(f["first_fetched_at"], "auto"),
        "last_fetched_at": iso_z(f["last_fetched_at"], "auto"),
        "fetch_count": f["fetch_count"],
        "sha256": f["sha256"],
        "size": f["size"],
        "file": raw_files.get(f["sha256"]),
    }


def build_pack(
    store: HistoryStore, alert_id: str, *, show_text: bool = False
) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and files of an alert's evidence pack (see the module docstring).

    ``show_text`` puts the alert's text excerpt on the summary (and in the
    manifest's ``summary`` entry); otherwise only its length is kept.

    Raises ``EvidenceError`` for an unknown alert or a stored body that fails its hash.
    """
    rows = _pack_rows(store, alert_id)
    raw, raw_files, notes = _raw_files(store, rows)
    files: dict[str, bytes] = {README: _readme(alert_id), **raw}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "generator": f"mentionwatch {__version__}",
        "generated_at": utc_now(),
        "alert": _alert_entry(rows.alert, rows.members),
        "classifications": [_classification_entry(m) for m in rows.mentions],
        "items": [_item_entry(i, raw_files) for i in rows.items],
        "fetches": [_fetch_entry(f, raw_files) for f in rows.fetches],
        "notes": notes,
        "summary": summary_block(rows.alert["body"] or {}, show_text),
    }
    # The summary is rebuilt from the records above alone, so verify can check it says the same.
    summary = build_summary(manifest)
    files[SUMMARY_HTML] = render_html(summary)
    files[SUMMARY_PDF] = render_pdf(summary)
    manifest["files"] = [
        {"path": path, "sha256": sha256_hex(data), "size": len(data)}
        for path, data in sorted(files.items())
    ]
    return manifest, files


def _write_zip(path: str, entries: Sequence[tuple[str, bytes]]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)


def export_alert(
    store: HistoryStore, alert_id: str, path: str, *, show_text: bool = False
) -> ExportResult:
    """Writes the alert's evidence pack to ``path`` (a zip); hashes recomputed on the way.

    ``show_text`` puts the text excerpt on the summary instead of a content warning.

    Raises ``EvidenceError`` when the pack cannot be built or does not verify once written.
    """
    manifest, files = build_pack(store, alert_id, show_text=show_text)
    manifest_bytes = _json_bytes(manifest)
    everything = {**files, MANIFEST: manifest_bytes}
    sums = "".join(
        f"{sha256_hex(data)}  {name}\n" for name, data in sorted(everything.items())
    ).encode("utf-8")
    entries = [(MANIFEST, manifest_bytes), (SUMS, sums), *sorted(files.items())]
    _write_zip(path, entries)
    # Read back what was written: a pack that does not verify is never handed out.
    report = verify_pack(path)
    if not report.ok:
        raise EvidenceError(
            f"the pack written to {path} does not verify: {'; '.join(report.problems)}"
        )
    with open(path, "rb") as handle:
        zip_sha = hashlib.sha256(handle.read()).hexdigest()
    return ExportResult(
        path,
        alert_id,
        tuple(name for name, _ in entries),
        sha256_hex(manifest_bytes),
        zip_sha,
        tuple((name, sha256_hex(files[name])) for name in SUMMARY_FILES),
    )
