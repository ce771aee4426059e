"""Drafting a request: gather the facts, render the template, store it as ``drafted``.

A request's id comes from its kind and the alerts it covers
(``td_`` + a hash), so drafting the same request twice gives the same id:
a draft is rewritten, a request already sent is left as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from mentionwatch.config.root import Config
from mentionwatch.ids import digest
from mentionwatch.store.db import HistoryStore
from mentionwatch.takedown.facts import Facts, gather
from mentionwatch.takedown.rules import KINDS, TakedownError, deadline_for
from mentionwatch.takedown.templates import render


def request_id(kind: str, alert_ids: tuple[str, ...]) -> str:
    """The id of a request of ``kind`` covering ``alert_ids`` (content-derived)."""
    return "td_" + digest("takedown", kind, *sorted(alert_ids), length=20)


@dataclasses.dataclass(frozen=True)
class Draft:
    """A drafted request as stored, and the facts it was drafted from.

    ``status`` is ``drafted``, or the status of a request with this id that
    was already sent (its stored document is then the one sent, unchanged).
    """

    request_id: str
    kind: str
    status: str
    document: str
    facts: Facts


def draft_request(
    store: HistoryStore,
    config: Config,
    alert_id: str,
    kind: str,
    *,
    now: dt.datetime,
    bulk_host: str | None = None,
    work_title: str | None = None,
) -> Draft:
    """Drafts and stores a request of ``kind`` about ``alert_id``.

    Args:
      store: the history store (the alert, its evidence; the request is stored there).
      config: the config (subjects, ``takedown`` senders and follow-up days, sources).
      alert_id: the alert the request is about.
      kind: ``dmca``, ``ncii``, ``dsa`` or ``platform``.
      now: the drafting time (aware).
      bulk_host: one request covering every stored re-promotion of the same
        known work on this host (see ``facts.gather``).
      work_title: the known work, when the alert does not say which.

    Raises:
      TakedownError: an unknown kind or alert, or facts that do not fit (see ``facts.gather``).
    """
    if kind not in KINDS:
        raise TakedownError(f"unknown kind {kind!r}; expected one of: {', '.join(KINDS)}")
    facts = gather(store, config, alert_id, bulk_host=bulk_host, work_title=work_title)
    rid = request_id(kind, facts.alert_ids)
    deadline = deadline_for(kind, config.takedown.follow_up_days)
    document = render(kind, facts, rid, now)
    stored = store.save_takedown(
        {
            "request_id": rid,
            "kind": kind,
            "subject": facts.subject.name,
            "host": facts.host,
            "alert_ids": list(facts.alert_ids),
            "urls": [location.url for location in facts.locations],
            "work": facts.work.title if facts.work else None,
            "deadline_hours": deadline.hours,
            "deadline_rule": deadline.rule,
            "document": document,
            "drafted_at": now,
        }
    )
    return Draft(rid, kind, stored["status"], stored["document"], facts)
