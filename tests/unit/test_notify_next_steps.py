"""Next steps in every notification (issue 18): safety, the helper line, commands, known works.

Each notification kind is rendered for each severity, for the subject and
for her helper, and checked for the lines it must and must not have; links
show only the site when the text is hidden; digests carry dates and alert
ids; a re-promotion names her known work with its year.
"""

import datetime as dt
import json
import re
import string

import pytest

from mentionwatch.alerts.engine import PolicyEngine, PolicyParams
from mentionwatch.alerts.selection import known_work, make_alert
from mentionwatch.config import ConfigError, parse_config
from mentionwatch.notify.alert import from_mapping
from mentionwatch.notify.recipients import Recipients, guidance_of
from mentionwatch.notify.render.digest import Queued, render_digest
from mentionwatch.notify.render.immediate import render_immediate
from mentionwatch.notify.render.phrases import PHRASES
from mentionwatch.records import (
    HARASSMENT_TYPES,
    Alert,
    Classification,
    ClassifiedMention,
    Item,
    Mention,
    Span,
)

NOW = dt.datetime(2026, 3, 3, 20, 5, tzinfo=dt.UTC)
ABUSE = "tomorrow night outside the studio, you will regret it"
PROMO_TITLE = "Dana Reyes Summer Shoot NEW upload"
SEVERITIES = ("low", "medium", "high", "critical")

SUBJECT = """\
subjects:
  - name: Dana Reyes
    known_content:
      - {title: Summer Shoot, released: 2019-06-01}
      - {title: "Dana Reyes - Hotel Room Tape", released: 2017-03-14}
    safety:
      emergency_number: "911"
      contact: {label: "Her lawyer, Ana Ortiz", details: "+1 312 555 0100"}
"""
SAM = "    - {name: sam, role: helper, full_text: true, channels: [{type: console}]%s}\n"


def readers(helper: str | None = "", safety: bool = True, dana: str = ""):
    """The config's readers: Dana (masked) and, unless ``helper`` is None, her helper Sam."""
    head = SUBJECT if safety else SUBJECT.split("    safety:")[0]
    text = (
        head
        + "notify:\n  timezone: America/Chicago\n  recipients:\n"
        + f"    - {{name: dana, role: subject, channels: [{{type: console}}]{dana}}}\n"
        + (SAM % helper if helper is not None else "")
    )
    config = parse_config(text)
    return Recipients(config.notify, ["Dana Reyes"], {}, (), guidance_of(config, "dana.yaml"))


def alert(label="harassment", harassment_type="threat", severity="critical", **fields):
    body = {
        "alert_id": f"al_{harassment_type or label}_{severity}",
        "subject": "Dana Reyes",
        "label": label,
        "harassment_type": harassment_type if label == "harassment" else None,
        "severity": severity,
        "url": "https://forum.example/t/tomorrow-night-outside-the-studio",
        "source": "Corner Forum",
        "title": PROMO_TITLE if label == "re_promotion" else "",
        "excerpt": ABUSE,
        "published_at": "2026-03-03T20:02:00Z",
        "known_content": "Summer Shoot" if label == "re_promotion" else "",
        **fields,
    }
    return from_mapping(body)


def flat(text: str) -> str:
    """``text`` with its wrapping undone (every run of white space one space)."""
    return " ".join(text.split())


def bodies(note) -> list[str]:
    return [note.text, note.html, json.dumps(note.items)]


# ------------------------------------------------------------------ every kind, every severity


