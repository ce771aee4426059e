"""The report over the demo data: rendered, self-contained, readable charts, no abusive text.

The demo config's feeds are scanned (fake model, see tests/helpers.py) into a
fresh store on each backend, then ``mentionwatch report`` renders it.
"""

import base64
import contextlib
import datetime as dt
import html
import io
import re

import numpy as np
import pytest
from demo_store import scan_demo
from PIL import Image
from store_fixtures import BACKENDS, fresh_postgres_database

from mentionwatch.cli import main
from mentionwatch.report import PileOnSettings, build_report, write_report
from mentionwatch.report.charts import (
    DOMAIN_COLOR,
    LABEL_COLORS,
    SOURCE_COLOR,
    SUBJECT_COLORS,
    TYPE_COLOR,
)
from mentionwatch.store import HistoryStore

pytestmark = pytest.mark.pipeline

SINCE = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
# Phrases from the demo feeds' harassment and re-promotion, and the doxxed details.
ABUSE = [
    "porn girl",
    "Larkspur",
    "555-0143",
    "pathetic attention seeker",
    "flood her replies",
    "stop showing her face",
    "Hotel Room Tape",
    "leaked uncensored",
    "watch free",
    "what you're actually good for",
    "somebody will make sure",
]


def color_pixels(png: bytes, hex_color: str, tolerance: int = 12) -> int:
    image = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    target = np.array([int(hex_color[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(image - target).max(axis=2) <= tolerance).sum())


@pytest.fixture(scope="module", params=BACKENDS)
def demo_report(request, tmp_path_factory):
    """One demo scan and report per backend, shared by the tests that only read them."""
    folder = tmp_path_factory.mktemp("report")
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            store_url = f"sqlite:///{folder}/history.db"
        else:
            store_url = stack.enter_context(fresh_postgres_database())
        loaded = scan_demo(store_url)
        store = HistoryStore(store_url)
        stack.callback(store.close)
        report = build_report(
            store,
            since=SINCE,
            until=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
            subjects=[s.name for s in loaded.config.subjects],
            pile_on=PileOnSettings.from_config(loaded.config.alerts.pile_on),
        )
        paths = write_report(report, folder / "report.html")
        yield report, paths, store, folder


def test_the_report_counts_the_demo_mentions(demo_report):
    report, _paths, store, _folder = demo_report
    assert sum(report.totals.values()) == store.count("mentions", is_current=True) > 0
    assert (
        report.totals["harassment"] > 0
        and report.totals["re_promotion"] > 0
        and report.totals["benign"] > 0
    )
    assert sum(report.types.values()) == report.totals["harassment"]
    assert report.domains[0]["key"] == "tubehub.example"
    assert report.top and report.top[0]["severity"] == "critical"
    assert sum(report.alerts.values()) == store.count("alerts")


def test_the_page_is_self_contained_with_every_chart_embedded_and_written_beside_it(demo_report):
    report, paths, _store, folder = demo_report
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert {p.name for p in paths} == {
        "report.html",
        "report-volume.png",
        "report-harassment-types.png",
        "report-re-promotion.png",
        "report-harassment-timeline.png",
    }
    embedded = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(embedded) == len(report.charts) == 4
    for chart, data in zip(report.charts, embedded, strict=True):
        assert (
            base64.b64decode(data)
            == chart.png
            == (folder / f"report-{chart.name}.png").read_bytes()
        )
    assert not re.search(r"<(script|link|iframe)\b", page, re.IGNORECASE)
    assert not re.search(r'\s(src|srcset)="(?!data:)', page)  # nothing loaded from elsewhere
    for heading in (
        "Mention volume per day",
        "Harassment by type",
        "Who re-promotes",
        "Pile-on episodes",
        "Highest-severity mentions",
        "Source health",
    ):
        assert heading in page


def test_charts_are_non_empty_pngs_with_their_series(demo_report):
    report, _paths, _store, _folder = demo_report
    charts = {c.name: c for c in report.charts}
    for chart in report.charts:
        image = Image.open(io.BytesIO(chart.png))
        assert image.format == "PNG" and image.size[0] >= 800 and image.size[1] >= 400
        assert (
            len(np.unique(np.asarray(image.convert("L")))) > 20
        )  # text, axes and bars, not a blank canvas
    assert charts["volume"].series == ("harassment", "re-promotion", "benign")
    for label, color in LABEL_COLORS.items():
        assert color_pixels(charts["volume"].png, color) > 200, label  # each label's bars are drawn
    assert charts["harassment-types"].series == ("harassing mentions",)
    assert color_pixels(charts["harassment-types"].png, TYPE_COLOR) > 200
    assert charts["re-promotion"].series == (
        "re-promotion mentions by domain",
        "re-promotion mentions by source",
    )
    assert (
        color_pixels(charts["re-promotion"].png, DOMAIN_COLOR) > 200
        and color_pixels(charts["re-promotion"].png, SOURCE_COLOR) > 200
    )
    assert charts["harassment-timeline"].series[0] == "Dana Reyes"
    assert color_pixels(charts["harassment-timeline"].png, SUBJECT_COLORS[0]) > 50


def test_no_abusive_text_anywhere(demo_report):
    _report, _paths, store, folder = demo_report
    page = (folder / "report.html").read_text(encoding="utf-8")
    visible = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"base64,[A-Za-z0-9+/=]+", "", page)))
    alts = " ".join(html.unescape(a) for a in re.findall(r'alt="([^"]*)"', page))
    for phrase in ABUSE:
        assert phrase.lower() not in page.lower(), phrase
        assert phrase.lower() not in (visible + alts).lower(), phrase
    # No four consecutive words of any stored harassing or re-promoting item, in the page's text.
    with store.engine.connect() as connection:
        texts = connection.exec_driver_sql(
            "SELECT i.title, i.text FROM items i JOIN mentions m ON m.item_id = i.id "
            "WHERE m.label <> 'benign'"
        ).all()
    words_on_page = " ".join(re.findall(r"\w+", (visible + " " + alts).lower()))
    for title, text in texts:
        words = re.findall(r"\w+", f"{title} {text}".lower())
        for i in range(len(words) - 3):
            shingle = " ".join(words[i : i + 4])
            assert shingle not in words_on_page, shingle
    assert "[content hidden: harassment: doxxing" in page


def test_the_report_command(store_url, tmp_path, capsys):
    loaded = scan_demo(store_url)
    out = tmp_path / "out" / "report.html"
    assert (
        main(
            [
                "report",
                str(loaded.path),
                "--store",
                store_url,
                "--since",
                "2026-11-01",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "report for Dana Reyes" in printed and str(out) in printed
    assert out.is_file() and (tmp_path / "out" / "report-volume.png").is_file()
    assert main(["report", str(loaded.path), "--store", store_url, "--since", "nonsense"]) == 2
