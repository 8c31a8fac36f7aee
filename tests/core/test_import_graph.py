"""The direction of imports (docs/ARCHITECTURE.md, « App map »), checked on the code.

Module-level imports only (function-local ones and `if TYPE_CHECKING:` blocks are the
documented exceptions): no cycle between modules of different apps, and no domain module
importing an adapter.
"""

from __future__ import annotations

import ast
from pathlib import Path

import caducee

ROOT = Path(caducee.__file__).parent
ADAPTER_PARTS = {"views", "api", "cli", "forms", "console"}
DOMAIN_NAMES = {"operations", "access", "models", "queries", "validation"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in ROOT.rglob("*.py") if "migrations" not in p.parts}
    edges: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # module level only
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            edges[name].update(t for t in targets if t in files and t != name)
    return edges


def _app(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else module


def test_no_import_cycle_crosses_two_apps() -> None:
    edges = _graph()
    cycles: list[list[str]] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in edges[node]:
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
            if len({_app(m) for m in component}) > 1:
                cycles.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    assert not cycles, cycles


def test_domain_modules_never_import_an_adapter() -> None:
    edges = _graph()
    leaks = {
        module: sorted(
            t for t in targets if set(t.split(".")[2:]) & ADAPTER_PARTS or _app(t) == "cli"
        )
        for module, targets in edges.items()
        if set(module.split(".")[2:]) & DOMAIN_NAMES and _app(module) not in {"console", "api"}
    }
    leaks = {module: targets for module, targets in leaks.items() if targets}
    assert not leaks, leaks
