"""House rules: which package may import which, and how big a module or page may grow.

The layers of the library, lowest first: each imports only itself and the layers below it.
`present` turns frames into charts and bytes and so needs nothing but `core`; `demo` builds its
county through the importers; `cli` and `app` are the two front doors and never call each other.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("core", "store", "ingest", "survey", "contacts", "priorities")
ALLOWED: dict[str, set[str]] = {layer: set(LAYERS[: index + 1]) for index, layer in enumerate(LAYERS)}
ALLOWED["present"] = {"core", "present"}
ALLOWED["demo"] = {"core", "store", "ingest", "demo"}
ALLOWED["cli"] = {*LAYERS, "present", "demo", "cli"}
ALLOWED["app"] = {*LAYERS, "present", "demo", "app"}
MAX_MODULE_LINES = 500
MAX_PAGE_LINES = 150


def _library_modules() -> dict[str, Path]:
    """Every module of voc/ by dotted name (a package by its own name, not `__init__`)."""
    modules = {}
    for path in (ROOT / "voc").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if "migrations" in parts:
            continue
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imported(path: Path, module: str) -> Iterator[tuple[str, ast.ImportFrom | ast.Import]]:
    """Each module `path` imports, as a dotted name with relative imports resolved, and its statement."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            target = ".".join(part for part in (base, node.module or "") if part)
            yield target, node
            for alias in node.names:
                yield f"{target}.{alias.name}", node


def _voc_imports(path: Path, module: str, modules: dict[str, Path]) -> set[str]:
    """The voc modules `path` imports (a `from package import module` counts as the module)."""
    return {target for target, _ in _imported(path, module) if target in modules and target != module}


def _layer(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def test_each_layer_imports_only_what_is_below_it() -> None:
    modules = _library_modules()
    offenders = []
    for module, path in modules.items():
        layer = _layer(module)
        if not layer:
            continue
        assert layer in ALLOWED, f"{module}: the package voc.{layer} has no place in the layers yet"
        offenders += [
            f"{module} imports {target}"
            for target in sorted(_voc_imports(path, module, modules))
            if _layer(target) not in ALLOWED[layer]
        ]
    assert offenders == []


def test_the_library_has_no_import_cycle() -> None:
    modules = _library_modules()
    graph = {module: _voc_imports(path, module, modules) for module, path in modules.items()}
    # A package's __init__ is imported on the way to any of its modules; counting that edge would
    # make every `from voc.x import y` inside voc.x look circular.
    graph = {module: {t for t in targets if not module.startswith(f"{t}.")} for module, targets in graph.items()}
    visiting: list[str] = []
    done: set[str] = set()
    cycles: list[str] = []

    def visit(module: str) -> None:
        visiting.append(module)
        for target in sorted(graph[module]):
            if target in visiting:
                cycles.append(" -> ".join([*visiting[visiting.index(target) :], target]))
            elif target not in done:
                visit(target)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        if module not in done:
            visit(module)
    assert cycles == []


def _code_files() -> list[Path]:
    return [*_library_modules().values(), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]


def test_no_private_name_is_imported_from_another_module() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: from {node.module} import {alias.name}"
        for path in _code_files()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom) and node.module != "__future__"
        for alias in node.names
        if alias.name.startswith("_")
    ]
    assert offenders == []


def test_modules_and_pages_stay_small() -> None:
    too_long = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path in _code_files()
        if (lines := len(path.read_text().splitlines()))
        > (MAX_PAGE_LINES if path.parent.name == "pages" else MAX_MODULE_LINES)
    ]
    assert too_long == []


def _top_level_packages(path: Path) -> set[str]:
    return {target.split(".")[0] for target, _ in _imported(path, "")}


def test_only_the_app_adapter_imports_streamlit() -> None:
    offenders = [
        module
        for module, path in _library_modules().items()
        if _layer(module) != "app" and "streamlit" in _top_level_packages(path)
    ]
    assert offenders == []


def test_pages_never_touch_the_store() -> None:
    pages = list((ROOT / "pages").glob("*.py"))
    assert pages
    for page in pages:
        imported = {target for target, _ in _imported(page, "")}
        assert {"sqlalchemy", "sqlmodel"}.isdisjoint(t.split(".")[0] for t in imported), page.name
        assert not [t for t in imported if t.startswith(("voc.store", "voc.cli"))], page.name


def test_every_page_runs_inside_the_app_frame() -> None:
    for page in (ROOT / "pages").glob("*.py"):
        statements = ast.parse(page.read_text()).body
        first_call = next(
            node for node in statements if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
        )
        assert ast.unparse(first_call) == "frame.require_frame()", page.name


def test_every_page_file_is_in_the_navigation() -> None:
    from voc.app.frame import PAGES, SIGN_IN

    assert {page.path for page in (*PAGES, SIGN_IN)} == {f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py")}


def _script_complexity(tree: ast.Module) -> int:
    """McCabe's count for a module's top-level code: one plus each branch outside functions and classes."""
    branches = 0
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            continue
        if isinstance(node, ast.If | ast.For | ast.While | ast.IfExp | ast.ExceptHandler | ast.match_case):
            branches += 1
        elif isinstance(node, ast.BoolOp):
            branches += len(node.values) - 1
        elif isinstance(node, ast.comprehension):
            branches += 1 + len(node.ifs)
        pending.extend(ast.iter_child_nodes(node))
    return 1 + branches


def test_page_scripts_are_as_simple_as_a_library_function() -> None:
    limit = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]["mccabe"]["max-complexity"]
    scripts = [*(ROOT / "pages").glob("*.py"), ROOT / "app.py"]
    too_complex = [
        f"{path.relative_to(ROOT)}: {complexity}"
        for path in scripts
        if (complexity := _script_complexity(ast.parse(path.read_text()))) > limit
    ]
    assert too_complex == []


def test_no_test_module_imports_another() -> None:
    """Helpers that test modules share live in plain modules (tests/files.py, stores.py...), fixtures in conftest."""
    offenders = [
        f"{path.name} imports {target}"
        for path in (ROOT / "tests").glob("*.py")
        for target, _ in _imported(path, "tests")
        if target.startswith(("tests.test_", "test_"))
    ]
    assert offenders == []
