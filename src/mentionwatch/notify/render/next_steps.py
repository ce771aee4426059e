"""What to do next, in every notification: safety first, then one command to act.

For one alert (``alert_steps``), by kind and severity:

=============================  ================================================================
alert                          next steps
=============================  ================================================================
threat                         safety line (``call 911 now`` when high or critical, ``if you
                               ever feel in danger`` below), the contact, keep the evidence,
                               ask the site to remove it
doxxing                        safety line (``if you feel unsafe where you are``), the contact,
                               ask the site to remove it, keep the evidence
incitement, sexual harassment, high or critical: ask the site to remove it, keep the evidence;
identity attack, insult        below: nothing needs doing now, keep a record
pile-on                        keep the evidence
re-promotion                   ask the site to take it down (``--kind dmca``), which kind fits
=============================  ================================================================

The safety line names the subject's ``safety.emergency_number`` (else "your
local emergency number") and ``safety.contact`` when configured. A subject's
own message says that her helper has been told (or will see it in their
digest) when a helper in the config receives the alert; it names the role,
never the helper. Commands are the exact command lines to run:
``mentionwatch evidence export CONFIG ALERT_ID`` and ``mentionwatch takedown
draft CONFIG ALERT_ID --kind KIND``. A digest (``digest_steps``) gives the
same lines once, for all its alerts. Wording comes from ``phrases`` in the
reader's language.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import shlex
from collections.abc import Mapping, Sequence

from mentionwatch.config import Subject
from mentionwatch.notify.alert import IncomingAlert
from mentionwatch.notify.notification import Reader
from mentionwatch.notify.render.phrases import phrases
from mentionwatch.notify.render.wording import escape, indent
from mentionwatch.notify.routing import IMMEDIATE, receives, route

URGENT = ("high", "critical")
SAFETY_TYPES = ("threat", "doxxing")


def subject_config(reader: Reader, subject: str) -> Subject | None:
    """The config block of ``subject`` (its safety settings and known works), if known."""
    return reader.guidance.subjects.get(subject)


def words_for(reader: Reader, subject: str) -> Mapping[str, str]:
    """The phrase table for this reader and subject: the reader's language, else the subject's."""
    config = subject_config(reader, subject)
    return phrases(reader.language or (config.safety.language if config else "en"))


def evidence_command(reader: Reader, alert_id: str) -> str:
    """``mentionwatch evidence export CONFIG ALERT_ID`` with this config's path filled in."""
    return f"mentionwatch evidence export {shlex.quote(reader.guidance.config_path)} {alert_id}"


def takedown_command(reader: Reader, alert_id: str, kind: str) -> str:
    """``mentionwatch takedown draft CONFIG ALERT_ID --kind KIND`` with the path filled in."""
    config = shlex.quote(reader.guidance.config_path)
    return f"mentionwatch takedown draft {config} {alert_id} --kind {kind}"


def known_work(alert: IncomingAlert, reader: Reader) -> str:
    """``your 2019 "Summer Shoot"`` (to a helper: ``Dana Reyes's 2019 ...``); ``""`` if none.

    The title is the subject's own ``known_content`` entry the alert names,
    never the post's words; the year is the entry's ``released`` year.
    """
    if not alert.known_content:
        return ""
    words = words_for(reader, alert.subject)
    config = subject_config(reader, alert.subject)
    released = next(
        (
            k.released
            for k in (config.known_content if config else ())
            if k.title == alert.known_content
        ),
        None,
    )
    key = "work_yours" if reader.role == "subject" else "work_theirs"
    named = words[key].format(
        year=released.year if released else "", title=alert.known_content, subject=alert.subject
    )
    return " ".join(named.split())  # no double space when the year is unknown


def safety_lines(subject: str, types: Sequence[str], urgent: bool, reader: Reader) -> list[str]:
    """The safety line and the contact, for alerts of ``types`` about ``subject``.

    Empty unless a threat or doxxing is among ``types``.
    """
    if not any(t in SAFETY_TYPES for t in types):
        return []
    words = words_for(reader, subject)
    config = subject_config(reader, subject)
    safety = config.safety if config else None
    if reader.role == "subject":
        number = (safety and safety.emergency_number) or words["your_number"]
        if "threat" in types:
            key = "safety_now" if urgent else "safety_ever"
        else:
            key = "safety_doxxing"
    else:
        number = (safety and safety.emergency_number) or words["their_number"]
        key = "safety_helper"
    lines = [words[key].format(number=number, subject=subject)]
    if safety and safety.contact:
        lines.append(words["contact"].format(**safety.contact.model_dump()))
    return lines


def helper_line(alert: IncomingAlert, reader: Reader, now: dt.datetime) -> str:
    """``Your helper has also been told.`` when a helper receives ``alert`` now; else ``""``.

    Only in the subject's own messages. A helper who receives the alert
    later (their digest, their quiet hours) gets the "will also see this"
    line instead.
    """
    if reader.role != "subject":
        return ""
    hows = [
        route(h.settings, alert, now, h.zone).how
        for h in reader.helpers
        if receives(h.settings, alert)
    ]
    if not hows:
        return ""
    words = words_for(reader, alert.subject)
    return words["helper_now"] if IMMEDIATE in hows else words["helper_later"]


