"""Where each known platform takes reports: a small table, the project's source kinds first.

Only ways of reporting we are sure of are written here; where a platform
keeps its reporting in its app or on forms that change, the entry says to
use the platform's own report function and how to find it. Every entry is
checked against the live site by a person before a release; nothing here is
fetched at run time.

=============  =====================================================================
platform       where reports go
=============  =====================================================================
reddit         the Report link on the post or comment; Reddit's report form
               (https://www.reddit.com/report) for anyone, without an account
mastodon       per instance: the Report function on the post (its … menu), which
               goes to the moderators of the instance that hosts it; the
               instance's contact address is on its /about page
bluesky        the app's Report function on the post (its … menu)
hackernews     the flag link on the item, and the moderators at hn@ycombinator.com
youtube        the Report function under the video or comment (its … menu)
(any other)    the site's own report form: look for Report, Abuse, Trust & Safety or
               a contact on its legal or imprint page; hosts in the EU must offer a
               notice mechanism (DSA Article 16) and a point of contact (Article 12)
=============  =====================================================================

A Mastodon post's URL is on the instance that hosts it, which can be any
host: a URL is taken for Mastodon when its host is an instance the config's
``sources.mastodon`` polls, or when the alert came from a Mastodon source.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from collections.abc import Iterable

USE_REPORT_FORM = "use the platform's report form"


@dataclasses.dataclass(frozen=True)
class Platform:
    """Where one platform takes harassment, doxxing and impersonation reports.

    Attributes:
      key: the platform (a source kind, or ``generic``).
      name: its name as people say it.
      where: where to send the report, in words a person follows.
      address: an email address or web form we are sure of, or ``USE_REPORT_FORM``.
      notes: what else helps (what the report can attach, what to keep).
    """

    key: str
    name: str
    where: str
    address: str
    notes: str = ""


_TABLE = {
    "reddit": Platform(
        "reddit",
        "Reddit",
        "the Report link under the post or comment, or Reddit's report form",
        "https://www.reddit.com/report",
        "Report each post or comment; the moderators of the community can also remove it.",
    ),
    "bluesky": Platform(
        "bluesky",
        "Bluesky",
        "the Report function on the post (its … menu) in the Bluesky app or at bsky.app",
        USE_REPORT_FORM,
        "Reports go to Bluesky's moderation; choose the reason that fits best.",
    ),
    "hackernews": Platform(
        "hackernews",
        "Hacker News",
        "the flag link on the item, and an email to the moderators",
        "hn@ycombinator.com",
        "Give the item's URL; the moderators read every message.",
    ),
    "youtube": Platform(
        "youtube",
        "YouTube",
        "the Report function under the video or comment (its … menu)",
        USE_REPORT_FORM,
        "YouTube has separate forms for privacy complaints and copyright; the report menu "
        "leads to them.",
    ),
}
_HOSTS = {
    "reddit.com": "reddit",
    "redd.it": "reddit",
    "bsky.app": "bluesky",
    "news.ycombinator.com": "hackernews",
    "youtube.com": "youtube",
    "youtu.be": "youtube",
}
_SOURCE_KINDS = {"jetstream": "bluesky", "google_alerts": None, "feed": None}


def host_of(url: str) -> str:
    """The lower-case host of ``url`` without ``www.`` (empty when it has none)."""
    host = (urllib.parse.urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def mastodon(host: str) -> Platform:
    """The entry for a post on the Mastodon instance ``host``."""
    return Platform(
        "mastodon",
        f"Mastodon ({host})",
        f"the Report function on the post (its … menu), which goes to the moderators of {host}",
        USE_REPORT_FORM,
        f"The instance's contact address is on https://{host}/about. When you report from "
        "another instance, tick the box that forwards the report to the post's own instance.",
    )


def generic(host: str) -> Platform:
    """The fallback entry for a site the table does not know."""
    return Platform(
        "generic",
        host or "the site",
        "the site's own report form: look for Report, Abuse, Trust & Safety, or a contact on "
        "its legal or imprint page",
        USE_REPORT_FORM,
        "Services in the EU must offer a way to notify them of illegal content (DSA Article 16) "
        "and a point of contact for users (Article 12).",
    )


def platform_for(
    url: str, *, source_kind: str | None = None, mastodon_hosts: Iterable[str] = ()
) -> Platform:
    """The table's entry for a post at ``url``.

    Args:
      url: the post's URL; its host decides, except for Mastodon instances.
      source_kind: the kind of source the alert came from, when known
        (``mastodon``, ``reddit``, …): a Mastodon post is recognised by it.
      mastodon_hosts: hosts of the Mastodon instances the config polls.
    """
    host = host_of(url)
    if source_kind == "mastodon" or host in {h.lower() for h in mastodon_hosts}:
        return mastodon(host)
    for known, key in _HOSTS.items():
        if host == known or host.endswith("." + known):
            return _TABLE[key]
    key = _SOURCE_KINDS.get(source_kind or "", source_kind)
    if key in _TABLE:
        return _TABLE[key]
    return generic(host)
