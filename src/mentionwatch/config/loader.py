"""Reading a config file: YAML with the line of every key, validated into a ``Config``.

``load_config(path)`` parses the YAML, validates it with pydantic and returns
the frozen ``Config`` with where it came from. Any problem raises
``ConfigError``, which carries every problem found (not just the first), each
with the file, line, field path and what was expected, so ``mentionwatch
validate`` can print them all at once.
"""

from __future__ import annotations

import dataclasses
import pathlib
import re
from collections.abc import Iterable
from typing import Any

import yaml
from pydantic import ValidationError

from mentionwatch.config.problems import ConfigError, Problem, dotted, problem_from_error
from mentionwatch.config.root import Config

# Far above any real config; an alias bomb of 400 bytes expands to billions.
MAX_EXPANDED_VALUES = 100_000


@dataclasses.dataclass(frozen=True)
class LoadedConfig:
    """A validated config plus where it came from (relative paths resolve against it)."""

    config: Config
    path: pathlib.Path

    @property
    def base_dir(self) -> pathlib.Path:
        """The config file's folder, which relative paths in it are relative to."""
        return self.path.parent


def load_config(path: str | pathlib.Path) -> LoadedConfig:
    """Reads and validates a config file.

    Raises:
      ConfigError: listing every problem with file, line and field.
    """
    path = pathlib.Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([Problem(name, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(name, None, "", f"cannot read file: {exc}")]) from None
    path = path.resolve()
    return LoadedConfig(resolve_paths(parse_config(text, name), path.parent), path)


_RELATIVE_SQLITE = re.compile(r"^(sqlite(?:\+\w+)?):///(?!/)(?!:memory:)([^?]+)(\?.*)?$")


def resolve_paths(config: Config, base_dir: pathlib.Path) -> Config:
    """The config with a relative SQLite store path made absolute against ``base_dir``.

    ``base_dir`` is the config file's folder: every path in a config means
    the same file whatever the working directory (``history CONFIG`` run
    from elsewhere reads the same store).
    """
    match = _RELATIVE_SQLITE.match(config.store.url or "")  # cloud_sql: no url
    if not match:
        return config
    scheme, relative, query = match.groups()
    url = f"{scheme}:///{(base_dir / relative).resolve()}{query or ''}"
    return config.model_copy(update={"store": config.store.model_copy(update={"url": url})})


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as strings.

    PyYAML turns ``2019-13-14`` into a ValueError with no line; pydantic parses
    date strings itself and reports bad ones with the field and line.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def parse_config(text: str, name: str = "<config>") -> Config:
    """Validates config text; ``name`` is used in error messages."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        expanded = _expanded_size(node, {})
        if expanded > MAX_EXPANDED_VALUES:
            raise ConfigError(
                [
                    Problem(
                        name,
                        None,
                        "",
                        f"the file expands to {expanded:,} values through YAML aliases "
                        f"(at most {MAX_EXPANDED_VALUES:,}):"
                        " write the values out, or use fewer nested aliases",
                    )
                ]
            )
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([Problem(name, line, "", f"not valid YAML: {problem}")]) from None
    if data is None:
        raise ConfigError(
            [Problem(name, None, "", "the file is empty; expected a mapping with 'subjects'")]
        )
    if not isinstance(data, dict):
        raise ConfigError(
            [Problem(name, 1, "", "expected a mapping at the top level (keys like 'subjects:')")]
        )

    positions: dict[tuple[Any, ...], int] = {}
    problems = list(_index_positions(node, (), positions, name))
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # A list whose items failed also reports "too short"; that is noise.
        nested = {tuple(err["loc"][:cut]) for err in errors for cut in range(len(err["loc"]))}
        errors = [e for e in errors if not (e["type"] == "too_short" and tuple(e["loc"]) in nested)]
        problems.extend(problem_from_error(err, positions, name) for err in errors)
    if problems:
        raise ConfigError(problems)
    return config


def _expanded_size(node: yaml.Node | None, memo: dict[int, int]) -> int:
    """How many values the document holds once every alias is expanded (counted, not expanded)."""
    if node is None:
        return 0
    known = memo.get(id(node))
    if known is not None:
        return known
    memo[id(node)] = 1  # a node that contains itself (a recursive alias) counts once
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, memo) for child in node.value)
    else:
        size = 1
    memo[id(node)] = size
    return size


def _index_positions(
    node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int], name: str
) -> Iterable[Problem]:
    """Records the 1-based line of every key and list element; reports duplicate keys."""
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                yield Problem(
                    name, key_node.start_mark.line + 1, dotted(path + (key,)), "duplicate key"
                )
            seen.add(key)
            yield from _index_positions(value_node, path + (key,), out, name)
            out[path + (key,)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            yield from _index_positions(child, path + (index,), out, name)
