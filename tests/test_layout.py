"""The package's layout: the science library apart from the course wing, no import cycles,
every module in README's module map, every chapter module stamped with its chapters."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from seqdrop.paths import project_root

SRC = project_root() / "src"
PACKAGE = SRC / "seqdrop"
#: the science library and its infrastructure: none of it may import the course wing
SCIENCE = ("nn", "dropout", "models", "data", "train", "presets", "io", "utils", "paths", "errors",
           "_validation")
#: chapter code: the course wing, and what is still waiting to move into it
WING = ("seqdrop.course", "seqdrop.experiments")


def _modules() -> dict[str, tuple[Path, bool]]:
    """``{dotted name: (file, is a package)}`` of every module under src/seqdrop."""
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


MODULES = _modules()


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Import statements anywhere in the file (function bodies included), except those under
    ``if TYPE_CHECKING:``, which never run."""
    found = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def imports_of(name: str) -> set[str]:
    """The seqdrop modules that module ``name`` imports (a name imported from a package
    counts as the submodule when there is one of that name)."""
    path, is_package = MODULES[name]
    package = name if is_package else name.rpartition(".")[0]
    out = set()
    for node in _runtime_imports(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
            continue
        if node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        out |= {f"{target}.{a.name}" if f"{target}.{a.name}" in MODULES else target for a in node.names}
    return {m for m in out if m in MODULES and m != name}


def _is_science(name: str) -> bool:
    return any(name == f"seqdrop.{s}" or name.startswith(f"seqdrop.{s}.") for s in SCIENCE)


def test_the_science_library_never_imports_chapter_code():
    science = [m for m in MODULES if _is_science(m)]
    assert "seqdrop.nn.mc" in science and "seqdrop.dropout" in science
    bad = {m: sorted(i for i in imports_of(m) if i.startswith(WING)) for m in science}
    assert not {m: i for m, i in bad.items() if i}, "the science library imports chapter code"


#: cycles waiting for their owner to break them (listed here so no new one slips in):
#: sweep.worker imports sweep.cluster's undo_malloc_trim, sweep.cluster imports the worker plugin
KNOWN_CYCLES = [["seqdrop.sweep.cluster", "seqdrop.sweep.worker"]]


def test_no_import_cycles():
    graph = {m: imports_of(m) for m in MODULES}
    cycles, index, low, stack, on_stack = [], {}, {}, [], set()

    def connect(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
                on_stack.discard(component[-1])
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in graph:
        if v not in index:
            connect(v)
    cycles = [c for c in cycles if c not in KNOWN_CYCLES]
    assert not cycles, f"modules that import each other: {cycles}"


def _table_after(text: str, heading: str) -> list[str]:
    """The first column of the first markdown table after ``heading`` (backticked names)."""
    rest = text[text.index(heading):]
    rows = re.findall(r"^\|(.*?)\|", rest[rest.index("\n|"):].split("\n\n")[0], flags=re.M)
    return [name for row in rows[2:] for name in re.findall(r"`([\w.]+)`", row)]


README = (project_root() / "README.md").read_text()


def test_readme_module_table_lists_every_package_and_module():
    listed = set(_table_after(README, "## Modules"))
    actual = {m for m in MODULES if m.count(".") == 1 and not m.rpartition(".")[2].startswith("_")}
    assert not actual - listed, f"modules missing from README's module table: {sorted(actual - listed)}"
    assert not listed - actual, f"README's module table names modules that do not exist: {sorted(listed - actual)}"


def test_readme_course_table_lists_every_course_module():
    listed = set(_table_after(README, "The course wing, `seqdrop.course`"))
    actual = {m.removeprefix("seqdrop.course.") for m in MODULES if m.startswith("seqdrop.course.")}
    actual |= {"course"}  # the package's __init__
    assert not actual - listed, f"course modules missing from README's course table: {sorted(actual - listed)}"
    assert not listed - actual, f"README's course table names modules that do not exist: {sorted(listed - actual)}"


def _chapters_importing(module: str) -> set[str]:
    short = module.rpartition(".")[2]
    pattern = re.compile(rf"\b{re.escape(module)}\b|from seqdrop\.course import [^\n]*\b{short}\b")
    return {nb.name[:2] for nb in (project_root() / "notebooks").glob("[0-9][0-9]_*.py")
            if pattern.search(nb.read_text())}


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m.startswith("seqdrop.course.")))
def test_course_module_docstring_names_its_chapters(module):
    """``Chapters: 03, 04.`` (every chapter that imports the module) or ``Chapters: all.``."""
    doc = ast.get_docstring(ast.parse(MODULES[module][0].read_text())) or ""
    found = re.search(r"^Chapters: (all|\d\d(?:, \d\d)*)\.$", doc, flags=re.M)
    assert found, f"{module}: the docstring must end with 'Chapters: NN, NN.' or 'Chapters: all.'"
    if found.group(1) == "all":
        return
    named = set(found.group(1).split(", "))
    chapters = {nb.name[:2] for nb in (project_root() / "notebooks").glob("[0-9][0-9]_*.py")}
    assert named <= chapters, f"{module} names chapters that do not exist: {sorted(named - chapters)}"
    missing = _chapters_importing(module) - named
    assert not missing, f"{module} is imported by chapters its docstring does not name: {sorted(missing)}"
