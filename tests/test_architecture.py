"""The layout's rules, checked on the source: who may import whom, no import cycle."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sync", "webhook")


def _modules() -> dict[str, Path]:
    out: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            out[name] = path
    return out


MODULES = _modules()


def _imported(module: str, tree: ast.AST) -> Iterator[str]:
    """Every module of ours that `module` imports, at any depth of its code (lazy imports too)."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [base, *(f"{base}.{a.name}" for a in node.names)]
        else:
            continue
        for name in names:
            if name in MODULES and name != module:
                yield name


def import_graph() -> dict[str, set[str]]:
    """Module → the modules of `sync`/`webhook` it imports (lazily or not)."""
    return {m: set(_imported(m, ast.parse(p.read_text(encoding="utf-8")))) for m, p in MODULES.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle as a path of modules, or [] (depth-first search)."""
    colour: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        colour[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            # a package's __init__ importing its own submodule is not a cycle worth refusing
            if nxt.startswith(node + "."):
                continue
            if colour.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in colour and (found := visit(nxt)):
                return found
        stack.pop()
        colour[node] = 2
        return []

    for node in sorted(graph):
        if node not in colour and (found := visit(node)):
            return found
    return []


def test_sync_imports_nothing_from_webhook() -> None:
    graph = import_graph()
    offenders = {m: sorted(t for t in targets if t.split(".")[0] == "webhook")
                 for m, targets in graph.items() if m.split(".")[0] == "sync"}
    assert {m: t for m, t in offenders.items() if t} == {}


def test_no_import_cycle_among_sync_and_webhook() -> None:
    assert find_cycle(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    # the checker itself can fail: the cycle the first version had (cli → serve → app → cli)
    graph = {"sync.cli": {"sync.serve"}, "sync.serve": {"webhook.app"}, "webhook.app": {"sync.cli"}}
    assert find_cycle(graph) == ["sync.cli", "sync.serve", "webhook.app", "sync.cli"]
    assert find_cycle({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("adapter", ["sync.backends.printout", "sync.backends.xlsx", "sync.backends.gsheets",
                                     "sync.backends.memory", "sync.backends.base"])
def test_backends_do_not_import_the_core_upward(adapter: str) -> None:
    core = {"sync.parse", "sync.validate", "sync.resolve", "sync.render", "sync.diff", "sync.decisions",
            "sync.pipeline", "sync.plan", "sync.cli", "sync.match", "sync.names"}
    assert import_graph()[adapter] & core == set()
