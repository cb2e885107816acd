"""The layout's rules (docs/architecture.md): dependencies point one way, no import cycles."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# each package may import those after it, never those before it
ORDER = ("api", "tiles", "layers", "spatial", "address")
PACKAGES = (*ORDER, "migrations")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules a file imports anywhere in it (lazy imports count too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name in modules}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(path, modules) for name, path in modules.items()}


def test_dependencies_point_one_way() -> None:
    wrong = []
    for module, imported in _graph().items():
        top = module.split(".")[0]
        if top not in ORDER:
            continue
        for other in imported:
            other_top = other.split(".")[0]
            if other_top in ORDER and ORDER.index(other_top) < ORDER.index(top):
                wrong.append(f"{module} imports {other}")
    assert wrong == []


def test_only_api_imports_the_web_framework() -> None:
    wrong = []
    for package in ORDER[1:]:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                         [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                if any(n.split(".")[0] in ("fastapi", "starlette") for n in names):
                    wrong.append(str(path.relative_to(ROOT)))
    assert wrong == []


def test_no_import_cycles() -> None:
    graph = _graph()
    # a package's __init__ importing its own modules is how it re-exports, not a cycle
    edges = {m: {o for o in deps if not m.startswith(o + ".") and not o.startswith(m + ".")}
             for m, deps in graph.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node, [node])
    assert cycles == []
