"""Fixtures for the dialog layer: the default tree and the fixed Kenyan context."""

from __future__ import annotations

import pytest
from dialog_fixtures import kenya

from dialogs.engine import Context
from dialogs.tree import Tree, default_tree_path, load_tree


@pytest.fixture(scope="session")
def tree() -> Tree:
    return load_tree(default_tree_path())


@pytest.fixture
def context() -> Context:
    return kenya()
