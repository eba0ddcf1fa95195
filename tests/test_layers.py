"""Imports point one way (docs/architecture.md, "The layers"): a static check of every
module's imports, across the packages and inside the gateway and the case store."""

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
# What every provider may use of ``gateway.providers`` besides its own folder.
SHARED_PROVIDER_MODULES = {
    "gateway.providers.events",
    "gateway.providers.provider",
    "gateway.providers.webhooks",
}


def imports(path: Path) -> set[str]:
    """Every module a file imports, and for ``from X import Y`` also ``X.Y`` (Y may be a
    module)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_one_way(layer):
    wrong = []
    for path in modules(layer):
        for name in imports(path):
            top = name.split(".")[0]
            if top in FORBIDDEN[layer]:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
            partly_allowed = layer == "dialogs" and top == "case_store"
            if partly_allowed and not any(
                within(name, allowed) for allowed in ALLOWED_FROM_CASE_STORE_IN_DIALOGS
            ):
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_case_store_references_stays_free_of_the_database():
    assert not {n.split(".")[0] for n in imports(ROOT / "case_store" / "references.py")} & {
        "sqlalchemy",
        "case_store",
    }


def test_channels_know_our_events_and_no_provider():
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules("gateway/channels")
        for name in imports(path)
        if within(name, "gateway.providers")
        and name not in ("gateway.providers", "gateway.providers.events")
        and not name.startswith("gateway.providers.events.")
    ]
    assert not wrong, "\n".join(wrong)


def test_a_provider_uses_only_its_own_folder_and_the_shared_modules():
    wrong = []
    for path in modules("gateway/providers"):
        parts = path.relative_to(ROOT / "gateway" / "providers").parts
        if len(parts) == 1:
            continue  # the shared modules and the list of installed providers
        own = f"gateway.providers.{parts[0]}"
        for name in imports(path):
            if not within(name, "gateway.providers") or name == "gateway.providers":
                continue
            shared = any(within(name, module) for module in SHARED_PROVIDER_MODULES)
            if not (within(name, own) or shared):
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("top", ["gateway.cli", "gateway.web"])
def test_nothing_below_the_command_line_and_the_pages_imports_them(top):
    allowed = {ROOT / "gateway" / "__init__.py", ROOT / "gateway" / "__main__.py"}
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules("gateway")
        if path not in allowed
        and not path.is_relative_to(ROOT / "gateway" / "cli")
        and not path.is_relative_to(ROOT / top.replace(".", "/"))
        for name in imports(path)
        if within(name, top)
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("folder", "never"),
    [
        ("case_store/models", ("case_store.operations", "case_store.queries")),
        ("case_store/queries", ("case_store.operations",)),
    ],
)
def test_case_store_tables_and_reads_never_write(folder, never):
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules(folder)
        for name in imports(path)
        if any(within(name, package) for package in never)
    ]
    assert not wrong, "\n".join(wrong)


def test_the_configuration_is_plain_data_the_whole_gateway_builds_on():
    """``gateway/config`` (settings, profile, Redis connection) knows no web framework and no
    other part of the gateway: the app, the command line and the benchmarks all read it."""
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules("gateway/config")
        for name in imports(path)
        if name.split(".")[0] in {"flask", "werkzeug", "dialogs", "workers"}
        or (within(name, "gateway") and not within(name, "gateway.config"))
    ]
    assert not wrong, "\n".join(wrong)
