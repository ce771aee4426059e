"""The evidence summary as a one-page PDF, and the text a PDF of it shows, read back.

The PDF is drawn with ReportLab (BSD licence, pure Python: compatible with
distributing mentionwatch under Apache-2.0) in its invariant mode, so the
same summary always gives the same bytes: the creation date is the pack's
own latest time and the file id is derived from the content. Page streams
are left uncompressed and the text uses the standard Helvetica and Courier
faces (Windows-1252 letters), so every drawn line sits in the file as plain
PDF text that ``shown_strings`` reads back for ``evidence verify`` without a
PDF library.

ReportLab's only shipped TrueType face (Bitstream Vera) covers the same Latin
letters as those standard faces, so no font is embedded. Text in another
script (a name in Cyrillic, an excerpt in Arabic) is never a failure: it is
transliterated into Latin letters with ``anyascii`` and marked with « »,
and a line under it says that the HTML summary shows it as written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import unicodedata

from anyascii import anyascii
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from mentionwatch.store.evidence_summary import Row, Summary

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT, RIGHT, TOP, BOTTOM = 56.0, 56.0, 60.0, 64.0
VALUE_X = LEFT + 128.0
TRANSLITERATED_NOTE = (
    "Text between « » was written in another script and is transliterated into Latin "
    "letters here; summary.html shows it as written."
)
CUT_NOTE = "(This page is full: the rest is in summary.html and manifest.json.)"
SHORTENED_NOTE = (
    "Values ending in … are shortened to fit this page; summary.html and manifest.json have "
    "them in full."
)
# Lines a fact's value may take on the page (a long address is shortened, never the page).
VALUE_LINES, MONO_LINES, EXCERPT_LINES = 3, 2, 10
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_FOREIGN_RUN = re.compile(r"F(?:S*F)*")
# A PDF string, literal "(...)" or hex "<...>", and the operators that show text with them.
_STRING = rb"\((?:\\[0-7]{1,3}|\\.|[^\\()])*\)|<[0-9A-Fa-f\s]*>"
_SHOWN = re.compile(
    rb"(" + _STRING + rb")\s*(?:Tj|'|\")|\[((?:" + _STRING + rb"|[^\]])*)\]\s*TJ", re.DOTALL
)
_PICTURES = re.compile(rb"/XObject|/Subtype\s*/(?:Image|Form)\b")
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


@dataclasses.dataclass(frozen=True)
class Draw:
    """One line of text at a place on the page, in a face and size."""

    font: str
    size: float
    x: float
    y: float
    text: str


def pdf_text(value: str) -> tuple[str, bool]:
    """``value`` in letters the standard PDF faces can show; True when some were transliterated.

    Control characters become spaces. A run of characters outside
    Windows-1252 (with the spaces inside it) becomes its ``anyascii``
    transliteration between « and ».
    """
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", value))
    marks = "".join("S" if ch == " " else "L" if _encodable(ch) else "F" for ch in text)
    if "F" not in marks:
        return text, False
    out, last = [], 0
    for run in _FOREIGN_RUN.finditer(marks):
        out.append(text[last : run.start()])
        out.append("«" + (anyascii(text[run.start() : run.end()]).strip() or "?") + "»")
        last = run.end()
    out.append(text[last:])
    return "".join(out), True


def _encodable(ch: str) -> bool:
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def _pieces(word: str, font: str, size: float, width: float) -> list[str]:
    """``word`` cut into pieces that each fit ``width`` (a URL or a hash longer than a line)."""
    pieces, piece = [], ""
    for ch in word:
        if piece and stringWidth(piece + ch, font, size) > width:
            pieces.append(piece)
            piece = ""
        piece += ch
    return [*pieces, piece]


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` as lines no wider than ``width`` points, cut at spaces where it can be."""
    lines, line = [], ""
    for word in text.split():
        for piece in _pieces(word, font, size, width):
            candidate = f"{line} {piece}" if line else piece
            if line and stringWidth(candidate, font, size) > width:
                lines.append(line)
                line = piece
            else:
                line = candidate
    return [*lines, line] if line else lines


class _Page:
    """Lays lines down the page from the top; stops (and says so) when the page is full."""

    def __init__(self) -> None:
        self.draws: list[Draw] = []
        self.y = PAGE_HEIGHT - TOP
        self.full = False
        self.transliterated = False
        self.shortened = False

    def lines(
        self, text: str, font: str, size: float, x: float, leading: float, most: int = 0
    ) -> None:
        """Writes ``text`` wrapped from ``x`` to the right margin, one line per ``leading``.

        With ``most``, at most that many lines, the last ending in … when cut.
        """
        safe, changed = pdf_text(text)
        self.transliterated |= changed
        width = PAGE_WIDTH - RIGHT - x
        wrapped = wrap(safe, font, size, width)
        if most and len(wrapped) > most:
            self.shortened = True
            last = wrapped[most - 1]
            while last and stringWidth(last + " …", font, size) > width:
                last = last[:-1]
            wrapped = [*wrapped[: most - 1], last + " …"]
        for line in wrapped:
            self.line(line, font, size, x, leading)

    def line(self, text: str, font: str, size: float, x: float, leading: float) -> None:
        """Writes one line (already fitted) unless the page is full."""
        if self.full:
            return
        if self.y - leading < BOTTOM:
            self.full = True
            self.draws.append(Draw("Helvetica-Oblique", 8, LEFT, BOTTOM - 8, CUT_NOTE))
            return
        self.y -= leading
        self.draws.append(Draw(font, size, x, self.y, text))

    def gap(self, points: float) -> None:
        """Leaves ``points`` of space."""
        self.y -= points


