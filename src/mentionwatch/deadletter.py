"""One dead-letter record shape for every stage.

Stages use Beam's ``.with_exception_handling()``; its bad output carries
``(element, (exc_type, exc_repr, traceback_lines))``. ``ToDeadLetters`` turns
those into ``DeadLetter`` records naming the stage and the element, which all
pipelines flatten into one sink. Nothing that fails is dropped silently: it is
counted (``mentionwatch.deadletter/<stage>``) and stored.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from mentionwatch.records import DeadLetter, Item, Mention

# Large enough to replay an item, small enough to keep one bad feed from
# filling the store.
MAX_PAYLOAD_CHARS = 100_000


def describe(element: Any) -> tuple[str, str]:
    """A short reference and a replayable payload for any pipeline element."""
    if isinstance(element, Mention):
        return f"{element.item.id}/{element.subject}", _dump(element.item.to_json())
    if isinstance(element, Item):
        return element.id, _dump(element.to_json())
    for attribute in ("id", "url", "feed_url"):
        value = getattr(element, attribute, None)
        if isinstance(value, str) and value:
            payload = (
                dataclasses.asdict(element) if dataclasses.is_dataclass(element) else repr(element)
            )
            if isinstance(payload, dict):
                payload.pop("body", None)  # raw bodies are kept as evidence, not here
            return value, _dump(payload)
    if isinstance(element, tuple) and element:
        if isinstance(element[0], (Mention, Item)):
            return describe(element[0])
        if isinstance(element[0], str):
            return element[0], _dump(element[1:] if len(element) > 1 else element)
    return type(element).__name__, _dump(element)


def _dump(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (TypeError, ValueError):
        text = repr(value)
    return text[:MAX_PAYLOAD_CHARS]


def from_exception(stage: str, element: Any, error: str) -> DeadLetter:
    """The dead letter for ``element`` failing at ``stage`` (ref and payload by ``describe``)."""
    ref, payload = describe(element)
    return DeadLetter(stage=stage, ref=ref, error=error, payload=payload)


class ToDeadLetters(beam.PTransform):
    """Maps ``with_exception_handling`` failures to ``DeadLetter`` records.

    Args:
      stage: the stage name recorded in each dead letter.
      ref: optional function giving the element's reference; defaults to
        ``describe``.
    """

    def __init__(self, stage: str, ref: Callable[[Any], str] | None = None):
        super().__init__()
        self._stage = stage
        self._ref = ref

    def expand(self, failures: beam.PCollection) -> beam.PCollection:
        """Returns one ``DeadLetter`` per ``(element, exception info)`` failure."""
        return failures | "ToDeadLetter" >> beam.ParDo(_ToDeadLetterFn(self._stage, self._ref))


class _ToDeadLetterFn(beam.DoFn):
    def __init__(self, stage: str, ref: Callable[[Any], str] | None):
        self._stage = stage
        self._ref = ref
        self._counter = Metrics.counter("mentionwatch.deadletter", stage)

    def process(self, failure: tuple[Any, tuple[Any, str, Any]]):
        element, (exc_type, exc_repr, _traceback) = failure
        name = getattr(exc_type, "__name__", str(exc_type))
        # repr(exc) starts with the class name; keep the message readable.
        message = exc_repr
        if message.startswith(name + "(") and message.endswith(")"):
            inner = message[len(name) + 1 : -1]
            message = (
                inner[1:-1]
                if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "'\""
                else inner
            )
        letter = from_exception(self._stage, element, f"{name}: {message}")
        if self._ref is not None:
            letter = dataclasses.replace(letter, ref=self._ref(element))
        self._counter.inc()
        yield letter
