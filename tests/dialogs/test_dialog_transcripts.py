"""Transcripts: every tree × every shipped language × both channels, played step by step.

Each file under ``transcripts/<tree>/<channel>/<language>.yaml`` lists sessions: what the
reporter sends and exactly what they read back, with the effects the webhook must apply. A
tree, language or channel without its transcript fails the suite, and an SMS transcript must
exercise every keyword and the focal-point report, valid and invalid, and the reporter's own
words: an exit word, START in the middle of a report, answers in words, a report in words and
STATUS-like phrases (the sessions ``REQUIRED`` names, per channel).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from dialog_fixtures import SHIPPED_LANGUAGES
from transcripts import CHANNELS, TRANSCRIPTS, play_sms, play_ussd

from dialogs.tree import TREES_DIR, load_tree

TREE_NAMES = sorted(path.stem for path in TREES_DIR.glob("*.yaml"))
EXPECTED = [
    (name, channel, language)
    for name in TREE_NAMES
    for channel in CHANNELS
    for language in SHIPPED_LANGUAGES
]
SMS_COMMANDS = {"report", "status", "help", "stop", "start", "exit", "focal_report"}
FOCAL_ERRORS = ("category", "age_band", "sex", "area", "text")
REQUIRED = {
    "sms": {
        "first_message_in_words",  # kept as the narrative; yes, labels, "3.", START mid-report
        "exit_word_then_requests",  # an exit word, then HELP and REPORT still answered
        "status_words",  # STATUS-like phrases are not STATUS; STATUS with a reference is
        "stop_then_requests",  # after STOP, requests are answered; START keeps the draft
    },
    "ussd": {"answers_in_words"},
}


def transcript(name: str, channel: str, language: str) -> dict[str, list[dict[str, Any]]]:
    path = TRANSCRIPTS / name / channel / f"{language}.yaml"
    assert path.exists(), f"no transcript for tree {name}, channel {channel}, language {language}"
    with path.open(encoding="utf-8") as handle:
        sessions: dict[str, list[dict[str, Any]]] = yaml.safe_load(handle)["sessions"]
    return sessions


def test_every_tree_language_and_channel_has_a_transcript() -> None:
    assert TREE_NAMES, "no dialog trees found"
    found = {
        (path.parent.parent.name, path.parent.name, path.stem)
        for path in Path(TRANSCRIPTS).glob("*/*/*.yaml")
    }
    missing = sorted(set(EXPECTED) - found)
    assert not missing, f"transcripts missing for (tree, channel, language): {missing}"


@pytest.mark.parametrize(("name", "channel", "language"), EXPECTED)
def test_transcript(name: str, channel: str, language: str) -> None:
    tree = load_tree(TREES_DIR / f"{name}.yaml")
    sessions = transcript(name, channel, language)
    assert sessions
    assert REQUIRED[channel] <= set(sessions), f"{channel}/{language}: required sessions missing"
    for session, expected in sessions.items():
        if channel == "sms":
            played = list(play_sms(tree, language, [step["send"] for step in expected]))
        else:
            played = list(play_ussd(tree, language, [step["input"] for step in expected]))
        for number, (want, got) in enumerate(zip(expected, played, strict=True), start=1):
            assert got == want, f"{session}, step {number}"


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
@pytest.mark.parametrize("name", TREE_NAMES)
def test_sms_transcripts_cover_every_keyword_and_the_focal_report(name: str, language: str) -> None:
    steps = [step for session in transcript(name, "sms", language).values() for step in session]
    commands = {step["command"] for step in steps}
    kinds = {effect["kind"] for step in steps for effect in step["effects"]}
    focal_errors = {tuple(step["replies"]) for step in steps if step["command"] == "focal_error"}

    assert commands >= SMS_COMMANDS
    opt_outs = [step for step in steps if any(e["kind"] == "opt_out" for e in step["effects"])]
    assert all(step["command"] == "stop" for step in opt_outs), "only STOP opts out"
    assert {"open_case", "lookup_case", "opt_out", "opt_in"} <= kinds
    assert len(focal_errors) >= len(FOCAL_ERRORS), "each focal-point field wrong once"
    reports = [s for s in steps if any(e["kind"] == "open_case" for e in s["effects"])]
    assert any(step["command"] is None for step in reports), "a full report over SMS"
    assert any(step["command"] == "focal_report" for step in reports)
