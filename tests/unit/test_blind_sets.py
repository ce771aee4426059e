"""The blind evaluation sets are frozen: nobody edits them quietly.

Every file under tests/data/blind is listed in tests/data/blind/SHA256SUMS
with the hash it had when it was frozen (before the change it measures);
docs/model-card.md and docs/matching.md say how each set was written.
"""

import hashlib
import json
import pathlib

BLIND = pathlib.Path(__file__).resolve().parents[1] / "data" / "blind"


def recorded() -> dict[str, str]:
    sums = {}
    for line in (BLIND / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.strip()] = digest
    return sums


def test_every_blind_file_has_its_recorded_hash():
    sums = recorded()
    files = sorted(
        str(p.relative_to(BLIND))
        for p in BLIND.rglob("*")
        if p.is_file() and p.name != "SHA256SUMS"
    )
    assert files == sorted(sums), "a blind file was added or removed without updating SHA256SUMS"
    for name, digest in sums.items():
        assert hashlib.sha256((BLIND / name).read_bytes()).hexdigest() == digest, (
            f"{name} was edited"
        )


def test_blind_sets_are_the_size_the_issues_ask_for():
    for folder, minimum in (("classifier", 600), ("matching", 600)):
        rows = [
            json.loads(line)
            for path in sorted((BLIND / folder).glob("part_*.jsonl"))
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        assert len(rows) >= minimum, folder
        assert sum(r.get("lang") != "en" for r in rows) >= 0.25 * len(rows), folder
