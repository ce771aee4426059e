"""Takedown and report requests as a tracked workflow (``mentionwatch takedown``).

The person (or her helper) drafts a request from a stored alert, sends it
herself, records that she did, and mentionwatch keeps the clock: it re-checks
whether the URLs still serve the content (keeping each answer as evidence),
marks a request removed when they are gone, and tells her helper once when a
request is past its deadline. docs/takedown.md is the guide for her and her
helper; nothing here is legal advice, and every request says so.

* ``rules``: the four kinds, the statuses and which may follow which, the deadlines and clocks.
* ``platforms``: where each known platform takes reports.
* ``facts``: what a request cites (alerts, URLs, times, hashes, the known work), bulk per host.
* ``templates``: the four requests, with every required element or a placeholder.
* ``draft``: drafting and storing a request.
* ``recheck``: re-checking URLs with the bounded fetcher, kept as evidence.
* ``overdue``: the notice to her helper.
* ``status``: ``takedown status`` and ``takedown mark``.
"""