@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize("kind", [*HARASSMENT_TYPES, "re_promotion"])
def test_every_kind_and_severity_says_what_to_do_next(kind, severity):
    recipients = readers()
    label = "re_promotion" if kind == "re_promotion" else "harassment"
    item = alert(label, kind, severity)
    note = render_immediate(item, recipients.readers["dana"], NOW)
    text = note.text
    steps = text.split("What you can do\n", 1)[1]
    evidence = f"mentionwatch evidence export dana.yaml {item.alert_id}"
    report = f"mentionwatch takedown draft dana.yaml {item.alert_id} --kind platform"
    dmca = f"mentionwatch takedown draft dana.yaml {item.alert_id} --kind dmca"

    safety = kind in ("threat", "doxxing")
    assert ("911" in steps) is safety
    assert ("Someone to turn to: Her lawyer, Ana Ortiz, +1 312 555 0100." in steps) is safety
    if kind == "threat":
        urgent = severity in ("high", "critical")
        expected = "call 911 now." if urgent else "If you ever feel in danger, call 911."
        assert expected in steps
        assert steps.index(evidence) < steps.index(report)  # evidence first: the police
    if kind == "doxxing":
        assert "If you feel unsafe where you are, call 911." in steps
        assert steps.index(report) < steps.index(evidence)  # removal first: it is her address
    if label == "re_promotion":
        assert dmca in steps and evidence not in steps and "docs/takedown.md" in steps
        assert "work      your 2019 \u201cSummer Shoot\u201d" in text
    elif kind in ("threat", "doxxing") or severity in ("high", "critical"):
        assert evidence in steps and report in steps and "Nothing needs doing" not in steps
    else:
        assert "Nothing needs doing now." in steps and evidence in steps and report not in steps
    # A command sits whole on a line of its own, so it can be copied.
    assert all(len(line) <= 100 for line in text.splitlines() if "mentionwatch " in line)
    assert ("None of this is legal advice." in steps) is ("takedown draft" in steps)
    # Sam is told of every alert at once (helper defaults: threats, doxxing, critical).
    told = "Your helper has also been told." in steps
    later = "Your helper will also see this in their next digest." in steps
    assert told is (kind in ("threat", "doxxing") or severity == "critical") and told != later
    for body in bodies(note):
        assert "tomorrow night" not in body and "outside-the-studio" not in body
        assert "sam" not in body.lower()  # the helper by role, never by name


@pytest.mark.parametrize("severity", SEVERITIES)
@pytest.mark.parametrize("kind", ["threat", "doxxing", "insult", "re_promotion"])
def test_a_helpers_message_names_her_emergency_number_and_no_helper_line(kind, severity):
    label = "re_promotion" if kind == "re_promotion" else "harassment"
    note = render_immediate(alert(label, kind, severity), readers().readers["sam"], NOW)
    steps = note.text.split("What you can do\n", 1)[1]
    safety = "If you think Dana Reyes may be in danger, call 911." in steps
    assert safety is (kind in ("threat", "doxxing"))
    assert "Your helper" not in steps and "whoever runs mentionwatch" not in steps
    assert ABUSE in flat(note.text)  # Sam opted in to the text ...
    assert "https://forum.example/t/tomorrow-night-outside-the-studio" in note.text  # ... and links


def test_without_a_configured_number_the_safety_line_still_points_to_help():
    recipients = readers(safety=False)
    dana = render_immediate(alert(), recipients.readers["dana"], NOW).text
    assert "If you feel in danger, call your local emergency number now." in dana
    assert "Someone to turn to" not in dana
    sam = render_immediate(alert(), recipients.readers["sam"], NOW).text
    assert "call the local emergency number where they are." in flat(sam)


def test_the_helper_line_appears_only_when_a_helper_receives_the_alert():
    dana = readers(helper=None).readers["dana"]
    alone = render_immediate(alert(), dana, NOW).text
    assert "Your helper" not in alone
    assert "You, or whoever runs mentionwatch for you, can run these commands." in flat(alone)
    only_promos = readers(helper=", labels: [re_promotion]").readers["dana"]
    steps = render_immediate(alert(), only_promos, NOW).text.split("What you can do")[1]
    assert "has also been told" not in steps and "will also see" not in steps
    promo = alert("re_promotion", None, "medium")
    assert "Your helper will also see this" in render_immediate(promo, only_promos, NOW).text
    # Inside the helper's quiet hours a critical threat still reaches him at once.
    quiet = readers(helper=', quiet_hours: {start: "00:00", end: "23:59"}').readers["dana"]
    assert "Your helper has also been told." in render_immediate(alert(), quiet, NOW).text
    held = render_immediate(alert(severity="high", harassment_type="incitement"), quiet, NOW)
    assert "Your helper will also see this in their next digest." in held.text


