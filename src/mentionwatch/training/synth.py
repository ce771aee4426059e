"""Filling the written corpus's placeholders with many generated people.

The written training examples say ``{name}``, ``{first}``, ``{last}``,
``{handle}``, ``{title}``, ``{year}`` and ``{site}`` instead of a person. The
trainer renders every template several times with different people, so the
model learns what is said *about* someone, not who is named. Names come from
many languages and scripts (``names``); the name pools are split by a fixed
hash into a training part and a held-out fifth, so the held-out split also
measures names the model never saw.

Each rendering also yields the synthetic subject it describes (name, handle,
old titles with release dates, her show and employer as context).
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import re
import unicodedata
import zlib

from mentionwatch.subjects import KnownTitle, SubjectSpec
from mentionwatch.training.names import (
    CITIES,
    EMPLOYERS,
    FIRST,
    FIRST_SCRIPT,
    HANDLE_SUFFIX,
    LAST,
    SHOWS,
    SITE_WORDS,
    TEAMS,
    TITLE_FORMS,
    TITLE_SCENES,
    TLDS,
)


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _split(pool: tuple[str, ...] | list[str], held_out: bool) -> list[str]:
    """A fixed ~20 % of the pool is held out (chosen by hash, stable across runs)."""
    return [w for w in pool if (int(hashlib.sha1(w.encode()).hexdigest(), 16) % 5 == 0) == held_out]


@dataclasses.dataclass(frozen=True)
class Person:
    """One generated subject: what the placeholders become."""

    first: str
    last: str
    handle: str
    titles: tuple[tuple[str, int], ...]  # (title, release year)
    site: str
    show: str = ""
    employer: str = ""
    city: str = ""
    team: str = ""

    @property
    def name(self) -> str:
        """First and last name, as ``{name}`` renders it before any variation."""
        return f"{self.first} {self.last}"

    def spec(self) -> SubjectSpec:
        """The subject this person is: name, handle, show and employer, old titles."""
        return SubjectSpec(
            name=self.name,
            handles=(self.handle,),
            context=tuple(x for x in (self.show, self.employer) if x),
            known_content=tuple(
                KnownTitle(t, f"{y}-{zlib.crc32(t.encode()) % 12 + 1:02d}-15")
                for t, y in self.titles
            ),
        )


class PersonFactory:
    """Generates people deterministically from a seed, from the train or held-out name pools."""

    def __init__(self, seed: int, held_out: bool = False):
        self.rng = random.Random(seed)
        self.first = _split(FIRST, held_out)
        self.last = _split(LAST, held_out)

    def person(self) -> Person:
        """The next person from this factory's seed: name, handle, old titles, site, work."""
        rng = self.rng
        first = rng.choice(self.first) if rng.random() > 0.03 else rng.choice(FIRST_SCRIPT)
        last = rng.choice(self.last)
        if rng.random() < 0.08:  # double surnames, common in Spanish and Portuguese
            last = f"{last} {rng.choice(self.last)}"
        base = _fold(f"{first}{rng.choice(('', '', '.', '_'))}{last}").lower()
        base = re.sub(r"[^a-z0-9._]", "", base) or f"user{rng.randint(100, 999)}"
        if rng.random() < 0.3:
            base = (
                _fold(first).lower()[:8]
                + rng.choice(("", "_", "."))
                + rng.choice(("xo", "official", "real", str(rng.randint(1, 99))))
            )
        handle = "@" + base + rng.choice(HANDLE_SUFFIX)
        titles = []
        for _ in range(rng.randint(1, 3)):
            form = rng.choice(TITLE_FORMS)
            titles.append(
                (
                    form.format(
                        first=first,
                        name=f"{first} {last}",
                        scene=rng.choice(TITLE_SCENES),
                        n=rng.randint(2, 9),
                    ),
                    rng.randint(2008, 2022),
                )
            )
        site = (
            f"{rng.choice(SITE_WORDS)}{rng.choice(('', '-', ''))}{rng.choice(SITE_WORDS)}"
            f"{rng.choice(('', str(rng.randint(2, 99))))}.{rng.choice(TLDS)}"
        )
        work = (rng.choice(SHOWS), rng.choice(EMPLOYERS), rng.choice(CITIES), rng.choice(TEAMS))
        return Person(first, last, handle, tuple(titles), site, *work)


