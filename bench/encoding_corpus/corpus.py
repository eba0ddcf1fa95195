"""Deterministic corpus of SMS texts around the segment boundaries, printed as a JSON list.

Usage: python corpus.py > corpus.json   (see README.md)
"""

from __future__ import annotations

import json
import random
import string
import sys

SEED = 20240605

GSM_PLAIN = string.ascii_letters + string.digits + " .,?!:;'\"()*+-/<=>%&#@$\n"
GSM_EXTENSION = "^{}\\[~]|€\f"
GSM_ACCENTED = "éèùìòàäöñüÄÖÑÜÅåÆæßÉØøÇΓΔΘΛΞΠΣΦΨΩ¡¿§£¥¤"
NON_GSM_ACCENTED = "áíóúâêôãõçÁÍÓÚÂÊÔÃÕîïëœÿ"
LOOKALIKES = "‘’“”–—…\u00a0\u202f«»"
EMOJI_SINGLE = ["😀", "🙏", "👍", "❤", "☺", "✅", "🆘", "📞", "😢"]  # BMP and beyond
EMOJI_CLUSTERS = [
    *["👍🏽", "🙏🏿"],  # skin-tone modifiers
    *["🇰🇪", "🇸🇩", "🇧🇷"],  # flags (regional indicator pairs)
    *["👨\u200d👩\u200d👧", "👩\u200d👧"],  # ZWJ sequences
    *["❤\ufe0f", "1\ufe0f\u20e3"],  # variation selector, keycap
]
EMOJI = EMOJI_SINGLE + EMOJI_CLUSTERS
PHRASES = {
    "sw": [
        "Habari, kuna mtoto yuko hatarini karibu na shule.",
        "Tafadhali tuma msaada haraka.",
        "Mtoto amepigwa na mzazi wake jana usiku.",
        "Jibu 1 kuendelea, 0 kuondoka.",
        "Asante kwa kuripoti. Nambari yako ya kumbukumbu ni 482-177-305.",
    ],
    "fr": [
        "L'enfant a été frappé à l'école hier.",
        "Le garçon ne mange plus depuis trois jours.",
        "Répondez 1 pour continuer, 0 pour quitter.",
        "Il faut être prudent : la fillette a peur.",
        "Merci, votre référence est 482-177-305.",
    ],
    "pt": [
        "A criança está em perigo e não tem comida.",
        "O menino foi agredido na escola ontem.",
        "Responda 1 para continuar, 0 para sair.",
        "Obrigado pela informação, a situação é grave.",
        "Você está em segurança agora?",
    ],
    "ar": [
        "مرحبا، هناك طفل في خطر بالقرب من المدرسة.",
        "الرجاء إرسال المساعدة بسرعة.",
        "مَرْحَبًا، شُكْرًا لَكُمْ.",
        "رقمك المرجعي هو 482-177-305.",
        "أجب 1 للمتابعة، 0 للخروج.",
    ],
    "en": [
        "Hello, a child is in danger near the school.",
        "Reply 1 to continue, 0 to exit.",
        "Thank you. Your reference is 482-177-305.",
        "Call 116 for free, any time.",
        "Price: 50 KES [approx] {ok} ~ 0.40 € | done ^_^ \\o/",
    ],
}
GSM_BOUNDARIES = [160, 306, 459]
UCS2_BOUNDARIES = [70, 134, 201]


def boundary_cases() -> list[str]:
    cases: list[str] = [""]
    for n in [*range(158, 163), *range(304, 309), *range(457, 462)]:
        cases.append("a" * n)
    for n in [*range(68, 73), *range(132, 137), *range(199, 204)]:
        cases.append("ç" * n)
    # An escape pair around the end of the first part, in texts that fill two parts exactly
    # when nothing is wasted (306 septets) or leave one septet spare (305): a split that is
    # avoided costs a third part.
    for k in range(149, 156):
        for total in (305, 306):
            cases.append("a" * k + "€" + "a" * (total - 2 - k))
        cases.append("a" * k + "{" + "a" * 10)
    for k in range(77, 81):  # only extension characters
        cases.append("|" * k)
    # A surrogate pair or grapheme cluster around the end of a UCS-2 part, in texts of exactly
    # two parts' worth of units (134) or one spare.
    clusters = ["😀", "👍🏽", "🇰🇪", "👨\u200d👩\u200d👧", "1\ufe0f\u20e3", "❤\ufe0f", "بَّ"]
    for cluster in clusters:
        size = len(cluster.encode("utf-16-le")) // 2
        for k in range(62, 68):
            for total in (133, 134):
                cases.append("ç" * k + cluster + "ç" * (total - size - k))
    for k in range(62, 68):  # Arabic base letter with its harakat at the boundary
        cases.append("ب" * k + "بَّ" + "ب" * (134 - 3 - k))
    for k in range(60, 71):  # emoji only
        cases.append("😀" * k)
    return cases


def random_text(rng: random.Random) -> str:
    lang = rng.choice(sorted(PHRASES))
    kind = rng.choice(["plain", "extension", "gsm_accent", "non_gsm", "emoji", "lookalike"])
    gsm = kind in {"plain", "extension", "gsm_accent"}
    target = rng.choice(GSM_BOUNDARIES if gsm else UCS2_BOUNDARIES) + rng.randint(-3, 3)
    pieces: list[str] = []
    length = 0
    while length < target:
        roll = rng.random()
        if roll < 0.5:
            piece = rng.choice(PHRASES[lang]) + " "
        elif roll < 0.8:
            piece = "".join(rng.choice(GSM_PLAIN) for _ in range(rng.randint(1, 12)))
        elif kind == "extension":
            piece = rng.choice(GSM_EXTENSION)
        elif kind == "gsm_accent":
            piece = rng.choice(GSM_ACCENTED)
        elif kind == "non_gsm":
            piece = rng.choice(NON_GSM_ACCENTED)
        elif kind == "emoji":
            piece = rng.choice(EMOJI)
        elif kind == "lookalike":
            piece = rng.choice(LOOKALIKES)
        else:
            piece = rng.choice(GSM_PLAIN)
        pieces.append(piece)
        length += len(piece)
    return "".join(pieces)[: max(target, 1)]


def main() -> None:
    rng = random.Random(SEED)
    cases = boundary_cases()
    cases += [random_text(rng) for _ in range(300)]
    # Pad plain-GSM texts to their exact boundary (±1) so every boundary is hit.
    for lang in sorted(PHRASES):
        for boundary in GSM_BOUNDARIES + UCS2_BOUNDARIES:
            base = " ".join(PHRASES[lang]) * 6
            for delta in (-1, 0, 1):
                cases.append(base[: boundary + delta])
    json.dump(list(dict.fromkeys(cases)), sys.stdout, ensure_ascii=False, indent=0)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
