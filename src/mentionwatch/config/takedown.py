"""The ``takedown:`` block: who signs takedown requests, and when to follow one up.

``mentionwatch takedown draft`` fills a request's contact lines from the
sender configured for the alert's subject (the subject herself, or a
representative acting for her); what is not configured is left as a clear
placeholder for her to fill in. ``mentionwatch takedown status`` counts a
sent request as overdue after its deadline: 48 hours for an ``ncii`` request
(the TAKE IT DOWN Act's, not configurable), and ``follow_up_days`` for the
other kinds, which have no fixed legal deadline. docs/takedown.md explains
the kinds.
"""

from __future__ import annotations

import re

from pydantic import Field, field_validator

from mentionwatch.config.base import Block

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+$")


class Sender(Block):
    """Who signs and sends takedown requests about one subject.

    Attributes:
      subject: the subject (a name from ``subjects``) these requests are about.
      name: the sender's full name: the subject herself, or her representative.
      representative: True when ``name`` acts for the subject (a lawyer, an
        agent, a helper she authorised); requests then say so.
      email: the address platforms answer to.
      postal_address: a postal address (a DMCA notice asks for contact
        information; many senders give a lawyer's or an agent's address).
      phone: a telephone number, optional.
    """

    subject: str = Field(min_length=1)
    name: str = Field(min_length=1)
    representative: bool = False
    email: str | None = None
    postal_address: str | None = None
    phone: str | None = None

    @field_validator("email")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        if value is not None and not _EMAIL.fullmatch(value):
            raise ValueError(f"{value!r} is not an email address (expected name@example.org)")
        return value


class FollowUp(Block):
    """Days after sending before a request without an answer counts as overdue.

    DMCA notices, DSA notices and platform reports have no fixed legal
    deadline (the provider must act "expeditiously", or "in a timely
    manner"); this is when to look again and follow up. An ``ncii`` request
    is always 48 hours (the TAKE IT DOWN Act).
    """

    dmca: float = Field(default=7, gt=0, le=365)
    dsa: float = Field(default=7, gt=0, le=365)
    platform: float = Field(default=7, gt=0, le=365)


class TakedownSettings(Block):
    """``mentionwatch takedown``: senders of requests and the follow-up clocks."""

    senders: tuple[Sender, ...] = ()
    follow_up_days: FollowUp = FollowUp()

    def sender_for(self, subject: str) -> Sender | None:
        """The sender configured for ``subject``, or None (the request gets placeholders)."""
        return next((s for s in self.senders if s.subject == subject), None)
