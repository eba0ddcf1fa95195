"""Dialog benchmark (docs/product.md "Quality bars", issue 4): start-up validation, engine
speed, session size.

    .venv/bin/python bench/dialogs.py [--seconds 3] [--walks 2000] [--seed 4]

1. Load and validate: ``load_tree`` + ``check_tree`` of every tree under ``dialogs/trees/`` in
   the five shipped languages with the example profile's areas, catalogs read afresh each time
   (as at start); target ≤ 1 s.
2. Engine steps per second on one core: ``advance`` + ``render`` over random valid walks
   (random language, random valid keys, valid free text and references, and on the place
   question sometimes the first letters of an area's name).
3. Redis bytes per live USSD session: each hop's record (with its owner, as the webhook keeps
   it) saved by the webhook's own ``UssdSessionStore`` (sealed by a vault with a fresh key)
   into a real Redis (``KINGA_REDIS_URL``, else embedded), measured with the stored value's
   length and ``MEMORY USAGE`` of the record and the phone's pointer (keys, values and Redis
   overhead); target ≤ 1 KB. Typical walks type short answers; worst-case walks fill every
   free-text answer to its maximum length with Arabic letters (two UTF-8 bytes each).
   ``make bench`` also keeps 10,000 sessions live at once (``live_sessions``) and divides
   Redis's memory growth by them.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402

from case_store.crypto import Vault  # noqa: E402
from dialogs.check import check_tree  # noqa: E402
from dialogs.engine import EXIT_KEY, Area, Context, Step, advance, can_resume, start  # noqa: E402
from dialogs.reference import damm_digit  # noqa: E402
from dialogs.render import load_translations, render  # noqa: E402
from dialogs.tree import TREES_DIR, Tree, load_tree  # noqa: E402
from gateway.channels.ussd.intake import OWNER, OWNER_CHARS  # noqa: E402
from gateway.channels.ussd.sessions import UssdSession, UssdSessionStore  # noqa: E402
from gateway.config.profile import load_profile  # noqa: E402
from gateway.config.redis import embedded_redis_url, redis_from_url, stop_embedded_redis  # noqa: E402
from gateway.config.settings import DEFAULT_DEPLOYMENT, DEFAULT_USSD_SESSION_TTL  # noqa: E402
from gateway.runtime import profile_areas  # noqa: E402

LANGUAGES = ("en", "sw", "fr", "ar", "pt")
PROVIDER = "africastalking"
# What the webhook fills in after open_case / lookup_case.
PARAMS = {"reference": "482-177-302", "status": "in_progress"}
LATIN = "abcdefghijklmnopqrstuvwxyz "
ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي "

Walk = Iterator[tuple[str, Step, str]]  # (cumulative text, step, rendered screen)


def load_and_validate(
    areas: tuple[Area, ...],
    budget: int,
    fold: Collection[str],
    most_used: tuple[str, ...],
    max_hops: int,
) -> tuple[float, int]:
    load_translations.cache_clear()
    started = time.perf_counter()
    problems = 0
    for path in sorted(TREES_DIR.glob("*.yaml")):
        tree = load_tree(path)
        problems += len(
            check_tree(tree, LANGUAGES, areas, budget, fold, most_used=most_used, max_hops=max_hops)
        )
    return time.perf_counter() - started, problems


def free_text(rng: random.Random, length: int, alphabet: str) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length)).strip() or alphabet[0]


def answer(tree: Tree, step: Step, rng: random.Random, context: Context, worst: bool) -> str:
    """A valid answer to the current screen."""
    language = context.language
    node = tree.nodes[step.state["node"]]
    if node.kind == "list" and node.source == "areas" and rng.random() < 0.3:
        return rng.choice(context.areas).label(language)[:3]
    if node.kind == "input":
        if node.check == "reference":
            digits = "".join(rng.choice("0123456789") for _ in range(8))
            return digits + damm_digit(digits)
        if node.check == "digits":
            return str(rng.randrange(1, 10**6))
        if node.optional and not worst and rng.random() < 0.3:
            return EXIT_KEY
        limit = node.max_length or 160
        alphabet = ARABIC if language == "ar" else LATIN
        if worst:
            return free_text(rng, limit, ARABIC).ljust(limit, ARABIC[0])
        return free_text(rng, rng.randint(3, min(limit, 40)), alphabet)
    keys = [choice.key for choice in step.screen.options]
    if not worst and rng.random() < 0.03:
        return EXIT_KEY
    return rng.choice([key for key in keys if key != EXIT_KEY] or keys)


def walk(
    tree: Tree,
    context: Context,
    rng: random.Random,
    worst: bool = False,
    script: list[str] | None = None,
) -> Walk:
    """A session to its end: random valid answers, or the ``script``'s answers in order."""
    translations = load_translations(context.language)
    step = start(tree, context)
    answers: list[str] = []
    fold = context.fold_accents
    yield "", step, render(step.screen, translations, PARAMS, fold)
    while not step.screen.end:
        if script is not None and len(answers) == len(script):
            break
        value = (
            script[len(answers)] if script is not None else answer(tree, step, rng, context, worst)
        )
        answers.append(value)
        step = advance(tree, step.state, value, context)
        yield "*".join(answers), step, render(step.screen, translations, PARAMS, fold)


