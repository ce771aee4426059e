"""Matching v2: every configured form, names in context, other scripts, no look-alikes.

One test per kind of miss or false hit (docs/matching.md). The texts are
written for these tests, about a fictional subject.
"""

import pytest

from mentionwatch.config import ConfigError, parse_config
from mentionwatch.matching import SubjectMatcher
from mentionwatch.matching.scripts import script_variants
from mentionwatch.matching.sound_keys import phonetic_key
from mentionwatch.records import Item
from mentionwatch.subjects import KnownTitle, SubjectSpec

TAMSIN = SubjectSpec(
    "Tamsin Oduya",
    aliases=("T. Oduya", "Tamsin O.", "Tami", "타므신 오두야"),
    handles=("@tamsinoduya",),
    hashtags=("#TamsinOduya",),
    context=("Harbour FM", "radio presenter", "Leeds"),
    known_content=(
        KnownTitle("Tamsin - Backstage Pass Vol 2", "2015-01-01"),
        KnownTitle("Velvet Motel Nights", "2016-05-01"),
    ),
    about_sources=("Harbour FM YouTube comments",),
)
MATCHER = SubjectMatcher([TAMSIN]).build()


def found(text, title="", url="", source="forum"):
    return [m.subject for m in MATCHER.match(Item("x", source, url, title, text))]


def reasons(text, source="forum"):
    return [
        r
        for s in MATCHER.explain(Item("x", source, "", "", text)).get("Tamsin Oduya", [])
        for r in s.reasons
    ]


# 1. Configured aliases with an initial: always looked for, found without cue words.


@pytest.mark.parametrize(
    "text",
    [
        "T. Oduya is presenting the late show tonight",
        "t. oduya lives near the park by the canal",
        "T. ODUYA will regret this",
        "Tamsin O. answered every question on air",
    ],
)
def test_configured_alias_with_an_initial_is_found_as_written(text):
    assert found(text) == ["Tamsin Oduya"]


def test_configured_initials_alias_still_gives_way_to_another_identity():
    assert found("Dr. T. Oduya, the dentist on Mill Lane, is taking new patients") == []


# 2. A part of her name alone where the context makes her clear.


def test_surname_and_first_name_alone_are_mentions_on_a_source_about_her():
    assert found("Oduya was on fire this morning", source="Harbour FM YouTube comments") == [
        "Tamsin Oduya"
    ]
    assert found(
        "Tamsin you are the best part of my commute", source="Harbour FM YouTube comments"
    ) == ["Tamsin Oduya"]
    assert "source about her +3.5" in reasons(
        "Oduya was on fire", source="Harbour FM YouTube comments"
    )


def test_a_part_of_her_name_elsewhere_still_needs_a_tie():
    assert found("Oduya was on fire this morning") == []
    assert found("Tamsin you are the best part of my commute") == []


def test_on_a_source_about_her_another_person_with_her_surname_is_not_her():
    assert found("my cousin Kemi Oduya says hi", source="Harbour FM YouTube comments") == []


def test_surname_beside_her_show_is_a_mention():
    assert found("Oduya on Harbour FM this morning was sharp") == ["Tamsin Oduya"]


def test_thread_title_names_her_and_the_reply_uses_her_surname():
    assert found("Oduya never answers that question", title="Tamsin Oduya interview thread") == [
        "Tamsin Oduya"
    ]


# 3. Her known content without her name.


@pytest.mark.parametrize(
    "text",
    [
        "the girl from Velvet Motel Nights is on the radio now lol, full video here",
        "V e l v e t  M o t e l  N i g h t s 2026 HD reupload",
        "Backstage Pass Vol 2 leaked again, link in bio",
    ],
)
def test_a_known_title_names_her_without_her_name(text):
    assert found(text) == ["Tamsin Oduya"]
    spans = MATCHER.match(Item("x", "tube", "", "", text))[0].spans
    assert spans and all(span.variant for span in spans)