def test_masked_links_show_the_site_only_in_every_form():
    note = render_immediate(
        alert(related_urls=["https://forum.example/t/second-slug"], kind="burst", count=2),
        readers().readers["dana"],
        NOW,
    )
    assert "  link      forum.example/\u2026\n            forum.example/\u2026" in note.text
    assert "href" not in note.html and "forum.example/\u2026" in note.html
    facts = note.items[0]
    assert facts["url"] is None and facts["related_urls"] == []
    assert facts["links"] == ["forum.example/\u2026", "forum.example/\u2026"]
    for body in bodies(note):
        assert "slug" not in body and "outside-the-studio" not in body


# ------------------------------------------------------------------ digests


def test_a_digest_has_dates_ids_the_known_work_and_next_steps():
    recipients = readers()
    entries = [
        Queued(alert("re_promotion", None, "medium", alert_id=f"al_p{i}", known_content=work))
        for i, work in enumerate(["Summer Shoot", "Summer Shoot", ""])
    ]
    entries.append(
        Queued(
            alert(
                harassment_type="threat", severity="critical", published_at="2026-02-27T09:15:00Z"
            )
        )
    )
    note = render_digest("dg_1", entries, recipients.readers["dana"], NOW, None)
    text = note.text
    assert "a threat on forum.example, Fri 27 Feb 2026 03:15" in text  # date, local time
    assert "alert al_threat_critical" in text
    assert all(f"Tue 3 Mar 2026 14:02  al_p{i}  forum.example/\u2026" in text for i in range(2))
    assert "your 2019 \u201cSummer Shoot\u201d" in text
    steps = text.split("What you can do\n", 1)[1]
    assert "If you feel in danger, call 911 now." in steps and "Her lawyer" in steps
    assert "Your helper also receives these alerts." in steps
    assert "mentionwatch evidence export dana.yaml ALERT_ID" in steps
    assert "mentionwatch takedown draft dana.yaml ALERT_ID --kind platform" in steps
    assert "mentionwatch takedown draft dana.yaml ALERT_ID --kind dmca" in steps
    for body in bodies(note):
        assert "tomorrow night" not in body and "outside-the-studio" not in body
        assert PROMO_TITLE not in body
    assert "al_p1" in note.html and "27 Feb 2026" in note.html


def test_a_digest_names_the_labels_a_helper_receives_when_not_all():
    dana = readers(helper=", labels: [re_promotion]").readers["dana"]
    entries = [
        Queued(alert(harassment_type="insult", severity="low")),
        Queued(alert("re_promotion", None, "medium")),
    ]
    steps = render_digest("dg_2", entries, dana, NOW, None).text.split("What you can do\n")[1]
    assert "Your helper also receives the re-promotion alerts in this digest." in steps
    assert "911" not in steps  # no threat or doxxing in it
    alone = render_digest("dg_3", entries[:1], dana, NOW, None).text
    assert "Your helper also" not in alone


def test_a_helper_who_opted_in_reads_titles_and_full_links_in_the_digest():
    sam = readers().readers["sam"]
    entry = Queued(alert("re_promotion", None, "medium", known_content="Summer Shoot"))
    text = render_digest("dg_1", [entry], sam, NOW, None).text
    assert f"\u201c{PROMO_TITLE}\u201d, Dana Reyes's 2019 \u201cSummer Shoot\u201d" in text
    assert "Tue 3 Mar 2026 14:02  al_re_promotion_medium  https://forum.example/t/" in text


# ------------------------------------------------------------------ the known work, end to end


def item(title="", text="", url="https://clipvault.example/v/1"):
    return Item("it_1", "clipvault", url, title, text, published_at="2026-03-01T10:00:00Z")


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        (item("Summer Shoot (full, NEW)"), "Summer Shoot"),
        (item(text="the summer-shoot video again"), "Summer Shoot"),
        (item(url="https://clipvault.example/v/dana-reyes-summer-shoot"), "Summer Shoot"),
        (item("Hotel Room Tape leaked"), "Dana Reyes - Hotel Room Tape"),  # a part of the title
        (item("Dana Reyes new video"), ""),  # her name alone is no title
        (item("A summer of shooting stars"), ""),
    ],
)
def test_known_work_finds_her_title_whole_or_by_part(found, expected):
    titles = ("Summer Shoot", "Dana Reyes - Hotel Room Tape")
    assert known_work(found, "Dana Reyes", titles) == expected


