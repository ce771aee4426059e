"""Name forms generated from the config: what is matched, and how each form was derived."""

from mentionwatch.matching.matcher import variants
from mentionwatch.matching.variants import (
    FULL,
    INITIALS,
    MISSPELLING,
    PARTIAL,
    generate,
    split_name,
)
from mentionwatch.subjects import SubjectSpec

DANA = SubjectSpec(
    "Dana Reyes",
    aliases=("Dana R.", "Danita Reyes"),
    handles=("@danareyes",),
    hashtags=("#DanaReyes",),
)
MAELYS = SubjectSpec("Maëlys Fontaine", aliases=("Lys Fontaine",), handles=("@atelier.lys",))


def by_text(subject):
    return {v.text: v for v in generate(subject)}


def test_configured_forms_are_folded_and_kept():
    forms = by_text(DANA)
    assert forms["dana reyes"].kind == "name" and forms["dana reyes"].strength == FULL
    assert forms["danita reyes"].kind == "alias" and forms["danita reyes"].strength == FULL
    assert forms["dana r."].strength == INITIALS  # an alias with an initial is an initials form
    assert forms["@danareyes"].together and forms["#danareyes"].together


def test_initials_inverted_and_parts_are_generated():
    forms = by_text(DANA)
    assert forms["d. reyes"].kind == "initials"
    assert forms["reyes, dana"].kind == "inverted"
    assert forms["reyes"].strength == PARTIAL and forms["dana"].strength == PARTIAL
    assert forms["danita"].kind == "first_name"  # the nickname of an alias


def test_misspellings_only_for_names_long_enough():
    forms = by_text(MAELYS)
    spelled = {t for t, v in forms.items() if v.strength == MISSPELLING}
    assert {"maelis fontaine", "maelys fontain", "maelys fontiane"} <= spelled
    assert all(len(t.replace(" ", "")) >= 13 for t in spelled)
    # One part exact, the other one edit away; the first letter is kept.
    assert all(t.startswith("maelys ") or t.endswith(" fontaine") for t in spelled)
    short = SubjectSpec("Kim Haven")  # 8 letters: no misspellings, "Kim Have" would be a sentence
    assert not [v for v in generate(short) if v.strength == MISSPELLING]


def test_misspellings_do_not_become_common_words():
    forms = by_text(SubjectSpec("Haven Brightwater"))
    assert "have brightwater" not in forms


def test_handle_written_as_two_words_is_not_the_handle():
    handle = by_text(MAELYS)["@atelierlys"]
    assert handle.words == ("atelier", "lys") and handle.together


def test_surname_keeps_its_particles():
    assert split_name("Ana de la Cruz") == (("ana",), ("de", "la", "cruz"))
    assert by_text(SubjectSpec("Ana de la Cruz"))["de la cruz, ana"].kind == "inverted"


def test_variants_compat_mapping():
    assert variants(DANA)["dana reyes"] == "name"
    assert variants(DANA)["d. reyes"] == "initials"


def test_subjects_explain_lists_every_generated_form(capsys):
    from mentionwatch.cli import main

    assert main(["subjects", "explain", "configs/demo.yaml"]) == 0
    out = capsys.readouterr().out
    for row in (
        "name         dana reyes",
        "initials     d. reyes",
        "inverted     reyes, dana",
        "misspelling  dana reyez",
        "surname      reyes",
        "context      full count",
        "title        hotel room tape",
        "exclude      dana point",
    ):
        assert row in out
