"""Training data preparation and the handler's contract, without loading a model (fast tier)."""

import pathlib
import pickle
import random

from mentionwatch.classify.handler import MentionModelHandler
from mentionwatch.classify.model import BATCH_TOKENS, plan_passes
from mentionwatch.config import parse_config
from mentionwatch.training import metrics, synth
from mentionwatch.training.corpus import load_templates, render_all, split

ROOT = pathlib.Path(__file__).resolve().parents[2]
WRITTEN = ROOT / "pipelines" / "data" / "written"


def test_written_corpus_loads_with_known_classes():
    templates = load_templates([WRITTEN])
    assert len(templates) > 3800
    assert {t.cls for t in templates} == {
        "benign",
        "re_promotion",
        "threat",
        "doxxing",
        "incitement",
        "sexual_harassment",
        "identity_attack",
        "insult",
    }


def test_split_is_deterministic_and_disjoint():
    templates = load_templates([WRITTEN])
    a, b = split(templates, 13), split(templates, 13)
    assert [t.source for t in a["test"]] == [t.source for t in b["test"]]
    texts = {name: {t.text for t in part} for name, part in a.items()}
    assert (
        not texts["train"] & texts["test"]
        and not texts["train"] & texts["val"]
        and not texts["val"] & texts["test"]
    )
    assert 0.12 < len(a["test"]) / sum(len(p) for p in a.values()) < 0.18


def test_adding_templates_never_moves_one_between_splits():
    templates = load_templates([WRITTEN])
    before = split(templates[:2000], 13)
    after = split(templates, 13)
    for name in ("train", "val", "test"):
        assert {t.text for t in before[name]} <= {t.text for t in after[name]}
    assert split(templates, 14)["test"] != after["test"]  # the seed is part of the key


def test_rendering_fills_every_placeholder_and_uses_held_out_names():
    templates = load_templates([WRITTEN])[:300]
    train_people = {synth.PersonFactory(1).person().last for _ in range(200)}
    held_out = render_all(templates, 5, True, 1.0)
    assert all("{" not in r.text for r in held_out)
    held_names = {r.subject.name.split(" ")[-1] for r in held_out}
    assert not held_names & train_people - {""}
    assert render_all(templates, 5, True, 1.0) == held_out  # same seed, same renderings


def test_person_spec_has_known_titles_with_dates():
    person = synth.PersonFactory(3).person()
    spec = person.spec()
    assert spec.name == person.name and spec.known_content
    assert all(len(k.released) == 10 for k in spec.known_content)
    text = synth.render("{name} {title} {year} {site} {handle}", person, random.Random(0))
    assert person.site in text and person.handle in text


def test_metrics_report_counts_types_and_confusion():
    expected = [
        ("harassment", "threat"),
        ("harassment", "doxxing"),
        ("benign", None),
        ("re_promotion", None),
    ]
    predicted = [
        ("harassment", "insult"),
        ("benign", None),
        ("benign", None),
        ("re_promotion", None),
    ]
    result = metrics.report(expected, predicted)
    assert result["type_recall"] == {"threat": 1.0, "doxxing": 0.0}
    assert result["type_exact_recall"]["threat"] == 0.0
    assert result["confusion"]["harassment"]["benign"] == 1
    assert "macro-F1" in metrics.format_report("x", result)


def test_handler_pickles_without_a_model_and_takes_texts_a_thousand_at_a_time():
    handler = MentionModelHandler("shipped", batch_size=32, runtime="onnx-int8")
    clone = pickle.loads(pickle.dumps(handler))
    assert clone._runtime == "onnx-int8" and clone._batch_tokens == BATCH_TOKENS
    assert handler.batch_elements_kwargs()["min_batch_size"] == 1024


def test_handler_from_settings_carries_the_model_block():
    model = parse_config(
        "subjects: [{name: A B}]\nmodel: {batch_size: 8, batch_tokens: 256, runtime: torch}\n"
    ).model
    handler = MentionModelHandler.from_settings(model)
    assert (handler._batch_size, handler._batch_tokens, handler._runtime) == (8, 256, "torch")


def test_passes_hold_at_most_the_texts_and_padded_tokens_allowed():
    lengths = [5] * 40 + [40] * 30 + [100, 128, 1100]
    passes = plan_passes(lengths, batch_size=32, batch_tokens=1024)
    assert [i for p in passes for i in range(len(lengths))[p]] == list(
        range(len(lengths))
    )  # each once, in order
    for p in passes:
        chunk = lengths[p]
        assert len(chunk) <= 32 and (len(chunk) == 1 or len(chunk) * max(chunk) <= 1024), chunk
    assert [len(lengths[p]) for p in passes] == [
        32,
        25,
        13,
        2,
        1,
    ]  # a text wider than the budget runs alone
    assert plan_passes([], 32) == []
