"""Evidence: the server's bytes as fetched, kept by hash, and packs that verify.

Capture (at fetch time, ``record_fetch``): every successful fetch stores the
response body once per SHA-256 of its bytes (``evidence_blobs``, compressed
with zlib; the hash is always of the uncompressed bytes as fetched) and a
``fetches`` row per (URL, body) with the first and last fetch time, the fetch
count, and the status and headers of the first fetch. ``Item.raw_ref`` is the
same SHA-256, so every stored mention points at the exact bytes it was read
from. The body is what the server sent after removing the transfer's
``Content-Encoding`` (gzip, deflate), byte for byte; it is never re-rendered.

Export (``export_alert``, ``mentionwatch evidence export``): a zip with

* ``raw/<sha256>.<ext>``: each raw body, exactly as fetched;
* ``manifest.json``: the alert, the classification of every mention it
  covers (label, type, scores, model id and version, thresholds, spans), the
  items (URL, source, author, times; no text), the fetch records (URL, fetch
  times, status, headers) and the SHA-256 and size of every file;
* ``SHA256SUMS``: the hash of every file, manifest included, in the format
  ``sha256sum -c`` reads, so the pack can be checked without mentionwatch;
* ``README.txt``: what the pack is and how to check it.

Hashes are recomputed from the stored bytes while exporting: a body whose
bytes no longer match its hash is refused (``EvidenceError``), never
packed. ``verify_pack`` recomputes every hash in a zip and reports each
mismatch; one changed byte anywhere fails it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import logging
import re
import urllib.parse
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from mentionwatch import __version__
from mentionwatch.ids import digest, sha256_hex
from mentionwatch.records import DeadLetter, utc_now
from mentionwatch.store import schema
from mentionwatch.store.db import HistoryStore, StoreUnavailable
from mentionwatch.timeutil import iso_z, parse_time

_log = logging.getLogger(__name__)

FORMAT = "mentionwatch-evidence/1"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
README = "README.txt"
# Bodies smaller than this are stored as they are; compressing them gains little.
_COMPRESS_FROM = 256


class EvidenceError(RuntimeError):
    """An evidence pack cannot be built (unknown alert, or stored bytes that fail their hash)."""


def fetch_id(url: str, sha256: str) -> str:
    return "fe_" + digest("fetch", url, sha256)


def _encode(body: bytes) -> tuple[bytes, str]:
    if len(body) < _COMPRESS_FROM:
        return body, "identity"
    return zlib.compress(body, 6), "zlib"


def _decode(data: bytes, encoding: str) -> bytes:
    if encoding == "identity":
        return bytes(data)
    if encoding == "zlib":
        return zlib.decompress(data)
    raise EvidenceError(f"unknown evidence encoding {encoding!r}")


def record_fetch(store: HistoryStore, result, source: str) -> str:
    """Keeps a successful fetch as evidence; returns the body's SHA-256.

    ``result`` is a ``sources.http.FetchResult`` (a 304 has no body and is not
    recorded). Idempotent: the same body from the same URL again only moves
    ``last_fetched_at`` and counts the fetch.
    """
    if result.not_modified:
        return ""
    sha = result.sha256
    fetched = parse_time(result.fetched_at) or dt.datetime.now(dt.UTC)
    blobs, fetches = schema.evidence_blobs, schema.fetches
    with store.transaction() as connection:
        known = connection.execute(sa.select(blobs.c.sha256).where(blobs.c.sha256 == sha)).first()
        if known is None:
            data, encoding = _encode(result.body)
            connection.execute(
                store.upsert_statement(blobs, ["sha256"]),
                [
                    {
                        "sha256": sha,
                        "size": len(result.body),
                        "encoding": encoding,
                        "data": data,
                        "stored_at": fetched,
                    }
                ],
            )
        insert = store.insert(fetches)
        statement = insert.on_conflict_do_update(
            index_elements=["fetch_id"],
            set_={
                "last_fetched_at": sa.func.max(
                    fetches.c.last_fetched_at, insert.excluded.last_fetched_at
                )
                if store.engine.dialect.name == "sqlite"
                else sa.func.greatest(fetches.c.last_fetched_at, insert.excluded.last_fetched_at),
                "fetch_count": fetches.c.fetch_count + 1,
            },
        )
        connection.execute(
            statement,
            [
                {
                    "fetch_id": fetch_id(result.url, sha),
                    "url": result.url,
                    "source": source,
                    "sha256": sha,
                    "size": len(result.body),
                    "status": result.status,
                    "headers": dict(result.headers),
                    "first_fetched_at": fetched,
                    "last_fetched_at": fetched,
                    "fetch_count": 1,
                    "final_url": result.final_url if getattr(result, "redirects", ()) else None,
                    "redirects": list(result.redirects)
                    if getattr(result, "redirects", ())
                    else None,
                }
            ],
        )
    return sha


def capture_fetch(store: HistoryStore, result, source: str) -> str:
    """``record_fetch`` for the fetch paths (scan, ingest): evidence never stops monitoring.

    A store that is unreachable raises ``StoreUnavailable`` (the runner
    retries, as for every other write). Any other failure to keep the body is
    logged and written as a ``RecordEvidence`` dead letter, and the fetch goes
    on to be parsed: an alert without its raw body beats no alert.
    """
    try:
        return record_fetch(store, result, source)
    except StoreUnavailable:
        raise
    except Exception as exc:  # noqa: BLE001 - recorded as a dead letter; the fetch itself succeeded
        error = f"{type(exc).__name__}: {exc}"[:2000]
        _log.error("could not keep the body of %s as evidence: %s", result.url, error)
        store.write_dead_letters([DeadLetter(stage="RecordEvidence", ref=result.url, error=error)])
        return ""


def keeping_evidence(store: HistoryStore, fetch: Callable[..., Any]) -> Callable[..., Any]:
    """``fetch`` that keeps every successful response as evidence (``capture_fetch``).

    For ingest's polling, which hands this to ``poll_source`` as the page
    fetcher. Only source pages go through it: credential requests (OAuth
    token endpoints) use the unwrapped fetch, so tokens never reach the
    evidence store. The fetch record's source is the URL's host (the poller
    fetches by URL; the item rows name the source).
    """

    def fetch_and_keep(url: str, **kwargs: Any):
        result = fetch(url, **kwargs)
        if kwargs.get("data") is None:  # a request with a body is never a source page
            capture_fetch(store, result, urllib.parse.urlsplit(url).netloc or url)
        return result

    return fetch_and_keep


def read_body(store: HistoryStore, sha256: str) -> bytes | None:
    """The stored body with this hash, verified; None when it is not stored."""
    blobs = schema.evidence_blobs
    with store.engine.connect() as connection:
        row = connection.execute(
            sa.select(blobs.c.data, blobs.c.encoding).where(blobs.c.sha256 == sha256)
        ).first()
    if row is None:
        return None
    body = _decode(row.data, row.encoding)
    if sha256_hex(body) != sha256:
        raise EvidenceError(
            f"stored body {sha256} does not match its SHA-256 (it is {sha256_hex(body)}): "
            "the store is damaged or was altered; refusing to export it as evidence"
        )
    return body


# --------------------------------------------------------------------------- packs


@dataclasses.dataclass(frozen=True)
class ExportResult:
    path: str
    alert_id: str
    files: tuple[str, ...]
    manifest_sha256: str
    zip_sha256: str


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

manifest.json   the alert, what the classifier decided and with which model,
                the items, when and from where each raw file was fetched
                (status and HTTP headers), and the SHA-256 of every file.
raw/            the raw response bodies, byte for byte as fetched. Each is
                named by its SHA-256.
SHA256SUMS      SHA-256 of every file, manifest included.

To check that nothing changed since the export, in the unzipped folder:
    sha256sum -c SHA256SUMS
or: mentionwatch evidence verify THIS.zip
Keep the SHA-256 of manifest.json printed at export time somewhere separate
(an e-mail to yourself or your lawyer): it pins the whole pack.
""".encode()


