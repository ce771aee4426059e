"""What is wrong with a config file, said so a person can fix it: ``Problem`` and ``ConfigError``.

``problem_from_error`` turns one pydantic error into a ``Problem`` with the
file, line and dotted field path, naming the allowed keys for an unknown one
and never echoing a value that may be a secret.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from mentionwatch.config.root import Config


@dataclasses.dataclass(frozen=True)
class Problem:
    """One thing wrong with a config file."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ConfigError(Exception):
    """A config file is unusable; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def dotted(loc: Sequence[Any]) -> str:
    """A pydantic location as the config path a person reads: ``sources.reddit[1].query``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def problem_from_error(
    err: Mapping[str, Any], positions: Mapping[tuple[Any, ...], int], name: str
) -> Problem:
    """The ``Problem`` for one pydantic error, at the line of the nearest key in ``positions``."""
    loc = tuple(err["loc"])
    line = None
    for cut in range(len(loc), -1, -1):
        if loc[:cut] in positions:
            line = positions[loc[:cut]]
            break
    kind = err["type"]
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        message = f"unknown key {loc[-1]!r}" + (
            f"; expected one of: {', '.join(allowed)}" if allowed else ""
        )
    elif kind == "missing":
        message = "required but missing"
    else:
        message = err["msg"].removeprefix("Value error, ")
        secretive = (
            bool(loc)
            and isinstance(loc[-1], str)
            and (loc[-1].endswith("_env") or loc[-1] == "url")
        )
        if (
            "input" in err
            and not secretive
            and kind not in ("value_error", "model_type", "dict_type", "list_type", "tuple_type")
        ):
            shown = repr(err["input"])
            if len(shown) <= 80 and not message.endswith(shown):
                message += f" (got {shown})"
    return Problem(name, line, dotted(loc), message)


def _allowed_keys(loc: Sequence[Any]) -> list[str]:
    """Field names allowed at ``loc`` in the Config model, for 'unknown key' hints."""
    model: Any = Config
    for part in loc:
        if isinstance(part, int):
            continue
        field = (
            model.model_fields.get(part)
            if isinstance(model, type) and issubclass(model, BaseModel)
            else None
        )
        if field is None:
            return []
        model = _model_of(field.annotation)
        if model is None:
            return []
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_of(annotation: Any) -> Any:
    """The BaseModel inside ``X``, ``X | None`` or ``tuple[X, ...]``."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_of(arg)
        if found is not None:
            return found
    return None
