"""GSM-7 / UCS-2 decisions and segment counts, checked against GSM 03.38 and Twilio's calculator."""

from __future__ import annotations

import importlib.util
import json
import math
from pathlib import Path

import pytest

from dialogs.encoding import (
    GSM7_BASIC_TABLE,
    Analysis,
    Capacity,
    analyse,
    is_gsm7,
    non_gsm_characters,
    normalise,
    ussd_capacity,
    ussd_fits,
    within_segments,
)

ROOT = Path(__file__).resolve().parent.parent
TWILIO_FIXTURE = ROOT / "tests" / "fixtures" / "encoding" / "twilio_segments.json"
CORPUS_SCRIPT = ROOT / "bench" / "encoding_corpus" / "corpus.py"


# --- GSM 03.38 tables -------------------------------------------------------------------------


def test_basic_table_has_128_positions_with_escape_at_0x1b() -> None:
    assert len(GSM7_BASIC_TABLE) == 128
    assert GSM7_BASIC_TABLE.index("\x1b") == 0x1B
    assert GSM7_BASIC_TABLE[0x00] == "@"
    assert GSM7_BASIC_TABLE[0x09] == "Ç"
    assert GSM7_BASIC_TABLE[0x11] == "_"
    assert GSM7_BASIC_TABLE[0x24] == "¤"
    assert GSM7_BASIC_TABLE[0x40] == "¡"
    assert GSM7_BASIC_TABLE[0x60] == "¿"
    assert GSM7_BASIC_TABLE[0x7F] == "à"


@pytest.mark.parametrize("char", list("éèùìòàäöñüÄÖÑÜÅåÆæßÉØøΓΔΘΛΞΠΣΦΨΩ¡¿§£¥¤Ç@$_\n\r"))
def test_gsm7_characters(char: str) -> None:
    assert analyse(char) == Analysis("GSM-7", 1, 1, 1)


@pytest.mark.parametrize("char", [*"çáíóúâêôãõÁÍÓÚÂÊÔÃÕ`\t\x1b", "\u00a0", "’", "ب", "😀"])
def test_characters_outside_gsm7_make_the_text_ucs2(char: str) -> None:
    assert analyse("Hello " + char).encoding == "UCS-2"
    assert non_gsm_characters("Hello " + char + char) == (char,)


@pytest.mark.parametrize("char", ["^", "{", "}", "\\", "[", "~", "]", "|", "€", "\f"])
def test_extension_characters_count_two_septets(char: str) -> None:
    assert analyse(char) == Analysis("GSM-7", 1, 2, 1)
    assert analyse(char * 80) == Analysis("GSM-7", 80, 160, 1)
    assert analyse(char * 81).segments == 2


def test_extension_characters_count_one_unit_once_the_text_is_ucs2() -> None:
    assert analyse("€ç") == Analysis("UCS-2", 2, 2, 1)


def test_characters_outside_the_bmp_are_two_units_but_one_character() -> None:
    assert analyse("😀") == Analysis("UCS-2", 1, 2, 1)
    assert analyse("😀" * 35) == Analysis("UCS-2", 35, 70, 1)
    assert analyse("😀" * 36).segments == 2


def test_empty_text_is_one_empty_gsm7_segment() -> None:
    assert analyse("") == Analysis("GSM-7", 0, 0, 1)


# --- segment boundaries -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (159, 1), (160, 1), (161, 2), (305, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_boundaries(length: int, segments: int) -> None:
    assert analyse("a" * length) == Analysis("GSM-7", length, length, segments)


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (69, 1), (70, 1), (71, 2), (133, 2), (134, 2), (135, 3), (201, 3), (202, 4)],
)
@pytest.mark.parametrize("char", ["ç", "ب"])
def test_ucs2_boundaries(char: str, length: int, segments: int) -> None:
    assert analyse(char * length) == Analysis("UCS-2", length, length, segments)


def test_an_escape_pair_is_never_split_across_parts() -> None:
    # 306 septets fit two parts only if the pair is not at septets 153/154.
    assert analyse("a" * 151 + "€" + "a" * 153) == Analysis("GSM-7", 305, 306, 2)
    assert analyse("a" * 152 + "€" + "a" * 152) == Analysis("GSM-7", 305, 306, 3)


def test_a_surrogate_pair_is_never_split_across_parts() -> None:
    assert analyse("ç" * 65 + "😀" + "ç" * 67) == Analysis("UCS-2", 133, 134, 2)
    assert analyse("ç" * 66 + "😀" + "ç" * 66) == Analysis("UCS-2", 133, 134, 3)


@pytest.mark.parametrize("cluster", ["👍🏽", "🇰🇪", "👨\u200d👩\u200d👧", "1\ufe0f\u20e3", "بَّ"])
def test_a_grapheme_cluster_is_kept_in_one_part(cluster: str) -> None:
    # Twilio's calculator and Android's SmsMessage.fragmentText both break UCS-2 parts only at
    # character boundaries, so a cluster that would straddle part one moves whole to part two.
    size = len(cluster.encode("utf-16-le")) // 2
    assert analyse("ç" * (67 - size) + cluster + "ç" * 67).segments == 2
    assert analyse("ç" * (68 - size) + cluster + "ç" * 66).segments == 3


