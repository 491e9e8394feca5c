"""Import structure of app/: circles between files, two-way pairs between top-level packages,
the largest modules and functions.

Imports under `if TYPE_CHECKING:` run only for the type checker: a circle they close is reported
apart ("type-only"), as it costs no import order and no partly initialised module.

    python -m bench.imports [--top N]

Reads the source with ast (imports nothing of app), so it runs on any checkout.
"""

from __future__ import annotations

import argparse
import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def load() -> dict[str, tuple[Path, ast.Module]]:
    return {
        module_name(p): (p, ast.parse(p.read_text(), str(p))) for p in sorted(APP.rglob("*.py"))
    }


def resolve(name: str, modules: dict[str, object]) -> str | None:
    """The longest known module that `name` (a module or a name in one) refers to."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


def _type_checking_nodes(tree: ast.Module) -> set[int]:
    """The ids of the import nodes under `if TYPE_CHECKING:`."""
    found: set[int] = set()
    for node in ast.walk(tree):
        test = getattr(node, "test", None)
        if isinstance(node, ast.If) and (
            (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
        ):
            for child in node.body:
                found.update(id(n) for n in ast.walk(child))
    return found


def imports_of(
    name: str, path: Path, tree: ast.Module, modules: dict[str, object], *, type_only: bool
) -> set[str]:
    """The app modules `name` imports at run time (or, with `type_only`, for types only)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    typing_only = _type_checking_nodes(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if (id(node) in typing_only) != type_only:
            continue
        # Each imported name: the module it names, else the module it comes from.
        candidates: list[list[str]] = []
        if isinstance(node, ast.Import):
            candidates = [[a.name] for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            candidates = [[f"{base}.{a.name}", base] for a in node.names]
        for options in candidates:
            for target in options:
                hit = resolve(target, modules)
                if hit and hit != name:
                    found.add(hit)
                    break
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def top(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    modules = load()
    graph = {n: imports_of(n, p, t, modules, type_only=False) for n, (p, t) in modules.items()}
    # A package's __init__ importing its own submodules is not a circle of meaning.
    graph = {n: {m for m in deps if not m.startswith(n + ".")} for n, deps in graph.items()}

    found = circles(graph)
    print(f"import circles between files (at run time): {len(found)}")
    for component in found:
        print("  " + " <-> ".join(component))
    typed = {n: imports_of(n, p, t, modules, type_only=True) for n, (p, t) in modules.items()}
    with_types = {n: graph[n] | typed[n] for n in graph}
    type_only = [c for c in circles(with_types) if c not in found]
    print(f"circles closed only by type-checking imports: {len(type_only)}")
    for component in type_only:
        print("  " + " <-> ".join(component))

    packages: dict[str, set[str]] = defaultdict(set)
    for n, deps in graph.items():
        for m in deps:
            if top(n) != top(m):
                packages[top(n)].add(top(m))
    pairs = sorted(
        (a, b) for a in packages for b in packages[a] if a < b and a in packages.get(b, set())
    )
    print(f"two-way pairs between top-level packages: {len(pairs)}")
    for a, b in pairs:
        print(f"  {a} <-> {b}")

    sizes = sorted(
        ((len(p.read_text().splitlines()), n) for n, (p, _) in modules.items()), reverse=True
    )
    print(f"largest modules (lines), top {args.top}:")
    for lines, n in sizes[: args.top]:
        print(f"  {lines:5d}  {n}")

    functions: list[tuple[int, str]] = []
    for n, (_, tree) in modules.items():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno:
                functions.append((node.end_lineno - node.lineno + 1, f"{n}.{node.name}"))
    print(f"largest functions (lines), top {args.top}:")
    for lines, n in sorted(functions, reverse=True)[: args.top]:
        print(f"  {lines:5d}  {n}")


if __name__ == "__main__":
    main()
