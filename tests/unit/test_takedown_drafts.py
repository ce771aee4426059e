"""Drafting takedown requests from stored alerts: every element each legal basis requires.

For each kind, a request is drafted from an alert stored by
``tests/history_data.py`` and checked element by element: filled from the
config, the alert and its evidence where mentionwatch knows it, a
``[FILL IN: …]`` placeholder where only she can give it.
"""

from __future__ import annotations

import datetime as dt

import pytest
from history_data import ROWS, classified, load

from mentionwatch.alerts.selection import make_alert
from mentionwatch.config import parse_config
from mentionwatch.records import ClassifiedMention, Item, Mention
from mentionwatch.store import HistoryStore
from mentionwatch.takedown.draft import draft_request, request_id
from mentionwatch.takedown.facts import known_work
from mentionwatch.takedown.platforms import USE_REPORT_FORM, platform_for
from mentionwatch.takedown.rules import TakedownError

NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
WORK = "Dana Reyes - Hotel Room Tape"
SENDER = """
takedown:
  senders:
    - subject: Dana Reyes
      name: Alex Moreno
      representative: true
      email: alex@lawfirm.example
      postal_address: 1 Main Street, Springfield
      phone: "+1 555 0100"
"""


def _config(extra: str = ""):
    return parse_config(
        "subjects:\n"
        "  - name: Dana Reyes\n"
        "    known_content:\n"
        f"      - {{title: '{WORK}', released: 2019-03-14, url: https://studio.example/v/1903}}\n"
        "      - {title: Summer Shoot, released: 2020-07-01}\n"
        "  - name: Sam Okafor\n" + extra
    )


@pytest.fixture
def stored(tmp_path):
    store = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    load(store)
    ids = {
        key: make_alert(classified(key)).alert_id for key in ("a", "c", "e")
    }  # a threat, c re-promotion, e doxxing
    yield store, ids
    store.close()


def _draft(stored, key, kind, extra="", **kwargs):
    store, ids = stored
    return draft_request(store, _config(extra), ids[key], kind, now=NOW, **kwargs)


def _evidence_lines(document: str, key: str) -> None:
    url = ROWS[key][4]
    assert url in document
    assert f"{ord(key):064x}" in document  # the SHA-256 of the raw bytes it was read from
    assert "recorded by mentionwatch: 2026-11-" in document


@pytest.mark.parametrize("kind", ["dmca", "ncii", "dsa", "platform"])
def test_every_request_says_it_is_not_legal_advice(stored, kind):
    document = _draft(stored, "c", kind).document
    assert document.splitlines()[2].startswith("> **This is not legal advice.**")


def test_dmca_has_the_six_elements_of_512c3a(stored):
    draft = _draft(stored, "c", "dmca")
    doc = draft.document
    # (i) signature of a person authorised to act for the owner: only she can give it
    assert "## 6. Signature (§ 512(c)(3)(A)(i))" in doc
    assert "[FILL IN: signature:" in doc
    # (ii) the copyrighted work: the known_content entry the re-promotion matches
    assert "(§ 512(c)(3)(A)(ii))" in doc
    assert f"- Title: “{WORK}”" in doc and "- Released: 2019-03-14" in doc
    assert "- The original: https://studio.example/v/1903" in doc
    # (iii) the infringing material and where to find it, with its evidence
    assert "(§ 512(c)(3)(A)(iii))" in doc
    _evidence_lines(doc, "c")
    # (iv) contact information: not configured, so placeholders
    assert "(§ 512(c)(3)(A)(iv))" in doc
    for blank in ("your full name", "postal address", "telephone number", "email address"):
        assert f"[FILL IN: {blank}]" in doc
    # (v) good faith, (vi) accuracy and authority under penalty of perjury
    assert "(§ 512(c)(3)(A)(v))" in doc and "good faith belief that use of the material" in doc
    assert "(§ 512(c)(3)(A)(vi))" in doc and "under penalty of perjury" in doc
    assert "usually belongs to the producer or studio, not to the performer" in doc
    assert draft.facts.work.title == WORK


