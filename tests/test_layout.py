"""The code's layout, as the README describes it: three modules at the top, one package per area over
core/, policy/ and formats/, the engine alone with whoosh, pure formats, and no import circles."""
from __future__ import annotations

import ast
from pathlib import Path

from archive.config import PROJECT_ROOT

ARCHIVE = PROJECT_ROOT / "archive"


def _modules() -> dict[str, Path]:
    found = {}
    for path in ARCHIVE.rglob("*.py"):
        parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(path: Path, module_level_only: bool) -> set[str]:
    """Modules a file imports (at module level only, if asked: imports inside functions run later)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if module_level_only else list(ast.walk(tree))
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            package = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts[:-node.level])
            base = f"{package}.{node.module}" if node.module else package
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def test_the_top_of_archive_holds_three_modules() -> None:
    assert sorted(p.name for p in ARCHIVE.glob("*.py")) == ["__init__.py", "cli.py", "config.py"]


def test_every_package_says_what_it_owns() -> None:
    for init in ARCHIVE.rglob("__init__.py"):
        if init.parent == ARCHIVE:
            continue
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and doc.strip() != "TODO", init.relative_to(PROJECT_ROOT)


def test_a_module_over_400_lines_says_why_at_its_top() -> None:
    for name, path in _modules().items():
        if len(path.read_text(encoding="utf-8").splitlines()) > 400:
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
            assert "400 lines" in doc, f"{name}: over 400 lines without a reason in its docstring"


def test_only_the_search_engine_imports_whoosh_and_kiwipiepy() -> None:
    engine = ARCHIVE / "search" / "engine"
    for name, path in _modules().items():
        outside = engine not in path.parents
        found = {i for i in _imports(path, False) if i.split(".")[0] in ("whoosh", "kiwipiepy")}
        assert not (outside and found), f"{name} imports {sorted(found)}"


def test_formats_need_no_app_and_no_database() -> None:
    for name, path in _modules().items():
        if not name.startswith("archive.formats"):
            continue
        roots = {i.split(".")[0] for i in _imports(path, False)}
        assert not roots & {"flask", "flask_sqlalchemy", "sqlalchemy", "flask_login", "flask_wtf"}, name
        assert not {i for i in _imports(path, False) if i.startswith(("archive.core", "archive.policy"))}, name


def test_no_import_circles() -> None:
    modules = _modules()
    # Imports inside functions count too: deferring an import hides a circle, it does not break it.
    graph = {name: {i for i in _imports(path, False) if i in modules and i != name}
             for name, path in modules.items()}
    # A package's __init__ importing its own modules is how packages export; only cycles between modules count.
    for name in graph:
        graph[name] = {i for i in graph[name] if not name.startswith(i + ".") and not i.startswith(name + ".")}
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target, stack + [target])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert cycles == [], cycles


AREAS = ("curation", "public", "search", "interop", "statistics", "themes", "accounts", "media", "jobs", "vocabulary",
         "grants")
# Known and noted: the disclosure estimate reads the current official tables (statistics.figures).
SHARED_TO_AREA_ALLOWED = {("archive.policy.disclosure", "archive.statistics.figures")}


def test_the_shared_packages_do_not_import_the_areas() -> None:
    for name, path in _modules().items():
        if not name.startswith(("archive.core", "archive.policy", "archive.formats")):
            continue
        for imported in _imports(path, False):
            area = imported.split(".")[1] if imported.startswith("archive.") and imported.count(".") else ""
            if area in AREAS and (name, imported) not in SHARED_TO_AREA_ALLOWED:
                module = ".".join(imported.split(".")[:3])
                assert (name, module) in SHARED_TO_AREA_ALLOWED, f"{name} imports the area module {imported}"