def contexts(
    areas: tuple[Area, ...],
    numbers: Any,
    budget: int,
    fold: Collection[str],
    most_used: tuple[str, ...],
) -> list[Context]:
    return [
        Context(
            areas=areas,
            emergency_numbers=numbers,
            language=language,
            languages=LANGUAGES,
            budget=budget,
            fold_accents=language in fold,
            most_used=most_used,
        )
        for language in LANGUAGES
    ]


def steps_per_second(
    tree: Tree, all_contexts: list[Context], seconds: float, rng: random.Random
) -> tuple[float, int]:
    for context in all_contexts:  # warm the page cache, as a running web process has it
        for _ in range(20):
            for _hop in walk(tree, context, rng):
                pass
    steps = walks = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        for _hop in walk(tree, rng.choice(all_contexts), rng):
            steps += 1
        walks += 1
    return steps / (time.perf_counter() - started), walks


def session_sizes(
    tree: Tree,
    all_contexts: list[Context],
    walks: int,
    rng: random.Random,
    worst: bool,
    store: UssdSessionStore,
    script: list[str] | None = None,
) -> tuple[list[int], list[int], str]:
    """Per hop: bytes of the session record, and MEMORY USAGE of everything the session keeps
    in Redis (the record and the caller's latest-session pointer); the largest record's language.
    """
    values: list[int] = []
    memory: list[int] = []
    largest = (0, "")
    for n in range(walks):
        context = all_contexts[LANGUAGES.index("ar")] if worst else rng.choice(all_contexts)
        session_id = f"bench-{'w' if worst else 't'}-{n}"
        phone_hash = hashlib.sha256(session_id.encode()).hexdigest()  # as long as the HMAC
        keys = [store.key(PROVIDER, session_id), store.latest_key(PROVIDER, phone_hash)]
        started = time.time()
        for text, step, reply in walk(tree, context, rng, worst, script):
            save(store, tree, session_id, phone_hash, text, step, reply, context, started)
            size = len(store.client.get(keys[0]) or b"")
            values.append(size)
            memory.append(sum(int(store.client.memory_usage(key) or 0) for key in keys))
            if size > largest[0]:
                largest = (size, context.language)
        store.client.delete(*keys)
    return values, memory, largest[1]


def save(
    store: UssdSessionStore,
    tree: Tree,
    session_id: str,
    phone_hash: str,
    text: str,
    step: Step,
    reply: str,
    context: Context,
    started: float,
) -> None:
    """Save a hop's record as the webhook does."""
    state = {**step.state, OWNER: phone_hash[:OWNER_CHARS]}
    record = UssdSession.after(text, state, reply, step.screen.end, context.language, started)
    resumable = can_resume(tree, state)
    store.save(PROVIDER, session_id, phone_hash, record, resumable=resumable)


