"""Extraction from the YAML trees, the shipped catalogs, rendering details."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from dialogs.extract import extract_dialogs
from dialogs.render import RenderError, fold_to_gsm7, load_translations, render
from dialogs.screen import Choice, Message, Screen
from dialogs.tree import Tree, default_tree_path

ROOT = Path(__file__).resolve().parents[2]
PYBABEL = shutil.which("pybabel", path=str(Path(__file__).resolve().parents[2] / ".venv/bin"))


def extracted() -> list[tuple[int, str | None, str, list[str]]]:
    source = default_tree_path().read_bytes()
    return list(extract_dialogs(io.BytesIO(source), {}, [], {}))


def test_extractor_finds_every_message_of_the_tree_once_per_use(tree: Tree) -> None:
    messages = {message for _line, _func, message, _comments in extracted()}

    assert messages == set(tree.messages())
    assert "Kiswahili" not in messages  # language names are shown as they are
    assert "open_case" not in messages and "physical_violence" not in messages


def test_extractor_gives_lines_and_translator_comments() -> None:
    lines = default_tree_path().read_text(encoding="utf-8").splitlines()
    for line, function, message, comments in extracted():
        assert function is None
        assert message in lines[line - 1], (line, message)
        assert comments and comments[0]
    sent = next(entry for entry in extracted() if "{reference}" in entry[2])
    assert sent[3] == ["node report_sent, text", "keep {reference}, {helpline} as is"]


@pytest.mark.skipif(PYBABEL is None, reason="pybabel is installed with the project")
def test_pybabel_extract_uses_the_project_extractor(tmp_path: Path, tree: Tree) -> None:
    output = tmp_path / "messages.pot"
    subprocess.run(
        [str(PYBABEL), "extract", "-F", "babel.cfg", "-o", str(output), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with output.open("rb") as handle:
        template = read_po(handle)

    assert set(tree.messages()) <= {message.id for message in template}


def test_shipped_template_is_up_to_date(tree: Tree) -> None:
    with (ROOT / "locales" / "messages.pot").open("rb") as handle:
        template = read_po(handle)

    assert set(tree.messages()) <= {message.id for message in template}


def test_english_catalog_is_the_identity(tree: Tree) -> None:
    with (ROOT / "locales" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)

    for msgid in tree.messages():
        message = catalog.get(msgid)
        assert message is not None and message.string == msgid


def test_a_missing_value_is_a_clear_error_not_a_broken_screen() -> None:
    screen = Screen(node="sent", end=True, text=Message("Your reference is {reference}."))

    with pytest.raises(RenderError, match="reference"):
        render(screen, load_translations("en"))
    assert render(screen, load_translations("en"), {"reference": "1"}) == "Your reference is 1."


def test_render_translates_choices_filled_by_the_webhook() -> None:
    screen = Screen(
        node="status",
        end=False,
        text=Message("Report {reference}. {status}"),
        options=(Choice("0", Message("Exit")),),
        choices={"status": {"closed": "It is closed."}},
    )

    assert render(screen, load_translations("sw"), {"reference": "1", "status": "closed"}) == (
        "Ripoti 1. Imefungwa.\n0. Ondoka"
    )


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Criança à espera, não está só", "Crianca à espera, nao esta so"),
        ("Un garçon, déjà là", "Un garcon, déjà là"),
        ("Plain GSM text", "Plain GSM text"),
        ("Criança في خطر", "Criança في خطر"),  # Arabic needs UCS-2 anyway: left as is
    ],
)
def test_folding_accents_keeps_screens_in_gsm7(text: str, folded: str) -> None:
    assert fold_to_gsm7(text) == folded