@dataclasses.dataclass(frozen=True)
class Step:
    """One next step: a sentence, and the command it asks for (``""`` when none).

    Renderers put the command on a line of its own, never wrapped, so it can
    be copied whole.
    """

    text: str
    command: str = ""


def _actions(alert: IncomingAlert, reader: Reader) -> list[Step]:
    """What to run for ``alert``, in the order to show (the module table)."""
    words = words_for(reader, alert.subject)
    evidence = evidence_command(reader, alert.alert_id)
    report = Step(words["report_site"], takedown_command(reader, alert.alert_id, "platform"))
    if alert.label == "re_promotion":
        command = takedown_command(reader, alert.alert_id, "dmca")
        return [Step(words["takedown_work"], command), Step(words["which_kind"])]
    if alert.kind == "pile_on":
        return [Step(words["evidence_record"], evidence)]
    if alert.harassment_type == "threat":
        return [Step(words["evidence_police"], evidence), report]
    if alert.harassment_type == "doxxing":
        return [report, Step(words["evidence_police"], evidence)]
    if alert.severity in URGENT:
        return [report, Step(words["evidence_record"], evidence)]
    return [Step(words["nothing_needed"]), Step(words["evidence_record"], evidence)]


def has_helper(reader: Reader, subject: str) -> bool:
    """True when the config has a helper for ``subject`` (whatever they receive)."""
    return any(not h.settings.subjects or subject in h.settings.subjects for h in reader.helpers)


def _closing(
    steps: Sequence[Step], reader: Reader, subject: str, words: Mapping[str, str]
) -> list[Step]:
    """Who can run the commands (to the subject), and that none of it is legal advice."""
    out = []
    if reader.role == "subject":
        out.append(Step(words["who_runs" if has_helper(reader, subject) else "who_runs_alone"]))
    if any(" takedown " in step.command for step in steps):
        out.append(Step(words["not_advice"]))
    return out


def alert_steps(alert: IncomingAlert, reader: Reader, now: dt.datetime) -> list[Step]:
    """The next steps for one alert (see the module table)."""
    words = words_for(reader, alert.subject)
    types = [alert.harassment_type or ""] if alert.label == "harassment" else []
    steps = [
        Step(line) for line in safety_lines(alert.subject, types, alert.severity in URGENT, reader)
    ]
    told = helper_line(alert, reader, now)
    steps += [Step(told)] if told else []
    actions = _actions(alert, reader)
    return steps + actions + _closing(actions, reader, alert.subject, words)


def digest_steps(alerts: Sequence[IncomingAlert], reader: Reader) -> list[Step]:
    """The next steps for a digest: safety per subject, the helper line, the commands once."""
    if not alerts:
        return []
    words = words_for(reader, alerts[0].subject)
    lines: list[str] = []
    for subject in sorted({a.subject for a in alerts}):
        mine = [a for a in alerts if a.subject == subject and a.label == "harassment"]
        types = [a.harassment_type or "" for a in mine]
        lines += safety_lines(subject, types, any(a.severity in URGENT for a in mine), reader)
    lines += _digest_helper(alerts, reader, words)
    actions = [Step(words["digest_evidence"], evidence_command(reader, "ALERT_ID"))]
    labels = {a.label for a in alerts}
    if "harassment" in labels:
        command = takedown_command(reader, "ALERT_ID", "platform")
        actions.append(Step(words["digest_report"], command))
    if "re_promotion" in labels:
        command = takedown_command(reader, "ALERT_ID", "dmca")
        actions += [Step(words["digest_takedown"], command), Step(words["which_kind"])]
    closing = _closing(actions, reader, alerts[0].subject, words)
    return [Step(line) for line in lines] + actions + closing


def steps_text(steps: Sequence[Step]) -> str:
    """The steps as plain-text bullets, each command on its own indented line, unwrapped."""
    lines = []
    for step in steps:
        lines.append(f"  - {indent(step.text, ' ' * 4)}")
        if step.command:
            lines.append(f"      {step.command}")
    return "\n".join(lines)


def steps_html(steps: Sequence[Step]) -> str:
    """The steps as escaped HTML list items, each command in ``<code>``."""
    return "".join(
        f"<li>{escape(step.text)}"
        + (f"<br><code>{escape(step.command)}</code>" if step.command else "")
        + "</li>"
        for step in steps
    )


def _digest_helper(
    alerts: Sequence[IncomingAlert], reader: Reader, words: Mapping[str, str]
) -> list[str]:
    """The helper line of a subject's digest: all of these, or the labels a helper receives."""
    if reader.role != "subject":
        return []
    told = [a for a in alerts if any(receives(h.settings, a) for h in reader.helpers)]
    if not told:
        return []
    if len(told) == len(alerts):
        return [words["helper_all"]]
    labels = sorted({a.label for a in told})
    names = f" {words['and']} ".join(words.get(f"label_{label}", label) for label in labels)
    return [words["helper_some"].format(labels=names)]