def live_sessions(store: UssdSessionStore, count: int, seed: int) -> dict[str, float]:
    """Redis bytes per live USSD session with ``count`` sessions live at once, each a random
    valid walk stopped at a random hop (its end included) and saved hop by hop by the
    webhook's store: the growth of Redis's ``used_memory`` over ``count``, and the mean
    ``MEMORY USAGE`` of a session's keys (its record, and the caller's pointer when kept)."""
    rng = random.Random(seed)
    profile = load_profile(DEFAULT_DEPLOYMENT)
    tree = load_tree(TREES_DIR / "ussd.yaml")
    all_contexts = contexts(
        profile_areas(profile), profile.emergency_numbers, profile.screen_budget,
        profile.fold_accents, profile.most_used,
    )  # fmt: skip
    client = store.client
    keys: list[str] = []
    before = int(client.info("memory")["used_memory"])
    started = time.time()
    for n in range(count):
        context = rng.choice(all_contexts)
        hops = list(walk(tree, context, rng))
        session_id = f"bench-live-{seed}-{n}"
        phone_hash = hashlib.sha256(session_id.encode()).hexdigest()  # as long as the HMAC
        for text, step, reply in hops[: rng.randrange(len(hops)) + 1]:
            save(store, tree, session_id, phone_hash, text, step, reply, context, started)
        keys += [store.key(PROVIDER, session_id), store.latest_key(PROVIDER, phone_hash)]
    grown = int(client.info("memory")["used_memory"]) - before
    sample = keys[: 2 * min(count, 1000)]
    usage = sum(int(client.memory_usage(key) or 0) for key in sample) / (len(sample) / 2)
    values = [len(client.get(key) or b"") for key in sample[::2]]
    for start_at in range(0, len(keys), 1000):
        client.delete(*keys[start_at : start_at + 1000])
    return {
        "sessions": count,
        "used_memory_per_session": grown / count,
        "memory_usage_per_session": usage,
        "stored_value_mean": statistics.fmean(values),
        "stored_value_max": max(values),
    }


def one_report(tree: Tree) -> list[str]:
    """One report without "Start again": call-back agreed, place and narrative typed in
    Arabic to their maximum length (the largest record one straight report can make)."""
    place = tree.nodes["report_place"].max_length or 160
    narrative = tree.nodes["report_narrative"].max_length or 160
    return [
        "1", "2", "3", "2", "1", "1", ARABIC[0] * place, "3", ARABIC[1] * narrative, "1", "1", "1",
    ]  # fmt: skip


def describe(label: str, values: list[int]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"  {label:<38} mean {statistics.fmean(values):6.0f} B   p99 {p99:5d} B   "
        f"max {ordered[-1]:5d} B"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0, help="engine timing duration")
    parser.add_argument("--walks", type=int, default=2000, help="sessions for the size figures")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    rng = random.Random(args.seed)

    profile = load_profile(DEFAULT_DEPLOYMENT)
    areas = profile_areas(profile)
    budget = profile.screen_budget
    print(
        f"trees: {', '.join(p.name for p in sorted(TREES_DIR.glob('*.yaml')))}; "
        f"languages: {', '.join(LANGUAGES)}; areas: {len(areas)}; budget: {budget}"
    )

    timings = []
    problems = 0
    for _ in range(5):
        elapsed, problems = load_and_validate(
            areas, budget, profile.fold_accents, profile.most_used, profile.max_hops
        )
        timings.append(elapsed)
    print(
        f"load + validate all trees in all languages: first {timings[0]:.3f} s, "
        f"median of 5 {statistics.median(timings):.3f} s (target ≤ 1 s); "
        f"{problems} problem(s) reported"
    )

    tree = load_tree(TREES_DIR / "ussd.yaml")
    all_contexts = contexts(
        areas, profile.emergency_numbers, budget, profile.fold_accents, profile.most_used
    )
    rate, walks = steps_per_second(tree, all_contexts, args.seconds, rng)
    print(
        f"engine: {rate:,.0f} steps/s on one core (advance + render, {walks:,} random "
        f"valid walks in {args.seconds:g} s)"
    )

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("KINGA_REDIS_URL") or embedded_redis_url(Path(tmp) / "redis")
        client = redis_from_url(url)
        vault = Vault([Fernet.generate_key().decode()], "bench-phone-hash-key")
        store = UssdSessionStore(client, vault, DEFAULT_USSD_SESSION_TTL, profile.resume_seconds)
        print(f"redis bytes per live USSD session (target ≤ 1 KB = 1024 B), {args.walks} walks:")
        for worst, label in ((False, "typical"), (True, "worst (max-length Arabic)")):
            values, memory, language = session_sizes(
                tree,
                all_contexts,
                args.walks if not worst else max(1, args.walks // 10),
                rng,
                worst,
                store,
            )
            print(describe(f"{label} stored value", values) + f"   (largest: {language})")
            print(describe(f"{label} MEMORY USAGE", memory))
        values, memory, _language = session_sizes(
            tree, all_contexts, 1, rng, True, store, one_report(tree)
        )
        print(describe("one report, max-length Arabic value", values))
        print(describe("one report, max-length Arabic MEMORY", memory))
        client.close()
        stop_embedded_redis()


if __name__ == "__main__":
    main()
