"""Evidence from the subject's config, beside the model: pure functions.

The model reads the text; these functions read what the model cannot know.

Re-promotion evidence (``promo:*``):

* ``promo:title``: the item names one of the subject's ``known_content``
  titles (its distinctive words, without her names, are nearly all there);
* ``promo:newness``: it claims the content is new: "NEW", "just dropped",
  "leaked", a year later than the title's release, in several languages;
* ``promo:availability``: it offers the content: "full video", "watch free",
  "download", "link in bio", "uncensored", "HD", mirrors;
* ``promo:slug``: the URL itself carries those words.

Doxxing evidence (``pii:*``), only near one of her names: a phone number,
an e-mail address, a street address, a licence plate, a daily routine with a
time, or a request for where she lives or works.

Counter-evidence (``context:advocacy``): the item reports, condemns or asks
to take content down ("report", "without her consent", "police", "DMCA" and
their translations). It cancels the promo and PII evidence, so takedown
campaigns that name her old titles and news that describes doxxing stay
benign (docs/labels.md). How the evidence changes a label is
``classify.decision``'s documented rule; these functions only observe.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Sequence

from mentionwatch.subjects import SubjectSpec


@dataclasses.dataclass(frozen=True)
class Evidence:
    """What the rules observed in one mention."""

    signals: tuple[str, ...] = ()

    @property
    def promo(self) -> int:
        """How many kinds of re-promotion evidence fired (advocacy cancels them)."""
        if self.advocacy:
            return 0
        return len({s for s in self.signals if s.startswith("promo:")})

    @property
    def pii(self) -> bool:
        """Private details or a request for them, near her name (advocacy cancels it)."""
        return not self.advocacy and any(s.startswith("pii:") for s in self.signals)

    @property
    def advocacy(self) -> bool:
        return "context:advocacy" in self.signals


NO_EVIDENCE = Evidence()


@functools.cache
def _combining() -> re.Pattern:
    """A character class of every combining mark (``unicodedata.combining(c) != 0``), built once."""
    ranges, start, previous = [], None, None
    for code in range(0x110000):
        if unicodedata.combining(chr(code)):
            if start is None:
                start = code
            previous = code
        elif start is not None:
            ranges.append(f"\\U{start:08x}-\\U{previous:08x}")
            start = None
    return re.compile("[" + "".join(ranges) + "]")


def fold(text: str) -> str:
    """Lower-case without diacritics (Arabic and other scripts are kept)."""
    if text.isascii():
        return text.lower()
    return _combining().sub("", unicodedata.normalize("NFKD", text)).lower()


_WORD = re.compile(r"\w+", re.UNICODE)
_DIGIT = re.compile(r"\d")
_STOP = frozenset(
    ["the", "a", "an", "of", "and", "in", "on", "at", "with", "to", "de", "la", "le", "les", "el", "los", "las", "da", "do", "das", "dos", "du", "des", "di", "del", "y", "e", "et", "und", "vol", "part"]
)


def _words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def _name_words(subject: SubjectSpec) -> set[str]:
    words = set(_words(subject.name))
    for alias in subject.aliases:
        words.update(_words(alias))
    for handle in subject.handles:
        words.update(_words(handle))
    return words


# --------------------------------------------------------------------------- re-promotion

_NEWNESS = re.compile(
    r"\b(new|brand new|just (dropped|leaked|released|posted|surfaced|uploaded)|leak(ed|s)?|fresh|latest|finally (out|here)|"
    r"never (seen|before seen)|exclusive|unreleased|"
    r"nuev[oa]s?|recien|filtrad[oa]s?|se filtro|exclusiv[oa]|"
    r"nouve(au|lle|aux)|inedite?s?|fuite|vient de (sortir|fuiter)|"
    r"neue?[snm]?|geleakt|durchgesickert|"
    r"nov[oa]s?|vazou|vazad[oa]s?|acabou de sair|"
    r"nuov[oa]|trapelat[oa]|inedit[oa])\b|جديد|مسرب|تسريب",
    re.IGNORECASE,
)
_AVAILABILITY = re.compile(
    r"\b(full (video|vid|tape|scene|clip|movie|length)|watch (free|now|online|here|full)|free (download|watch|stream|access)|"
    r"download|dl link|links? (below|in bio|in (the )?(comments|replies|description))|link in bio|uncensored|uncut|"
    r"\bhd\b|1080p|4k|mirror|mega ?link|telegram|onlyfans|xxx|nsfw|sex ?tape|compilation|full archive|"
    r"video completo|gratis|sin censura|descarga(r)?|enlace|"
    r"video complete|en entier|gratuit(ement)?|sans censure|telecharge(r|ment)?|lien|"
    r"ganze[snr]? video|kostenlos|unzensiert|herunterladen|"
    r"video completo|gratis|senza censura|scarica(re)?|"
    r"video completo|gratis|sem censura|baixar|link na bio)\b|كامل|مجانا|تحميل|رابط",
    re.IGNORECASE,
)
_SLUG_PROMO = re.compile(
    r"\b(full|leak(ed)?|free|download|uncensored|hd|xxx|porn|sex|tape|nude|new|completo|gratis|mp4|hot)\b", re.IGNORECASE
)
_YEAR = re.compile(r"\b(19[89]\d|20[0-4]\d)\b")


@functools.lru_cache(maxsize=1024)
def _known_titles(subject: SubjectSpec) -> tuple[tuple[str, tuple[str, ...], int], ...]:
    """(title, its distinctive words, release year) for each known title, computed once per subject."""
    names = _name_words(subject)
    out = []
    for known in subject.known_content:
        distinctive = tuple(w for w in _words(known.title) if w not in names and w not in _STOP and not w.isdigit())
        try:
            year = int(known.released[:4])
        except ValueError:
            year = 0
        if distinctive:
            out.append((known.title, distinctive, year))
    return tuple(out)


def _title_match(words: set[str], text_folded: str, subject: SubjectSpec) -> tuple[str, int] | None:
    """The known title the text repeats, with its release year, or None."""
    for title, distinctive, year in _known_titles(subject):
        found = sum(w in words for w in distinctive)
        phrase = " ".join(distinctive)
        if (len(distinctive) >= 2 and found / len(distinctive) >= 0.75) or (
            len(distinctive) == 1 and phrase in text_folded and len(phrase) >= 6
        ):
            return title, year
    return None


# --------------------------------------------------------------------------- counter-evidence

_ADVOCACY = re.compile(
    r"\b(report(ed|ing|s)?|take ?down|takedowns?|dmca|consent(ed)?|non-?consensual|remov(e|ed|al|ing)|"
    r"police|court|lawyer|lawsuit|judge|arrest(ed)?|charged|investigat\w*|harassment|"
    r"scam|phishing|malware|fake link|don'?t (click|share)|do not (click|share)|stop (sharing|posting)|"
    r"denunci\w*|consentimiento|retir(ar|ada|en)|policia|acoso|estafa|"
    r"signal(er|ez|ement)|consentement|retrait|harcelement|plainte|arnaque|"
    r"melde[tn]?|einwilligung|zustimmung|belastigung|polizei|anzeige|betrug|"
    r"denunci(e|ar|em)|consentimento|remocao|assedio|golpe|"
    r"segnal(a|ate|are)|consenso|rimozione|molestie|polizia|truffa)\b|بلاغ|ابلاغ|إبلاغ|موافقة|تحرش|الشرطة|احتيال",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------- doxxing

_PHONE = re.compile(r"(?<![\w/=])(\+?\d[\d \t().\-]{6,}\d)(?![\w/])")
_EMAIL = re.compile(r"\b[\w.+\-]+@[\w\-]+\.[\w.\-]+\b")
_STREET = re.compile(
    r"\b\d{1,5}[a-z]?,?\s+(?:[\w'\-]+\s+){0,3}(street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|way|court|ct|"
    r"place|pl|terrace|close|crescent|walk|grove|row|square|sq|parkway|circle|hwy|highway)\b\.?"
    r"|\b(calle|c/|avenida|av\.|avda|rua|travessa|rue|avenue|boulevard|chemin|allee|impasse|via|viale|piazza|corso|"
    r"strasse|str\.|weg|platz|gasse|allee|ring)\s+[\w'\- ]{2,30}?\s*,?\s*\d{1,4}\b"
    r"|\b[\w\-]{3,}(strasse|straße|weg|gasse|platz)\s+\d{1,4}\b"
    r"|شارع",
    re.IGNORECASE,
)
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}\b|\b\d{5}(-\d{4})?\s+[A-Z][a-z]+")
_PLATE = re.compile(r"\b(plate|plates|licen[cs]e|reg(istration)?|matricula|placa|immatriculation|kennzeichen|targa)\b[^.\n]{0,20}\b[A-Z0-9]{2,4}[ \-]?[A-Z0-9]{2,5}\b")
_ROUTINE = re.compile(
    r"\b(\d{1,2}[:h.]\d{2}|\d{1,2}\s?(am|pm)|every (morning|evening|night|day|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|"
    r"todas las (mananas|noches)|todos los dias|chaque (matin|soir|jour)|jeden (morgen|abend|tag)|todo dia|todas as manhas|ogni (mattina|sera|giorno))\b",
    re.IGNORECASE,
)
_PLACE = re.compile(
    r"\b(school|daycare|kindergarten|gym|works? at|shift|office|parks?|parking|drops?|picks? up|walks|leaves|"
    r"colegio|escuela|trabaja|gimnasio|ecole|travaille|creche|salle|schule|kita|arbeitet|escola|trabalha|academia|"
    r"scuola|lavora|palestra)\b",
    re.IGNORECASE,
)
_ASK = re.compile(
    r"\b(where (does|do|did) (she|\w+(?: \w+){0,2}) (live|work|stay)|where (she|\w+(?: \w+){0,2}) (lives|works)|(her|\w+'s) (home |new |real |current )?"
    r"(address|phone( number)?|number|cell|email|workplace|license plate)|"
    r"donde vive|su direccion|su numero|ou (elle )?habite|son adresse|son numero|wo (sie )?wohnt|ihre adresse|"
    r"ihre nummer|onde (ela )?mora|endereco dela|numero dela|dove abita|il suo indirizzo|il suo numero)\b|اين تسكن|عنوانها|رقمها",
    re.IGNORECASE,
)

# --------------------------------------------------------------------------- prefilters
#
# The cue patterns are long alternations that Python's ``re`` tries at every
# position; each needs one of a few literal substrings to match at all, and
# checking those with ``in`` first makes ``observe`` about twice as fast (it runs
# for every mention in the classify stage). ``tests/unit/test_signals.py``
# checks on the whole written corpus that the prefilters never hide a match.

_NEWNESS_LITERALS = (
    "new", "just ", "leak", "fresh", "latest", "finally", "never", "exclusiv", "unreleased", "nuev", "recien", "filtrad",
    "se filtro", "nouve", "inedit", "fuite", "vient de", "neu", "geleakt", "durchgesickert", "nov", "vazou", "vazad",
    "acabou de sair", "nuov", "trapelat", "جديد", "مسرب", "تسريب",
)
_AVAILABILITY_LITERALS = (
    "full", "watch", "free", "download", "dl link", "link", "uncensored", "uncut", "hd", "1080p", "4k", "mirror", "mega",
    "telegram", "onlyfans", "xxx", "nsfw", "sex", "compilation", "video", "gratis", "censur", "descarga", "enlace",
    "en entier", "gratuit", "telecharge", "lien", "ganze", "kostenlos", "unzensiert", "herunterladen", "scarica",
    "baixar", "كامل", "مجانا", "تحميل", "رابط",
)
_ADVOCACY_LITERALS = (
    "report", "take", "dmca", "consen", "remov", "police", "court", "lawyer", "lawsuit", "judge", "arrest", "charged",
    "investigat", "harassment", "scam", "phishing", "malware", "fake link", "don", "do not", "stop ", "denunci",
    "retir", "policia", "acoso", "estafa", "signal", "retrait", "harcelement", "plainte", "arnaque", "melde",
    "einwilligung", "zustimmung", "belastigung", "polizei", "anzeige", "betrug", "remocao", "assedio", "golpe",
    "segnal", "rimozione", "molestie", "polizia", "truffa", "بلاغ", "ابلاغ", "إبلاغ", "موافقة", "تحرش", "الشرطة", "احتيال",
)
_ASK_LITERALS = (
    "where", "address", "phone", "number", "cell", "email", "workplace", "license plate", "donde", "direccion",
    "numero", "habite", "adresse", "wohnt", "nummer", "mora", "endereco", "abita", "indirizzo", "اين تسكن", "عنوانها", "رقمها",
)


def _search(pattern: re.Pattern, literals: tuple[str, ...], text: str):
    """``pattern.search(text)``, skipped when none of its required literals occurs."""
    if not any(literal in text for literal in literals):
        return None
    return pattern.search(text)


NEAR = 160  # characters around a name within which PII counts as about her


@functools.lru_cache(maxsize=1024)
def _name_forms(subject: SubjectSpec) -> tuple[str, ...]:
    forms = {fold(subject.name)} | {fold(a) for a in subject.aliases} | {fold(h) for h in subject.handles}
    forms |= {fold(h).lstrip("@") for h in subject.handles}
    forms |= {p for p in _words(subject.name) if len(p) >= 3}
    return tuple(sorted(forms))


@functools.lru_cache(maxsize=1024)
def _name_parts(subject: SubjectSpec) -> tuple[str, ...]:
    return tuple(w for w in _words(subject.name) if len(w) >= 3)


def _name_positions(text_folded: str, subject: SubjectSpec) -> list[int]:
    positions = []
    for form in _name_forms(subject):
        if not form:
            continue
        start = text_folded.find(form)
        while start >= 0:
            positions.append(start)
            start = text_folded.find(form, start + 1)
    return sorted(positions)


def _near(positions: Sequence[int], start: int, size: int) -> bool:
    if not positions or size <= 2 * NEAR:
        return True  # a short post is about the person it names
    return any(abs(p - start) <= NEAR for p in positions)


def _phone_like(candidate: str) -> bool:
    digits = re.sub(r"\D", "", candidate)
    if not 8 <= len(digits) <= 15:
        return False
    return not re.fullmatch(r"(19|20)\d{2}(19|20)\d{2}", digits)  # "2019-2026" is not a phone


def observe(text: str, subject: SubjectSpec | None, url_words: str = "", *, now_year: int = 2026) -> Evidence:
    """The signals that fire for ``text`` (the model input) about ``subject``.

    Args:
      text: what the model reads for the mention (title, body window, URL words).
      subject: the tracked subject; ``None`` leaves out the config-based signals.
      url_words: the URL's words alone (``inputs.url_words``), for ``promo:slug``.
      now_year: the current year, for "newer than its release" claims.
    """
    folded = fold(text)
    words = set(_WORD.findall(folded))
    folded_url = fold(url_words) if url_words else ""
    fired: list[str] = []

    title = _title_match(words, folded, subject) if subject is not None else None
    if title is not None:
        fired.append("promo:title")
    newness = bool(_search(_NEWNESS, _NEWNESS_LITERALS, folded))
    if not newness and title is not None:
        released = title[1]
        newness = any(released + 1 < int(y) <= now_year for y in _YEAR.findall(folded))
    if newness:
        fired.append("promo:newness")
    if _search(_AVAILABILITY, _AVAILABILITY_LITERALS, folded):
        fired.append("promo:availability")
    if url_words and _SLUG_PROMO.search(url_words) and subject is not None:
        if any(part in folded_url for part in _name_parts(subject)):
            fired.append("promo:slug")
    if _search(_ADVOCACY, _ADVOCACY_LITERALS, folded):
        fired.append("context:advocacy")

    positions = _name_positions(folded, subject) if subject is not None else []
    size = len(folded)
    body = folded[: len(folded) - len(folded_url)] if folded_url and folded.endswith(folded_url) else folded
    digits = len(_DIGIT.findall(body))
    for match in _PHONE.finditer(body) if digits >= 8 else ():
        if _phone_like(match.group(1)) and _near(positions, match.start(), size):
            fired.append("pii:phone")
            break
    for match in _EMAIL.finditer(text):
        if _near(positions, match.start(), size):
            fired.append("pii:email")
            break
    for match in _STREET.finditer(body) if digits or "شارع" in body else ():
        if _near(positions, match.start(), size):
            fired.append("pii:address")
            break
    if "pii:address" not in fired:
        for match in _POSTCODE.finditer(text):
            if _near(positions, match.start(), size):
                fired.append("pii:address")
                break
    for match in _PLATE.finditer(text):
        if _near(positions, match.start(), size):
            fired.append("pii:plate")
            break
    routine = _ROUTINE.search(body)
    if routine and _PLACE.search(body) and _near(positions, routine.start(), size):
        fired.append("pii:routine")
    ask = _search(_ASK, _ASK_LITERALS, body)
    if ask and _near(positions, ask.start(), size):
        fired.append("pii:request")
    return Evidence(tuple(dict.fromkeys(fired)))
