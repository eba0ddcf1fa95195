"""References: the Damm check digit catches every single-digit error and adjacent swap."""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import pytest

from case_store import references
from case_store.references import (
    damm_digit,
    format_reference,
    is_valid_reference,
    new_reference,
    parse_reference,
)

DIGITS = "0123456789"


def _sample_references(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    bodies = [f"{rng.randrange(10**8):08d}" for _ in range(count)]
    # Edge bodies: all equal digits, leading zeros, ascending and descending runs.
    bodies += [d * 8 for d in DIGITS] + ["00000001", "01234567", "98765432", "90909090"]
    return [body + damm_digit(body) for body in bodies]


def single_digit_errors(reference: str) -> list[str]:
    return [
        reference[:i] + wrong + reference[i + 1 :]
        for i, right in enumerate(reference)
        for wrong in DIGITS
        if wrong != right
    ]


def adjacent_swaps(reference: str) -> list[str]:
    return [
        reference[:i] + reference[i + 1] + reference[i] + reference[i + 2 :]
        for i in range(len(reference) - 1)
        if reference[i] != reference[i + 1]
    ]


def test_damm_known_values() -> None:
    # The worked example of Damm's algorithm: 572 has check digit 4.
    assert damm_digit("572") == "4"
    assert is_valid_reference("000000000")
    assert damm_digit("") == "0"


def test_damm_table_is_a_weakly_totally_antisymmetric_latin_square() -> None:
    """The two properties that make the check digit catch every single error and every
    adjacent transposition, for any input, not only the sampled ones."""
    table = references._DAMM
    for row in table:
        assert sorted(row) == list(range(10))
    for column in range(10):
        assert sorted(row[column] for row in table) == list(range(10))
    for c, x, y in itertools.product(range(10), repeat=3):
        if x != y:
            assert table[table[c][x]][y] != table[table[c][y]][x]
    assert all(table[i][i] == 0 for i in range(10))


def test_every_single_wrong_digit_is_rejected() -> None:
    checked = 0
    for reference in _sample_references(3000, seed=1):
        assert is_valid_reference(reference)
        for mistyped in single_digit_errors(reference):
            assert not is_valid_reference(mistyped), (reference, mistyped)
            assert parse_reference(mistyped) is None
            checked += 1
    assert checked == (3000 + 14) * 81


def test_every_swap_of_adjacent_distinct_digits_is_rejected() -> None:
    checked = 0
    for reference in _sample_references(3000, seed=2):
        for swapped in adjacent_swaps(reference):
            assert not is_valid_reference(swapped), (reference, swapped)
            checked += 1
    assert checked > 3000 * 7


def test_new_references_are_nine_valid_digits_and_differ() -> None:
    made = [new_reference() for _ in range(5000)]
    assert all(len(r) == 9 and r.isdigit() and is_valid_reference(r) for r in made)
    assert len(set(made)) > 4990


def test_new_reference_keeps_leading_zeros(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(references.secrets, "randbelow", lambda _n: 42)
    reference = new_reference()
    assert reference == "00000042" + damm_digit("00000042")
    assert is_valid_reference(reference)


@pytest.mark.parametrize(
    "text",
    ["{0}{1}{2}", "{0} {1} {2}", "{0}-{1}-{2}", "{0}.{1}.{2}", " {0} - {1}-{2} ", "{0}\t{1}{2}"],
)
def test_parse_accepts_separators(text: str) -> None:
    reference = "57200000" + damm_digit("57200000")
    typed = text.format(reference[:3], reference[3:6], reference[6:])
    assert parse_reference(typed) == reference


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12345678",
        "1234567890",
        "12345678a",
        "abc-def-ghi",
        "+25471234",
        "٠٠٠٠٠٠٠٠٠",
        "000/000/000",
    ],
)
def test_parse_rejects_malformed(text: str) -> None:
    assert parse_reference(text) is None


def test_format_groups_in_threes() -> None:
    assert format_reference("482177302") == "482-177-302"
    with pytest.raises(ValueError):
        format_reference("48217730")
    with pytest.raises(ValueError):
        format_reference("482-177-302")


def test_format_then_parse_round_trips() -> None:
    for reference in _sample_references(200, seed=3):
        assert parse_reference(format_reference(reference)) == reference


def test_every_reference_the_readme_shows_is_a_valid_one() -> None:
    """A reader who types the README's example gets past the check digit."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"(?<![\d-])\d{3}-?\d{3}-?\d{3}(?![\d-])", readme)
    assert shown
    assert [r for r in shown if not is_valid_reference(r.replace("-", ""))] == []
