"""What an evidence pack holds, and ``verify_pack``, which checks one read as untrusted.

A pack (written by ``store.evidence_pack``) is a zip of ``manifest.json``,
``SHA256SUMS``, ``README.txt``, ``raw/<sha256>.<ext>`` and the one-page
summary (``summary.html``, ``summary.pdf``). ``verify_pack`` recomputes every
hash in it and reports each mismatch; one changed byte anywhere fails it. The
summary is also rebuilt from the manifest's records and compared with what
its two files say, so a summary edited along with its hashes fails too.
Packs exported before summaries existed have none, and verify as before.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import zipfile
import zlib
from typing import Any

from mentionwatch.ids import sha256_hex
from mentionwatch.store.evidence_pdf import has_pictures, layout, page_count, shown_strings
from mentionwatch.store.evidence_summary import (
    LAYOUT,
    SUMMARY_FILES,
    SUMMARY_HTML,
    SUMMARY_PDF,
    build_summary,
    first_difference,
    render_html,
)

FORMAT = "mentionwatch-evidence/1"
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
README = "README.txt"
# One member of a pack (raw bodies are at most fetch.max_bytes).
MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
MAX_SUMMARY_BYTES = 4 * 1024 * 1024
_LAYOUT = re.compile(
    r"(manifest\.json|SHA256SUMS|README\.txt|summary\.html|summary\.pdf"
    r"|raw/[0-9a-f]{64}\.[a-z0-9]{1,8})"
)


@dataclasses.dataclass(frozen=True)
class VerifyReport:
    """A pack's check: ``ok`` when ``problems`` is empty; the members whose hash was checked.

    ``summary_checked`` is True when the pack has a summary and it was compared
    with the manifest's records (False for packs made before summaries existed).
    """

    ok: bool
    checked: tuple[str, ...]
    problems: tuple[str, ...]
    manifest_sha256: str = ""
    alert_id: str = ""
    summary_checked: bool = False


def _member_digest(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[str, int]:
    """(SHA-256, size) of one member, streamed.

    Never more than a chunk in memory, never read past ``MAX_MEMBER_BYTES``.
    """
    digest, size = hashlib.sha256(), 0
    with archive.open(info) as member:
        while chunk := member.read(1024 * 1024):
            size += len(chunk)
            if size > MAX_MEMBER_BYTES:
                raise ValueError(f"larger than {MAX_MEMBER_BYTES} bytes")
            digest.update(chunk)
    return digest.hexdigest(), size


def _hash_members(
    archive: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], problems: list[str]
) -> dict[str, tuple[str, int]]:
    """(SHA-256, size) of each member that could be read; what could not goes to ``problems``."""
    digests: dict[str, tuple[str, int]] = {}
    for name, info in infos.items():
        if not _LAYOUT.fullmatch(name):
            problems.append(
                f"{name!r}: not a file an evidence pack holds (expected raw/<sha256>.<ext> or "
                f"{MANIFEST}, {SUMS}, {README}, {SUMMARY_HTML}, {SUMMARY_PDF})"
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
    return digests


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


def _check_listed(
    manifest: dict[str, Any], digests: dict[str, tuple[str, int]], problems: list[str]
) -> tuple[dict[str, str], list[str]]:
    """Checks the manifest's ``files`` against the members; returns (listed hashes, checked)."""
    listed: dict[str, str] = {}
    checked: list[str] = []
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
    return listed, checked


def _check_references(
    manifest: dict[str, Any],
    digests: dict[str, tuple[str, int]],
    listed: dict[str, str],
    problems: list[str],
) -> None:
    """Checks that each fetch and item names the file holding its body."""

    def sha(name: str) -> str | None:
        return digests[name][0] if name in digests else None

    for fetch in manifest.get("fetches", []):
        file = fetch.get("file")
        if file and listed.get(file) not in (None, fetch.get("sha256")):
            problems.append(
                f"{file}: does not hold the body fetched from {fetch.get('url')} "
                f"({fetch.get('sha256')})"
            )
        if file and file in digests and sha(file) != fetch.get("sha256"):
            problems.append(f"{file}: its SHA-256 is not the fetched body's {fetch.get('sha256')}")
    for item in manifest.get("items", []):
        file = item.get("raw_file")
        if file and file in digests and sha(file) != item.get("raw_sha256"):
            problems.append(
                f"{file}: its SHA-256 is not item {item.get('item_id')}'s raw reference"
            )