def _row(page: _Page, row: Row) -> None:
    """A fact: its label on the left, its value wrapped in the column beside it."""
    top = page.y
    page.lines(row.label, "Helvetica-Bold", 8.5, LEFT, 11.5)
    after_label = page.y
    page.y = top
    font = "Courier" if row.mono else "Helvetica"
    most = MONO_LINES if row.mono else VALUE_LINES
    page.lines(row.value or "-", font, 8 if row.mono else 8.5, VALUE_X, 11.5, most)
    page.y = min(page.y, after_label)


def layout(summary: Summary) -> list[Draw]:
    """Every line the one-page PDF of ``summary`` draws, in order (also what verify expects)."""
    page = _Page()
    page.lines(summary.title, "Helvetica-Bold", 14, LEFT, 18)
    page.gap(4)
    page.lines(summary.intro, "Helvetica", 8.5, LEFT, 11)
    for section in summary.sections:
        page.gap(7)
        page.lines(section.heading, "Helvetica-Bold", 10.5, LEFT, 15)
        for row in section.rows:
            _row(page, row)
        if section.text:
            page.gap(2)
            most = EXCERPT_LINES if section.quote else 0
            page.lines(section.text, "Helvetica", 8.5, LEFT, 11, most)
    if page.transliterated or page.shortened:
        page.gap(6)
    if page.transliterated:
        page.lines(TRANSLITERATED_NOTE, "Helvetica-Oblique", 7.5, LEFT, 10)
    if page.shortened:
        page.lines(SHORTENED_NOTE, "Helvetica-Oblique", 7.5, LEFT, 10)
    footer, changed = pdf_text(summary.footer)
    page.transliterated |= changed
    for n, line in enumerate(wrap(footer, "Helvetica", 7, PAGE_WIDTH - LEFT - RIGHT)[:3]):
        page.draws.append(Draw("Helvetica", 7, LEFT, BOTTOM - 22 - 9 * n, line))
    return page.draws


def render_pdf(summary: Summary) -> bytes:
    """The one-page PDF of ``summary``: the same bytes for the same summary."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1, pageCompression=0)
    created = summary.created.astimezone(dt.UTC)
    stamp = created.strftime("D:%Y%m%d%H%M%S+00'00'")
    pdf.setDateFormatter(lambda *_: stamp)
    title, _ = pdf_text(summary.title)
    pdf.setTitle(title)
    pdf.setAuthor("mentionwatch")
    pdf.setCreator("mentionwatch evidence export")
    pdf.setProducer("mentionwatch (ReportLab)")
    pdf.setSubject("Evidence summary")
    for draw in layout(summary):
        pdf.setFont(draw.font, draw.size)
        pdf.drawString(draw.x, draw.y, draw.text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _unescape(literal: bytes) -> bytes:
    out, n = bytearray(), 0
    while n < len(literal):
        byte = literal[n : n + 1]
        if byte != b"\\":
            out += byte
            n += 1
            continue
        octal = re.match(rb"[0-7]{1,3}", literal[n + 1 : n + 4])
        if octal:
            out.append(int(octal.group(), 8) & 0xFF)
            n += 1 + len(octal.group())
            continue
        nxt = literal[n + 1 : n + 2]
        out += _ESCAPES.get(nxt, b"" if nxt in (b"\n", b"\r") else nxt)
        n += 2
    return bytes(out)


def shown_strings(data: bytes) -> list[str]:
    """The text strings a summary PDF draws, in order, as ``layout`` would give them.

    Reads the uncompressed page stream ``render_pdf`` writes; a PDF whose text
    was re-encoded or compressed by another tool shows no strings here (and so
    does not match its summary).
    """
    shown = []
    for match in _SHOWN.finditer(data):
        if match.group(1) is not None:
            shown.append(_string(match.group(1)))
        else:
            shown.append("".join(_string(s) for s in re.findall(_STRING, match.group(2))))
    return shown


def _string(token: bytes) -> str:
    if token.startswith(b"<"):
        digits = re.sub(rb"\s", b"", token[1:-1])
        raw = bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
    else:
        raw = _unescape(token[1:-1])
    return raw.decode("cp1252", "replace")


def has_pictures(data: bytes) -> bool:
    """True when a PDF holds images or forms (the summary is text only: they could hide text)."""
    return _PICTURES.search(data) is not None


def page_count(data: bytes) -> int:
    """How many pages a PDF declares (``/Type /Page`` objects)."""
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", data))
