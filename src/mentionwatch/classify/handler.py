"""A Beam ``ModelHandler`` around the mention classifier.

Beam's bundled Hugging Face handler cannot be imported with transformers 5
(it imports TensorFlow at module level), so mentionwatch has its own: the
model is loaded once per worker in ``load_model`` (RunInference calls it from
``DoFn.setup``), batches come from Beam's ``BatchElements`` and are sorted by
length and dynamically padded inside ``MentionClassifier``. The handler holds
only plain arguments (model name, sizes, runtime), so it pickles cheaply; the
tokenizer and the model are made on the worker.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from mentionwatch.classify.beam_inference import ModelHandler, PredictionResult
from mentionwatch.classify.labels import label_scores
from mentionwatch.classify.model import BATCH_TOKENS, MentionClassifier, load_classifier

_log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class InferenceFailure:
    """Stands in for the scores of one text the model failed on."""

    error: str


class IsolatingModelHandler(ModelHandler):
    """Runs a batch; if it fails, runs its texts one by one.

    RunInference fails whole batches, so one text that breaks the model would
    send every other text in its batch to the dead letters. Here the batch is
    retried element by element and only the texts that still fail come back
    as ``InferenceFailure`` (which ``ClassifyMentions`` dead-letters).
    Subclasses implement ``predict(texts, model) -> (scores list, model ref)``.
    """

    def predict(self, texts: Sequence[str], model: Any) -> tuple[list[dict], str]:
        """Scores for each text, in order, and the model reference; raises on failure."""
        raise NotImplementedError

    def run_inference(
        self, batch: Sequence[str], model: Any, inference_args: dict[str, Any] | None = None
    ) -> Iterable[PredictionResult]:
        """One result per text; a text the model fails on alone gets an ``InferenceFailure``."""
        try:
            scores, model_ref = self.predict(batch, model)
        except Exception:  # noqa: BLE001 - isolate below; each failure is reported per text
            _log.warning("inference failed for a batch of %d; retrying one by one", len(batch))
            results = []
            for text in batch:
                try:
                    (one,), model_ref = self.predict([text], model)
                    results.append(PredictionResult(text, one, model_ref))
                except Exception as exc:  # noqa: BLE001 - becomes this text's dead letter
                    results.append(
                        PredictionResult(
                            text, InferenceFailure(f"{type(exc).__name__}: {exc}"), None
                        )
                    )
            return results
        return [
            PredictionResult(text, one, model_ref) for text, one in zip(batch, scores, strict=True)
        ]


class MentionModelHandler(IsolatingModelHandler):
    """Scores texts; each prediction is a dict of label and type scores.

    Args:
      model_name: ``shipped`` or a model directory (the config's ``model.name``).
      batch_size: most texts per forward pass.
      batch_tokens: most padded tokens per forward pass (``model.plan_passes``).
      max_length: token limit per text (``None``: the model's own).
      runtime: ``auto``, ``torch`` or ``onnx-int8`` (``model.load_classifier``).
      min_batch_size, max_batch_size: how many texts Beam hands over at once.
        The texts of one hand-over are sorted by length together, so larger
        ones waste less padding: on 2,048 blind-set texts (2 cores, int8) the
        stage ran at 151/s with 1,024 at a time, 145-149/s with 256, against a
        forward-pass ceiling of about 160/s (``benchmarks/classifier_speed.py``).
        A bundle's last batch is flushed whatever its size, so a stream never
        waits for 1,024 mentions.
      max_batch_duration_s: batch across bundles, holding a batch for at most
        this long (Beam's stateful ``BatchElements``, ``max_batch_duration_secs``):
        on streaming Dataflow a bundle holds a few elements, so per-bundle
        batches would be tiny. ``None`` (the default) batches per bundle.
      large_model: share one copy of the model between worker processes.
    """

    def __init__(
        self,
        model_name: str,
        *,
        batch_size: int = 32,
        batch_tokens: int = BATCH_TOKENS,
        max_length: int | None = None,
        runtime: str = "auto",
        min_batch_size: int = 1024,
        max_batch_size: int = 1024,
        max_batch_duration_s: float | None = None,
        large_model: bool = False,
    ):
        super().__init__(
            min_batch_size=min(min_batch_size, max_batch_size),
            max_batch_size=max_batch_size,
            max_batch_duration_secs=max_batch_duration_s,
            large_model=large_model,
        )
        self._model_name = model_name
        self._batch_size = batch_size
        self._batch_tokens = batch_tokens
        self._max_length = max_length
        self._runtime = runtime

    @classmethod
    def from_settings(cls, model, *, across_bundles: bool = False) -> MentionModelHandler:
        """The handler for a config's ``model`` block (``config.ModelSettings``).

        ``across_bundles`` (the streaming monitor on a remote runner) batches
        across bundles for up to ``model.max_batch_duration_s``. The Python
        DirectRunner fires the stateful batcher's processing-time timer only
        when later elements arrive, which would hold a lone threat back, so
        local streaming and every batch job keep per-bundle batches.
        """
        return cls(
            model.name,
            batch_size=model.batch_size,
            batch_tokens=model.batch_tokens,
            max_length=model.max_length,
            runtime=model.runtime,
            max_batch_duration_s=model.max_batch_duration_s if across_bundles else None,
        )

    def load_model(self) -> MentionClassifier:
        """Loads the classifier on the worker; raises ``ModelLoadError`` if it cannot."""
        return load_classifier(
            self._model_name,
            batch_size=self._batch_size,
            batch_tokens=self._batch_tokens,
            max_length=self._max_length,
            runtime=self._runtime,
        )

    def predict(self, texts: Sequence[str], model: MentionClassifier) -> tuple[list[dict], str]:
        """Label and type scores per text (``labels.label_scores``) and ``model_id@version``."""
        probs = model.predict_proba(texts)
        return [label_scores(row, model.classes) for row in probs], model.model_ref

    def get_num_bytes(self, batch: Sequence[str]) -> int:
        """The batch's size for Beam's metrics: UTF-8 bytes of its texts."""
        return sum(len(text.encode("utf-8")) for text in batch)

    def get_metrics_namespace(self) -> str:
        """The namespace of RunInference's metrics for this handler."""
        return "mentionwatch.classify"
