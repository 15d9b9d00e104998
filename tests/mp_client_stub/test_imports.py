"""The client stands in for the mobile app: it must not import the server's code or the tests."""
import ast
from pathlib import Path

import mp_client_stub

FORBIDDEN = {"app", "schemas", "jobs", "tests"}
PACKAGE_DIR = Path(mp_client_stub.__file__).resolve().parent


def _imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:
                found.append((node.lineno, node.module))
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute))
              and getattr(node.func, "id", getattr(node.func, "attr", None)) in {"__import__", "import_module"}
              and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return found


def test_the_package_has_sources():
    assert {p.name for p in PACKAGE_DIR.glob("*.py")} >= {
        "__init__.py", "__main__.py", "client.py", "idnumber.py", "worked_example.py", "demo.py"}


def test_nothing_imports_the_server_or_the_tests():
    offenders = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for lineno, module in _imported_modules(path):
            if module.split(".")[0] in FORBIDDEN:
                offenders.append(f"{path.relative_to(PACKAGE_DIR.parent)}:{lineno} imports {module}")
    assert offenders == []


def test_the_checker_catches_forbidden_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import app.models\nfrom schemas.form import X\nimport importlib\n"
                      "importlib.import_module('jobs.cases')\nfrom . import sibling\nimport requests\n")
    modules = [m for _, m in _imported_modules(sample)]
    assert [m for m in modules if m.split(".")[0] in FORBIDDEN] == ["app.models", "schemas.form", "jobs.cases"]