def test_a_similar_title_of_another_performer_is_not_her():
    assert found("Velvet Motel Nights part 3 featuring Jade Monroe and Tia Bell, new upload") == []


# 4. Other scripts.


@pytest.mark.parametrize(
    "text",
    [
        "شاهدت تامسين أودويا في البرنامج اليوم",  # Arabic
        "Тамсин Одуя снова в эфире",  # Cyrillic
        "Η Ταμσίν Οντούγια μίλησε στο ραδιόφωνο",  # Greek
        "תמסין אודויה דיברה ברדיו",  # Hebrew
        "तामसिन ओडुया आज रेडियो पर थीं",  # Devanagari
        "タムシン・オドゥヤがラジオに出た",  # katakana
        "我看了塔姆辛奥杜亚的节目",  # Chinese
    ],
)
def test_her_name_transliterated_into_another_script(text):
    assert found(text) == ["Tamsin Oduya"]


def test_a_configured_alias_in_another_script_is_found_as_written():
    assert found("오늘 타므신 오두야 방송 봤어요") == ["Tamsin Oduya"]
    assert "configured form in another script +2.0" in reasons("오늘 타므신 오두야 방송 봤어요")


def test_words_that_only_share_her_consonants_are_not_her():
    assert found("Его канал снова работает") == []
    assert found("我们今天去公园散步") == []


def test_sound_keys_meet_across_scripts():
    keys = {
        phonetic_key(w) for w in ("Reyes", "رييس", "Рейес", "レイエス", "레예스", "रेयेस", "רייס")
    }
    assert keys == {"rs"}


def test_letters_spaced_with_double_spaces():
    assert found("T  a  m  s  i  n   O  d  u  y  a is a fraud") == ["Tamsin Oduya"]


def test_subjects_explain_shows_the_script_forms():
    kinds = {v.kind for v in script_variants(TAMSIN)}
    assert kinds == {"script", "transliteration"}


def test_a_form_the_matcher_cannot_use_is_a_config_error():
    text = "subjects:\n  - name: Tamsin Oduya\n    aliases: ['💜💜']\n"
    with pytest.raises(ConfigError, match="no letters the matcher can look for"):
        parse_config(text, "config.yaml")


# 5. Handles and hashtags are whole tokens.


@pytest.mark.parametrize(
    "text",
    [
        "@tamsinoduya_art new drawing up",
        "#TamsinOduyaArt winners announced",
        "follow @tamsinoduya2 for memes",
    ],
)
def test_another_account_or_tag_that_starts_with_her_name_is_not_her(text):
    assert found(text) == []


@pytest.mark.parametrize(
    "text",
    ["@tamsinoduya good morning", "#TamsinOduya trending again", "#TamsinOduyaLeak is back up"],
)
def test_her_exact_handle_or_tag_or_a_re_promotion_tag(text):
    assert found(text) == ["Tamsin Oduya"]


# 6. Brand look-alikes.


def test_a_brand_one_letter_from_her_name_written_as_one_word_is_not_her():
    assert found("TamsinOduyo skincare launches a vitamin C serum") == []
    assert found("new from Tamsinoduja cosmetics: the spring palette") == []


def test_her_name_written_as_one_word_is_her():
    assert found("tamsinoduya is trending for all the wrong reasons") == ["Tamsin Oduya"]


# 7. Namesakes whose context says someone else.


@pytest.mark.parametrize(
    "text",
    [
        "Realtor Tamsin Oduya lists a three-bed colonial in Dayton",
        "Congratulations to Tamsin Oduya, who graduates from the nursing program this spring",
        "Tamsin Oduya scored 22 points as the Ridgeview Hawks beat Clayton in the semifinal",
        "Tamsin Oduya is a student athlete and volleyball setter at Ridgeview",
    ],
)
def test_a_namesake_in_another_occupation_is_dropped_with_a_reason(text):
    assert found(text) == []
    assert any("role" in r or "sport" in r or "another field" in r for r in reasons(text))