def _check_sums(sums_text: str, digests: dict[str, tuple[str, int]], problems: list[str]) -> None:
    """Checks every line of ``SHA256SUMS`` against the members' hashes."""
    for line in sums_text.splitlines():
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        if name not in digests:
            problems.append(f"{SUMS}: lists {name!r}, which is missing")
        elif digests[name][0] != digest:
            problems.append(f"{name}: SHA-256 is {digests[name][0]}, {SUMS} says {digest}")


def _read_summaries(
    archive: zipfile.ZipFile,
    infos: dict[str, zipfile.ZipInfo],
    digests: dict[str, tuple[str, int]],
) -> dict[str, bytes | None]:
    """The summary files that could be hashed; None for one too large to compare."""
    return {
        name: archive.read(name) if infos[name].file_size <= MAX_SUMMARY_BYTES else None
        for name in SUMMARY_FILES
        if name in digests
    }


def _check_summary(
    manifest: dict[str, Any],
    files: dict[str, bytes | None],
    listed: dict[str, str],
    problems: list[str],
) -> bool:
    """Checks the summary against the records; False when the pack has no summary.

    Each summary file must be listed with its hash, and say what a summary
    rebuilt from the manifest says: the HTML byte for byte, the PDF the same
    lines of text on one page.
    """
    block = manifest.get("summary")
    if block is None:
        return False
    if not isinstance(block, dict):
        problems.append(f"{MANIFEST}: its 'summary' entry is not an object")
        return False
    if block.get("layout") != LAYOUT:
        layout_name = block.get("layout")
        problems.append(
            f"{MANIFEST}: its summary entry has layout {layout_name!r}; this mentionwatch "
            f"checks {LAYOUT!r} (a newer mentionwatch may check it)"
        )
        return False
    for name in SUMMARY_FILES:
        if name not in listed:
            problems.append(f"{name}: not listed with its SHA-256 in {MANIFEST}")
        if name in files and files[name] is None:
            problems.append(
                f"{name}: larger than {MAX_SUMMARY_BYTES} bytes (a summary is a few kilobytes); "
                "not compared with the records"
            )
        elif name not in files and name in listed:
            problems.append(f"{name}: missing or unreadable, so not compared with the records")
    try:
        summary = build_summary(manifest)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        problems.append(f"{MANIFEST}: the summary cannot be rebuilt from its records ({exc})")
        return False
    html, pdf = files.get(SUMMARY_HTML), files.get(SUMMARY_PDF)
    if html is not None:
        got = html.decode("utf-8", "replace").splitlines()
        want = render_html(summary).decode("utf-8").splitlines()
        if got != want:
            problems.append(
                f"{SUMMARY_HTML}: does not agree with the pack's records "
                f"({first_difference(got, want)})"
            )
    if pdf is not None:
        got = shown_strings(pdf)
        want = [draw.text for draw in layout(summary)]
        if got != want:
            problems.append(
                f"{SUMMARY_PDF}: its text does not agree with the pack's records "
                f"({first_difference(got, want)})"
            )
        if has_pictures(pdf):
            problems.append(f"{SUMMARY_PDF}: holds an image or a form; the summary is text only")
        if (pages := page_count(pdf)) != 1:
            problems.append(f"{SUMMARY_PDF}: has {pages} pages; the summary is one page")
    return True


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
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        return VerifyReport(False, (), (f"not a readable zip: {exc}",))
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        digests = _hash_members(archive, infos, problems)
        if MANIFEST not in digests:
            return VerifyReport(False, (), (*problems, f"no readable {MANIFEST} in the pack"))
        if infos[MANIFEST].file_size > MAX_MANIFEST_BYTES:
            return VerifyReport(
                False, (), (*problems, f"{MANIFEST} is larger than {MAX_MANIFEST_BYTES} bytes")
            )
        manifest_bytes = archive.read(MANIFEST)
        sums_text = archive.read(SUMS).decode("utf-8", "replace") if SUMS in digests else None
        summaries = _read_summaries(archive, infos, digests)
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
    listed, checked = _check_listed(manifest, digests, problems)
    _check_references(manifest, digests, listed, problems)
    if sums_text is not None:
        checked.append(SUMS)
        _check_sums(sums_text, digests, problems)
    else:
        problems.append(f"no {SUMS} in the pack")
    for name in infos:
        if name not in listed and name not in (MANIFEST, SUMS) and _LAYOUT.fullmatch(name):
            problems.append(f"{name}: in the zip but not in the manifest")
    summary_checked = _check_summary(manifest, summaries, listed, problems)
    alert_id = str((manifest.get("alert") or {}).get("alert_id", ""))
    return VerifyReport(
        not problems,
        tuple(checked),
        tuple(problems),
        sha256_hex(manifest_bytes),
        alert_id,
        summary_checked,
    )
