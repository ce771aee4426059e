"""Normalisation: every fold the matcher relies on, with the way back to the original offsets."""

import pytest

from mentionwatch.matching.normalize import fold, key_text, normalize


def original(text: str, start: int, end: int) -> str:
    """The original characters behind folded ``[start, end)``."""
    a, b = normalize(text).original_span(start, end)
    return text[a:b]


@pytest.mark.parametrize(
    "raw, folded",
    [
        ("DANA REYES", "dana reyes"),  # case
        (
            "Lucía Campos, panadera en San Antonio",
            "lucia campos, panadera en san antonio",
        ),  # Spanish accents
        (
            "Maëlys Fontaine, illustratrice à Grenoble",
            "maelys fontaine, illustratrice a grenoble",
        ),  # French
        (
            "Bianca Rocha é instrutora em Florianópolis",
            "bianca rocha e instrutora em florianopolis",
        ),  # Portuguese
        (
            "Ｄａｎａ Ｒｅｙｅｓ　ｆｕｌｌ",
            "dana reyes full",
        ),  # full-width letters and ideographic space
        ("𝐃𝐚𝐧𝐚 𝐑𝐞𝐲𝐞𝐬", "dana reyes"),  # mathematical bold
        ("𝘒𝘪𝘮 𝘏𝘢𝘷𝘦𝘯", "kim haven"),  # mathematical sans italic
        ("Ⓓⓐⓝⓐ", "dana"),  # circled letters
        ("ᴅᴀɴᴀ ʀᴇʏᴇꜱ", "dana reyes"),  # small capitals
        ("Dаnа Rеyеs", "dana reyes"),  # Cyrillic а, е inside a Latin name
        ("ΚΙΜ ΗΑVΕΝ", "kim haven"),  # Greek capitals that look Latin
        ("Вiаnса Rосhа", "bianca rocha"),  # Cyrillic В, а, с, о
        ("Łucja Øster", "lucja oster"),  # letters with strokes
    ],
)
def test_one_to_one_folds_keep_every_offset(raw, folded):
    result = normalize(raw)
    assert result.text == folded
    assert result.breaks == ()  # the identity map: nothing vanished or expanded
    assert original(raw, 0, len(folded)) == raw


@pytest.mark.parametrize(
    "raw, folded, name_at",
    [
        ("D\u200bana Re\u200byes", "dana reyes", "D\u200bana Re\u200byes"),  # zero-width spaces
        (
            "Kim\u2060 Ha\u200dven",
            "kim haven",
            "Kim\u2060 Ha\u200dven",
        ),  # word joiner, zero-width joiner
        ("Rey\u00ades", "reyes", "Rey\u00ades"),  # soft hyphen
        ("\ufeffDana Reyes", "dana reyes", "Dana Reyes"),  # byte order mark before the name
        (
            "Luci\u0301a Campos",
            "lucia campos",
            "Luci\u0301a Campos",
        ),  # decomposed accent (NFD input)
    ],
)
def test_vanishing_characters_map_back_to_the_original_span(raw, folded, name_at):
    result = normalize(raw)
    assert result.text == folded
    assert original(raw, 0, len(folded)) == name_at


def test_expanding_characters_map_back_to_the_original_character():
    raw = "Großmann and ﬁona"  # ß -> ss, the ligature ﬁ -> fi
    result = normalize(raw)
    assert result.text == "grossmann and fiona"
    assert original(raw, 0, 9) == "Großmann"
    assert original(raw, 14, 19) == "ﬁona"
    assert original(raw, 15, 19) == "ﬁona"  # "iona" starts inside the ligature
    assert result.offsets[-1] == len(raw)


def test_symbols_stay_symbols():
    # "™" would otherwise become "tm" and glue itself to the name.
    assert fold("Dana Reyes™") == "dana reyes™"


def test_fold_is_the_text_of_normalize():
    assert fold("Ｍａëｌｙｓ") == "maelys"


@pytest.mark.parametrize(
    "raw, keys",
    [
        ("D4na R3yes", "dana reyes"),
        ("K1m H4v3n", "kim haven"),  # 1 stands for i ...
        ("B1anca Rocha", "bianca rocha"),
        ("J0@na Pr@d0", "joana prado"),  # @ inside a word is an a
        ("Reye$", "reyes"),  # $ at the end of a word is an s
        ("K!m", "kim"),
        ("@danareyes #DanaReyes", " danareyes  danareyes"),  # @ and # before a word are separators
        ("dana-reyes_full.video/2026", "dana reyes fuii video 2o26"),  # "l" and "1" read alike
    ],
)
def test_key_text_reads_leet_and_separators(raw, keys):
    folded = normalize(raw).text
    assert key_text(folded) == keys
    assert len(key_text(folded)) == len(folded)  # keys keep every offset


def test_other_scripts_are_separators_in_keys():
    # An Arabic conjunction written against a Latin name still leaves a word boundary.
    assert key_text(fold("وDana Reyes")).split() == ["dana", "reyes"]
