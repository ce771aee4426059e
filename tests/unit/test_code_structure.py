"""The package's shape, checked (issue 16).

No import cycles, no private names used across modules, no module over 450
lines and no function over 80 (Alembic migrations aside), unless the module
says why on a line of its own: ``# size: <reason>`` at the top of the module
for the module, or directly above the ``def`` for the function.

Imports inside functions count (they hide a cycle, they do not remove it);
imports under ``if TYPE_CHECKING:`` do not (they never run).
"""

from __future__ import annotations

import ast
import pathlib

SRC = pathlib.Path(__file__).resolve().parents[2] / "src"
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 80
SIZE_REASON = "# size: "


def _modules() -> dict[str, pathlib.Path]:
    out = {}
    for path in sorted((SRC / "mentionwatch").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _runtime_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(name: str, path: pathlib.Path, modules: dict[str, pathlib.Path]):
    """(imported module, imported names and module aliases bound) for each import in a module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in modules:  # "from mentionwatch import cli": a module
                    yield full, None, alias.asname or alias.name
                elif base in modules:
                    yield base, alias.name, None
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    yield alias.name, None, alias.asname


def _graph():
    modules = _modules()
    return modules, {
        name: {target for target, _, _ in _imports(name, path, modules) if target != name}
        for name, path in modules.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_between_modules():
    _, graph = _graph()
    assert _cycles(graph) == []


def test_the_cycle_check_sees_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_private_name_is_used_outside_its_module():
    modules = _modules()
    used = []
    for name, path in modules.items():
        imports = list(_imports(name, path, modules))
        used += [
            f"{name}: from {target} import {imported}"
            for target, imported, _ in imports
            if imported
            and imported.startswith("_")
            and not imported.startswith("__")
            and target != name
        ]
        aliases = {alias for _, _, alias in imports if alias}
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                used.append(f"{name}: {node.value.id}.{node.attr}")
    assert used == []


def _sized_modules():
    for name, path in _modules().items():
        if ".migrations." not in name:
            yield name, path, path.read_text(encoding="utf-8").splitlines()


def _too_long(lines: list[str], first: int, last: int, limit: int) -> bool:
    """Whether lines ``first..last`` (1-based) exceed ``limit`` with no reason just above."""
    above = lines[first - 2].strip() if first >= 2 else ""
    return last - first + 1 > limit and not above.startswith(SIZE_REASON)


def test_no_module_is_longer_than_its_limit_without_a_reason():
    long = [
        f"{name}: {len(lines)} lines"
        for name, _, lines in _sized_modules()
        if len(lines) > MAX_MODULE_LINES
        and not any(line.startswith(SIZE_REASON) for line in lines[:5])
    ]
    assert long == []


def test_no_function_is_longer_than_its_limit_without_a_reason():
    long = []
    for name, _, lines in _sized_modules():
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                if _too_long(lines, first, node.end_lineno, MAX_FUNCTION_LINES):
                    long.append(f"{name}.{node.name}: {node.end_lineno - first + 1} lines")
    assert long == []


def test_the_size_check_reads_a_reason_and_counts_lines():
    lines = ["def f():", *["    pass"] * 81]
    assert _too_long(lines, 1, 82, MAX_FUNCTION_LINES)
    assert not _too_long(["# size: a table", *lines], 2, 83, MAX_FUNCTION_LINES)
    assert not _too_long(lines[:80], 1, 80, MAX_FUNCTION_LINES)