def test_within_segments() -> None:
    assert within_segments("a" * 306, 2)
    assert not within_segments("a" * 307, 2)
    assert within_segments("ç" * 70, 1)
    assert not within_segments("ç" * 71, 1)


# --- look-alikes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("‘Hi’ – it’s “ok” — yes", "'Hi' - it's \"ok\" - yes"),
        ("Wait…", "Wait..."),
        ("5\u00a0000\u202fKES\u2009now\u3000", "5 000 KES now "),
        ("« Aidez\u00a0l'enfant »", '" Aidez l\'enfant "'),
        ("zero\u200bwidth\ufeff\u2060 and\u00adsoft", "zerowidth andsoft"),
        ("\u200fRLM and \u202alr\u202c", "RLM and lr"),
        ("line\u2028sep", "line\nsep"),
        ("−5 °", "−5 °"),  # ° is not GSM-7: the text stays UCS-2 and untouched
    ],
)
def test_normalise_replaces_lookalikes(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_normalise_turns_a_lookalike_message_into_gsm7() -> None:
    raw = "Tafadhali “jibu” — asante…"
    assert analyse(raw).encoding == "UCS-2"
    assert analyse(normalise(raw)) == Analysis("GSM-7", 28, 28, 1)


@pytest.mark.parametrize(
    "text",
    [
        "مرحبا\u200f “123” — شكرا\u2026",  # Arabic with a direction mark and curly quotes
        "می\u200cخواهم – کمک",  # Persian: the ZWNJ is part of the spelling
        "Famille 👨\u200d👩\u200d👧 — merci",  # the ZWJ holds the emoji together
        "Garçon “perdu”",  # ç keeps it UCS-2, where replacing gains nothing
    ],
)
def test_normalise_leaves_text_that_stays_ucs2_untouched(text: str) -> None:
    assert normalise(text) == text


def test_normalise_is_idempotent_and_keeps_gsm7_text() -> None:
    text = "L'enfant a été frappé à l'école {urgent} 50€"
    assert normalise(text) == text
    assert normalise(normalise("“x” … y")) == normalise("“x” … y")


# --- USSD screens -------------------------------------------------------------------------------


def test_ussd_gsm7_screen_holds_the_budget_in_septets() -> None:
    assert ussd_capacity("a" * 160) == Capacity("GSM-7", 160, 160)
    assert ussd_fits("a" * 160)
    assert not ussd_fits("a" * 161)
    assert ussd_fits("[" * 80)
    assert not ussd_fits("[" * 81)
    assert ussd_fits("a" * 182, budget=182)


def test_ussd_ucs2_screen_holds_80_units() -> None:
    assert ussd_capacity("ç" * 10) == Capacity("UCS-2", 10, 80)
    assert ussd_fits("ç" * 80)
    assert not ussd_fits("ç" * 81)
    assert ussd_fits("😀" * 40)
    assert not ussd_fits("😀" * 41)
    assert ussd_capacity("ç", budget=182).limit == 80
    assert ussd_capacity("ç", budget=60).limit == 60


# --- agreement with Twilio's segment calculator -------------------------------------------------


def _twilio_cases() -> list[dict[str, object]]:
    cases: list[dict[str, object]] = json.loads(TWILIO_FIXTURE.read_text(encoding="utf-8"))["cases"]
    return cases


def test_twilio_calculator_agrees_on_every_corpus_string() -> None:
    mismatches = []
    for case in _twilio_cases():
        text = str(case["text"])
        expected = Analysis(
            case["encoding"],  # type: ignore[arg-type]
            int(str(case["characters"])),
            int(str(case["units"])),
            int(str(case["segments"])),
        )
        if analyse(text) != expected:
            mismatches.append((text, analyse(text), expected))
    assert mismatches == []


def test_twilio_corpus_is_large_and_discriminating() -> None:
    cases = _twilio_cases()
    assert len(cases) >= 300
    assert {case["encoding"] for case in cases} == {"GSM-7", "UCS-2"}
    # Cases where dividing units by the part size gives the wrong count: only real packing passes.
    divided = 0
    for case in cases:
        units = int(str(case["units"]))
        single, part = (160, 153) if case["encoding"] == "GSM-7" else (70, 67)
        by_division = 1 if units <= single else math.ceil(units / part)
        divided += by_division != case["segments"]
    assert divided >= 20


def test_twilio_fixture_matches_the_corpus_generator(capsys: pytest.CaptureFixture[str]) -> None:
    spec = importlib.util.spec_from_file_location("encoding_corpus", CORPUS_SCRIPT)
    assert spec is not None and spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    corpus.main()
    texts = json.loads(capsys.readouterr().out)
    assert texts == [case["text"] for case in _twilio_cases()]


def test_is_gsm7_matches_analyse() -> None:
    assert is_gsm7("Habari {rafiki}")
    assert not is_gsm7("Habari ç")
