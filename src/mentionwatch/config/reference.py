"""The config reference and JSON Schema, generated from the blocks of ``mentionwatch.config``.

``mentionwatch config reference`` prints docs/config.md (a test checks that
the committed file is current); ``mentionwatch config schema`` prints the
JSON Schema, for editors that validate YAML against one (e.g. the YAML
language server: ``# yaml-language-server: $schema=mentionwatch.schema.json``).
"""

from __future__ import annotations

import enum
import inspect
import json
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from mentionwatch.config.root import Config

HEADER = """# Config reference

Generated from the schema in `src/mentionwatch/config/` by
`mentionwatch config reference > docs/config.md` (a test fails when this
file is out of date); `mentionwatch config schema` prints the same as JSON
Schema for editors. `mentionwatch validate CONFIG` checks a file against it
and reports every problem with its line. Guides with examples:
[matching.md](matching.md) (subjects), [sources.md](sources.md),
[event-driven.md](event-driven.md) (`ingest`), [history.md](history.md)
(`store`), [alerts.md](alerts.md) (`alerts`, `notify`),
[model-card.md](model-card.md) (`model`).

Paths in a config (relative `file:` feed URLs, a relative SQLite store,
`file` channel folders) are relative to the config file's folder. Secrets
are never written in a config: fields ending in `_env` name the environment
variable that holds them.
"""


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a whole config file (``mentionwatch config schema``)."""
    return Config.model_json_schema()


def _models(annotation: Any) -> list[type[BaseModel]]:
    """The config blocks inside a field's type (``Subject`` in ``tuple[Subject, ...]``)."""
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models(arg)]


def _type(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        names = [_type(a) for a in args if a is not type(None)]
        return " or ".join(names) + (" or null" if type(None) in args else "")
    if origin is typing.Literal:
        return " \\| ".join(f"`{a}`" for a in args)
    if origin in (tuple, list):
        return f"list of {_type(args[0])}" if args else "list"
    if origin is dict:
        return f"map of {_type(args[0])} to {_type(args[1])}" if args else "map"
    if inspect.isclass(annotation):
        if issubclass(annotation, BaseModel):
            return f"[{annotation.__name__}](#{annotation.__name__.lower()})"
        if issubclass(annotation, enum.Enum):
            return " \\| ".join(f"`{m.value}`" for m in annotation)
        return {"str": "text", "int": "integer", "float": "number", "bool": "true/false"}.get(
            annotation.__name__, annotation.__name__
        )
    return str(annotation).replace("typing.", "")


def _default(field) -> str:
    if field.is_required():
        return "**required**"
    value = field.default_factory() if field.default_factory is not None else field.default
    if value is PydanticUndefined:
        return "**required**"
    if isinstance(value, BaseModel):
        return "see its table"
    if isinstance(value, enum.Enum):
        value = value.value
    if value in ((), [], {}):
        return "empty"
    if value is None:
        return "none"
    return f"`{json.dumps(value, default=str, ensure_ascii=False)}`"


def _limits(field) -> str:
    parts = []
    for item in field.metadata:
        for name, word in (
            ("ge", "≥"),
            ("gt", ">"),
            ("le", "≤"),
            ("lt", "<"),
            ("min_length", "at least"),
            ("max_length", "at most"),
        ):
            value = getattr(item, name, None)
            if value is not None:
                unit = (
                    (" characters" if field.annotation is str else " items")
                    if name.endswith("length")
                    else ""
                )
                parts.append(f"{word} {value}{unit}")
    return ", ".join(parts)


def _doc(model: type[BaseModel]) -> str:
    doc = inspect.getdoc(model) or ""
    return doc if model.__doc__ and model.__doc__ != BaseModel.__doc__ else ""


def reference_markdown() -> str:
    """docs/config.md: one table per block, in the order a reader meets them."""
    sections, seen, queue = [HEADER], set(), [("", Config)]
    while queue:
        path, model = queue.pop(0)
        if model in seen:
            continue
        seen.add(model)
        title = f"`{path}`" if path else "the top level"
        sections.append(f"\n## {model.__name__}\n\nAt {title}.\n")
        doc = _doc(model)
        if doc:
            sections.append(doc + "\n")
        rows = ["| key | type | default | limits |", "|---|---|---|---|"]
        for name, field in model.model_fields.items():
            rows.append(
                f"| `{name}` | {_type(field.annotation)} | {_default(field)} | {_limits(field)} |"
            )
            for inner in _models(field.annotation):
                queue.append((f"{path}.{name}" if path else name, inner))
        sections.append("\n".join(rows) + "\n")
    return "\n".join(sections)
