"""The deployment profile: what differs between countries and agencies, as validated data.

A profile is a folder (``KINGA_DEPLOYMENT``, default ``deployments/example/``) holding
``profile.yaml`` and ``locations.yaml`` (the areas: code, name, the name as written in other
languages, aliases; and the most used areas, which the place question shows first). Loading
checks everything and raises one ``ProfileError`` that lists every problem, so a bad profile
stops start-up with a clear message.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from case_store.categories import CategoryMapping, InvalidCategoryMapping, mappings_from_profile
from case_store.crypto import E164
from case_store.deadline_steps import DeadlinePolicy, InvalidDeadlines
from case_store.enums import Category
from case_store.follow_ups import InvalidQuietHours, QuietHours, parse_quiet_hours
from case_store.on_call import FALLBACK_ROLES, AlertFallback
from case_store.primero import FieldMap, InvalidFieldMap
from case_store.retention import InvalidRetention, RetentionPolicy
from case_store.triage import InvalidPolicy, TriagePolicy, parse_duration

USSD_MAX_BUDGET = 182
MAX_HOPS_LIMIT = 10
# A provider that has not answered a referral is reminded once after this, and its caseworker
# told after that (profile ``referrals``); the sweep runs every minute.
DEFAULT_REFERRAL_REMIND_AFTER = timedelta(hours=4)
DEFAULT_REFERRAL_REPLY_WITHIN = timedelta(hours=24)
REFERRAL_STEP_MINIMUM = timedelta(minutes=1)


class ProfileError(ValueError):
    """The deployment profile is invalid; ``problems`` lists every issue found."""

    def __init__(self, folder: Path, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"invalid deployment profile {folder}: " + "; ".join(problems))


class UnknownArea(ValueError):
    """Text that names no area of the profile; the message suggests near matches."""


@dataclass(frozen=True)
class Location:
    code: str
    name: str
    # The name as written for readers of a language ((language, spelling) pairs), and other
    # names callers use for the area (a main town, an old spelling).
    names: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


def _fold(text: str) -> str:
    """How area text is compared: case and runs of spaces do not matter."""
    return " ".join(text.split()).casefold()


def _area_keys(location: Location) -> Iterator[str]:
    """What names ``location``: its code as listed (``047``), a numeric code without its leading
    zeros (``47``), its name, its spellings in other languages and its aliases."""
    yield _fold(location.code)
    if location.code.isdigit():
        yield str(int(location.code))
    yield _fold(location.name)
    for _language, spelling in location.names:
        yield _fold(spelling)
    for alias in location.aliases:
        yield _fold(alias)


@dataclass(frozen=True)
class Profile:
    name: str
    time_zone: ZoneInfo
    languages: tuple[str, ...]
    default_language: str
    language_by_country_code: Mapping[str, str]
    service_code: str
    screen_budget: int
    resume_seconds: int
    # The most numbers a caller may have to press to answer one question (`kinga dialogs check`).
    max_hops: int
    fold_accents: frozenset[str]
    locations: tuple[Location, ...]
    # Area codes the place question shows first, in this order, as room allows.
    most_used: tuple[str, ...]
    # Numbers for callers from a country not listed below; a country's own numbers, then an
    # area's, override them key by key.
    emergency_numbers: Mapping[str, str]
    emergency_numbers_by_area: Mapping[str, Mapping[str, str]]
    emergency_numbers_by_country_code: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    triage: Mapping[str, Any] = field(default_factory=dict)
    # Concern category → Primero protection concerns and CHI category; empty when not given.
    categories: Mapping[Category, CategoryMapping] = field(default_factory=dict)
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    alert_fallback: AlertFallback = field(default_factory=AlertFallback)
    referral_remind_after: timedelta = DEFAULT_REFERRAL_REMIND_AFTER
    referral_reply_within: timedelta = DEFAULT_REFERRAL_REPLY_WITHIN
    # Local hours in which no follow-up is sent to a reporter (held until they end); None: any.
    follow_up_quiet_hours: QuietHours | None = None
    # Reminders before each deadline and the wait from an escalation to the fallback.
    deadlines: DeadlinePolicy = field(default_factory=DeadlinePolicy)
    # Kinga's fields → Primero's (``primero.fields``); None when the profile gives none.
    primero_fields: FieldMap | None = None

    @cached_property
    def triage_policy(self) -> TriagePolicy:
        """The profile's triage rules, or the default policy when it states none."""
        return TriagePolicy.from_mapping(self.triage) if self.triage else TriagePolicy.default()

    def location(self, code: str) -> Location | None:
        return next((loc for loc in self.locations if loc.code == code), None)

    @cached_property
    def _areas_by_key(self) -> dict[str, Location]:
        return {key: loc for loc in self.locations for key in _area_keys(loc)}

    def find_area(self, text: str) -> Location:
        """The area ``text`` names (code, short code or name, in any case; see ``_area_keys``).

        Anything else raises ``UnknownArea``, naming the closest areas when some are close.
        """
        wanted = _fold(text)
        if wanted.isdigit():
            wanted = str(int(wanted))
        found = self._areas_by_key.get(wanted)
        if found is not None:
            return found
        close = difflib.get_close_matches(wanted, self._areas_by_key, n=3, cutoff=0.75)
        near = list(dict.fromkeys(str(self._areas_by_key[key]) for key in close))
        hint = f"did you mean {' or '.join(near)}?" if near else "`kinga areas list` prints them"
        raise UnknownArea(f"unknown area {text!r}; {hint}")

    def emergency_numbers_for(
        self, phone_e164: str | None, area_code: str | None = None
    ) -> Mapping[str, str]:
        """The numbers a caller from ``phone_e164`` (in ``area_code``, when known) is shown."""
        country = _country_code(phone_e164 or "", self.emergency_numbers_by_country_code)
        return {
            **self.emergency_numbers,
            **self.emergency_numbers_by_country_code.get(country or "", {}),
            **self.emergency_numbers_by_area.get(area_code or "", {}),
        }

    @cached_property
    def longest_emergency_numbers(self) -> Mapping[str, str]:
        """Every service any caller may be shown, each with its longest number: what a help
        screen must have room for, whoever calls."""
        longest: dict[str, str] = {}
        for numbers in (
            self.emergency_numbers,
            *self.emergency_numbers_by_country_code.values(),
            *self.emergency_numbers_by_area.values(),
        ):
            for key, number in numbers.items():
                if len(number) > len(longest.get(key, "")):
                    longest[key] = number
        return longest

    def language_for(self, phone_e164: str) -> str:
        country = _country_code(phone_e164, self.language_by_country_code)
        if country is not None:
            return self.language_by_country_code[country]
        return self.default_language


