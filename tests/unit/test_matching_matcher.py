"""The matcher end to end: obfuscations, spans in the original text, fields, disambiguation."""

import pickle

import pytest

from mentionwatch.matching import SubjectMatcher
from mentionwatch.records import Item
from mentionwatch.subjects import KnownTitle, SubjectSpec

DANA = SubjectSpec(
    "Dana Reyes",
    aliases=("Dana R.", "Danita Reyes"),
    handles=("@danareyes",),
    hashtags=("#DanaReyes",),
    context=("Full Count",),
    exclude=("Dana Point",),
    known_content=(KnownTitle("Dana Reyes - Hotel Room Tape", "2019-03-14"),),
)
NORA = SubjectSpec(
    "Nora Blanco",
    aliases=("Norita Blanco",),
    handles=("@norablanco",),
    context=("Yoga Mar",),
    exclude=("vino blanco",),
)
TESSA = SubjectSpec("Tessa Hale", context=("Inkwell Studio",), exclude=("Nathan Hale",))
SUBJECTS = (DANA, NORA, TESSA)
MATCHER = SubjectMatcher(SUBJECTS)


def mentions(text="", title="", url=""):
    return {m.subject: m for m in MATCHER.match(Item("i", "s", url, title, text))}


def found(text="", title="", url=""):
    return set(mentions(text, title, url))


# --------------------------------------------------------------------------- obfuscations


@pytest.mark.parametrize(
    "text, matched",
    [
        ("D4na R3yes new tape just dropped", "D4na R3yes"),  # leetspeak
        ("N0r@ Bl4nc0 vídeo completo", "N0r@ Bl4nc0"),  # leet with @ in Spanish
        ("D a n a  R e y e s is a fraud", "D a n a  R e y e s"),  # spaced letters
        ("go leave reviews for d.a.n.a r.e.y.e.s lol", "d.a.n.a r.e.y.e.s"),  # dotted letters
        ("Ｄａｎａ Ｒｅｙｅｓ 流出", "Ｄａｎａ Ｒｅｙｅｓ"),  # full-width, Japanese around it
        ("𝐃𝐚𝐧𝐚 𝐑𝐞𝐲𝐞𝐬 nudes", "𝐃𝐚𝐧𝐚 𝐑𝐞𝐲𝐞𝐬"),  # mathematical bold
        ("Dаnа Rеyеs thinks nobody remembers", "Dаnа Rеyеs"),  # Cyrillic look-alikes
        ("Τessa Ηale still posting", "Τessa Ηale"),  # Greek capitals
        ("Da\u200bna Rey\u200bes will pay", "Da\u200bna Rey\u200bes"),  # zero-width spaces
        (
            "Rey\u00ades, Dana: all her scenes",
            "Rey\u00ades, Dana",
        ),  # soft hyphen, inverted with a comma
        ("#DanaReyes trending again", "DanaReyes"),  # hashtag
        ("cc @danareyes we know", "danareyes"),  # handle
        ("@dana_reyes_fan posts her old clips", "dana_reyes"),  # handle variant
        ("@DanaReyesXXX reuploads daily", "DanaReyes"),  # name inside a longer handle
        ("DANA REYES WILL REGRET THIS", "DANA REYES"),
        ("Tessa Hael is finished", "Tessa Hael"),  # transposed letters
        ("Nora Blanko still selling her old videos", "Nora Blanko"),  # phonetic misspelling
    ],
)
def test_obfuscated_full_names_are_found_with_the_original_span(text, matched):
    subject = next(iter(mentions(text).values()))
    span = subject.spans[0]
    assert span.matched == matched
    assert text[span.start : span.end] == matched


def test_leet_never_reads_a_real_letter_as_another():
    assert found("Dana Reyes") == {"Dana Reyes"}
    assert found("Dana Rey1s") == set()  # 1 is not an e
    assert found("Nora Bianco opens a trattoria") == set()  # a real i is not an l


def test_spaced_letters_must_be_spaced_throughout():
    assert found("Dan aRey es") == set()


def test_initials_are_never_read_inside_a_word():
    iris = SubjectSpec("Iris Haven", aliases=("Iris H.",))
    marta = SubjectSpec("Ava Sorensen")  # "A. Sorensen"
    matcher = SubjectMatcher((iris, marta))
    text = "Corned beef is an Irish dish, leaked full video. #MartaSorensen porn leak"
    assert matcher.match(Item("i", "s", "", "", text)) == []


