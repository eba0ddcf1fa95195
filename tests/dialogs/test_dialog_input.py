"""References (Damm check digit) and input normalisation."""

from __future__ import annotations

import random

import pytest

from dialogs.normalise import clean_free_text, normalise_input
from dialogs.reference import damm_digit, format_reference, parse_reference


def references(count: int) -> list[str]:
    generator = random.Random(20261128)
    numbers = (f"{generator.randrange(10**8):08d}" for _ in range(count))
    return [number + damm_digit(number) for number in numbers]


def test_every_single_digit_typo_is_caught() -> None:
    for reference in references(200):
        assert parse_reference(reference) == reference
        for position in range(9):
            for digit in "0123456789":
                if digit != reference[position]:
                    typo = reference[:position] + digit + reference[position + 1 :]
                    assert parse_reference(typo) is None, typo


def test_every_swap_of_neighbouring_digits_is_caught() -> None:
    for reference in references(200):
        for position in range(8):
            a, b = reference[position], reference[position + 1]
            if a != b:
                swapped = reference[:position] + b + a + reference[position + 2 :]
                assert parse_reference(swapped) is None, swapped


@pytest.mark.parametrize(
    "typed",
    [
        "572 309 848",
        "572-309-848",
        " 572.309.848 ",
        "٥٧٢٣٠٩٨٤٨",
        "۵۷۲-۳۰۹-۸۴۸",
        "５７２３０９８４８",
    ],
)
def test_references_typed_any_usual_way(typed: str) -> None:
    assert damm_digit("572") == "4"  # the published example: 572 → 5724
    assert damm_digit("57230984") == "8"
    assert parse_reference(typed) == "572309848"
    assert format_reference("572309848") == "572-309-848"


@pytest.mark.parametrize("typed", ["", "57230984", "5723098480", "572309848x", "572_309_848"])
def test_not_references(typed: str) -> None:
    assert parse_reference(typed) is None


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [
        ("٣", "3"),
        ("۳", "3"),
        ("３", "3"),
        ("\u200f3\u200e", "3"),
        ("\u202b 12 \u202c", "12"),
        ("\u00a01\u3000", "1"),
        ("1  2", "1 2"),
    ],
)
def test_choices_are_normalised(typed: str, normalised: str) -> None:
    assert normalise_input(typed) == normalised


def test_free_text_keeps_its_inside() -> None:
    assert clean_free_text("\u200f  مرحبا\u200c بكم *2  \u200e") == "مرحبا\u200c بكم *2"
