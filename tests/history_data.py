"""A small, known mention history for store, history and report tests.

Seven items, two subjects, every label, three harassment types, four sources
and five domains over ten days of November 2026, classified by model
``m@1``; item ``b`` is classified again by ``m@2`` (insult -> benign), so it
has two rows and the second is current. Alerts exist for ``a``, ``c``, ``e``.
"""

from __future__ import annotations

import datetime as dt

from mentionwatch.alerts.selection import make_alert
from mentionwatch.records import Alert, Classification, ClassifiedMention, Item, Mention, Span

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def at(days: float) -> str:
    return (T0 + dt.timedelta(days=days)).isoformat().replace("+00:00", "Z")


# key: (subject, label, type, source, url, published (days), title, text)
ROWS = {
    "a": (
        "Dana Reyes",
        "harassment",
        "threat",
        "Corner Forum",
        "https://corner-forum.example/t/1",
        1,
        "",
        "Dana Reyes I will hurt you",
    ),
    "b": (
        "Dana Reyes",
        "harassment",
        "insult",
        "Corner Forum",
        "https://www.corner-forum.example/t/2",
        2,
        "",
        "Dana Reyes is a pathetic loser",
    ),
    "c": (
        "Dana Reyes",
        "re_promotion",
        None,
        "TubeHub",
        "https://tubehub.example/v/1",
        3,
        "Dana Reyes hotel tape FULL VIDEO",
        "watch free",
    ),
    "d": (
        "Dana Reyes",
        "benign",
        None,
        "Valley Gazette",
        "https://gazette.example/n/1",
        4,
        "",
        "Dana Reyes opens a bakery",
    ),
    "e": (
        "Sam Okafor",
        "harassment",
        "doxxing",
        "Corner Forum",
        "https://corner-forum.example/t/3",
        5,
        "",
        "Sam Okafor lives at 12 Elm Street",
    ),
    "f": (
        "Sam Okafor",
        "benign",
        None,
        "Social",
        "https://social.example/p/1",
        None,
        "",
        "Sam Okafor spoke at the fair",
    ),
    "g": (
        "Dana Reyes",
        "re_promotion",
        None,
        "Clips",
        "https://clips.example/x",
        10,
        "Dana Reyes leaked",
        "download",
    ),
}
ALERTED = ("a", "c", "e")


def threat_alert(alert_id: str = "al_1") -> Alert:
    """A critical threat alert for Dana Reyes (text included), for store and publish tests."""
    return Alert(
        alert_id,
        "Dana Reyes",
        "harassment",
        "threat",
        "critical",
        "it_1",
        "mn_1",
        "https://f.example/1",
        "forum",
        "t",
        "text",
        None,
        "2026-11-22T10:00:00Z",
        {"harassment": 0.9},
        "m",
        "1",
    )


def classified(
    key: str, *, version: str = "1", label: str | None = None, harassment_type: str | None = "same"
) -> ClassifiedMention:
    subject, row_label, row_type, source, url, published, title, text = ROWS[key]
    label = label or row_label
    kind = row_type if harassment_type == "same" else harassment_type
    fetched = at(6.5) if published is None else at(published + 0.01)
    item = Item(
        f"it_{key}",
        source,
        url,
        title,
        text,
        author=f"user_{key}",
        published_at=at(published) if published is not None else None,
        fetched_at=fetched,
        raw_ref=f"{ord(key):064x}",
    )
    scores = {"harassment": 0.05, "re_promotion": 0.05, "benign": 0.05, label: 0.9}
    result = Classification(
        label,
        kind if label == "harassment" else None,
        scores,
        "m",
        version,
        {"harassment": 0.5, "re_promotion": 0.5},
    )
    return ClassifiedMention(
        Mention(item, subject, (Span("text", 0, len(subject), subject, subject.lower()),)), result
    )


def load(store) -> dict[str, str]:
    """Writes the history (and the alerts); returns {key: mention id}."""
    first = [classified(k) for k in ROWS]
    store.write_mentions(first)
    store.write_mentions([classified("b", version="2", label="benign", harassment_type=None)])
    alerts = [make_alert(c) for c in first if c.mention.item.id[3:] in ALERTED]
    store.record_alerts(alerts, status="local")
    return {c.mention.item.id[3:]: c.mention.id for c in first}


def write_config(store_url: str, tmp_path, store_extra: str = "") -> str:
    """Writes the history into the store at ``store_url`` and a config naming it; returns the
    config's path."""
    from mentionwatch.store import HistoryStore

    store = HistoryStore(store_url)
    load(store)
    store.close()
    path = tmp_path / "config.yaml"
    path.write_text(
        "subjects:\n  - name: Dana Reyes\n  - name: Sam Okafor\n"
        f"store:\n  url: {store_url}\n{store_extra}"
    )
    return str(path)