def test_spaced_letters_of_a_longer_spaced_name_are_not_a_shorter_form():
    yara = SubjectSpec("Yara Molnar", aliases=("Yara M.",))
    text = "leaked: Y a r a   M a r l o w e full video"
    assert SubjectMatcher((yara,)).match(Item("i", "s", "", "", text)) == []
    assert found("everyone go to t.e.s.s.a h.a.l.e's shop and leave one star") == {"Tessa Hale"}


def test_apostrophes_and_emoji_inside_a_name():
    siobhan = SubjectSpec("Siobhan O'Brien")
    matcher = SubjectMatcher((siobhan, DANA))
    assert [m.subject for m in matcher.match(Item("i", "s", "", "", "Siobhan O’Brien leaked"))] == [
        "Siobhan O'Brien"
    ]
    (mention,) = matcher.match(Item("i", "s", "", "", "D🔥a🔥n🔥a R🔥e🔥y🔥e🔥s new tape"))
    assert mention.spans[0].matched == "D🔥a🔥n🔥a R🔥e🔥y🔥e🔥s"


def test_a_one_word_stage_name_is_a_full_name():
    assert SubjectMatcher((SubjectSpec("Kimberlina"),)).match(
        Item("i", "s", "", "", "Kimberlina is back")
    )


def test_numbers_are_not_leet_names():
    assert found("Scores: 4 0 1 3 and 2019 results, 5-3 win") == set()


# --------------------------------------------------------------------------- fields


def test_name_in_url_slug_and_domain():
    assert found(url="https://tube.example/videos/dana-reyes-full-video-2026") == {"Dana Reyes"}
    (span,) = mentions(url="https://danareyes-free.example/watch").get("Dana Reyes").spans
    assert (span.field, span.matched) == ("url", "danareyes")
    assert found(url="https://watchdanareyes.example/") == {"Dana Reyes"}


def test_name_split_across_title_and_body_yields_a_span_in_each():
    mention = mentions(title="Everyone is talking about Dana", text="Reyes and her old tapes")[
        "Dana Reyes"
    ]
    assert [(s.field, s.matched) for s in mention.spans] == [("title", "Dana"), ("text", "Reyes")]
    title = "Everyone is talking about Dana"
    assert title[mention.spans[0].start : mention.spans[0].end] == "Dana"


def test_spans_in_each_field_are_offsets_of_that_field():
    title, text = "Dana Reyes leak", "watch D4na Reyes here"
    mention = mentions(text, title, "https://x.example/dana-reyes")["Dana Reyes"]
    for span in mention.spans:
        assert {"title": title, "text": text, "url": "https://x.example/dana-reyes"}[span.field][
            span.start : span.end
        ] == span.matched


def test_words_containing_the_name_are_not_the_name():
    assert found("Danareyesville and Xdana reyes, Adana Reyes") == set()
    assert found("Tessa Halevy published a paper") == set()
    assert found("Bruce Danaher said") == set()


def test_a_sentence_break_is_not_a_space():
    assert found("I saw Dana. Reyes was not there.") == set()
    assert found("Nora, Blanco said no") == set()


# --------------------------------------------------------------------------- languages


@pytest.mark.parametrize(
    "text",
    [
        "Nora Blanco tiene que pagar por lo que hizo, todos saben dónde vive",  # Spanish
        "Élan total pour Tessa Hale face au harcèlement",  # French
        "Alguém sabe onde a Tessa Hale mora agora?",  # Portuguese
        "Dana Reyes spricht im Interview über Hasskommentare",  # German
        "مقابلة مع Dana Reyes حول التحرش عبر الإنترنت",  # Arabic around the Latin name
        "Dana Reyes وTessa Hale في جلسة استماع",  # an Arabic conjunction glued to a name
    ],
)
def test_latin_names_in_other_languages(text):
    assert found(text)


# --------------------------------------------------------------------------- disambiguation


def test_places_named_like_her_are_not_her():
    assert found("Point Reyes lighthouse reopens after repairs") == set()
    assert found("Los Reyes Magos llegan el 6 de enero") == set()


def test_excluded_phrase_cancels_what_it_covers_only():
    assert found("Surf report from Dana Point") == set()
    assert found("Un buen vino blanco para la cena") == set()
    assert found("Dana Reyes was spotted surfing at Dana Point") == {"Dana Reyes"}


