"""Filling the written corpus's placeholders with many generated people.

The written training examples say ``{name}``, ``{first}``, ``{last}``,
``{handle}``, ``{title}``, ``{year}`` and ``{site}`` instead of a person. The
trainer renders every template several times with different people, so the
model learns what is said *about* someone, not who is named. Names come from
many languages and scripts (with and without diacritics); the name pools are
split by a fixed hash into a training half and a held-out half, so the
held-out split also measures names the model never saw.

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

FIRST = (  # noqa: SIM905 - one readable block of names per region
    # English / Irish / Scottish
    "Emily Jessica Ashley Megan Brooke Kayla Heather Tiffany Amber Chelsea Courtney Hannah Lauren Molly "
    "Siobhan Niamh Aoife Caitlin Fiona Kirsty Shannon Tara Holly Jade Chloe Paige Summer Skye Riley Morgan "
    # Spanish / Latin American
    "Sofía Valentina Camila Ximena Guadalupe María Carmen Paloma Itzel Yesenia Marisol Rocío Nerea Ainhoa "
    "Daniela Fernanda Luz Pilar Inés Begoña Araceli Maite "
    # Portuguese / Brazilian
    "Beatriz Giovanna Letícia Raíssa Júlia Larissa Yasmin Luana Conceição Mariana "
    # French / Belgian / Québécois
    "Élodie Chloé Océane Noémie Anaïs Manon Margaux Solène Gaëlle Léa Camille Héloïse Amélie "
    # German / Austrian / Swiss / Dutch / Nordic
    "Jana Lena Annika Svenja Mareike Jördis Katharina Sanne Femke Lieke Astrid Åsa Sigrid Ingrid Maja Linnéa "
    "Freja Sørine Saara Aino "
    # Italian / Greek / Maltese
    "Giulia Chiara Francesca Ilaria Noemi Martina Federica Eleni Despoina Katerina "
    # Slavic / Baltic / Hungarian / Romanian
    "Zuzana Kateřina Małgorzata Agnieszka Żaneta Jelena Milica Ivana Anastasia Olena Dominika Zsófia "
    "Réka Ioana Andreea Roxana Liepa Ieva "
    # Turkish / Arabic / Persian / Kurdish
    "Elif Zeynep Büşra Aylin Ayşe Leila Yasmin Fatima Nour Rania Amira Layla Salma Yara Dalia Shirin Nasrin "
    "Mahsa Roya Hêvî "
    # South / South-East / East Asian
    "Priya Ananya Kavya Deepika Nisha Meera Sanjana Aditi Thu Linh Ngọc Mai Hương Siti Nurul Ayu Dewi "
    "Malaya Rosalinda Jia Mei Xiaoling Yuki Haruka Aiko Sakura Ji-woo Seo-yeon Min-ji "
    # African / Caribbean / African-American
    "Amara Chiamaka Ngozi Adaeze Folake Yetunde Wanjiru Akosua Nia Imani Aaliyah Keisha Tanisha Zola Thandiwe "
    "Nomvula Fatoumata Aminata Awa "
    # Hebrew / Armenian / Georgian / Indigenous / other
    "Noa Tamar Shira Anahit Nino Tala Aiyana Kalani Leilani Mahina"
).split()

LAST = [
    "Miller",
    "Sullivan",
    "O'Connor",
    "McKenzie",
    "Whitaker",
    "Thornton",
    "Blake",
    "Harper",
    "Lawson",
    "García",
    "Hernández",
    "Martínez",
    "Núñez",
    "Ibáñez",
    "Peña",
    "Castañeda",
    "Echeverría",
    "Villanueva",
    "Quiroga",
    "Olmedo",
    "Zúñiga",
    "Gonçalves",
    "Magalhães",
    "Conceição",
    "Araújo",
    "Simões",
    "Lobato",
    "Brandão",
    "Sampaio",
    "Lefèvre",
    "Dubois",
    "Bérubé",
    "Lambert",
    "Giraud",
    "Chevalier",
    "Mercier",
    "Roussel",
    "Béranger",
    "Müller",
    "Schäfer",
    "Köhler",
    "Weiß",
    "Brandt",
    "Vogel",
    "Jansen",
    "de",
    "Vries",
    "van",
    "Dijk",
    "Bakker",
    "Lindqvist",
    "Håkansson",
    "Nørgaard",
    "Virtanen",
    "Rossi",
    "Esposito",
    "Bianchi",
    "Ferrara",
    "Lombardi",
    "De",
    "Luca",
    "Papadopoulou",
    "Georgiou",
    "Vella",
    "Nováková",
    "Dvořáková",
    "Kowalska",
    "Wiśniewska",
    "Jovanović",
    "Petrović",
    "Kovalenko",
    "Ivanova",
    "Szabó",
    "Nagy",
    "Popescu",
    "Ionescu",
    "Kazlauskaitė",
    "Bērziņa",
    "Yılmaz",
    "Öztürk",
    "Demir",
    "Şahin",
    "Haddad",
    "Khalil",
    "Mansour",
    "Nasser",
    "El-Amin",
    "Benali",
    "Rahimi",
    "Karimi",
    "Hosseini",
    "Sharma",
    "Iyer",
    "Reddy",
    "Banerjee",
    "Kapoor",
    "Nair",
    "Nguyễn",
    "Trần",
    "Phạm",
    "Santoso",
    "Wijaya",
    "Dela",
    "Cruz",
    "Bautista",
    "Wang",
    "Chen",
    "Liu",
    "Zhang",
    "Tanaka",
    "Sato",
    "Nakamura",
    "Park",
    "Choi",
    "Okafor",
    "Adeyemi",
    "Nwosu",
    "Mensah",
    "Boateng",
    "Kamau",
    "Otieno",
    "Diallo",
    "Traoré",
    "Ndlovu",
    "Dlamini",
    "Mokoena",
    "Baptiste",
    "Jean-Pierre",
    "Cohen",
    "Levi",
    "Mizrahi",
    "Hakobyan",
    "Beridze",
    "Tsosie",
    "Kahananui",
]

# A few first names written in their own script, so the model also sees names it cannot spell.
FIRST_SCRIPT = ("ليلى", "سلمى", "نور", "Аня", "Ольга", "Ελένη", "美玲", "さくら", "지우", "दीपिका")

TITLE_SCENES = (
    "Casting Couch",
    "First Time",
    "Backstage Pass",
    "Poolside Secrets",
    "Private Session",
    "Summer Heat",
    "Late Night Special",
    "Road Trip",
    "Office After Hours",
    "Beach House",
    "Noche Loca",
    "Sommernacht",
    "Notte Bollente",
    "Spring Break Uncut",
    "Girls Weekend",
    "Webcam Confessions",
    "Audition Tape",
    "Sauna Story",
    "Hot Tub Party",
    "Tokyo Nights",
    "Sweet Sixteen Candles",
    "Midnight Massage",
    "Yoga Lessons",
    "Pool Party",
    "Kitchen Fun",
    "Bad Teacher",
)
TITLE_FORMS = (
    "{first} - {scene}",
    "{name} - {scene}",
    "{scene}",
    "{scene} Vol. {n}",
    "{first}'s {scene}",
    "{scene}: {first}",
    "{first} {scene} {n}",
    "{scene} with {first}",
    "{first} Returns",
    "{first} y sus amigas Vol. {n}",
)
SITE_WORDS = (
    "tube",
    "hub",
    "vids",
    "clips",
    "xxx",
    "hot",
    "leak",
    "nude",
    "free",
    "hd",
    "flix",
    "cams",
    "mega",
    "fap",
    "porno",
    "stream",
)
TLDS = ("com", "net", "xyz", "tv", "to", "cc", "site", "top", "club", "org", "io")
# What she does now: her show, employer, city and team, for {show} {employer} {city} {team}.
SHOWS = (
    "Morning Drive",
    "The Final Whistle",
    "Court Side",
    "Pixel Forge Devlog",
    "Late Shift Live",
    "Kitchen Notes",
    "Tactics Room",
    "Deep Water",
    "The Daily Pulse",
    "Open Mic Nights",
    "Matchday Live",
    "Build Log",
    "Sabores de Casa",
    "La Tertulia",
    "Le Grand Direct",
    "Bate-Bola",
    "Nachtschicht",
    "Il Salotto",
    "Code & Coffee",
    "Studio 9",
    "Weekend Kickoff",
    "Night Owls Radio",
    "Sprout Garden TV",
    "Chess After Dark",
)
EMPLOYERS = (
    "City General Hospital",
    "Northgate Radio",
    "Brightline Games",
    "Riverside Primary School",
    "Metro Sports Network",
    "Harbor Pharmacy",
    "Sunrise Yoga Studio",
    "Lakeside Law Group",
    "Clinica Santa Ana",
    "Radio Sol",
    "Studio Orbit",
    "Greenfield Academy",
    "Channel 5 News",
    "Atlas Logistics",
    "Maple Street Bakery",
    "Blue Fin Aquarium",
)
CITIES = (
    "Leeds",
    "Manchester",
    "Glasgow",
    "Toronto",
    "Calgary",
    "Austin",
    "Denver",
    "Porto",
    "Valencia",
    "Lyon",
    "Hamburg",
    "Rotterdam",
    "Turin",
    "Kraków",
    "Izmir",
    "Cebu",
    "Brisbane",
    "Auckland",
    "Nairobi",
    "Accra",
)
TEAMS = (
    "City Rovers",
    "the Harriers",
    "Union Athletic",
    "the Falcons",
    "Real Norte",
    "the Mariners",
    "Sporting Sul",
    "the Comets",
    "FC Lindenau",
    "the Wolves",
)
HANDLE_SUFFIX = ("", "", "", "_", "x", "official", "real", "xo", "tv", "_art", "bakes", "pod")


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
        return f"{self.first} {self.last}"

    def spec(self) -> SubjectSpec:
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
        site = f"{rng.choice(SITE_WORDS)}{rng.choice(('', '-', ''))}{rng.choice(SITE_WORDS)}{rng.choice(('', str(rng.randint(2, 99))))}.{rng.choice(TLDS)}"
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
