import re
from pathlib import Path

import pytest
import yaml

from gateway.config.profile import ProfileError, load_profile
from gateway.config.settings import DEFAULT_DEPLOYMENT


def test_example_profile_ships_kenyas_47_counties():
    profile = load_profile(DEFAULT_DEPLOYMENT)
    codes = [loc.code for loc in profile.locations]
    assert codes == [f"{n:03d}" for n in range(1, 48)]
    assert profile.location("001").name == "Mombasa"
    assert profile.location("047").name == "Nairobi"
    assert profile.emergency_numbers_for("+254700000001", "047")["child_helpline"] == "116"
    assert profile.service_code == "*384*116#"
    assert profile.language_for("+254700000001") in profile.languages


def _write(folder: Path, profile: dict, locations: dict) -> Path:
    (folder / "profile.yaml").write_text(yaml.safe_dump(profile))
    (folder / "locations.yaml").write_text(yaml.safe_dump(locations))
    return folder


def test_every_problem_is_reported_together(tmp_path):
    folder = _write(
        tmp_path,
        {
            "time_zone": "Mars/Olympus",
            "languages": {"enabled": ["en"], "default": "sw"},
            "ussd": {"service_code": "384", "screen_budget": 500},
            "emergency_numbers": {"default": {}, "by_area": {"999": {"police": "112"}}},
        },
        {"locations": [{"code": "001", "name": "A"}, {"code": "001", "name": "B"}, {"name": "C"}]},
    )
    with pytest.raises(ProfileError) as error:
        load_profile(folder)
    problems = " | ".join(error.value.problems)
    for expected in (
        "time_zone",
        "'sw' is used but not in languages.enabled",
        "service_code",
        "screen_budget",
        "'001' appears twice",
        "locations[2]",
        "unknown location '999'",
        "emergency_numbers.default",
    ):
        assert expected in problems


def test_missing_profile_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ProfileError, match=r"profile\.yaml is missing"):
        load_profile(tmp_path / "nowhere")


def test_example_triage_is_design_section_6_written_out():
    from case_store.triage import TriagePolicy

    profile = load_profile(DEFAULT_DEPLOYMENT)
    assert profile.triage, "the example profile writes its triage policy explicitly"
    policy = TriagePolicy.from_mapping(profile.triage)
    default = TriagePolicy.default()
    assert policy.category_levels == default.category_levels
    assert policy.deadlines == default.deadlines
    assert policy.raise_rules == default.raise_rules
    assert policy.category_levels["labour_trafficking"].value == "high"


def test_example_maps_every_category_to_primero_and_chi():
    from case_store.categories import CHI_CATEGORIES, PRIMERO_PROTECTION_CONCERNS
    from case_store.enums import Category

    profile = load_profile(DEFAULT_DEPLOYMENT)
    assert set(profile.categories) == set(Category)
    for mapping in profile.categories.values():
        assert set(mapping.primero_protection_concerns) <= PRIMERO_PROTECTION_CONCERNS
        assert mapping.chi_category in CHI_CATEGORIES
    assert profile.categories[Category.MISSING_SEPARATED].chi_category == "missing_children"
    assert "trafficked_smuggled" in (
        profile.categories[Category.LABOUR_TRAFFICKING].primero_protection_concerns
    )
    assert profile.retention.message_body.days == 30
    assert profile.retention.narrative.days == 5 * 365


def test_bad_triage_categories_and_retention_are_reported(tmp_path):
    example = yaml.safe_load((DEFAULT_DEPLOYMENT / "profile.yaml").read_text())
    example["triage"]["categories"]["neglect"] = "urgent"
    example["categories"]["sexual_abuse"] = {"primero": ["abuse"], "chi": "violence"}
    example["categories"]["online_abuse"]["chi"] = "internet"
    del example["categories"]["other"]
    example["retention"]["narrative"] = "forever"
    locations = yaml.safe_load((DEFAULT_DEPLOYMENT / "locations.yaml").read_text())
    folder = _write(tmp_path, example, locations)
    with pytest.raises(ProfileError) as error:
        load_profile(folder)
    problems = " | ".join(error.value.problems)
    for expected in (
        "triage.categories.neglect",
        "categories.sexual_abuse.primero: unknown protection concern ids ['abuse']",
        "categories.online_abuse.chi",
        "no mapping for other",
        "retention.narrative",
    ):
        assert expected in problems