def build_pack(store: HistoryStore, alert_id: str) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The manifest and files of an alert's evidence pack (see the module docstring)."""
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

    files: dict[str, bytes] = {README: _readme(alert_id)}
    raw_files: dict[str, str] = {}
    notes: list[str] = []
    for sha in refs:
        body = read_body(store, sha)
        if body is None:
            notes.append(
                f"raw body {sha} is no longer stored (purged by retention before this alert referenced it?)"
            )
            continue
        headers = next((f["headers"] for f in fetch_rows if f["sha256"] == sha), {})
        path = f"raw/{sha}.{_extension(headers)}"
        files[path] = body
        raw_files[sha] = path
    for row in item_rows:
        if not row["raw_ref"]:
            notes.append(
                f"item {row['id']} came without a raw response (pushed by a producer or read from an items file); "
                "only its metadata is in this pack"
            )
    if any("content-encoding" in (f["headers"] or {}) for f in fetch_rows):
        notes.append(
            "bodies are stored after removing the HTTP Content-Encoding (gzip/deflate) named in their headers"
        )

    body = alert["body"] or {}
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "generator": f"mentionwatch {__version__}",
        "generated_at": utc_now(),
        "alert": {
            "alert_id": alert["alert_id"],
            "kind": alert["kind"],
            "subject": alert["subject"],
            "label": alert["label"],
            "harassment_type": alert["harassment_type"],
            "severity": alert["severity"],
            "status": alert["status"],
            "count": alert["count"],
            "created_at": iso_z(alert["created_at"], "auto"),
            "published_at": iso_z(alert["published_at"], "auto"),
            "pubsub_message_id": alert["message_id"],
            "url": body.get("url"),
            "source": body.get("source"),
            "related_urls": list(body.get("related_urls") or []),
            "grouped_alerts": sorted(m.alert_id for m in members),
        },
        "classifications": [
            {
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
            for m in mention_rows
        ],
        "items": [
            {
                "item_id": i["id"],
                "source": i["source"],
                "url": i["url"],
                "author": i["author"],
                "published_at": iso_z(i["published_at"], "auto"),
                "fetched_at": iso_z(i["fetched_at"], "auto"),
                "raw_sha256": i["raw_ref"] or None,
                "raw_file": raw_files.get(i["raw_ref"]),
            }
            for i in item_rows
        ],
        "fetches": [
            {
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
            for f in fetch_rows
        ],
        "files": [
            {"path": path, "sha256": sha256_hex(data), "size": len(data)}
            for path, data in sorted(files.items())
        ],
        "notes": notes,
    }
    return manifest, files


def _write_zip(path: str, entries: Sequence[tuple[str, bytes]]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)


def export_alert(store: HistoryStore, alert_id: str, path: str) -> ExportResult:
    """Writes the alert's evidence pack to ``path`` (a zip); hashes recomputed on the way."""
    manifest, files = build_pack(store, alert_id)
    manifest_bytes = _json_bytes(manifest)
    everything = {**files, MANIFEST: manifest_bytes}
    sums = "".join(
        f"{sha256_hex(data)}  {name}\n" for name, data in sorted(everything.items())
    ).encode("utf-8")
    entries = [(MANIFEST, manifest_bytes), (SUMS, sums), *sorted(files.items())]
    _write_zip(path, entries)
    report = verify_pack(
        path
    )  # read back what was written: a pack that does not verify is never handed out
    if not report.ok:
        raise EvidenceError(
            f"the pack written to {path} does not verify: {'; '.join(report.problems)}"
        )
    with open(path, "rb") as handle:
        zip_sha = hashlib.sha256(handle.read()).hexdigest()
    return ExportResult(
        path, alert_id, tuple(name for name, _ in entries), sha256_hex(manifest_bytes), zip_sha
    )


# --------------------------------------------------------------------------- verification


@dataclasses.dataclass(frozen=True)
class VerifyReport:
    ok: bool
    checked: tuple[str, ...]
    problems: tuple[str, ...]
    manifest_sha256: str = ""
    alert_id: str = ""


MAX_MEMBER_BYTES = (
    512 * 1024 * 1024
)  # one member of a pack (raw bodies are at most fetch.max_bytes)
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
_LAYOUT = re.compile(r"(manifest\.json|SHA256SUMS|README\.txt|raw/[0-9a-f]{64}\.[a-z0-9]{1,8})")


def _member_digest(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str, int]:
    """(SHA-256, size) of one member, streamed: never more than a chunk in memory, never past the limit."""
    digest, size = hashlib.sha256(), 0
    with archive.open(info) as member:
        while chunk := member.read(1024 * 1024):
            size += len(chunk)
            if size > MAX_MEMBER_BYTES:
                raise ValueError(f"larger than {MAX_MEMBER_BYTES} bytes")
            digest.update(chunk)
    return digest.hexdigest(), size


def _manifest_shape(manifest: Any) -> str | None:
    """What is wrong with the manifest's shape, or None."""
    if not isinstance(manifest, dict):
        return "is not a JSON object"
    for key in ("files", "fetches", "items"):
        rows = manifest.get(key, [])
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            return f"'{key}' is not a list of objects"
    if not all(
        isinstance(f.get("path"), str) and isinstance(f.get("sha256"), str)
        for f in manifest.get("files", [])
    ):
        return "an entry of 'files' has no 'path' and 'sha256' text"
    if not isinstance(manifest.get("alert") or {}, dict):
        return "'alert' is not an object"
    return None


def verify_pack(path: str) -> VerifyReport:
    """Recomputes every hash in an evidence pack; any mismatch is a problem.

    A pack is read as untrusted: members are hashed as streams (a zip of
    gigabyte members costs time, not memory) and a member larger than
    ``MAX_MEMBER_BYTES`` is a problem, not a crash; a manifest of the wrong
    shape, and member names outside the pack's layout (``../x``, absolute
    paths, anything but ``raw/<sha256>.<ext>`` and the three top files), are
    problems too.
    """
    problems: list[str] = []
    checked: list[str] = []
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return VerifyReport(False, (), (f"not a readable zip: {exc}",))
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        names = list(infos)
        digests: dict[str, tuple[str, int]] = {}
        for name, info in infos.items():
            if not _LAYOUT.fullmatch(name):
                problems.append(
                    f"{name!r}: not a file an evidence pack holds (expected raw/<sha256>.<ext> or "
                    f"{MANIFEST}, {SUMS}, {README})"
                )
                continue
            if info.file_size > MAX_MEMBER_BYTES:
                problems.append(
                    f"{name}: declares {info.file_size} bytes (more than {MAX_MEMBER_BYTES}); not read"
                )
                continue
            try:
                digests[name] = _member_digest(archive, info)
            except (
                zipfile.BadZipFile,
                zlib.error,
                OSError,
                ValueError,
                EOFError,
            ) as exc:  # CRC: changed bytes
                problems.append(f"{name}: cannot be read back ({exc})")
        if MANIFEST not in digests:
            return VerifyReport(False, (), (*problems, f"no readable {MANIFEST} in the pack"))
        if infos[MANIFEST].file_size > MAX_MANIFEST_BYTES:
            return VerifyReport(
                False, (), (*problems, f"{MANIFEST} is larger than {MAX_MANIFEST_BYTES} bytes")
            )
        manifest_bytes = archive.read(MANIFEST)
        sums_text = archive.read(SUMS).decode("utf-8", "replace") if SUMS in digests else None
    try:
        manifest = json.loads(manifest_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return VerifyReport(False, (), (*problems, f"{MANIFEST} is not valid JSON: {exc}"))
    wrong = _manifest_shape(manifest)
    if wrong:
        return VerifyReport(
            False, (), (*problems, f"{MANIFEST} {wrong}"), sha256_hex(manifest_bytes)
        )
    if manifest.get("format") != FORMAT:
        problems.append(f"{MANIFEST}: format {manifest.get('format')!r}, expected {FORMAT!r}")

    def sha(name: str) -> str | None:
        return digests[name][0] if name in digests else None

    listed = {}
    for entry in manifest.get("files", []):
        name, expected = entry["path"], entry["sha256"]
        listed[name] = expected
        if name not in digests:
            problems.append(f"{name}: listed in the manifest but missing")
            continue
        actual, size = digests[name]
        checked.append(name)
        if actual != expected:
            problems.append(f"{name}: SHA-256 is {actual}, the manifest says {expected}")
        if entry.get("size") is not None and entry["size"] != size:
            problems.append(f"{name}: {size} bytes, the manifest says {entry['size']}")
    for fetch in manifest.get("fetches", []):
        file = fetch.get("file")
        if file and listed.get(file) not in (None, fetch.get("sha256")):
            problems.append(
                f"{file}: does not hold the body fetched from {fetch.get('url')} ({fetch.get('sha256')})"
            )
        if file and file in digests and sha(file) != fetch.get("sha256"):
            problems.append(f"{file}: its SHA-256 is not the fetched body's {fetch.get('sha256')}")
    for item in manifest.get("items", []):
        file = item.get("raw_file")
        if file and file in digests and sha(file) != item.get("raw_sha256"):
            problems.append(
                f"{file}: its SHA-256 is not item {item.get('item_id')}'s raw reference"
            )

    if sums_text is not None:
        checked.append(SUMS)
        for line in sums_text.splitlines():
            if not line.strip():
                continue
            digest, _, name = line.partition("  ")
            if name not in digests:
                problems.append(f"{SUMS}: lists {name!r}, which is missing")
            elif sha(name) != digest:
                problems.append(f"{name}: SHA-256 is {sha(name)}, {SUMS} says {digest}")
    else:
        problems.append(f"no {SUMS} in the pack")
    for name in names:
        if name not in listed and name not in (MANIFEST, SUMS) and _LAYOUT.fullmatch(name):
            problems.append(f"{name}: in the zip but not in the manifest")
    alert_id = str((manifest.get("alert") or {}).get("alert_id", ""))
    return VerifyReport(
        not problems, tuple(checked), tuple(problems), sha256_hex(manifest_bytes), alert_id
    )