def test_her_own_field_is_not_evidence_of_another_person():
    assert found("radio presenter Tamsin Oduya opened the breakfast show") == ["Tamsin Oduya"]


# 8. The fourth round (rules learned from the third blind set, then spent as a development set).

LUCIANA = SubjectSpec(
    "Juliana Wolcheck",
    aliases=("J. Wolcheck",),
    context=("Pinecrest Clinic", "registered nurse", "Denver"),
    known_content=(KnownTitle("Locker Room: Late Shift 4", "2014-01-01"),),
)
MARISOL = SubjectSpec("Marisol Dawes", context=("Harbour FM", "guía de viajes"))
JOV = SubjectSpec("Jovana Quach", context=("Nha Trang",))
ROUND4 = SubjectMatcher([LUCIANA, MARISOL, JOV]).build()


def found4(text, url="", source="forum"):
    return sorted(m.subject for m in ROUND4.match(Item("x", source, url, "", text)))


@pytest.mark.parametrize(
    "text",
    [
        "Хована Куат снова в эфире",  # Spanish j read as h, a final Vietnamese ch as t
        "ホバナ・クアット",
        "Марисол Довс вернулась на радио",  # a w after a vowel read as v
    ],
)
def test_names_are_found_the_way_other_scripts_hear_them(text):
    assert found4(text) in (["Jovana Quach"], ["Marisol Dawes"])


def test_dz_and_dzh_read_as_j_in_every_script():
    assert phonetic_key("Джована") == phonetic_key("Jovana") == phonetic_key("Τζοβάνα")
    assert (
        phonetic_key("Лордкипанидзе")
        == phonetic_key("Lordkipanidze")
        == phonetic_key("لوردكيبانيدزه")
    )


def test_a_given_name_without_its_final_vowel_is_another_name_not_a_misspelling():
    assert found4("Juliana Wolcheck answered on air") == ["Juliana Wolcheck"]
    assert found4("Julian Wolcheck, the county treasurer, answered questions") == []


@pytest.mark.parametrize(
    "text",
    [
        "la conseillère municipale Marisol Dawes demande un nouveau parc",
        "Town council member Marisol Dawes voted against the budget",
        "La concejala de Valparaíso Marisol Dawes presentó un proyecto",
    ],
)
def test_a_role_with_modifiers_or_its_place_before_the_name_is_another_person(text):
    assert found4(text) == []


def test_a_verb_between_a_role_and_the_name_does_not_make_the_role_hers():
    assert found4(
        "the nurse told Marisol Dawes she would be fine, and the trolls went wild again"
    ) == ["Marisol Dawes"]


def test_an_age_before_the_name_in_another_script_says_another_person():
    assert found4("Pinecrest Clinic: 22 वर्षीया Juliana Wolcheck") == [
        "Juliana Wolcheck"
    ]  # her clinic: hers
    assert found4("Вчера 78-летняя Марисол Довс отметила юбилей") == []


def test_her_own_role_by_its_initials_or_its_stem_is_hers():
    assert found4("J. Wolcheck, RN — we know which shift you work") == ["Juliana Wolcheck"]
    assert found4("J. Wolcheck explained it better than my nursing professor") == [
        "Juliana Wolcheck"
    ]


def test_a_function_word_shared_with_her_context_does_not_make_an_affiliation_hers():
    assert found4("Marisol Dawes (Universidad de Chile) ganó los 1500 metros") == []


def test_a_context_term_in_a_urls_host_is_the_platform_not_her():
    assert (
        found4(
            "POV: another late shift and the vending machine ate my coins",
            url="https://denver.example/v/1",
        )
        == []
    )


def test_two_everyday_words_of_a_title_count_only_with_its_number():
    assert found4("another late shift at the warehouse, send coffee") == []
    assert found4("Late Shift 4 full video free download") == ["Juliana Wolcheck"]
