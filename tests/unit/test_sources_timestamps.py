"""API timestamps are parsed strictly: the atproto interop lists, epoch seconds, never a guess."""

import pytest

from mentionwatch.sources.entries import (
    EntryError,
    RawEntry,
    deferred_timestamp,
    entry_to_item,
    epoch_timestamp,
    parse_iso_timestamp,
)

SYNTAX = "bluesky/marshalx-atproto/interop-syntax"


def lines(path):
    return [line for line in path.read_text().split("\n") if line and not line.startswith("#")]


def test_every_valid_atproto_datetime_parses(corpora):
    for value in lines(corpora / SYNTAX / "datetime_syntax_valid.txt"):
        assert parse_iso_timestamp(value).endswith("Z"), value


@pytest.mark.parametrize("name", ["datetime_syntax_invalid.txt", "datetime_parse_invalid.txt"])
def test_every_invalid_atproto_datetime_is_rejected(corpora, name):
    # feedparser's lenient parser accepts 44 of these 46 (day 32 becomes 2 May).
    for value in lines(corpora / SYNTAX / name):
        with pytest.raises(EntryError):
            parse_iso_timestamp(value)


def test_offsets_and_fractions():
    assert parse_iso_timestamp("1985-04-12T23:20:50.123-07:00") == "1985-04-13T06:20:50Z"
    assert parse_iso_timestamp("2026-08-01T13:52:55.413Z") == "2026-08-01T13:52:55Z"


def test_epoch_seconds():
    assert epoch_timestamp(1456821458.0) == "2016-03-01T08:37:38Z"
    assert epoch_timestamp(1403235154) == "2014-06-20T03:32:34Z"
    for bad in ("1456821458", 1456821458000, float("nan"), True, -5):
        assert epoch_timestamp(bad).startswith("raw:")  # kept raw: the entry fails on its own


def test_a_malformed_api_date_fails_its_entry_never_guessed():
    entry = RawEntry(
        "s",
        "u",
        "g",
        "l",
        "t",
        "text",
        "",
        deferred_timestamp("1985-04-32T23;20:50.123Z"),
        None,
        "",
        "",
    )
    with pytest.raises(EntryError, match="malformed timestamp"):
        entry_to_item(entry)
    epoch = RawEntry(
        "s", "u", "g", "l", "t", "text", "", epoch_timestamp("yesterday"), None, "", ""
    )
    with pytest.raises(EntryError):
        entry_to_item(epoch)
