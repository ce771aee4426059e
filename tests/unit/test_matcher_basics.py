"""The first matcher's contract: names, aliases, handles, hashtags, word boundaries, spans."""

from mentionwatch.matching import SubjectMatcher
from mentionwatch.records import Item
from mentionwatch.subjects import SubjectSpec

DANA = SubjectSpec(
    "Dana Reyes",
    aliases=("Dana R.", "Danita Reyes"),
    handles=("@danareyes",),
    hashtags=("#DanaReyes",),
    exclude=("Dana Point",),
)


def found(text, title="", url="", subjects=(DANA,)):
    return SubjectMatcher(subjects).match(Item("i", "s", url, title, text))


def test_name_case_and_accents_and_spacing():
    (mention,) = found("Saw DANA   Réyes today")
    (span,) = mention.spans
    assert (span.field, span.start, span.end, span.matched, span.variant) == (
        "text",
        4,
        16,
        "DANA   Réyes",
        "dana reyes",
    )


def test_alias_handle_hashtag():
    # "Dana R." is an initials alias the operator configured: it is looked for as written
    # and found on its own, but a review signature needs a tie to her
    # (see mentionwatch.matching.weights).
    assert found("Dana R. again")[0].spans[0].variant == "dana r."
    assert found("Picks up everything. — Dana R., Phoenix AZ") == []
    assert (
        found("Dana R. again, her old tape reuploaded, full video")[0].spans[0].variant == "dana r."
    )
    assert found("cc @danareyes")[0].spans[0].matched == "danareyes"
    assert found("#DanaReyes trending")[0].subject == "Dana Reyes"


def test_word_boundaries_and_exclusions():
    assert found("Danareyesville and Xdana reyes") == []
    assert found("Surfing at Dana Point this weekend") == []


def test_zero_width_characters_do_not_hide_the_name():
    (mention,) = found("D\u200bana Reyes")
    assert mention.spans[0].matched == "D\u200bana Reyes"


def test_url_slugs_and_titles():
    (mention,) = found(
        "watch", title="Dana Reyes new", url="https://x.example/dana-reyes-full-video"
    )
    assert {s.field for s in mention.spans} == {"title", "url"}


def test_two_subjects_in_one_item():
    other = SubjectSpec("Inès Moreau")
    mentions = found("Dana Reyes and Ines Moreau on stage", subjects=(DANA, other))
    assert sorted(m.subject for m in mentions) == ["Dana Reyes", "Inès Moreau"]
