"""The layering of tracker/ is checked, not just described: every import goes down.

A plain `ast` walk over the source tree rather than import-linter: the rules are a dozen lines,
they need no extra dependency or configuration file, and the same walk also catches importing a
`_private` name from another module, which import-linter does not check.

Layers, lowest first (README "Layout"):
    domain < services < reporting < jobs < http, cli
    notify is imported only by services and cli, and imports only domain;
    tables, db, settings, schemas (the "base" modules) are usable from services and above;
    domain imports nothing of the project but domain.
Inside http, api/ and pages/ do not import each other (shared helpers live in http/ itself).
Function-local imports count like any other.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from tests.support.samples import PROJECT_ROOT

# Nothing is exempt any more: plan parsing lives in tracker/domain/plan_parsing/ and its helpers
# are public.
TEMPORARY_EXCEPTIONS: set[str] = set()
TEMPORARY_PRIVATE_IMPORTS: set[tuple[str, str, str]] = set()

BASE = {"tables", "db", "settings", "schemas", "conf", "piccolo_app"}
# What each layer may import (besides itself).
ALLOWED = {
    "domain": set(),
    "notify": {"domain"},
    "base": {"domain", "base"},
    "services": {"domain", "notify", "base"},
    "reporting": {"domain", "services", "base"},
    "jobs": {"domain", "services", "reporting", "base"},
    "http": {"domain", "services", "reporting", "jobs", "base"},
    "cli": {"domain", "services", "reporting", "jobs", "notify", "base"},
    "root": {"domain", "base"},  # tracker/__init__.py
}
# Sibling packages inside one layer that must not import each other.
SIBLINGS = {("http", "api"): ("http", "pages"), ("http", "pages"): ("http", "api")}


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "tracker":
        return None
    if len(parts) == 1:
        return "root"
    if parts[1] in BASE:
        return "base"
    if parts[1] in ALLOWED:
        return parts[1]
    return "unknown"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str) -> list[tuple[int, str, list[str]]]:
    """(line, imported module, names) for every import of the project, local ones included."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([target] if target else []))
            names = [alias.name for alias in node.names]
            if target == "tracker" or target.startswith("tracker."):
                # `from tracker.services import plans` imports the module tracker.services.plans
                found.append((node.lineno, target, names))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tracker":
                    found.append((node.lineno, alias.name, []))
    return found


def is_module(root: Path, dotted: str) -> bool:
    path = root.parent.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def violations(root: Path) -> list[str]:
    """Every import in the package at `root` that goes up or sideways, or takes a private name."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        if "piccolo_migrations" in path.parts:
            continue
        module = module_name(path, root)
        if module in TEMPORARY_EXCEPTIONS:
            continue
        layer = layer_of(module)
        where = f"{path.relative_to(root.parent)}"
        if layer == "unknown":
            problems.append(f"{where}: module outside the layers (domain, services, reporting, "
                            "http, notify, cli or a base module)")
            continue
        for line, target, names in imports_of(path, module):
            # `from tracker.http import api` names a module: check that module, not the package.
            targets = [f"{target}.{n}" if is_module(root, f"{target}.{n}") else target
                       for n in names] or [target]
            for imported in dict.fromkeys(targets):
                if imported in TEMPORARY_EXCEPTIONS or imported == module:
                    continue
                other = layer_of(imported)
                if other != layer and other not in ALLOWED[layer]:
                    problems.append(f"{where}:{line}: {layer} imports {other} ({imported})")
                mine, theirs = tuple(module.split(".")[1:3]), tuple(imported.split(".")[1:3])
                if SIBLINGS.get(mine) == theirs:
                    problems.append(f"{where}:{line}: {'/'.join(mine)} imports "
                                    f"{'/'.join(theirs)} ({imported})")
            for name in names:
                if name.startswith("_") and not name.startswith("__") and (
                        module, target, name) not in TEMPORARY_PRIVATE_IMPORTS:
                    problems.append(f"{where}:{line}: imports the private name {name} "
                                    f"from {target}")
    return problems


def test_the_source_tree_imports_only_downward():
    assert violations(PROJECT_ROOT / "tracker") == []


def test_the_temporary_exceptions_still_exist():
    """When the parser branch moves these modules, this fails until the lists are emptied."""
    for module in TEMPORARY_EXCEPTIONS:
        assert is_module(PROJECT_ROOT / "tracker", module), module


# --- the checker itself, on a tiny synthetic tree -------------------------------------------


def make_tree(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "tracker"
    for name, text in {"__init__.py": "", "domain/__init__.py": "", "services/__init__.py": "",
                       "http/__init__.py": "", "http/api/__init__.py": "",
                       "http/pages/__init__.py": "", "notify/__init__.py": "",
                       "reporting/__init__.py": "", "cli/__init__.py": "", "tables.py": "",
                       **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def test_a_clean_tree_passes(tmp_path):
    root = make_tree(tmp_path, {
        "domain/rules.py": "X = 1\n",
        "services/use.py": "from tracker.domain.rules import X\nfrom tracker import tables\n",
        "reporting/build.py": "from tracker.services import use\n",
        "http/forms.py": "from tracker.domain import rules\n",
        "http/api/a.py": "from tracker.http.forms import x\nfrom tracker.reporting import build\n",
        "http/pages/p.py": "from tracker.http import forms\n",
        "notify/send.py": "from tracker.domain.rules import X\n",
        "cli/main.py": "def f():\n    from tracker.notify import send\n",
    })
    assert violations(root) == []


def test_upward_sideways_and_private_imports_fail(tmp_path):
    root = make_tree(tmp_path, {
        "domain/rules.py": "from tracker.services import use\n",  # up
        "domain/other.py": "from tracker.tables import T\n",  # domain uses no base module
        "services/use.py": "def f():\n    from tracker.reporting.build import x\n",  # up, local
        "services/more.py": "from tracker.domain.rules import _hidden\n",  # private
        "reporting/build.py": "import tracker.http.forms\n",  # up
        "http/forms.py": "",
        "http/api/a.py": "from tracker.http.pages import p\n",  # sideways
        "http/pages/p.py": "from tracker.http.api.a import x\n",  # sideways
        "notify/send.py": "from tracker.services import use\n",  # notify is below services
        "http/pages/q.py": "from tracker.notify import send\n",  # only services and cli
        "cli/main.py": "from tracker.http import forms\n",  # cli is not above http
        "loose.py": "",  # outside every layer
    })
    found = "\n".join(violations(root))
    for expected in ("domain/rules.py:1: domain imports services",
                     "domain/other.py:1: domain imports base",
                     "services/use.py:2: services imports reporting",
                     "services/more.py:1: imports the private name _hidden",
                     "reporting/build.py:1: reporting imports http",
                     "http/api/a.py:1: http/api imports http/pages",
                     "http/pages/p.py:1: http/pages imports http/api",
                     "notify/send.py:1: notify imports services",
                     "http/pages/q.py:1: http imports notify",
                     "cli/main.py:1: cli imports http",
                     "tracker/loose.py: module outside the layers"):
        assert expected in found, f"{expected!r} not in\n{found}"
    assert len(violations(root)) == 11