def test_dmca_contact_comes_from_the_configured_representative(stored):
    doc = _draft(stored, "c", "dmca", SENDER).document
    assert "- Name: Alex Moreno" in doc and "- Acting on behalf of: Dana Reyes" in doc
    assert "- Postal address: 1 Main Street, Springfield" in doc
    assert "- Telephone: +1 555 0100" in doc and "- Email: alex@lawfirm.example" in doc
    assert "Authorised to act for: Dana Reyes" in doc
    assert "[FILL IN: email address]" not in doc
    assert "[FILL IN: signature:" in doc  # a signature is never filled in for her


def test_ncii_has_the_take_it_down_act_elements(stored):
    doc = _draft(stored, "c", "ncii").document
    assert "TAKE IT DOWN Act (2025)" in doc
    assert "no later than 48 hours" in doc and "known identical copies" in doc
    # identification of, and information to locate, the depiction
    assert "## 1. The intimate visual depiction and where to find it" in doc
    assert "It depicts Dana Reyes" in doc
    _evidence_lines(doc, "c")
    # a brief good-faith statement that it is not consensual, with room for relevant information
    assert "good faith belief that the intimate visual depiction identified above is not" in doc
    assert "[FILL IN: any information that helps the platform see" in doc
    # contact information and signature
    assert "## 3. Contact information" in doc and "[FILL IN: email address]" in doc
    assert "## 4. Signature" in doc and "[FILL IN: signature:" in doc


def test_dsa_has_the_four_elements_of_article_16_2(stored):
    doc = _draft(stored, "a", "dsa", SENDER).document
    assert "Article 16 of the EU Digital Services Act" in doc
    assert "## (a) Why this information is illegal content" in doc
    assert "harassment: it threatens me with violence" in doc
    assert "[FILL IN: a sufficiently substantiated explanation" in doc
    assert "## (b) The exact electronic location" in doc
    _evidence_lines(doc, "a")
    assert "## (c) Name and email address of the notifier" in doc
    assert "- Name: Alex Moreno" in doc and "- Email: alex@lawfirm.example" in doc
    assert "## (d) Statement of good faith" in doc and "accurate and complete" in doc
    assert "[FILL IN: signature:" in doc


def test_platform_report_names_where_to_report_and_attaches_the_evidence(stored):
    draft = _draft(stored, "e", "platform")
    doc = draft.document
    assert "Reason: doxxing: it publishes my private personal information." in doc
    assert "Where to report: the site's own report form" in doc  # corner-forum.example: generic
    assert "[FILL IN: the report form's address; use the platform's report form]" in doc
    _evidence_lines(doc, "e")
    alert_id = draft.facts.alert_ids[0]
    assert f"evidence-{alert_id}.zip" in doc
    assert "mentionwatch evidence export CONFIG ALERT_ID" in doc


def test_documents_name_no_abusive_text(stored):
    for key, kind in (("a", "dsa"), ("e", "platform"), ("c", "ncii")):
        doc = _draft(stored, key, kind).document
        assert ROWS[key][7] not in doc  # the post's text
        if ROWS[key][6]:
            assert ROWS[key][6] not in doc  # its title


def test_drafting_again_rewrites_the_draft_but_never_a_sent_request(stored):
    store, _ = stored
    first = _draft(stored, "c", "dmca")
    again = _draft(stored, "c", "dmca", SENDER)
    assert again.request_id == first.request_id == request_id("dmca", first.facts.alert_ids)
    assert "Alex Moreno" in store.takedown(first.request_id)["document"]
    store.set_takedown_status(first.request_id, "sent", NOW)
    third = _draft(stored, "c", "dmca")
    assert third.status == "sent"
    assert "Alex Moreno" in third.document  # the request as sent, unchanged
    assert len(store.takedowns()) == 1


