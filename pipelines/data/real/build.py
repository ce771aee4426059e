"""Builds real benign training text from openly licensed public data (run once; output committed).

Davidson et al. 2017 (MIT; ../shared/data/davidson-hate-offensive): tweets
that annotators marked "neither" hateful nor offensive. Each kept tweet
addresses someone with an @-mention; the first one becomes ``{handle}`` so
the trainer renders it with a generated person (training.synth), like the
written corpus. Selection is deterministic (a hash of the text), so the
file is reproducible:

    .venv/bin/python pipelines/data/real/build.py [SHARED_DIR]
"""

from __future__ import annotations

import csv
import hashlib
import html
import json
import pathlib
import re
import sys

HERE = pathlib.Path(__file__).resolve().parent
SHARED = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[3] / "shared"
KEEP = 900
# Annotators marked some tweets "neither" that still carry slurs or sexual insults;
# a benign example must not teach that these words are harmless.
_ROUGH = re.compile(
    r"chink|nigg|fag|bitch|hoe\b|hoes|whore|slut|cunt|retard|twat|puss|dick|fuck|shit|bastard|"
    r"wetback|spic\b|kike|dyke|tranny|cracker|coon|ghetto|trash|skank|thot|kill|die\b|dead",
    re.IGNORECASE,
)


def main() -> int:
    rows = []
    with open(
        SHARED / "data" / "davidson-hate-offensive" / "labeled_data.csv",
        newline="",
        encoding="utf-8",
    ) as f:
        for row in csv.DictReader(f):
            if row["class"] != "2":
                continue
            text = html.unescape(row["tweet"]).replace("\n", " ")
            text = re.sub(r"^(?:!+\s*)?RT\s+", "", text)
            if not re.search(r"@\w+", text) or len(text.split()) < 5 or _ROUGH.search(text):
                continue
            text = re.sub(r"@\w+", "{handle}", text, count=1)
            text = re.sub(r"@\w+", "@user", text)
            key = hashlib.sha256(text.encode()).hexdigest()
            rows.append((key, text))
    rows.sort()
    out = HERE / "davidson_neither.jsonl"
    with out.open("w", encoding="utf-8") as f:
        for _, text in rows[:KEEP]:
            record = {
                "text": text,
                "label": "benign",
                "harassment_type": None,
                "lang": "en",
                "style": "tweet",
                "author": "davidson-2017 (MIT)",
            }
            f.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{out}: {min(KEEP, len(rows))} of {len(rows)} eligible tweets")
    return 0


if __name__ == "__main__":
    sys.exit(main())
