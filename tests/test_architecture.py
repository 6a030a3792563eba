"""House rules that keep the library testable without a browser."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_only_the_app_adapter_imports_streamlit() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "voc").rglob("*.py")
        if path.parent.name != "app" and "streamlit" in _imports(path)
    ]
    assert offenders == []


def test_pages_hold_no_sql() -> None:
    pages = list((ROOT / "pages").glob("*.py"))
    assert pages
    for page in pages:
        assert {"sqlalchemy", "sqlmodel"}.isdisjoint(_imports(page)), page.name


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


def _modules_imported(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_no_test_module_imports_another() -> None:
    """Helpers that test modules share live in plain modules (tests/files.py, stores.py...), fixtures in conftest."""
    offenders = [
        f"{path.name} imports {module}"
        for path in (ROOT / "tests").glob("*.py")
        for module in _modules_imported(path)
        if module.startswith("tests.test_")
    ]
    assert offenders == []
