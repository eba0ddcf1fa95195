"""Imports point one way (DESIGN.md §2): a static check of every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# What each layer must never import. ``dialogs`` may use ``case_store.references`` (a pure
# module with no database import) and nothing else of the case store.
FORBIDDEN = {
    "dialogs": {"flask", "werkzeug", "sqlalchemy", "redis", "rq", "gateway", "workers"},
    "case_store": {"flask", "werkzeug", "redis", "rq", "gateway", "workers", "dialogs"},
    "workers": {"flask", "werkzeug", "gateway"},
}
ALLOWED_FROM_CASE_STORE_IN_DIALOGS = {"case_store.references"}


def imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_one_way(layer):
    wrong = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        for name in imports(path):
            top = name.split(".")[0]
            if top in FORBIDDEN[layer]:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
            partly_allowed = layer == "dialogs" and top == "case_store"
            if partly_allowed and name not in ALLOWED_FROM_CASE_STORE_IN_DIALOGS:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_case_store_references_stays_free_of_the_database():
    assert not {n.split(".")[0] for n in imports(ROOT / "case_store" / "references.py")} & {
        "sqlalchemy",
        "case_store",
    }
