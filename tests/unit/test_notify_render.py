"""What notifications say: calm facts, localized times, abusive text masked unless opted in."""

import datetime as dt
import json
import zoneinfo

from mentionwatch.notify.alert import from_mapping
from mentionwatch.notify.channels.webhook import payload, sign, verify
from mentionwatch.notify.notification import Reader
from mentionwatch.notify.render.digest import Queued, render_digest
from mentionwatch.notify.render.immediate import render_immediate
from mentionwatch.notify.render.operator import render_operator_notice

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
NOW = dt.datetime(2026, 3, 3, 20, 5, tzinfo=dt.UTC)
ABUSE = "<b>I know where you live</b> and I will hurt you"
DANA = Reader("dana", "subject", False, CHICAGO, ("Dana Reyes",))
SAM = Reader("sam", "helper", True, zoneinfo.ZoneInfo("Europe/Berlin"), ("Dana Reyes",))


def threat(**fields):
    return from_mapping(
        {
            "alert_id": "al_threat",
            "subject": "Dana Reyes",
            "label": "harassment",
            "harassment_type": "threat",
            "severity": "critical",
            "url": "https://www.forum.example/t/1",
            "source": "Corner Forum",
            "excerpt": ABUSE,
            "published_at": "2026-03-03T20:02:00Z",
            "evidence_ref": "ab12",
            **fields,
        }
    )


def promo(i, title, site):
    return from_mapping(
        {
            "alert_id": f"al_p{i}",
            "subject": "Dana Reyes",
            "label": "re_promotion",
            "severity": "medium",
            "url": f"https://{site}/v/{i}",
            "source": site,
            "title": title,
            "excerpt": f"{title} watch free",
            "published_at": "2026-03-02T10:00:00Z",
        }
    )


def test_immediate_states_what_where_when_whom_with_the_text_masked():
    note = render_immediate(threat(), DANA, NOW)
    assert note.title == "[mentionwatch] critical: a threat against Dana Reyes on forum.example"
    assert note.text.startswith("A threat on forum.example, 14:02, against Dana Reyes.")
    assert "Tue 3 Mar 2026, 14:02 CST" in note.text  # the recipient's time zone
    assert "forum.example/\u2026" in note.text and "hidden (content warning: threat" in note.text
    assert "/t/1" not in note.text and "/t/1" not in note.html  # masked: the site only
    for body in (note.text, note.html, json.dumps(note.items)):
        assert "know where you live" not in body
    assert note.items[0]["text_hidden"] is True and note.items[0]["excerpt"] is None


def test_a_helper_who_opted_in_sees_the_text_escaped_in_html():
    note = render_immediate(threat(), SAM, NOW)
    assert "I know where you live" in note.text and "21:02 CET" in note.text
    assert "&lt;b&gt;I know where you live&lt;/b&gt;" in note.html and "<b>I know" not in note.html
    assert note.items[0]["excerpt"] == ABUSE
    assert "You receive this as a helper for Dana Reyes." in note.text


def test_pile_on_and_bursts_are_counted():
    pile = render_immediate(
        threat(kind="pile_on", count=23, harassment_type="insult", severity="critical"), DANA, NOW
    )
    assert pile.text.startswith("A pile-on (23 harassing posts in a short time) on forum.example")
    burst = render_immediate(
        threat(
            kind="burst",
            count=3,
            related_urls=["https://www.forum.example/t/2", "https://www.forum.example/t/3"],
        ),
        DANA,
        NOW,
    )
    assert "3 threats" in burst.title and burst.text.count("forum.example/\u2026") == 3
    assert "/t/3" not in burst.text


def test_thirty_re_promotions_make_one_grouped_digest_with_titles_hidden():
    entries = [
        Queued(
            promo(
                i,
                "Dana Reyes Hotel Room Tape NEW" if i % 3 else "Dana full video",
                f"tube{i % 2}.example",
            )
        )
        for i in range(30)
    ]
    entries.append(
        Queued(
            threat(alert_id="al_insult", harassment_type="insult", severity="low"), "quiet_hours"
        )
    )
    note = render_digest("dg_1", entries, DANA, NOW, None)
    assert note.title == "[mentionwatch] digest for Dana Reyes: 1 harassment, 30 re-promotions"
    assert "Re-promotion of old content (30)" in note.text
    assert "tube0.example: 15 posts" in note.text and "tube1.example: 15 posts" in note.text
    # The same title has the same number on every site; its words never appear.
    assert (
        note.text.count("10 \u00d7 title 1 (hidden)") == 2
        and note.text.count("5 \u00d7 title 2 (hidden)") == 2
    )
    assert (
        "Hotel Room Tape" not in note.text
        and "Hotel Room Tape" not in note.html
        and "know where" not in note.text
    )
    assert "(held during quiet hours)" in note.text
    assert all(f"al_p{i}  tube{i % 2}.example/\u2026" in note.text for i in range(30))
    assert "/v/" not in note.text and "/v/" not in note.html
    assert note.severity == "medium" and len(note.items) == 31

    full = render_digest("dg_1", entries, SAM, NOW, None)
    assert (
        "20 \u00d7 \u201cDana Reyes Hotel Room Tape NEW\u201d" not in full.text
    )  # grouped per site
    assert "10 \u00d7 \u201cDana Reyes Hotel Room Tape NEW\u201d" in full.text
    assert "https://tube1.example/v/1" in full.text  # opted in: full links


def test_operator_notice_carries_no_alert_text():
    note = render_operator_notice(
        letter_id=7,
        ref="al_threat",
        recipient="dana",
        channel="phone",
        kind="immediate",
        attempts=5,
        error="transient: webhook hooks.example answered HTTP 503",
        now=NOW,
    )
    assert "notify_dead_letters, id 7" in note.text and "--retry-dead-letters" in note.text
    assert "HTTP 503" in note.text and "know where" not in note.text


def test_webhook_payloads_and_signature():
    note = render_immediate(threat(), DANA, NOW)
    generic = payload(note, "json", 1772568000)
    assert generic["timestamp"] == 1772568000 and generic["alerts"][0]["alert_id"] == "al_threat"
    body = json.dumps(generic).encode()
    assert verify(b"k", body, sign(b"k", body)) and not verify(b"other", body, sign(b"k", body))
    slack = payload(note, "slack", 0)
    assert (
        slack["text"].startswith("[mentionwatch] critical")
        and slack["blocks"][0]["text"]["type"] == "mrkdwn"
    )
    discord = payload(note, "discord", 0)
    assert discord["allowed_mentions"] == {"parse": []} and len(discord["content"]) <= 2000
