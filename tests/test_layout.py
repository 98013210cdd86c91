"""
The house's layering, read from the source: tasks only point one way, and
no two modules of the results side import each other.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function, as an absolute name."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            names.add(module)
            names |= {f"{module}.{alias.name}" for alias in node.names}
    return names


def test_distribution_never_imports_the_tasks():
    for path in (ROOT / "surveys" / "distribution").glob("*.py"):
        assert not any(name.startswith("surveys.tasks") for name in imports_of(path)), path.name


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import loops in `graph` (module -> modules it imports), each once, from its smallest name."""
    found = set()

    def walk(start: str, node: str, path: list[str]) -> None:
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                found.add(tuple(path))
            elif nxt not in path and nxt > start:
                walk(start, nxt, [*path, nxt])

    for start in sorted(graph):
        walk(start, start, [start])
    return [list(loop) for loop in sorted(found)]


def test_no_modules_of_a_package_import_each_other_in_a_loop():
    for package in ("results", "surveys/distribution", "surveys", "msi_survey"):
        dotted = package.replace("/", ".")
        graph = {
            path.stem: {
                name[len(dotted) + 1 :].split(".")[0] for name in imports_of(path) if name.startswith(dotted + ".")
            }
            for path in (ROOT / package).glob("*.py")
        }
        graph = {module: {used for used in uses if used in graph and used != module} for module, uses in graph.items()}
        assert cycles(graph) == [], (package, cycles(graph))
