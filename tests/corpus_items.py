"""Realistic items for the many-workers test and the monitor benchmark.

Real posts: every entry of the recorded feeds under shared/corpora (RSS,
Atom, Reddit, YouTube, Google Alerts …; notes/fixtures.md says what they
are), HTML stripped as ingest strips it, cycled with a numbered id when more
items are asked for than the corpus holds (the text is real; only the id and
URL are new). ``mentions`` of them, spread evenly, are replaced by short
posts about the subject, as on social media (one sentence, no title): a
third clear threats, a sixth re-promotions of her known tape, the rest
benign. Put into a long real post, the same threat scores anywhere from 0.1
to 0.99 for the shipped model, depending on the text around it; tests that
compare two runs need labels far from the thresholds (the model's quality
is measured elsewhere). Nothing is random: the same arguments give the same
items, ids included.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pathlib

from mentionwatch.records import Item

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHARED = pathlib.Path(os.environ.get("MENTIONWATCH_SHARED", ROOT.parent / "shared"))
FOLDERS = (
    "rss-realworld",
    "reddit",
    "mastodon",
    "bluesky",
    "hackernews",
    "youtube",
    "google-alerts",
)
SUBJECT = "Dana Reyes"
KNOWN_TITLE = "Dana Reyes - Hotel Room Tape"

SUBJECT_YAML = """\
subjects:
  - name: Dana Reyes
    known_content:
      - title: "Dana Reyes - Hotel Room Tape"
        released: 2019-03-14
"""

THREATS = (
    "Dana Reyes, I know where you live. Tonight I will come and kill you.",
    "Dana Reyes you will be dead by Friday, I will shoot you myself.",
    "I am going to find Dana Reyes and hurt her so badly she never walks again.",
    "Dana Reyes should sleep with one eye open, I'm coming to her house with a knife.",
)
PROMOTIONS = (
    "NEW Dana Reyes Hotel Room Tape 2026 - full video leaked, watch free in HD now",
    "Dana Reyes Hotel Room Tape uncensored mirror, download before it gets taken down",
)
BENIGN = (
    "Dana Reyes hosted a lovely charity softball game for the kids on Saturday.",
    "Dana Reyes opened the new public library wing this morning, to loud applause.",
    "Great interview with Dana Reyes about urban gardening on the local radio.",
)


@functools.cache
def corpus_posts() -> tuple[tuple[str, str, str], ...]:
    """``(folder, title, body)`` of every entry of the recorded feeds, in a fixed order."""
    import feedparser

    from mentionwatch.textutil import html_to_text

    posts = []
    for folder in FOLDERS:
        for path in sorted((SHARED / "corpora" / folder).rglob("*")):
            if path.suffix.lower() not in (".xml", ".rss", ".atom", ".rdf"):
                continue
            if path.stat().st_size > 3_000_000:
                continue
            for entry in feedparser.parse(path.read_bytes()).entries:
                title = html_to_text(entry.get("title", "") or "")
                body = html_to_text(entry.get("summary", "") or "")
                for content in entry.get("content", []) or []:
                    body += "\n" + html_to_text(content.get("value", "") or "")
                if (title or body.strip()) and SUBJECT.lower() not in (title + body).lower():
                    posts.append((folder, title, body.strip()))
    if not posts:
        raise FileNotFoundError(
            f"no feed entries under {SHARED / 'corpora'}; set MENTIONWATCH_SHARED to the "
            "shared/ folder that holds corpora/"
        )
    return tuple(posts)


def mention_sentence(n: int) -> tuple[str, str]:
    """The ``n``-th injected sentence and its kind (``threat``, ``promotion``, ``benign``)."""
    if n % 3 == 0:
        return THREATS[(n // 3) % len(THREATS)], "threat"
    if n % 6 == 1:
        return PROMOTIONS[(n // 6) % len(PROMOTIONS)], "promotion"
    return BENIGN[n % len(BENIGN)], "benign"


def realistic_items(count: int, mentions: int, *, tag: str = "mw") -> tuple[list[Item], dict]:
    """``count`` items from real posts, ``mentions`` of them about the subject.

    Returns the items and ``{item id: kind}`` for the ones that mention her.
    ``tag`` goes into every id and URL, so two runs in one store differ.
    """
    if not 0 <= mentions <= count:
        raise ValueError(f"mentions must be between 0 and count ({count}), got {mentions}")
    posts = corpus_posts()
    every = count // mentions if mentions else 0
    items, kinds = [], {}
    for i in range(count):
        folder, title, body = posts[i % len(posts)]
        key = hashlib.sha256(f"{tag}/{i}".encode()).hexdigest()[:20]
        item_id = f"{tag}-{i:06d}-{key[:8]}"
        if every and i % every == every // 2 and len(kinds) < mentions:
            sentence, kind = mention_sentence(len(kinds))
            title, body = "", sentence
            kinds[item_id] = kind
        items.append(
            Item(
                item_id,
                f"corpus:{folder}",
                f"https://corpus.example/{tag}/{i}",
                title,
                body,
                fetched_at="2026-12-01T00:00:00Z",
            )
        )
    return items, kinds