def classified(label, title):
    mention = Mention(item(title), "Dana Reyes", (Span("title", 0, 4, "Dana", "dana"),))
    scores = {"harassment": 0.01, "re_promotion": 0.95, "benign": 0.04}
    return ClassifiedMention(
        mention, Classification(label, None, scores, "m", "1", {"re_promotion": 0.5})
    )


def test_the_alert_carries_the_known_work_and_old_bodies_still_parse():
    made = make_alert(classified("re_promotion", "Summer Shoot HD"), ("Summer Shoot",))
    assert made.known_content == "Summer Shoot"
    assert (
        make_alert(classified("benign", "Summer Shoot HD"), ("Summer Shoot",)).known_content == ""
    )
    body = made.to_json()
    assert body["known_content"] == "Summer Shoot"
    assert Alert.from_json(body) == made
    old = {k: v for k, v in body.items() if k != "known_content"}
    assert Alert.from_json(old).known_content == "" and from_mapping(old).known_content == ""
    assert from_mapping(body).known_content == "Summer Shoot"


def test_the_policy_names_the_work_and_groups_by_it():
    engine = PolicyEngine(PolicyParams(known_titles={"Dana Reyes": ("Summer Shoot",)}))
    first = classified("re_promotion", "Summer Shoot HD")
    other = classified("re_promotion", "summer shoot full video")
    a, b = engine.select(first), engine.select(other)
    assert a.known_content == b.known_content == "Summer Shoot"
    assert engine.group_key(a, first) == engine.group_key(b, other) == "re_promotion|Summer Shoot"


# ------------------------------------------------------------------ config and wording


def config_problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "c.yaml")
    return [str(p) for p in info.value.problems]


def test_safety_settings_are_validated_with_clear_errors():
    found = config_problems(
        "subjects:\n  - name: Dana Reyes\n    safety:\n"
        "      emergency_number: call me\n      language: fr\n"
        "      contact: {label: ''}\n"
        "notify:\n  recipients:\n"
        "    - {name: dana, role: subject, language: de, channels: [{type: console}]}\n"
    )
    text = "\n".join(found)
    assert "c.yaml:4: subjects[0].safety.emergency_number: emergency_number 'call me'" in text
    assert "must be a number to dial, such as '911', '112'" in text
    assert "subjects[0].safety.language: Input should be 'en' (got 'fr')" in text
    assert "subjects[0].safety.contact.label" in text
    assert "subjects[0].safety.contact.details: required but missing" in text
    assert "notify.recipients[0].language: Input should be 'en' (got 'de')" in text


def test_the_safety_block_is_optional_and_kept():
    config = parse_config(SUBJECT)
    safety = config.subjects[0].safety
    assert safety.emergency_number == "911" and safety.contact.label == "Her lawyer, Ana Ortiz"
    assert safety.language == "en"
    bare = parse_config("subjects:\n  - name: Dana Reyes\n").subjects[0].safety
    assert bare.emergency_number is None and bare.contact is None


def test_every_language_has_every_phrase_with_the_same_fields():
    fields = {
        key: {f for _, f, _, _ in string.Formatter().parse(value) if f}
        for key, value in PHRASES["en"].items()
    }
    from mentionwatch.config.subjects import Language

    assert set(PHRASES) == set(Language.__args__)
    for language, table in PHRASES.items():
        assert set(table) == set(fields), language
        for key, value in table.items():
            assert {f for _, f, _, _ in string.Formatter().parse(value) if f} == fields[key]
            assert not re.search(r"\b(kill|hurt|die)\b", value), (language, key)


def test_readers_without_guidance_still_render_next_steps():
    config = parse_config(
        "subjects:\n  - name: Dana Reyes\nnotify:\n  recipients:\n"
        "    - {name: dana, role: subject, channels: [{type: console}]}\n"
    )
    reader = Recipients(config.notify, ["Dana Reyes"], {}).readers["dana"]
    text = render_immediate(alert(harassment_type="doxxing"), reader, NOW).text
    assert "call your local emergency number." in text
    assert "mentionwatch takedown draft CONFIG al_doxxing_critical --kind platform" in text
