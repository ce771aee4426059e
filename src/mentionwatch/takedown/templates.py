"""The four requests, as Markdown: every element their legal basis requires, or a placeholder.

Each template fills what mentionwatch knows (the subject, her sender from
``takedown.senders``, each URL with its times and the SHA-256 of the bytes
it was read from, the known work a re-promotion re-publishes, the evidence
packs) and leaves a placeholder, ``[FILL IN: …]``, for what only she (or
someone she authorised) can give: the signature, contact details that are
not configured, her own words on why the content is unlawful. Statements
made under penalty of perjury or in good faith are written out as the law
words them and marked for her to keep only if true. Every request starts by
saying it is not legal advice.

=========  ==================================================================
kind       elements (the law's numbering)
=========  ==================================================================
dmca       17 U.S.C. § 512(c)(3)(A)(i)–(vi): signature; the copyrighted work;
           the infringing material and where it is; contact information; the
           good-faith statement; accuracy and authority under penalty of perjury
ncii       TAKE IT DOWN Act (2025) removal request: signature; identification
           and location of the intimate visual depiction; the good-faith
           statement that it is not consensual; contact information
dsa        DSA Article 16(2)(a)–(d): the substantiated explanation; the exact
           URLs; name and email of the notifier; the statement of good faith
platform   what happened and where, the reason (harassment, doxxing,
           impersonation, intimate images), the evidence packs attached
=========  ==================================================================
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from mentionwatch.takedown.facts import Facts, Location
from mentionwatch.takedown.platforms import USE_REPORT_FORM
from mentionwatch.takedown.rules import TITLES

NOT_LEGAL_ADVICE = (
    "> **This is not legal advice.** mentionwatch drafted this request from what it recorded. "
    "Read it through, change anything that is not right, and fill in every `[FILL IN: …]`. "
    "If you are unsure which kind of request fits, or whether you may send it, ask a lawyer "
    "or a support organisation first (docs/takedown.md explains the kinds)."
)
SIGNATURE = (
    "[FILL IN: signature: sign by hand, or type your full name as an electronic signature, "
    "e.g. /s/ Jane Doe]"
)
REASONS = {
    "threat": "harassment: it threatens me with violence",
    "doxxing": "doxxing: it publishes my private personal information",
    "incitement": "harassment: it urges others to harass or harm me",
    "sexual_harassment": "harassment: it is sexual harassment directed at me",
    "identity_attack": "harassment: it attacks me for who I am",
    "insult": "harassment: it is abuse directed at me",
    None: "harassment directed at me",
}


def _fill(value: str | None, what: str) -> str:
    return value if value else f"[FILL IN: {what}]"


def _work_lines(facts: Facts) -> list[str]:
    work = facts.work
    if work is None:
        return [
            (
                "- Title: [FILL IN: the title of the original work, when it was made or released, "
                "and where the original is published, if it is]"
            )
        ]
    lines = [f"- Title: “{work.title}”", f"- Released: {work.released.isoformat()}"]
    if work.url:
        lines.append(f"- The original: {work.url}")
    return lines


def _location_lines(location: Location, number: int) -> list[str]:
    lines = [f"{number}. {location.url}"]
    if location.published_at:
        lines.append(f"   - published (as the page says): {location.published_at}")
    if location.fetched_at:
        lines.append(f"   - recorded by mentionwatch: {location.fetched_at}")
    if location.raw_sha256:
        lines.append(f"   - SHA-256 of the bytes recorded: `{location.raw_sha256}`")
    for source in location.fetched_from:
        if source != location.url:
            lines.append(f"   - recorded from: {source}")
    return lines


def _locations(facts: Facts) -> list[str]:
    lines: list[str] = []
    for number, location in enumerate(facts.locations, 1):
        lines += _location_lines(location, number)
    return lines


def _contact(facts: Facts, *, phone: bool = True, postal: bool = True) -> list[str]:
    sender = facts.sender
    lines = [f"- Name: {_fill(sender and sender.name, 'your full name')}"]
    if sender is not None and sender.representative:
        lines.append(f"- Acting on behalf of: {facts.subject.name}")
    if postal:
        lines.append(
            f"- Postal address: {_fill(sender and sender.postal_address, 'postal address')}"
        )
    if phone:
        lines.append(f"- Telephone: {_fill(sender and sender.phone, 'telephone number')}")
    lines.append(f"- Email: {_fill(sender and sender.email, 'email address')}")
    return lines


def _signature(facts: Facts) -> list[str]:
    sender = facts.sender
    lines = [SIGNATURE, f"Name: {_fill(sender and sender.name, 'your full name')}"]
    if sender is not None and sender.representative:
        lines.append(f"Authorised to act for: {facts.subject.name}")
    lines.append("Date: [FILL IN: the date you send this]")
    return lines


def _evidence(facts: Facts) -> list[str]:
    lines = [
        (
            "Evidence packs (a zip per alert with the pages as fetched, their SHA-256 hashes and a "
            "one-page summary), made with `mentionwatch evidence export CONFIG ALERT_ID`:"
        )
    ]
    lines += [
        f"- evidence-{alert_id}.zip (its one-page summary: summary.pdf, summary.html)"
        for alert_id in facts.alert_ids
    ]
    return lines


def _header(kind: str, facts: Facts, request_id: str, drafted: dt.datetime) -> list[str]:
    return [
        f"# {TITLES[kind][0].upper()}{TITLES[kind][1:]}",
        "",
        NOT_LEGAL_ADVICE,
        "",
        f"Reference: {request_id} (drafted {drafted.date().isoformat()}; host {facts.host})",
        "",
    ]


def _dmca(facts: Facts) -> list[str]:
    return [
        (
            "To: the designated agent of the service hosting the material "
            "[FILL IN: the agent's name and email, from the service's legal page or the U.S. "
            "Copyright Office's DMCA designated agent directory]"
        ),
        "",
        (
            "> Only the copyright owner, or someone authorised to act for the owner, may send this "
            "notice. The copyright in a commercially made video usually belongs to the producer or "
            "studio, not to the performer; if that is so here, a TAKE IT DOWN Act request (`--kind "
            "ncii`) or a platform report may fit better."
        ),
        "",
        "## 1. The copyrighted work (§ 512(c)(3)(A)(ii))",
        "",
        *_work_lines(facts),
        "",
        "## 2. The infringing material and where to find it (§ 512(c)(3)(A)(iii))",
        "",
        "The following copies reproduce the work above without authorisation:",
        "",
        *_locations(facts),
        "",
        "## 3. Contact information (§ 512(c)(3)(A)(iv))",
        "",
        *_contact(facts),
        "",
        "## 4. Statement of good faith (§ 512(c)(3)(A)(v))",
        "",
        (
            "I have a good faith belief that use of the material in the manner complained of "
            "is not authorized by the copyright owner, its agent, or the law."
        ),
        "",
        "## 5. Statement of accuracy and authority (§ 512(c)(3)(A)(vi))",
        "",
        (
            "The information in this notification is accurate, and under penalty of perjury, I am "
            "the owner, or authorized to act on behalf of the owner, of an exclusive right that is "
            "allegedly infringed."
        ),
        "",
        "(Keep the statements in 4 and 5 only if they are true; signing makes them yours.)",
        "",
        "## 6. Signature (§ 512(c)(3)(A)(i))",
        "",
        *_signature(facts),
    ]


def _ncii(facts: Facts) -> list[str]:
    return [
        (
            "To: the platform's TAKE IT DOWN Act removal process "
            "[FILL IN: where the platform takes these requests: its removal form or address]"
        ),
        "",
        (
            "This is a request under the TAKE IT DOWN Act (2025) to remove a non-consensual "
            "intimate visual depiction of me. A covered platform must remove it as soon as "
            "possible and no later than 48 hours after receiving a valid request, and make "
            "reasonable efforts to identify and remove any known identical copies."
        ),
        "",
        "## 1. The intimate visual depiction and where to find it",
        "",
        f"It depicts {facts.subject.name}, who is the identifiable individual. It is at:",
        "",
        *_locations(facts),
        "",
        *(["It is a copy of:", "", *_work_lines(facts), ""] if facts.work else []),
        "## 2. Statement of good faith that it is not consensual",
        "",
        (
            "I have a good faith belief that the intimate visual depiction identified above is not "
            "consensual: it was published without my consent."
        ),
        "",
        (
            "[FILL IN: any information that helps the platform see that it was published without "
            "your consent, e.g. that you never agreed to its publication here, or that you "
            "withdrew consent; only what you want to share]"
        ),
        "",
        "(Keep this statement only if it is true; signing makes it yours.)",
        "",
        "## 3. Contact information",
        "",
        *_contact(facts, postal=False),
        "",
        "## 4. Signature",
        "",
        *_signature(facts),
    ]


def _dsa(facts: Facts) -> list[str]:
    found = sorted({REASONS.get(loc.harassment_type, REASONS[None]) for loc in facts.locations})
    if all(loc.label == "re_promotion" for loc in facts.locations):
        found = [
            (
                "it re-publishes intimate content of me [FILL IN: why this is illegal, e.g. "
                "that you never agreed to its publication here; keep only what is true]"
            )
        ]
    return [
        (
            "To: the hosting service's notice and action mechanism "
            "[FILL IN: its notice form or address]"
        ),
        "",
        (
            "This is a notice under Article 16 of the EU Digital Services Act (Regulation (EU) "
            "2022/2065)."
        ),
        "",
        "## (a) Why this information is illegal content",
        "",
        f"What mentionwatch recorded: {'; '.join(found)}.",
        "",
        (
            "[FILL IN: a sufficiently substantiated explanation in your own words of why it is "
            "illegal, and under which law if you know it (for example: publishing intimate images "
            "without consent, threats, unlawful publication of personal data, copyright)]"
        ),
        "",
        "## (b) The exact electronic location",
        "",
        *_locations(facts),
        "",
        "## (c) Name and email address of the notifier",
        "",
        *_contact(facts, phone=False, postal=False),
        "",
        "## (d) Statement of good faith",
        "",
        (
            "I confirm my bona fide belief that the information and allegations contained in this "
            "notice are accurate and complete."
        ),
        "",
        "(Keep this statement only if it is true; signing makes it yours.)",
        "",
        *_signature(facts),
    ]


def _platform(facts: Facts) -> list[str]:
    platform = facts.platform
    address = (
        "[FILL IN: the report form's address; use the platform's report form]"
        if platform.address == USE_REPORT_FORM
        else platform.address
    )
    reasons = sorted(
        {
            "intimate content of me re-published here [FILL IN: why it breaks the rules, "
            "e.g. that you never agreed to its publication here; keep only what is true]"
            if loc.label == "re_promotion"
            else REASONS.get(loc.harassment_type, REASONS[None])
            for loc in facts.locations
        }
    )
    return [
        f"Platform: {platform.name}",
        f"Where to report: {platform.where}",
        f"Address or form: {address}",
        *([f"Note: {platform.notes}"] if platform.notes else []),
        "",
        "## What I am reporting",
        "",
        f"Reason: {'; '.join(reasons)}.",
        (
            "[FILL IN: change the reason if another fits better: harassment, doxxing, "
            "impersonation, or intimate images shared without consent]"
        ),
        "",
        "## Where it is",
        "",
        *_locations(facts),
        "",
        "## Evidence",
        "",
        *_evidence(facts),
        "",
        "## Contact",
        "",
        *_contact(facts, phone=False, postal=False),
        "",
        "I believe the information in this report is accurate.",
    ]


_BODIES: dict[str, Callable[[Facts], list[str]]] = {
    "dmca": _dmca,
    "ncii": _ncii,
    "dsa": _dsa,
    "platform": _platform,
}


def render(kind: str, facts: Facts, request_id: str, drafted: dt.datetime) -> str:
    """The request of ``kind`` drafted from ``facts``, as Markdown (also readable as plain text)."""
    lines = _header(kind, facts, request_id, drafted) + _BODIES[kind](facts)
    if kind != "platform":
        lines += ["", "## Evidence kept", "", *_evidence(facts)]
    return "\n".join(lines).rstrip() + "\n"