def _repromotion(store, key: str, url: str, title: str):
    item = Item(
        f"it_{key}",
        "Mirror",
        url,
        title,
        "watch",
        published_at="2026-11-05T00:00:00Z",
        fetched_at="2026-11-05T01:00:00Z",
        raw_ref=f"{key:0>64}",
    )
    template = classified("c")
    mention = ClassifiedMention(
        Mention(item, "Dana Reyes", template.mention.spans), template.classification
    )
    store.write_mentions([mention])
    alert = make_alert(mention)
    store.record_alerts([alert], status="local")
    return alert.alert_id


def test_bulk_host_covers_every_copy_of_the_same_work_on_that_host(stored):
    store, _ = stored
    first = _repromotion(store, "m1", "https://www.mirror.example/v/1", "Hotel Room Tape NEW")
    second = _repromotion(store, "m2", "https://mirror.example/v/2", "hotel room tape hd")
    _repromotion(store, "m3", "https://mirror.example/v/3", "Summer Shoot leaked")  # other work
    _repromotion(store, "m4", "https://elsewhere.example/v/4", "Hotel Room Tape")  # other host
    draft = draft_request(store, _config(), first, "dmca", now=NOW, bulk_host="mirror.example")
    assert set(draft.facts.alert_ids) == {first, second}
    assert "https://www.mirror.example/v/1" in draft.document
    assert "https://mirror.example/v/2" in draft.document
    assert "/v/3" not in draft.document and "elsewhere.example" not in draft.document
    assert f"evidence-{first}.zip" in draft.document and f"evidence-{second}.zip" in draft.document
    row = store.takedown(draft.request_id)
    assert row["host"] == "mirror.example" and len(row["urls"]) == 2
    assert row["work"] == WORK


def test_bulk_host_refuses_harassment_and_unknown_alerts(stored):
    with pytest.raises(TakedownError, match="covers re-promotions"):
        _draft(stored, "a", "dmca", bulk_host="corner-forum.example")
    store, _ = stored
    with pytest.raises(TakedownError, match="no alert 'al_nope'"):
        draft_request(store, _config(), "al_nope", "dmca", now=NOW)
    with pytest.raises(TakedownError, match="unknown kind"):
        _draft(stored, "c", "gdpr")
    with pytest.raises(TakedownError, match="not one of Dana Reyes's known_content titles"):
        _draft(stored, "c", "dmca", work_title="Nothing Like It")


def test_known_work_prefers_the_alert_field_then_the_title_words():
    subject = _config().subject("Dana Reyes")
    named = {"body": {"known_content": "Summer Shoot", "title": "hotel room tape"}}
    assert known_work(subject, named).title == "Summer Shoot"
    by_words = {"body": {"title": "", "url": "https://x.example/summer-shoot-2020"}}
    assert known_work(subject, by_words).title == "Summer Shoot"
    assert known_work(subject, {"body": {"title": "Dana Reyes interview"}}) is None


def test_platform_table_knows_the_source_kinds_and_falls_back():
    assert platform_for("https://old.reddit.com/r/x/comments/1").address == (
        "https://www.reddit.com/report"
    )
    assert platform_for("https://news.ycombinator.com/item?id=1").address == "hn@ycombinator.com"
    assert platform_for("https://bsky.app/profile/x/post/1").key == "bluesky"
    assert platform_for("https://youtu.be/abc").key == "youtube"
    toot = platform_for("https://social.example/@x/1", mastodon_hosts=["social.example"])
    assert toot.key == "mastodon" and "https://social.example/about" in toot.notes
    assert (
        platform_for("https://x.example/1", source_kind="mastodon").name == "Mastodon (x.example)"
    )
    fallback = platform_for("https://clipvault.example/v/1")
    assert fallback.key == "generic" and fallback.address == USE_REPORT_FORM


def test_a_sender_for_an_unknown_subject_is_a_config_error():
    from mentionwatch.config import ConfigError

    with pytest.raises((ConfigError, ValueError), match="not a subject in this file"):
        _config("takedown:\n  senders:\n    - {subject: Nobody Here, name: X}\n")