def test_namesakes_with_another_identity_are_not_her():
    assert (
        found("Dr. Nora Blanco, a pediatric dentist in Miami, is accepting new patients") == set()
    )
    assert found("The librarian Dana Reyes will host story time on Saturday") == set()
    assert found("Obituary: Tessa Hale, 84, passed away peacefully surrounded by family") == set()
    assert found("Calle Nora Blanco, 12, Madrid") == set()
    assert found("Dana Reyes-Whitfield leads our audit practice") == set()
    assert found("Honor roll: Maya Lopez, Tessa Hale, Jordan Kim, Priya Shah") == set()


def test_harassment_aimed_at_the_name_wins_over_a_role_word():
    # The policy is asymmetric: abuse aimed at the name keeps the match.
    assert found("the librarian Dana Reyes is a porn slut, everyone knows") == {"Dana Reyes"}


def test_a_full_name_with_no_evidence_either_way_is_her():
    assert found("Dana Reyes opens a bakery") == {"Dana Reyes"}
    assert found("Nathan Hale High School announces new principal") == set()


def test_surname_alone_needs_ties_and_sits_in_a_sentence():
    assert found("Reyes was brilliant on Full Count last night") == {"Dana Reyes"}  # context term
    assert found("Reyes leaked video full free download") == {"Dana Reyes"}  # cue words near it
    assert found("Carlos Reyes scored twice on Sunday") == set()  # another first name
    assert found("Feliz Día de Reyes a todos, leaked video") == set()  # after "de"
    assert found("Reyes was interviewed today") == set()  # no tie: a part alone is not enough


def test_first_name_alone_needs_more_than_one_cue():
    assert found("Dana leaked video full free download") == set()
    assert found("Dana from Full Count, I know what car you drive") == {"Dana Reyes"}


def test_initials_need_one_tie():
    assert found("Great service, would recommend. — Dana R.") == set()
    assert found("Dana R. leaked again, full tape in bio") == {"Dana Reyes"}
    assert found("D. Reyes from Full Count used to do porn") == {"Dana Reyes"}


def test_known_content_title_ties_a_first_name():
    assert found("Dana - Hotel Room Tape reupload, HD") == {"Dana Reyes"}
    assert found("Jenna - Hotel Room Tape reupload, HD") == set()


def test_two_subjects_in_one_item_and_their_spans():
    found_now = mentions(
        "Nora Blanco and Tessa Hale both spoke at the hearing on image-based abuse"
    )
    assert set(found_now) == {"Nora Blanco", "Tessa Hale"}
    assert found_now["Tessa Hale"].spans[0].start == 16


def test_other_name_forms_of_a_mentioned_subject_are_shown_too():
    mention = mentions("Dana Reyes answered. Reyes said the uploads never stop.")["Dana Reyes"]
    assert [s.matched for s in mention.spans] == ["Dana Reyes", "Reyes"]


def test_explain_gives_the_reasons():
    explained = MATCHER.explain(Item("i", "s", "", "", "The librarian Dana Reyes reads to kids"))
    (scored,) = explained["Dana Reyes"]
    assert scored.score < 0.5 and any("librarian" in r for r in scored.reasons)


# --------------------------------------------------------------------------- building


def test_matcher_pickles_without_its_automata():
    matcher = SubjectMatcher(SUBJECTS).build()
    data = pickle.dumps(matcher)
    assert len(data) < 5_000  # only the specs travel
    clone = pickle.loads(data)
    assert {m.subject for m in clone.match(Item("i", "s", "", "", "D4na R3yes"))} == {"Dana Reyes"}


def test_an_empty_item_and_no_subjects():
    assert MATCHER.match(Item("i", "s", "", "", "")) == []
    assert SubjectMatcher(()).match(Item("i", "s", "", "", "Dana Reyes")) == []


# Found in review: configured initials aliases, threat verbs, role modifiers in apposition.
_DEMO = SubjectSpec(
    "Dana Reyes",
    aliases=("Dana R.", "Danita Reyes"),
    handles=("@danareyes",),
    context=("Full Count",),
)


def _matched(text):
    return bool(SubjectMatcher([_DEMO]).match(Item("i", "s", "", "", text)))


def test_abuse_aimed_at_a_configured_initials_alias_is_a_mention():
    assert _matched("Dana R. is the most pathetic attention seeker on the internet.")
    assert _matched("dana r. you will die tonight")


def test_a_configured_initials_alias_alone_is_not_enough():
    assert not _matched("Great review, thanks! - Dana R., Phoenix")


def test_a_namesake_with_a_modified_role_in_apposition_is_not_her():
    assert not _matched("Dana Reyes, head librarian at Millbrook library, announced story time")
    assert not _matched("Dana Reyes, the chief financial officer of Acme, resigned")
