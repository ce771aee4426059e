"""The training corpus: written templates, their split, and their renderings.

The corpus is every ``*.jsonl`` under the data folders: the corpus the project
wrote (``pipelines/data/written`` and ``pipelines/data/extra``, CC BY 4.0) and
real benign tweets (``pipelines/data/real``, MIT; its ``build.py`` says how
they were chosen). Templates are split 70/15/15 into train / validation /
test by a keyed hash of their text, before anything is rendered, so a test
template is never seen in training in any rendering. Each template is then
filled with generated people (``synth``), and most renderings get a
plausible URL whose words are appended as the pipeline does
(``classify.inputs.url_words``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pathlib
import random
from collections.abc import Sequence

from mentionwatch.classify.inputs import url_words
from mentionwatch.classify.labels import CLASSES
from mentionwatch.training import synth

# The project's corpus, relative to the repository root (docs/model-card.md).
DEFAULT_TRAINING_DATA = ("pipelines/data/written", "pipelines/data/extra", "pipelines/data/real")


@dataclasses.dataclass(frozen=True)
class Template:
    """One written example: text with placeholders, its class and where it came from."""

    text: str
    cls: str  # one of labels.CLASSES
    lang: str
    style: str
    source: str


@dataclasses.dataclass(frozen=True)
class Rendered:
    """A template filled for one generated person: what the model reads and should answer."""

    text: str  # what the model reads: text + URL words, as inputs.model_input builds it
    url_words: str
    cls: str
    subject: object  # SubjectSpec


def load_templates(folders: Sequence[pathlib.Path]) -> list[Template]:
    """Every template in the folders' ``*.jsonl`` files, in file and line order.

    Raises ``ValueError`` (naming the file and line) on a label outside ``CLASSES``.
    """
    templates = []
    for folder in folders:
        for path in sorted(pathlib.Path(folder).glob("*.jsonl")):
            for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                cls = row["harassment_type"] if row["label"] == "harassment" else row["label"]
                if cls not in CLASSES:
                    raise ValueError(
                        f"{path}:{line_no}: unknown label "
                        f"{row['label']}/{row.get('harassment_type')}"
                    )
                templates.append(
                    Template(
                        row["text"],
                        cls,
                        row.get("lang", "en"),
                        row.get("style", ""),
                        f"{path.name}:{line_no}",
                    )
                )
    return templates


def first_per_class(templates: Sequence[Template], limit: int) -> list[Template]:
    """At most ``limit`` templates of each class, the first ones in order (smoke runs)."""
    per: dict[str, int] = {}
    kept = []
    for t in templates:
        if per.get(t.cls, 0) < limit:
            kept.append(t)
            per[t.cls] = per.get(t.cls, 0) + 1
    return kept


def fingerprint(templates: Sequence[Template]) -> str:
    """SHA-256 of the training templates (source, class, text): which data a model saw."""
    digest = hashlib.sha256()
    for t in sorted(templates, key=lambda t: t.source):
        digest.update(f"{t.source}\t{t.cls}\t{t.text}\n".encode())
    return digest.hexdigest()


def split(templates: Sequence[Template], seed: int) -> dict[str, list[Template]]:
    """70/15/15 by template, decided by a keyed hash of each template's text.

    A template's split depends only on its own (normalised) text and the
    seed, so adding data never moves an existing template between splits:
    two models trained on different corpora can be compared on the test
    templates they share. Duplicates stay together (same text, same hash).
    The shares are 70/15/15 in expectation within every class and language.
    """
    out: dict[str, list[Template]] = {"train": [], "val": [], "test": []}
    seen: set[str] = set()
    for t in templates:
        key = " ".join(t.text.lower().split())
        if key in seen:
            continue
        seen.add(key)
        digest = hashlib.blake2b(key.encode(), key=str(seed).encode(), digest_size=8).digest()
        fraction = int.from_bytes(digest, "big") / 2**64
        out["test" if fraction < 0.15 else "val" if fraction < 0.30 else "train"].append(t)
    return out


def render_all(
    templates: Sequence[Template], seed: int, held_out: bool, url_rate: float
) -> list[Rendered]:
    """Each template filled once for a fresh person, with URL words at ``url_rate``.

    ``held_out`` draws the people from the held-out name pools (validation, test).
    Deterministic for a given seed.
    """
    factory = synth.PersonFactory(seed, held_out=held_out)
    rng = random.Random(seed + 1)
    rendered = []
    for t in templates:
        person = factory.person()
        text = synth.render(t.text, person, rng)
        words = ""
        if rng.random() < url_rate:
            label = (
                "re_promotion"
                if t.cls == "re_promotion"
                else ("benign" if t.cls == "benign" else "harassment")
            )
            words = url_words(synth.make_url(text, t.style, label, person, rng))
        model_text = f"{text}\n{words}" if words else text
        rendered.append(Rendered(model_text, words, t.cls, person.spec()))
    return rendered


def expected_label(cls: str) -> tuple[str, str | None]:
    """The (label, harassment type) a training class stands for."""
    return ("harassment", cls) if cls not in ("benign", "re_promotion") else (cls, None)