def _country_code(phone_e164: str, known: Mapping[str, object]) -> str | None:
    """The longest calling code in ``known`` that ``phone_e164`` starts with."""
    digits = phone_e164.lstrip("+")
    return next(
        (code for code in sorted(known, key=len, reverse=True) if digits.startswith(code)), None
    )


def _read_yaml(path: Path, problems: list[str]) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{path.name} is missing")
        return {}
    except yaml.YAMLError as exc:
        problems.append(f"{path.name} is not valid YAML: {exc}")
        return {}
    if not isinstance(data, dict):
        problems.append(f"{path.name} must be a mapping")
        return {}
    return data


def _str_map(value: Any, where: str, problems: list[str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        problems.append(f"{where} must map names to quoted strings")
        return {}
    return dict(value)


def _alert_fallback(value: Any, problems: list[str]) -> AlertFallback:
    fallback = value.get("fallback") if isinstance(value, dict) else None
    if not isinstance(fallback, dict) or not (fallback.get("roles") or fallback.get("duty_phone")):
        problems.append(
            "alerts.fallback must name roles and/or a duty_phone: nobody on call must never "
            "mean nobody told"
        )
        return AlertFallback()
    roles = fallback.get("roles") or []
    allowed = {role.value: role for role in FALLBACK_ROLES}
    if not isinstance(roles, list) or any(role not in allowed for role in roles):
        problems.append(f"alerts.fallback.roles may hold {', '.join(allowed)}")
        roles = []
    phone = fallback.get("duty_phone")
    if phone is not None and not (isinstance(phone, str) and E164.fullmatch(phone)):
        problems.append('alerts.fallback.duty_phone must be a quoted E.164 number ("+254…")')
        phone = None
    return AlertFallback(tuple(allowed[role] for role in dict.fromkeys(roles)), phone)


def _referral_times(value: Any, problems: list[str]) -> tuple[timedelta, timedelta]:
    """``referrals: {remind_after: 4h, reply_within: 24h}``: (remind after, reply within)."""
    defaults = (DEFAULT_REFERRAL_REMIND_AFTER, DEFAULT_REFERRAL_REPLY_WITHIN)
    if value is None:
        return defaults
    keys = ("remind_after", "reply_within")
    if not isinstance(value, dict) or set(value) - set(keys):
        problems.append("referrals may hold remind_after and reply_within (durations: 4h, 1d)")
        return defaults
    times = list(defaults)
    for i, key in enumerate(keys):
        if key in value:
            try:
                times[i] = parse_duration(value[key], f"referrals.{key}")
            except InvalidPolicy as exc:
                problems.append(str(exc))
                return defaults
    remind, reply = times
    if remind < REFERRAL_STEP_MINIMUM or reply <= remind:
        problems.append(
            "referrals.remind_after must be at least 1m and shorter than referrals.reply_within"
        )
        return defaults
    return remind, reply


def _follow_up_quiet_hours(value: Any, problems: list[str]) -> QuietHours | None:
    """``follow_ups: {quiet_hours: "21:00-07:00"}``; no section or no key: no quiet hours."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"quiet_hours"}:
        problems.append('follow_ups may only hold quiet_hours, e.g. quiet_hours: "21:00-07:00"')
        return None
    hours = value.get("quiet_hours")
    if hours is None:
        return None
    if not isinstance(hours, str):
        problems.append('follow_ups.quiet_hours must be a quoted "HH:MM-HH:MM", e.g. "21:00-07:00"')
        return None
    try:
        return parse_quiet_hours(hours)
    except InvalidQuietHours as exc:
        problems.append(f"follow_ups.quiet_hours: {exc}")
        return None


def _locations(
    places: dict[str, Any], enabled: tuple[str, ...], problems: list[str]
) -> list[Location]:
    """``{code: "047", name: Nairobi, names: {ar: نيروبي}, aliases: [Nairobi City]}`` each."""
    locations: list[Location] = []
    seen: set[str] = set()
    for i, entry in enumerate(places.get("locations") or []):
        entry = entry if isinstance(entry, dict) else {}
        code, name = entry.get("code"), entry.get("name")
        if not isinstance(code, str) or not code or not isinstance(name, str) or not name:
            problems.append(f"locations[{i}] needs a quoted code and a name")
            continue
        if code in seen:
            problems.append(f"location code {code!r} appears twice")
        seen.add(code)
        names = _str_map(entry.get("names"), f"location {code} names", problems)
        for language in names:
            if language not in enabled:
                problems.append(f"location {code} names a spelling for {language!r}, not enabled")
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list) or not all(isinstance(a, str) and a for a in aliases):
            problems.append(f"location {code} aliases must be a list of names")
            aliases = []
        locations.append(Location(code, name, tuple(names.items()), tuple(aliases)))
    return locations


def load_profile(folder: Path) -> Profile:
    problems: list[str] = []
    data = _read_yaml(folder / "profile.yaml", problems)
    places = _read_yaml(folder / "locations.yaml", problems)

    tz = ZoneInfo("UTC")
    try:
        tz = ZoneInfo(str(data.get("time_zone", "UTC")))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"time_zone {data.get('time_zone')!r} is not a known time zone")

    langs = data.get("languages") or {}
    enabled = tuple(langs.get("enabled") or ("en",))
    default = str(langs.get("default", enabled[0]))
    by_cc = _str_map(langs.get("by_country_code"), "languages.by_country_code", problems)
    for lang in (default, *by_cc.values()):
        if lang not in enabled:
            problems.append(f"language {lang!r} is used but not in languages.enabled")

    ussd = data.get("ussd") or {}
    service_code = str(ussd.get("service_code", ""))
    if not (service_code.startswith("*") and service_code.endswith("#")):
        problems.append("ussd.service_code must look like *384*116#")
    resume_minutes = ussd.get("resume_minutes", 10)
    if not isinstance(resume_minutes, int) or not 0 <= resume_minutes <= 60:
        problems.append("ussd.resume_minutes must be a whole number from 0 to 60")
        resume_minutes = 10
    fold = langs.get("fold_accents") or []
    if not isinstance(fold, list) or any(lang not in enabled for lang in fold):
        problems.append("languages.fold_accents must list enabled languages")
        fold = []
    budget = ussd.get("screen_budget", 160)
    if not isinstance(budget, int) or not 40 <= budget <= USSD_MAX_BUDGET:
        problems.append(f"ussd.screen_budget must be a whole number from 40 to {USSD_MAX_BUDGET}")
        budget = 160
    max_hops = ussd.get("max_hops_per_question", 3)
    if (
        not isinstance(max_hops, int)
        or isinstance(max_hops, bool)
        or not (1 <= max_hops <= MAX_HOPS_LIMIT)
    ):
        problems.append(
            f"ussd.max_hops_per_question must be a whole number from 1 to {MAX_HOPS_LIMIT}"
        )
        max_hops = 3

    locations = _locations(places, enabled, problems)
    seen = {location.code for location in locations}
    if not locations and not problems:
        problems.append("locations.yaml lists no locations")
    most_used = places.get("most_used") or []
    if not isinstance(most_used, list) or not all(isinstance(c, str) for c in most_used):
        problems.append('most_used must list quoted location codes ("047")')
        most_used = []
    for code in most_used:
        if code not in seen:
            problems.append(f"most_used names unknown location {code!r}")
    if len(set(most_used)) != len(most_used):
        problems.append("most_used names a location twice")
    named: dict[str, Location] = {}
    for location in locations:
        for key in _area_keys(location):
            other = named.setdefault(key, location)
            if other is not location and other.code != location.code:
                problems.append(f"{key!r} names both {other} and {location}")

    numbers = data.get("emergency_numbers") or {}
    default_numbers = _str_map(numbers.get("default"), "emergency_numbers.default", problems)
    by_area: dict[str, dict[str, str]] = {}
    for code, entry in (numbers.get("by_area") or {}).items():
        if code not in seen:
            problems.append(f"emergency_numbers.by_area names unknown location {code!r}")
        by_area[str(code)] = _str_map(entry, f"emergency_numbers.by_area.{code}", problems)
    if not default_numbers:
        problems.append("emergency_numbers.default must give at least one number")
    by_country: dict[str, dict[str, str]] = {}
    for code, entry in (numbers.get("by_country_code") or {}).items():
        where = f"emergency_numbers.by_country_code.{code}"
        by_country[str(code)] = _str_map(entry, where, problems)
        if not by_country[str(code)]:
            problems.append(f"{where} must give at least one number")
    for code in by_cc:
        if code not in by_country:
            problems.append(
                f"emergency_numbers.by_country_code has no numbers for {code}: callers from "
                "there would be shown another country's numbers"
            )

    triage = data.get("triage") or {}
    if triage:
        try:
            TriagePolicy.from_mapping(triage)
        except InvalidPolicy as exc:
            problems.append(str(exc))
    categories: Mapping[Category, CategoryMapping] = {}
    if data.get("categories") is not None:
        try:
            categories = mappings_from_profile(data["categories"])
        except InvalidCategoryMapping as exc:
            problems.extend(exc.problems)
    retention = RetentionPolicy()
    if data.get("retention") is not None:
        try:
            retention = RetentionPolicy.from_mapping(data["retention"])
        except InvalidRetention as exc:
            problems.append(str(exc))

    alert_fallback = _alert_fallback(data.get("alerts"), problems)
    remind_after, reply_within = _referral_times(data.get("referrals"), problems)
    quiet_hours = _follow_up_quiet_hours(data.get("follow_ups"), problems)
    deadlines = DeadlinePolicy()
    if data.get("deadlines") is not None:
        try:
            deadlines = DeadlinePolicy.from_mapping(data["deadlines"])
        except InvalidDeadlines as exc:
            problems.append(str(exc))

    primero_fields = None
    primero = data.get("primero")
    if primero is not None:
        if not isinstance(primero, dict) or set(primero) != {"fields"}:
            problems.append("primero must hold exactly fields: {kinga_field: primero_field}")
        else:
            try:
                primero_fields = FieldMap.from_profile(primero["fields"])
            except InvalidFieldMap as exc:
                problems.extend(exc.problems)
            if (
                primero_fields is not None
                and primero_fields.name("protection_concerns")
                and not categories
            ):
                problems.append(
                    "primero.fields sends protection_concerns: categories must map them"
                )

    if problems:
        raise ProfileError(folder, problems)
    return Profile(
        name=str(data.get("name", folder.name)),
        time_zone=tz,
        languages=enabled,
        default_language=default,
        language_by_country_code=by_cc,
        service_code=service_code,
        screen_budget=budget,
        resume_seconds=resume_minutes * 60,
        max_hops=max_hops,
        fold_accents=frozenset(fold),
        locations=tuple(locations),
        most_used=tuple(most_used),
        emergency_numbers=default_numbers,
        emergency_numbers_by_area=by_area,
        emergency_numbers_by_country_code=by_country,
        triage=triage,
        categories=categories,
        retention=retention,
        alert_fallback=alert_fallback,
        referral_remind_after=remind_after,
        referral_reply_within=reply_within,
        follow_up_quiet_hours=quiet_hours,
        deadlines=deadlines,
        primero_fields=primero_fields,
    )