def test_an_area_is_found_by_its_code_its_short_code_or_its_name():
    profile = load_profile(DEFAULT_DEPLOYMENT)
    for text in ("047", "47", "0047", "Nairobi", "nairobi", " NAIROBI "):
        assert profile.find_area(text).code == "047", text
    assert profile.find_area("tana  river").code == "004"
    assert profile.find_area("elgeyo-marakwet").name == "Elgeyo-Marakwet"


def test_an_unknown_area_is_refused_with_a_hint():
    from gateway.config.profile import UnknownArea

    profile = load_profile(DEFAULT_DEPLOYMENT)
    with pytest.raises(UnknownArea, match=r"unknown area 'Nairobbi'; did you mean 047 Nairobi\?"):
        profile.find_area("Nairobbi")
    for text in ("48", "", "0", "Kenya"):
        with pytest.raises(UnknownArea, match="kinga areas list"):
            profile.find_area(text)


def test_area_codes_and_names_must_name_one_area_each(tmp_path):
    example = yaml.safe_load((DEFAULT_DEPLOYMENT / "profile.yaml").read_text())
    locations = {
        "locations": [
            {"code": "1", "name": "Coast"},
            {"code": "001", "name": "Highlands"},
            {"code": "002", "name": "coast"},
        ]
    }
    with pytest.raises(ProfileError) as error:
        load_profile(_write(tmp_path, example, locations))
    problems = " | ".join(error.value.problems)
    assert "'1' names both 1 Coast and 001 Highlands" in problems
    assert "'coast' names both 1 Coast and 002 coast" in problems


def test_the_example_names_a_fallback_of_last_resort():
    from case_store.enums import Role

    fallback = load_profile(DEFAULT_DEPLOYMENT).alert_fallback
    assert fallback.roles == (Role.SUPERVISOR, Role.ADMIN)
    assert fallback.duty_phone is not None and fallback.duty_phone.startswith("+254")


@pytest.mark.parametrize(
    ("alerts", "problem"),
    [
        (None, "alerts.fallback must name roles and/or a duty_phone"),
        ({"fallback": {}}, "alerts.fallback must name roles and/or a duty_phone"),
        ({"fallback": {"roles": ["boss"]}}, "alerts.fallback.roles may hold supervisor, admin"),
        ({"fallback": {"roles": "admin"}}, "alerts.fallback.roles may hold supervisor, admin"),
        ({"fallback": {"duty_phone": "0700 000 116"}}, "alerts.fallback.duty_phone must be"),
        ({"fallback": {"duty_phone": 254700000116}}, "alerts.fallback.duty_phone must be"),
    ],
)
def test_a_missing_or_bad_fallback_is_refused(tmp_path, alerts, problem):
    example = yaml.safe_load((DEFAULT_DEPLOYMENT / "profile.yaml").read_text())
    example.pop("alerts")
    if alerts is not None:
        example["alerts"] = alerts
    locations = yaml.safe_load((DEFAULT_DEPLOYMENT / "locations.yaml").read_text())
    with pytest.raises(ProfileError, match=problem):
        load_profile(_write(tmp_path, example, locations))


def test_a_fallback_may_be_a_duty_phone_alone(tmp_path):
    example = yaml.safe_load((DEFAULT_DEPLOYMENT / "profile.yaml").read_text())
    example["alerts"] = {"fallback": {"duty_phone": "+255700000116"}}
    locations = yaml.safe_load((DEFAULT_DEPLOYMENT / "locations.yaml").read_text())
    fallback = load_profile(_write(tmp_path, example, locations)).alert_fallback
    assert (fallback.roles, fallback.duty_phone) == ((), "+255700000116")


def test_the_example_reminds_at_half_and_nine_tenths_and_waits_for_medium_and_low():
    from datetime import timedelta

    from case_store.enums import RiskLevel

    deadlines = load_profile(DEFAULT_DEPLOYMENT).deadlines
    assert deadlines.remind_at == (0.5, 0.9)
    assert deadlines.escalation_window == {
        RiskLevel.IMMEDIATE: timedelta(0),
        RiskLevel.HIGH: timedelta(0),
        RiskLevel.MEDIUM: timedelta(minutes=30),
        RiskLevel.LOW: timedelta(minutes=30),
    }


