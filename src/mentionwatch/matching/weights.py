"""Is this name the tracked person? The disambiguation policy and its weights.

Every candidate name hit gets a score; a subject is mentioned when one of its
candidates scores at least ``THRESHOLD`` (0.5). The score is a prior for how
the name was written plus the evidence in the item (``scoring.score_all``):

Prior (how specific the form is on its own)
  * full name: +2; a full alias: +1 (aliases are nicknames others share);
  * the full name written together or joined in the text (a handle, a
    hashtag, ``danareyes``), a configured handle or hashtag, or a disguised
    full name (spaced letters, leet, look-alike letters, hidden characters):
    +3, because nobody disguises a name by accident. In a URL a slug is just
    the page's name and counts as the plain name;
  * a one-edit misspelling, or the inverted name with a comma: +0.5; inverted
    without a comma -1;
  * generated initials (``D. Reyes``): -1, i.e. they need one tie; an
    initials alias the operator configured (``Dana R.``): +1.5, so it stands
    on its own unless the item shows another person;
  * surname alone: -2; first name alone: -3, i.e. two ties, never cue
    words alone. Weak forms written to evade get +1.

Ties to the subject (positive, item-wide)
  * one of the subject's ``context`` terms: +3 (+1.5 for a second one); a
    distinctive part of a ``known_content`` title: +2.5; for a part of the
    name alone, another part of her name elsewhere: +1.5;
  * the vocabulary of this product's domain (``lexicon``): re-promotion of
    adult content +2, sexual degradation +2, threats and doxxing +1.5,
    harassment or takedown advocacy +1.5, insults +1, +0.5 for each further
    distinct word of a category; capped at +3. For a part alone, only within
    30 words of it, and half when the item clearly names another subject.

Another identity (negative)
  * next to an occurrence of a full form, and then for every full form in
    the item (the item is about one person; the URL slug of a dentist's page
    is the dentist's): a role, honorific or kin word right before the name
    or in apposition after it (``librarian Dana Reyes``, ``Dana Reyes, a
    dentist``, ``Dr.``, ``my daughter``) -3; a place or institution word
    (``... Street``, ``Calle ...``) -4; an age in apposition (``Dana Reyes,
    34,``) -1.5; a list of other people's names -2; a longer name (``Dana
    Reyes Ortiz``, ``Dana Reyes-Whitfield``) -2;
  * item-wide: an obituary -3; a pet or a fictional character -2; a sports
    report (3+ sport-result words) -2.5; otherwise role, sport, politics or
    music words -0.75 each, capped at -1.5, so they never drop a full name
    on their own;
  * for a part of the name alone, only its own neighbourhood: after a
    capitalised word (``Carlos Reyes``) -3, before one (``Reyes Magos``)
    -2.5, after an article or preposition (``Día de Reyes``, ``safe
    haven``) -2, lower case in cased text (``los campos``) -2.5;
  * the subject's ``exclude`` phrases remove the hits they cover outright.

The trade-off. A missed harassing mention is worse than a false benign one,
so the policy is asymmetric: a full name needs positive evidence of another
identity to be dropped, while a partial name needs positive evidence of the
subject to be kept. The same vocabulary that makes an item dangerous
(threats, slurs, re-promotion) is a tie to the subject, so clear abuse or
re-promotion aimed at a name outweighs a role word next to it
(``the librarian Dana Reyes is a porn slut`` is kept). What is lost: a
namesake in an abusive or sexual context is flagged (a false alert the
subject can dismiss); a partial name in a neutral item about her with no
context term is missed (``Reyes was interviewed today``); and a mention of
her inside a sports report with no context term can be read as a namesake
athlete. Full-name candidates of someone else are counted on their own by
``benchmarks/matching.py`` (the ``plain full-name candidates`` line).

Where each weight is read: ``priors`` (how the name is written), ``ties``
(ties to the subject), ``roles`` (role, kin and place words beside a name),
``sentence`` (how a name sits in its sentence), ``scoring`` (item-wide words
and the sum).
"""

from mentionwatch.matching.variants import INITIALS, INVERTED, MISSPELLING

THRESHOLD = 0.5

PRIOR_FULL = 2.0
PRIOR_ALIAS = 1.0
PRIOR_DISGUISED = 3.0
PRIOR = {MISSPELLING: 0.5, INVERTED: 0.5, INITIALS: -1.0}
PRIOR_CONFIGURED_INITIALS = 1.5
PRIOR_INVERTED_NO_COMMA = -1.0
PRIOR_SURNAME = -2.0
PRIOR_FIRST_NAME = -3.0
PRIOR_SCRIPT = 2.0  # a form the operator configured in another script
PRIOR_TRANSLITERATED = 1.0  # her full name read in another script (a sound-key match)
PRIOR_TITLE_LONG, PRIOR_TITLE_SHORT = 1.5, -0.5  # her known content without her name
TITLE_LONG_WORDS, TITLE_LONG_LETTERS = 3, 14
TITLE_OTHER_PERFORMER = -4.0  # her title beside other people's names: their content
PRIOR_TAG_PREFIX = -1.0  # her name starting another handle or hashtag: needs a tie
BUSINESS_NAME = -2.5  # "Kim's Korean Kitchen"
HOME = -1.5  # "Salma Carrick, 19, of Manchester": where another person lives
AFFILIATION = -2.5  # "Folake Bello (Texas Southern) wins the 400m"
CITATION = -2.5  # "N. Shah and R. Mehta (2021)"
# "— Dana R., Phoenix AZ" under a review: a configured initials form needs a tie there.
SIGNATURE = -1.5
DISGUISE_BONUS = 1.0  # for forms that are weak on their own but written to evade

CONTEXT, CONTEXT_MORE, TITLE, PARTS = 3.0, 1.5, 2.5, 1.5
ABOUT = 3.5  # the item comes from a source configured as being about her
CUES = {"adult": 2.0, "sexual": 2.0, "threat": 1.5, "advocacy": 1.5, "abuse": 1.0}
CUE_EXTRA = 0.5  # each further distinct word of a category
CUE_CAP = 3.0
CUE_WINDOW = 30  # words, for a part of the name alone

ROLE_NEXT = -3.0
ROLE_AFTER_WORDS = 4
SOFT = {"role": -0.75, "sport": -0.75, "politics": -0.75, "music": -0.75}
SOFT_CAP = -1.5  # words of another field never drop a full name on their own ...
SOFT_CAP_UNTIED = -2.5  # ... unless nothing in the item ties it to her (see score_all)
SPORTS_REPORT, SPORTS_REPORT_WORDS = -2.5, 3  # ... unless the item is a sports report
ANYWHERE = {"obituary": -3.0, "pet": -2.0, "fiction": -2.0}
PLACE = -4.0
AGE = -1.5
NAME_LIST = -2.0
LONGER_NAME_FULL, LONGER_NAME_BEFORE_PART, LONGER_NAME_AFTER_PART = -2.0, -3.0, -2.5
LOWERCASE_PART, FUNCTION_WORD_PART = -2.5, -2.0