_PLACEHOLDER = re.compile(r"\{(name|first|last|handle|title|year|site|show|employer|city|team)\}")


def render(template: str, person: Person, rng: random.Random) -> str:
    """The template with every placeholder filled for ``person``.

    Name forms vary the way mentions do: sometimes lower-case, a hashtag, or
    without diacritics; ``{title}``/``{year}`` take one of her old titles.
    """
    title, year = rng.choice(person.titles)

    def name_form() -> str:
        roll = rng.random()
        if roll < 0.08:
            return person.name.lower()
        if roll < 0.13:
            return "#" + person.name.replace(" ", "").replace("'", "")
        if roll < 0.20:
            return _fold(person.name)
        return person.name

    def fill(match: re.Match) -> str:
        key = match.group(1)
        if key == "name":
            return name_form()
        if key == "first":
            return person.first if rng.random() > 0.08 else _fold(person.first)
        if key == "last":
            return person.last
        if key == "handle":
            return person.handle
        if key == "title":
            return title
        if key == "year":
            return str(year)
        if key in ("show", "employer", "city", "team"):
            return getattr(person, key)
        return person.site

    return _PLACEHOLDER.sub(fill, template)


# --------------------------------------------------------------------------- URLs

_SOCIAL = (
    "x.example/{u}/status/{id}",
    "reddit.example/r/{sub}/comments/{b36}/{slug}",
    "forum.example/t/{slug}/{id}",
    "youtube.example/watch?v={b36}",
    "instagram.example/p/{b36}",
    "tiktok.example/@{u}/video/{id}",
    "facebook.example/{u}/posts/{id}",
    "t.example/{u}/{id}",
    "mastodon.example/@{u}/{id}",
)
_NEWS = (
    "news.example/{yyyy}/{mm}/{slug}",
    "dailypost.example/culture/{slug}",
    "lokal.example/artikel/{slug}-{id}",
    "diario.example/sociedad/{slug}",
    "journal.example/societe/{slug}",
    "blog.example/{slug}",
)
_PROMO = (
    "{site}/video/{slug}",
    "{site}/{slug}-{id}.html",
    "{site}/v/{b36}/{slug}",
    "{site}/watch/{slug}",
    "{site}/dl/{slug}.mp4",
)
_SUBS = (
    "popculture",
    "podcasts",
    "baking",
    "realestate",
    "surfing",
    "entertainment",
    "news",
    "Drama",
)


def slug(text: str, words: int = 8) -> str:
    """The first ``words`` ASCII words of ``text``, hyphen-joined (``post`` when none)."""
    folded = _fold(text).lower()
    tokens = re.findall(r"[a-z0-9]+", folded)
    return "-".join(tokens[:words]) or "post"


def make_url(text: str, style: str, label: str, person: Person, rng: random.Random) -> str:
    """A plausible URL for a post of this style (what the pipeline's ``url_words`` reads)."""
    ids = {
        "id": str(rng.randint(10**8, 10**12)),
        "b36": "".join(
            rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(rng.randint(6, 11))
        ),
        "u": re.sub(
            r"[^a-z0-9_]",
            "",
            _fold(
                rng.choice(
                    (
                        person.handle,
                        "user" + str(rng.randint(1, 9999)),
                        "anon_" + str(rng.randint(1, 999)),
                    )
                )
            ).lower(),
        )
        or "user",
        "sub": rng.choice(_SUBS),
        "yyyy": str(rng.randint(2019, 2026)),
        "mm": f"{rng.randint(1, 12):02d}",
        "site": person.site,
    }
    if label == "re_promotion" and rng.random() < 0.6:
        form = rng.choice(_PROMO)
        ids["slug"] = slug(text, rng.randint(4, 9))
    elif style in ("news", "blog") or (label == "benign" and rng.random() < 0.3):
        form = rng.choice(_NEWS)
        ids["slug"] = slug(text, rng.randint(4, 8))
    else:
        form = rng.choice(_SOCIAL)
        ids["slug"] = slug(text, rng.randint(3, 6))
    return "https://" + form.format(**ids)