@pytest.mark.parametrize(
    ("deadlines", "problem"),
    [
        ({"remind_at": 0.5}, "deadlines.remind_at: expected a list of fractions"),
        ({"remind_at": [0.5, 1]}, "deadlines.remind_at: 1 is not a fraction between 0 and 1"),
        ({"remind_at": [0, 0.5]}, "deadlines.remind_at: 0 is not a fraction between 0 and 1"),
        ({"remind_at": ["half"]}, "deadlines.remind_at: 'half' is not a number"),
        ({"remind_at": [0.9, 0.5]}, "fractions must be in ascending order, at least 0.01 apart"),
        ({"remind_at": [0.5, 0.501]}, "fractions must be in ascending order, at least 0.01"),
        ({"escalation_window": "soon"}, "deadlines.escalation_window: 'soon' is not a duration"),
        ({"escalation_window": {"high": "1h"}}, "deadlines.escalation_window: no window for "),
        ({"escalation_window": {"urgent": "1h"}}, "'urgent' is not one of: immediate, high"),
        ({"remind": [0.5]}, "deadlines: unknown keys: remind"),
        ([0.5, 0.9], "deadlines: expected a mapping"),
    ],
)
def test_bad_deadlines_are_refused(tmp_path, deadlines, problem):
    example = yaml.safe_load((DEFAULT_DEPLOYMENT / "profile.yaml").read_text())
    example["deadlines"] = deadlines
    locations = yaml.safe_load((DEFAULT_DEPLOYMENT / "locations.yaml").read_text())
    with pytest.raises(ProfileError, match=re.escape(problem)):
        load_profile(_write(tmp_path, example, locations))


def test_without_deadlines_the_defaults_apply(tmp_path):
    from case_store.deadline_steps import DeadlinePolicy

    example = yaml.safe_load((DEFAULT_DEPLOYMENT / "profile.yaml").read_text())
    example.pop("deadlines")
    locations = yaml.safe_load((DEFAULT_DEPLOYMENT / "locations.yaml").read_text())
    assert load_profile(_write(tmp_path, example, locations)).deadlines == DeadlinePolicy()


def test_example_areas_have_arabic_names_and_the_most_used_come_first():
    profile = load_profile(DEFAULT_DEPLOYMENT)
    nairobi = profile.location("047")

    assert dict(nairobi.names) == {"ar": "نيروبي"}
    assert all(dict(location.names).get("ar") for location in profile.locations)
    assert "Eldoret" in profile.location("027").aliases
    assert profile.most_used == ("047", "001", "042", "032")
    assert profile.max_hops == 3
    assert profile.find_area("نيروبي").code == "047"  # the CLI finds an area by any spelling
    assert profile.find_area("eldoret").code == "027"


def test_spellings_most_used_and_the_hop_limit_are_checked(tmp_path):
    example = yaml.safe_load((DEFAULT_DEPLOYMENT / "profile.yaml").read_text())
    example["ussd"]["max_hops_per_question"] = 0
    locations = {
        "most_used": ["002", "404", "002"],
        "locations": [
            {"code": "001", "name": "Coast", "names": {"xx": "Pwani", "ar": 7}},
            {"code": "002", "name": "Hills", "aliases": ["Coast"]},
            {"code": "003", "name": "Lake", "aliases": "Ziwa"},
        ],
    }
    with pytest.raises(ProfileError) as error:
        load_profile(_write(tmp_path, example, locations))
    problems = " | ".join(error.value.problems)
    for expected in (
        "ussd.max_hops_per_question must be a whole number from 1 to 10",
        "location 001 names must map names to quoted strings",
        "location 003 aliases must be a list of names",
        "most_used names unknown location '404'",
        "most_used names a location twice",
        "'coast' names both 001 Coast and 002 Hills",
    ):
        assert expected in problems, problems
    ok = {"locations": [{"code": "001", "name": "Coast", "names": {"xx": "Pwani"}}]}
    with pytest.raises(ProfileError, match="location 001 names a spelling for 'xx', not enabled"):
        load_profile(_write(tmp_path, {**example, "ussd": {"service_code": "*1#"}}, ok))


