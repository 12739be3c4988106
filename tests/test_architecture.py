"""The package's layout rules (issue 18): no import circle between its modules, and no private name (``_x``)
imported from another module of it. Read from the sources with ``ast``, lazy imports inside functions included."""

from __future__ import annotations

import ast

from msc_frailty.paths import ROOT

PACKAGE = ROOT / "lib" / "msc_frailty"


def _imports() -> dict[str, list[tuple[str, list[str]]]]:
    """{module: [(imported module, [names]), ...]} for every relative import in the package."""
    out = {}
    for path in sorted(PACKAGE.glob("*.py")):
        found = []
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module:
                    found.append((node.module.split(".")[0], [a.name for a in node.names]))
                else:
                    found.extend((a.name, []) for a in node.names)
        out[path.stem] = found
    return out


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary circle, each listed once from its smallest module name."""
    found = set()

    def walk(start, node, path):
        for nxt in sorted(graph.get(node, ())):
            if nxt == start:
                found.add(tuple(path))
            elif nxt not in path and nxt > start:
                walk(start, nxt, path + [nxt])

    for module in graph:
        walk(module, module, [module])
    return [list(c) for c in sorted(found)]


def test_the_cycle_finder_finds_a_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_in_the_package():
    graph = {m: {target for target, _ in found if target != m} for m, found in _imports().items()}
    assert _cycles(graph) == []


def test_no_private_name_is_imported_from_another_module():
    private = [(m, target, name) for m, found in _imports().items() for target, names in found for name in names
               if name.startswith("_") and not name.startswith("__")]
    assert private == []
