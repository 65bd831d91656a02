"""The floors stay locked (DESIGN.md "Layers"), where import-linter cannot look.

import-linter (`make lint`) refuses an import up the floors. These tests keep what
it is given honest, and what it cannot see:

- views and API modules read through selectors (STYLE.md): no `<Model>.objects` or
  `._default_manager` in them;
- every local app of INSTALLED_APPS is a root package of the contracts and stands on
  a floor of the layers contract, so a new app cannot escape them;
- an import inside a function body of the project says why it is there: a comment
  `# lazy: <why>` on the import or above it, or an entry in ALLOWED below. An import moved into a
  function only to dodge an import cycle has no such reason; the code is split
  instead (or a lower module learns of a higher one through a signal or a registry).
"""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
ROOT_PACKAGES: list[str] = CONFIG["root_packages"]
MANAGERS = {"objects", "_default_manager"}
LAZY = re.compile(r"#.*\blazy:\s*\S.{8,}")

# Function-level imports of the project allowed without a comment on the line:
# (module path, imported module) -> why it is not a cycle dodge.
ALLOWED: dict[tuple[str, str], str] = {}


def project_modules() -> Iterator[Path]:
    for package in ROOT_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                yield path


def is_door(path: Path) -> bool:
    """A views or API module: views.py, views_*.py, views/*.py, api.py, api/*.py."""
    return (
        path.name in ("views.py", "api.py")
        or path.name.startswith("views_")
        or path.parent.name in ("views", "api")
    )


def show(path: Path, node: ast.stmt | ast.expr) -> str:
    line = path.read_text().splitlines()[node.lineno - 1].strip()
    return f"{path.relative_to(ROOT)}:{node.lineno}: {line}"


def reads_nothing(manager: ast.Attribute) -> bool:
    """`X.objects.none()`: the manager's only use is an empty queryset."""
    parent = getattr(manager, "parent", None)
    return isinstance(parent, ast.Attribute) and parent.attr == "none"


def parsed(path: Path) -> ast.Module:
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        for child in ast.iter_child_nodes(node):
            child.parent = node  # type: ignore[attr-defined]
    return tree


def test_views_and_apis_read_through_selectors() -> None:
    # given every views and API module of the project's apps
    doors = [path for path in project_modules() if is_door(path)]
    assert doors

    # when they are searched for a model manager (`X.objects.none()`, which reads
    # nothing, is what a view gives the schema generator)
    uses = sorted(
        show(path, node)
        for path in doors
        for node in ast.walk(parsed(path))
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS and not reads_nothing(node)
    )

    # then there is none: reads go through the app's selectors
    assert not uses, "reads in views and APIs go through selectors:\n" + "\n".join(uses)


def floors() -> set[str]:
    (layers,) = [c for c in CONFIG["contracts"] if c["type"] == "layers"]
    return {
        name.strip().strip("()")
        for layer in layers["layers"]
        for name in re.split(r"[|:]", layer)
        if name.strip()
    }


def test_every_local_app_is_on_a_floor() -> None:
    # given the apps of INSTALLED_APPS that are the project's own
    local = {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(ROOT)
        and ".venv" not in Path(config.path).resolve().relative_to(ROOT).parts
    }
    assert {"prm", "partners", "portal"} <= local

    # then import-linter looks at each, and each stands on a floor of the layers
    assert local <= set(ROOT_PACKAGES), "add to [tool.importlinter] root_packages"
    assert set(ROOT_PACKAGES) <= floors(), "put every root package on a floor of the layers"


def project_import(node: ast.Import | ast.ImportFrom) -> str | None:
    """The project module `node` imports, or None for the standard library and
    third parties."""
    if isinstance(node, ast.ImportFrom):
        name = "." * node.level + (node.module or "")
        return name if node.level or name.split(".")[0] in ROOT_PACKAGES else None
    for alias in node.names:
        if alias.name.split(".")[0] in ROOT_PACKAGES:
            return alias.name
    return None


def explanation(lines: list[str], node: ast.stmt) -> list[str]:
    """The lines that may say why an import is where it is: its own, and the comment
    above it (above the imports just before it, so one comment serves a group)."""
    above = []
    for line in reversed(lines[: node.lineno - 1]):
        stripped = line.strip()
        if not stripped.startswith(("#", "from ", "import ")):
            break
        above.append(stripped)
    return lines[node.lineno - 1 : node.end_lineno] + above


def in_app_ready(path: Path, function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """AppConfig.ready() is where Django says to connect receivers and checks: the
    app registry is ready there, and not when apps.py is imported."""
    return path.name == "apps.py" and function.name == "ready"


def test_imports_in_functions_say_why() -> None:
    # given every import inside a function body of the project's modules
    unexplained = []
    for path in project_modules():
        source = path.read_text()
        lines = source.splitlines()
        for function in ast.walk(ast.parse(source)):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            if in_app_ready(path, function):
                continue
            for node in ast.walk(function):
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                module = project_import(node)
                if module is None:
                    continue
                if any(LAZY.search(line) for line in explanation(lines, node)):
                    continue
                if (str(path.relative_to(ROOT)), module) in ALLOWED:
                    continue
                unexplained.append(show(path, node))

    # then each says why it is not at the top of its module
    assert not unexplained, (
        "an import inside a function says why (`# lazy: <why>`) or moves to the top of "
        "its module; one that dodges an import cycle means the code wants splitting:\n"
        + "\n".join(sorted(set(unexplained)))
    )