@pytest.mark.parametrize(
    ("phone", "helpline", "police"),
    [
        ("+254700000001", "116", "999"),  # Kenya
        ("+255700000001", "116", "112"),  # Tanzania
        ("+243810000001", "117", None),  # DR Congo: no national police number
        ("+249910000001", "9696", "999"),  # Sudan
        ("+258840000001", "116", "119"),  # Mozambique
    ],
)
def test_example_numbers_are_each_countrys_own(phone, helpline, police):
    numbers = load_profile(DEFAULT_DEPLOYMENT).emergency_numbers_for(phone)
    assert numbers["child_helpline"] == helpline
    assert numbers.get("police") == police


def test_area_numbers_win_over_country_numbers_which_win_over_the_default(tmp_path):
    folder = _write(
        tmp_path,
        {
            "languages": {"enabled": ["en"], "by_country_code": {"254": "en"}},
            "ussd": {"service_code": "*384*116#"},
            "emergency_numbers": {
                "default": {"child_helpline": "116", "police": "112"},
                "by_country_code": {"254": {"police": "999"}},
                "by_area": {"001": {"child_helpline": "0800 1"}},
            },
            "alerts": {"fallback": {"roles": ["supervisor"]}},
        },
        {"locations": [{"code": "001", "name": "A"}, {"code": "002", "name": "B"}]},
    )
    profile = load_profile(folder)
    assert profile.emergency_numbers_for("+254700000001", "001") == {
        "child_helpline": "0800 1",
        "police": "999",
    }
    assert profile.emergency_numbers_for("+33600000001") == {
        "child_helpline": "116",
        "police": "112",
    }


def test_a_country_callers_come_from_must_have_its_own_numbers(tmp_path):
    """Every country the profile expects callers from (languages.by_country_code) gets its own
    numbers: another country's police number on "Get help now" is worse than none."""
    folder = _write(
        tmp_path,
        {
            "languages": {"enabled": ["en", "pt"], "by_country_code": {"254": "en", "258": "pt"}},
            "ussd": {"service_code": "*384*116#"},
            "emergency_numbers": {
                "default": {"child_helpline": "116"},
                "by_country_code": {"254": {"police": "999"}, "44": {}},
            },
        },
        {"locations": [{"code": "001", "name": "A"}]},
    )
    with pytest.raises(ProfileError) as error:
        load_profile(folder)
    problems = " | ".join(error.value.problems)
    assert "emergency_numbers.by_country_code has no numbers for 258" in problems
    assert "emergency_numbers.by_country_code.44 must give at least one number" in problems


def test_the_example_keeps_follow_ups_out_of_the_night():
    from datetime import time

    quiet = load_profile(DEFAULT_DEPLOYMENT).follow_up_quiet_hours
    assert quiet is not None and (quiet.starts, quiet.ends) == (time(21), time(7))
    assert str(quiet) == "21:00-07:00"


@pytest.mark.parametrize(
    ("follow_ups", "problem"),
    [
        ({"quiet_hours": "9pm-7am"}, r"quiet_hours: quiet hours look like '21:00-07:00'"),
        ({"quiet_hours": "21:00-24:00"}, r"quiet_hours: quiet hours run from 00:00"),
        ({"quiet_hours": "07:00-07:00"}, r"quiet_hours: quiet hours must end at another"),
        ({"quiet_hours": 2100}, r'follow_ups.quiet_hours must be a quoted "HH:MM-HH:MM"'),
        ({"quiet_hour": "21:00-07:00"}, r"follow_ups may only hold quiet_hours"),
        ("21:00-07:00", r"follow_ups may only hold quiet_hours"),
    ],
)
def test_bad_quiet_hours_are_refused(tmp_path, follow_ups, problem):
    example = yaml.safe_load((DEFAULT_DEPLOYMENT / "profile.yaml").read_text())
    example["follow_ups"] = follow_ups
    locations = yaml.safe_load((DEFAULT_DEPLOYMENT / "locations.yaml").read_text())
    with pytest.raises(ProfileError, match=problem):
        load_profile(_write(tmp_path, example, locations))


@pytest.mark.parametrize("follow_ups", [None, {}, {"quiet_hours": None}])
def test_without_quiet_hours_follow_ups_go_at_any_hour(tmp_path, follow_ups):
    example = yaml.safe_load((DEFAULT_DEPLOYMENT / "profile.yaml").read_text())
    example["follow_ups"] = follow_ups
    locations = yaml.safe_load((DEFAULT_DEPLOYMENT / "locations.yaml").read_text())
    assert load_profile(_write(tmp_path, example, locations)).follow_up_quiet_hours is None
