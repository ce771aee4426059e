"""The config-based evidence beside the model (classify.signals), no model needed."""

from mentionwatch.classify.signals import observe
from mentionwatch.subjects import KnownTitle, SubjectSpec

DANA = SubjectSpec(
    name="Dana Reyes",
    handles=("@danareyes",),
    known_content=(KnownTitle("Dana Reyes - Hotel Room Tape", "2019-03-14"),),
)


def test_known_title_with_a_newness_claim_is_promo_evidence():
    evidence = observe("Dana Reyes Hotel Room Tape 2026 full video, watch free", DANA)
    assert {"promo:title", "promo:newness", "promo:availability"} <= set(evidence.signals)
    assert evidence.promo == 3 and not evidence.pii


def test_a_year_after_the_release_counts_as_a_newness_claim_only_next_to_a_known_title():
    assert "promo:newness" in observe("Dana Reyes hotel room tape (2025)", DANA).signals
    assert "promo:newness" not in observe("Dana Reyes talked about 2025 plans on her podcast", DANA).signals


def test_takedown_advocacy_that_names_the_title_cancels_the_promo_evidence():
    evidence = observe("Please report every upload of 'Hotel Room Tape' - Dana Reyes never consented to this", DANA)
    assert "promo:title" in evidence.signals and "context:advocacy" in evidence.signals
    assert evidence.promo == 0


def test_url_slug_with_her_name_and_promo_words():
    words = "tubehub xyz video dana reyes full leaked 2026"
    evidence = observe(f"watch now\n{words}", DANA, words)
    assert "promo:slug" in evidence.signals


def test_phone_address_email_and_requests_near_her_name_are_pii():
    assert "pii:phone" in observe("Dana Reyes's cell is (555) 010-4477, call her", DANA).signals
    assert "pii:address" in observe("Dana Reyes lives at 14 Alder Lane, Millbrook, second floor", DANA).signals
    assert "pii:address" in observe("Dana Reyes wohnt in der Lindenstraße 12, Berlin", DANA).signals
    assert "pii:email" in observe("write to dana.reyes@mail.example and tell her", DANA).signals
    assert "pii:request" in observe("where does Dana Reyes live now? asking for a friend", DANA).signals
    assert "pii:routine" in observe("Dana Reyes drops her son at school every morning around 7:50", DANA).signals


def test_years_and_ids_are_not_phone_numbers():
    assert not observe("Dana Reyes, active 2016-2019, now a podcaster", DANA).pii
    assert not observe("Dana Reyes podcast\nx example danareyes status 1848320014", DANA, "x example danareyes status 1848320014").pii


def test_news_about_doxxing_is_not_pii_evidence():
    evidence = observe("Police say Dana Reyes's address, 14 Alder Lane, was posted online; an arrest was made", DANA)
    assert "pii:address" in evidence.signals and evidence.advocacy and not evidence.pii


def test_pii_far_from_her_name_in_a_long_text_does_not_count():
    filler = " ".join(["The council met on Tuesday to discuss the budget for the new library."] * 8)
    text = f"Dana Reyes spoke at the meeting. {filler} Contact the clerk at 555-010-9999."
    assert "pii:phone" not in observe(text, DANA).signals


def test_without_a_subject_only_generic_signals_fire():
    evidence = observe("NEW leaked full video watch free", None)
    assert "promo:title" not in evidence.signals and evidence.promo == 2


def test_prefilters_never_hide_a_match_on_the_written_corpus():
    import pathlib

    from mentionwatch.classify import signals
    from mentionwatch.classify.train import load_templates, render_all

    root = pathlib.Path(__file__).resolve().parents[2] / "pipelines" / "data"
    templates = load_templates([root / "written", root / "candidates"])
    pairs = [
        (signals._NEWNESS, signals._NEWNESS_LITERALS),
        (signals._AVAILABILITY, signals._AVAILABILITY_LITERALS),
        (signals._ADVOCACY, signals._ADVOCACY_LITERALS),
        (signals._ASK, signals._ASK_LITERALS),
    ]
    for rendered in render_all(templates, 3, False, 1.0):
        folded = signals.fold(rendered.text)
        for pattern, literals in pairs:
            assert bool(signals._search(pattern, literals, folded)) == bool(pattern.search(folded)), (pattern.pattern[:40], folded)


def test_arabic_request_for_her_address_is_pii():
    assert "pii:request" in observe("أين تسكن Dana Reyes الآن؟", DANA).signals


def test_a_malformed_url_still_gives_its_words_and_never_raises():
    from mentionwatch.classify.inputs import url_words

    assert url_words("http://[abc/dana-reyes-full-video") == "[abc dana reyes full video"
    assert url_words("https://www.tube.example/v/dana-reyes-2026") == "tube example v dana reyes 2026"
