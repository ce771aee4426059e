"""``ClassifyMentions``: Mention → ClassifiedMention through RunInference.

The stage is the same in every pipeline. It builds the model input for each
mention, runs the model handler through ``RunInference`` (batched, the model
loaded once per worker), then applies the documented decision
(``classify.decision``: the model's scores against the thresholds). Failed
batches and failed decisions become dead letters naming the mention; nothing
is dropped. Each classification records the model id, version and
thresholds, so a stored label stays explainable after a retrain.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping

import apache_beam as beam
from apache_beam.metrics import Metrics

from mentionwatch.classify.beam_inference import (
    KeyedModelHandler,
    ModelHandler,
    PredictionResult,
    RunInference,
)
from mentionwatch.classify.decision import decide
from mentionwatch.classify.handler import InferenceFailure
from mentionwatch.classify.inputs import model_input
from mentionwatch.deadletter import ToDeadLetters, from_exception
from mentionwatch.records import Classification, ClassifiedMention, Mention


class ClassificationError(RuntimeError):
    """The model could not score one mention."""


class ClassifyResult(typing.NamedTuple):
    """``ClassifyMentions``' outputs: classified mentions and dead letters."""

    classified: beam.PCollection
    errors: beam.PCollection


def classify_one(
    mention: Mention, scores: Mapping[str, float], model_ref: str, thresholds: Mapping[str, float]
) -> ClassifiedMention:
    """The decision for one scored mention (pure; the Beam step below wraps it)."""
    label, harassment_type = decide(scores, thresholds)
    model_id, _, version = (model_ref or "unknown@unknown").rpartition("@")
    classification = Classification(
        label=label,
        harassment_type=harassment_type,
        scores=scores,
        model_id=model_id,
        model_version=version,
        thresholds=dict(thresholds),
    )
    return ClassifiedMention(mention, classification)


def _to_classified(
    keyed: tuple[Mention, PredictionResult], thresholds: Mapping[str, float]
) -> ClassifiedMention:
    mention, prediction = keyed
    scores = prediction.inference
    if isinstance(scores, InferenceFailure):
        raise ClassificationError(f"model failed on this mention: {scores.error}")
    return classify_one(mention, scores, prediction.model_id, thresholds)


class _CountLabelsFn(beam.DoFn):
    def __init__(self):
        self._counters = {}

    def process(self, classified: ClassifiedMention):
        label = classified.classification.label
        if label not in self._counters:
            self._counters[label] = Metrics.counter("mentionwatch.classify", label)
        self._counters[label].inc()
        yield classified


def _failed_batch(failure: tuple[list, Exception]) -> list:
    batch, exc = failure
    error = f"{type(exc).__name__}: {exc}"
    return [from_exception("ClassifyMentions", mention, error) for mention, _text in batch]


class ClassifyMentions(beam.PTransform):
    """Mention → ClassifiedMention; failures go to ``errors``.

    Args:
      model_handler: a ``ModelHandler[str, dict]`` returning label scores
        (``MentionModelHandler`` in production; a fake in fast tests).
      thresholds: ``{"harassment": t, "re_promotion": t, ...}`` used by the
        decision (``jobs.preflight.resolve_thresholds``: the config's values, else the
        model's calibrated ones, including its type thresholds).
    """

    def __init__(self, model_handler: ModelHandler, thresholds: Mapping[str, float]):
        super().__init__()
        self._handler = KeyedModelHandler(model_handler)
        self._thresholds = dict(thresholds)

    def expand(self, mentions):
        """Wires ModelInput → RunInference → Decide → CountLabels, and the error outputs."""
        keyed = mentions | "ModelInput" >> beam.Map(lambda m: (m, model_input(m)))
        predicted, failed = (
            keyed | "RunInference" >> RunInference(self._handler).with_exception_handling()
        )
        decided, undecided = (
            predicted
            | "Decide" >> beam.Map(_to_classified, self._thresholds).with_exception_handling()
        )
        classified = decided | "CountLabels" >> beam.ParDo(_CountLabelsFn())
        errors = (
            failed.failed_inferences | "InferenceErrors" >> beam.FlatMap(_failed_batch),
            undecided | "DecideErrors" >> ToDeadLetters("ClassifyMentions"),
        ) | "ClassifyErrors" >> beam.Flatten()
        return ClassifyResult(classified, errors)
