"""The layers of geo/, read from the source (every import, including those inside functions):

    core (geo/*.py)  <-  store (geo/store/)  <-  view state (geo/viewstate.py)
                                                  <-  options (geo/options.py), reports (geo/reports/)
                                                  <-  the CLI (geo/cli.py)

Each layer imports only the layers below it; the core imports no report, database, view state,
plotting or web library (not even for annotations); and no module reaches itself through others
when the code runs (no cycles, hidden in a function or not; an import under ``if TYPE_CHECKING:``
names a type and is not run)."""

import ast
from pathlib import Path

from conftest import ROOT

GEO = ROOT / "geo"
# what the core must never import: the layers above it and their libraries
FORBIDDEN_IN_CORE = {"matplotlib", "sqlalchemy", "alembic", "psycopg", "dash", "flask", "segno", "adjustText", "argon2"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_only(tree: ast.Module) -> set[int]:
    """Ids of the nodes under ``if TYPE_CHECKING:``: names for annotations, never imported when
    the code runs (an engine function's parameter typed ``Engine`` is no run-time dependency)."""
    return {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and isinstance(block.test, ast.Name) and block.test.id == "TYPE_CHECKING"
        for statement in block.body
        for node in ast.walk(statement)
    }


def imports(path: Path, annotations: bool = True) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function (and, with ``annotations``,
    under ``if TYPE_CHECKING:``)."""
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set() if annotations else _type_only(tree)
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def layer(module: str) -> str:
    if module == "geo.cli" or module == "geo.__main__":
        return "cli"
    for prefix, name in (("geo.store", "store"), ("geo.viewstate", "viewstate"), ("geo.options", "options")):
        if module == prefix or module.startswith(prefix + "."):
            return name
    if module.startswith("geo.reports"):
        return "reports"
    return "core"


ALLOWED = {  # each layer and what it may import
    "core": {"core"},
    "store": {"core", "store"},
    "viewstate": {"core", "store", "viewstate"},
    "options": {"core", "store", "viewstate", "options"},
    "reports": {"core", "store", "viewstate", "reports"},
    "cli": {"core", "store", "viewstate", "options", "reports", "cli"},
}


def graph(annotations: bool = True) -> dict[str, set[str]]:
    modules = {module_name(p): p for p in GEO.rglob("*.py") if "versions" not in p.parts}
    edges = {}
    for name, path in modules.items():
        targets = set()
        for imported in imports(path, annotations):
            # the module itself when it is one of ours (geo.x.y may be a name in module geo.x)
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name and imported != "geo":
                targets.add(imported)
        edges[name] = targets
    return edges


def wrong_layers(edges: dict[str, set[str]]) -> list[str]:
    return [
        f"{module} ({layer(module)}) imports {target} ({layer(target)})"
        for module, targets in edges.items()
        for target in targets
        if layer(target) not in ALLOWED[layer(module)]
    ]


def cycles(edges: dict[str, set[str]]) -> list[str]:
    """Every cycle, once, from its least module."""
    found = []

    def visit(node: str, path: list[str], seen: set[str]) -> None:
        for target in sorted(edges.get(node, ())):
            if target == path[0]:
                found.append(" -> ".join([*path, target]))
            elif target not in seen and target > path[0]:
                seen.add(target)
                visit(target, [*path, target], seen)

    for start in sorted(edges):
        visit(start, [start], {start})
    return found


def test_each_layer_imports_only_the_layers_below_it():
    assert wrong_layers(graph()) == []


def test_the_core_imports_no_report_database_or_web_library():
    core = [p for p in GEO.rglob("*.py") if "versions" not in p.parts and layer(module_name(p)) == "core"]
    assert len(core) >= 15  # engine, travel, optimise, ...: the test looks at the real modules
    wrong = {
        module_name(p): sorted(i for i in imports(p) if i.split(".")[0] in FORBIDDEN_IN_CORE)
        for p in core
        if any(i.split(".")[0] in FORBIDDEN_IN_CORE for i in imports(p))
    }
    assert wrong == {}


def test_no_module_imports_itself_through_others():
    """No cycle when the code runs; names imported only for annotations may point back (the
    results are built from an ``Engine``, which imports them)."""
    assert cycles(graph(annotations=False)) == []


def test_the_checks_see_a_cycle_and_a_wrong_layer():
    """The checks can fail: a store that imported the view state back (as it once did, inside a
    function) is a wrong layer and a cycle."""
    edges = graph(annotations=False)
    edges["geo.store"] = edges["geo.store"] | {"geo.viewstate"}
    assert wrong_layers(edges) == ["geo.store (store) imports geo.viewstate (viewstate)"]
    assert cycles(edges) == ["geo.store -> geo.viewstate -> geo.store"]


def test_each_page_is_one_module_with_its_layout_and_callbacks():
    """The Dash Pages shape: every page of the tab list is one module of dashboard/pages with a
    ``layout``; no page imports another (what pages share lives in layouts/ and callbacks/)."""
    from geo.viewstate import PAGES

    folder = ROOT / "dashboard" / "pages"
    modules = {p.stem: p for p in folder.glob("*.py") if p.stem != "__init__"}
    assert sorted(modules) == sorted(PAGES)
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        assert "layout" in defined, name
        others = {f"dashboard.pages.{p}" for p in PAGES if p != name}
        assert not imports(path) & others, name
    # the pages with callbacks register them from their own module
    assert all("def register(" in modules[p].read_text(encoding="utf-8") for p in ("needs", "access", "options"))
