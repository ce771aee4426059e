"""What a request cites, read from the store and the config: the alerts, their evidence, the work.

``gather`` collects, for one alert (or, with ``bulk_host``, every stored
re-promotion alert of the same known work on one host), each location a
request names: the URL, when it was published, when mentionwatch fetched
it, the SHA-256 of the raw bytes it was read from and where those bytes
really came from (after redirects). It also finds the ``known_content``
work a re-promotion re-publishes (``known_work``), the subject's sender from
``takedown.senders`` and the platform table's entry for the host.

Nothing here reads or returns the abusive text itself: requests identify
content by its location, time and hash.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from mentionwatch.config.root import Config
from mentionwatch.config.subjects import KnownContent, Subject
from mentionwatch.config.takedown import Sender
from mentionwatch.store.db import HistoryStore
from mentionwatch.takedown.platforms import Platform, host_of, platform_for
from mentionwatch.takedown.rules import TakedownError
from mentionwatch.timeutil import iso_z

_WORD = re.compile(r"\w+", re.UNICODE)
# Alert body fields that may name the matched work (set by the alert policy, when it does).
_WORK_FIELDS = ("known_content", "known_work", "work")


@dataclasses.dataclass(frozen=True)
class Location:
    """One URL a request asks to have removed, with the evidence for it.

    Attributes:
      alert_id: the alert that found it.
      url: the URL as found.
      label: the alert's label (``harassment`` or ``re_promotion``).
      harassment_type: the harassment type, when harassment.
      published_at: when the post says it was published (ISO-8601 UTC), if it says.
      alerted_at: when mentionwatch raised the alert.
      fetched_at: when mentionwatch fetched it.
      raw_sha256: SHA-256 of the raw bytes it was read from ("" when none were kept).
      fetched_from: where those bytes came from (the final URL after redirects).
    """

    alert_id: str
    url: str
    label: str
    harassment_type: str | None
    published_at: str | None
    alerted_at: str | None
    fetched_at: str | None
    raw_sha256: str
    fetched_from: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Facts:
    """Everything one request is drafted from."""

    subject: Subject
    sender: Sender | None
    host: str
    locations: tuple[Location, ...]
    work: KnownContent | None
    platform: Platform

    @property
    def alert_ids(self) -> tuple[str, ...]:
        """The alerts the request covers, in order."""
        return tuple(location.alert_id for location in self.locations)


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text or "")}


def known_work(
    subject: Subject, alert: Mapping[str, Any], texts: Iterable[str] = ()
) -> KnownContent | None:
    """The ``known_content`` entry an alert re-promotes, or None when none clearly fits.

    The alert's own field naming the work wins when it has one. Otherwise a
    work fits when most of its title's distinctive words (those not in her
    name or aliases; at least two, or its only one) appear in the alert's
    title, excerpt, URL or matched spans; the best-fitting work is chosen.
    """
    body = alert.get("body") or {}
    for field in _WORK_FIELDS:
        named = body.get(field)
        title = named.get("title") if isinstance(named, Mapping) else named
        if isinstance(title, str):
            for work in subject.known_content:
                if work.title.casefold() == title.casefold():
                    return work
    name_words = _words(" ".join((subject.name, *subject.aliases)))
    seen = _words(" ".join([body.get("title") or "", body.get("excerpt") or "", *texts]))
    seen |= _words(re.sub(r"[-_./]", " ", body.get("url") or ""))
    best: tuple[float, KnownContent] | None = None
    for work in subject.known_content:
        distinctive = _words(work.title) - name_words
        if not distinctive:
            continue
        found = len(distinctive & seen)
        fits = found == len(distinctive) or (found >= 2 and found / len(distinctive) >= 0.6)
        if fits and (best is None or found > best[0]):
            best = (found, work)
    return best[1] if best else None


def _span_texts(store: HistoryStore, mention_ids: Sequence[str]) -> dict[str, list[str]]:
    spans = store.cited_spans(mention_ids)
    return {
        mention: [str(s.get("matched") or "") for s in rows if isinstance(s, Mapping)]
        for mention, rows in spans.items()
    }


def _location(store: HistoryStore, alert: Mapping[str, Any]) -> Location:
    body = alert.get("body") or {}
    item = store.cited_items([alert["item_id"]]).get(alert["item_id"], {})
    raw = item.get("raw_ref") or body.get("evidence_ref") or ""
    fetches = store.cited_fetches([raw] if raw else [])
    fetched_from = tuple(dict.fromkeys(f.get("final_url") or f["url"] for f in fetches))
    return Location(
        alert_id=alert["alert_id"],
        url=body.get("url") or item.get("url") or "",
        label=alert["label"],
        harassment_type=alert.get("harassment_type"),
        published_at=iso_z(item.get("published_at") or body.get("published_at")),
        alerted_at=iso_z(alert.get("created_at")),
        fetched_at=iso_z(item.get("fetched_at")),
        raw_sha256=raw,
        fetched_from=fetched_from,
    )


def _source_kind(config: Config, source: str) -> str | None:
    for kind, _index, block in config.sources.polled():
        if block.label() == source:
            return kind
    return None


def _subject(config: Config, alert: Mapping[str, Any]) -> Subject:
    try:
        return config.subject(alert["subject"])
    except KeyError:
        raise TakedownError(
            f"alert {alert['alert_id']} is about {alert['subject']!r}, who is not a subject in "
            "this config; use the config the alert was found with"
        ) from None


def _pick_work(
    subject: Subject, alert: Mapping[str, Any], texts: list[str], work_title: str | None
) -> KnownContent | None:
    if work_title is None:
        return known_work(subject, alert, texts)
    for work in subject.known_content:
        if work.title.casefold() == work_title.casefold():
            return work
    titles = "; ".join(repr(w.title) for w in subject.known_content) or "none configured"
    raise TakedownError(
        f"--work {work_title!r} is not one of {subject.name}'s known_content titles ({titles})"
    )


def gather(
    store: HistoryStore,
    config: Config,
    alert_id: str,
    *,
    bulk_host: str | None = None,
    work_title: str | None = None,
) -> Facts:
    """The facts of a request about ``alert_id`` (see the module docstring).

    Args:
      store: the history store holding the alert.
      config: the config (subjects, senders, sources).
      alert_id: the alert the request is about.
      bulk_host: cover every stored re-promotion alert of the same known work
        whose URL is on this host (the "same title on 30 mirrors" case).
      work_title: the known work it is about, when the alert does not say.

    Raises:
      TakedownError: the alert is unknown, its subject is not in the config,
        or a bulk request cannot tell which work it is about.
    """
    rows = store.alert_rows([alert_id])
    if not rows:
        raise TakedownError(
            f"no alert {alert_id!r} in the history store; `mentionwatch alerts status CONFIG` "
            "and the notifications list the alert ids"
        )
    alert = rows[0]
    subject = _subject(config, alert)
    texts = _span_texts(store, [alert["mention_id"]]).get(alert["mention_id"], [])
    work = _pick_work(subject, alert, texts, work_title)
    alerts = [alert]
    if bulk_host is not None:
        alerts = _bulk_alerts(store, subject, alert, work, bulk_host)
    locations = tuple(_location(store, a) for a in alerts)
    host = host_of(locations[0].url)
    mastodon_hosts = [host_of(block.instance) for block in config.sources.mastodon]
    platform = platform_for(
        locations[0].url,
        source_kind=_source_kind(config, (alert.get("body") or {}).get("source") or ""),
        mastodon_hosts=mastodon_hosts,
    )
    sender = config.takedown.sender_for(subject.name)
    return Facts(subject, sender, host, locations, work, platform)


def _bulk_alerts(
    store: HistoryStore,
    subject: Subject,
    alert: Mapping[str, Any],
    work: KnownContent | None,
    bulk_host: str,
) -> list[dict[str, Any]]:
    host = host_of("//" + bulk_host.strip().lower().removeprefix("www.") + "/")
    if alert["label"] != "re_promotion":
        raise TakedownError(
            f"--bulk-host covers re-promotions of one known work; alert {alert['alert_id']} is "
            f"{alert['label']}"
        )
    if work is None:
        raise TakedownError(
            f"cannot tell which of {subject.name}'s known works alert {alert['alert_id']} "
            "re-promotes; name it with --work TITLE (a known_content title in the config)"
        )
    chosen = []
    for row in store.repromotion_alert_rows(subject.name):
        url = (row.get("body") or {}).get("url") or ""
        if host_of(url) != host:
            continue
        if row["alert_id"] == alert["alert_id"] or known_work(subject, row) == work:
            chosen.append(row)
    if not chosen:
        raise TakedownError(
            f"no stored re-promotion of {work.title!r} on {host}; check the host "
            "(as in the alert's link, without www.)"
        )
    return chosen
