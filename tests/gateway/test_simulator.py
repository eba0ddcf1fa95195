"""The browser phone simulator: development only, on the webhook's own path, phone never logged."""

from __future__ import annotations

import dataclasses
import logging
import re
import shutil

import pytest
import yaml
from sqlalchemy import func, select
from ussd_client import REPORT_ANSWERS, Caller

from case_store.models.cases import Case
from dialogs.encoding import ussd_capacity
from gateway import create_app
from gateway.config.settings import DEFAULT_DEPLOYMENT
from gateway.web import simulator

REFERENCE = re.compile(r"\d{3}-\d{3}-\d{3}")
EGYPT_PHONE = "+201001234567"


@pytest.fixture
def sim_app(app, settings):
    assert simulator.init_app(app, settings)
    return app


@pytest.fixture
def sim(sim_app):
    return Phone(sim_app.test_client())


@dataclasses.dataclass
class Phone:
    """The simulator page's side of the conversation: cumulative text, its own header."""

    client: object
    session_id: str = "sim-test-1"
    phone: str = simulator.DEFAULT_PHONE

    def hop(self, text: str, headers: dict[str, str] | None = None, **form: str):
        data = {
            "sessionId": self.session_id,
            "serviceCode": "*384*116#",
            "phoneNumber": self.phone,
            "networkCode": simulator.NETWORK_CODE,
            "text": text,
            **form,
        }
        return self.client.post(  # type: ignore[attr-defined]
            "/simulator/hop",
            data=data,
            headers={simulator.HEADER: "1"} if headers is None else headers,
        )

    def screens(self, answers: list[str]) -> list[dict]:
        shown = []
        for n in range(len(answers) + 1):
            response = self.hop("*".join(answers[:n]))
            assert response.status_code == 200, response.get_data(as_text=True)
            shown.append(response.get_json())
        return shown


def test_the_page_is_one_small_keypad_that_lays_out_arabic_right_to_left(sim_app, settings):
    client = sim_app.test_client()
    response = client.get("/simulator")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert len(response.get_data()) < 15 * 1024
    # Each line of a screen is its own paragraph with its own direction, as on a phone: in an
    # Arabic screen "2. 5-11" (no letter) stays "2. 5-11"; the screen only sets the alignment.
    screen = '<div id="screen" dir="ltr" aria-live="polite"><div class="line" dir="auto">'
    assert screen in page
    script = client.get("/simulator/static/simulator.js").get_data(as_text=True)
    assert 'div.dir = "auto";' in script and 'text.split("\\n")' in script
    assert 'screen.dir = first && RTL.test(first[0]) ? "rtl" : "ltr";' in script
    style = client.get("/simulator/static/simulator.css").get_data(as_text=True)
    assert "#screen .line{unicode-bidi:isolate;" in style
    assert "#screen[dir=rtl] .line{text-align:right}" in style
    assert "*384*116#" in page
    assert '"/simulator/hop"' in page
    for label in ("Send", "Dial again", 'type="tel"'):
        assert label in page
    assert settings.at_webhook_key not in page  # the browser never holds the webhook secret


def test_the_phone_field_says_what_is_kept_of_the_number(sim_app):
    page = sim_app.test_client().get("/simulator").get_data(as_text=True)
    label = re.search(r'<label for="phone">([^<]+)</label>', page).group(1)

    assert "never stored" not in label
    assert "keyed hash" in label and "encrypted, only if the caller agrees to a call back" in label


def test_the_page_runs_under_a_strict_content_security_policy(sim_app):
    client = sim_app.test_client()
    response = client.get("/simulator")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "unsafe-inline" not in policy
    page = response.get_data(as_text=True)
    # No inline code: every script and style comes from a file the policy allows.
    assert re.findall(r"<script[^>]*>(.*?)</script>", page, flags=re.S) == [""]
    assert "<style" not in page and not re.search(r"\son[a-z]+=", page)
    script_url = re.search(r'<script src="([^"]+)"', page).group(1)
    style_url = re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)
    script = client.get(script_url)
    assert script.status_code == 200 and "javascript" in script.mimetype
    assert client.get(style_url).mimetype == "text/css"
    # The script reads its settings from the page's data attributes: each one it uses is there.
    used = set(re.findall(r"CFG\.(\w+)", script.get_data(as_text=True)))
    given = set(re.findall(r'data-(\w+)="[^"]+"', page))
    assert used == given == {"service", "network", "prefix", "url", "header"}


def test_production_has_no_simulator(settings):
    production = dataclasses.replace(settings, env="production")
    app = create_app(production)
    assert simulator.init_app(app, production) is False
    client = app.test_client()
    assert client.get("/simulator").status_code == 404
    assert client.get("/simulator/static/simulator.js").status_code == 404
    assert client.post("/simulator/hop", headers={simulator.HEADER: "1"}).status_code == 404


def test_init_app_may_be_called_twice(app, settings):
    assert simulator.init_app(app, settings)
    assert simulator.init_app(app, settings)
    assert app.blueprints["simulator"] is simulator.bp


def test_dialling_shows_the_main_menu_with_the_room_it_takes(sim):
    response = sim.hop("")
    assert response.status_code == 200
    data = response.get_json()
    assert data["body"].startswith("CON Welcome to Kinga")
    assert data["body"] == "CON " + data["screen"]
    assert data["end"] is False
    capacity = ussd_capacity(data["screen"], 160)
    assert (data["encoding"], data["used"], data["limit"]) == ("GSM-7", capacity.used, 160)
    assert data["characters"] == len(data["screen"])
    assert data["fits"] is True


def test_each_screen_is_exactly_what_the_webhook_answers(sim, client):
    simulated = [hop["body"] for hop in sim.screens(REPORT_ANSWERS)]
    caller = Caller(client, phone="+254712345321")
    real = [caller.dial()] + [caller.answer(value) for value in REPORT_ANSWERS]

    assert len(simulated) == len(real) == len(REPORT_ANSWERS) + 1
    # The last screen carries each session's own case reference.
    assert simulated[:-1] == real[:-1]
    assert REFERENCE.sub("REF", simulated[-1]) == REFERENCE.sub("REF", real[-1])
    assert simulated[-1].startswith("END Thank you. Your reference is ")


def test_a_simulated_report_is_stored_once_even_if_a_hop_is_repeated(sim, db):
    screens = sim.screens(REPORT_ANSWERS)
    again = sim.hop("*".join(REPORT_ANSWERS)).get_json()
    assert screens[-1]["end"] is True
    assert again == screens[-1]
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1


def test_dialling_again_is_a_new_session_that_offers_back_a_dropped_report(sim):
    dropped = sim.screens(["1", "2"])[-1]
    sim.session_id = "sim-test-2"
    first = sim.hop("").get_json()
    assert first["screen"].startswith("Your last session was cut off.")
    assert sim.hop("1").get_json()["screen"] == dropped["screen"]


def test_only_the_simulator_page_may_drive_it(sim, redis_client):
    refused = sim.hop("", headers={})
    assert refused.status_code == 403
    assert "X-Kinga-Simulator" in refused.get_data(as_text=True)
    assert redis_client.keys("*") == []


def test_it_cannot_touch_a_real_provider_session(sim, redis_client):
    sim.session_id = "ATUid_real_session"
    response = sim.hop("")
    assert response.status_code == 400
    assert "sim-" in response.get_data(as_text=True)
    assert redis_client.keys("*") == []


def test_with_real_providers_the_simulator_refuses_to_run(settings, db, redis_client):
    """A simulated report queues real messages (the reporter's reference, alerts)."""
    app = create_app(dataclasses.replace(settings, sms_providers=("twilio", "log")))
    assert simulator.init_app(app, settings)
    refused = Phone(app.test_client()).hop("")
    assert refused.status_code == 409
    assert "KINGA_SMS_PROVIDERS=log" in refused.get_data(as_text=True)
    assert redis_client.keys("*") == []


def test_malformed_input_is_a_clear_4xx(sim):
    assert sim.hop("", phoneNumber="not a number").status_code == 400
    assert sim.hop("x" * 1001).status_code == 400


def test_the_phone_number_never_reaches_the_logs_or_the_answers(sim, caplog):
    caplog.set_level(logging.DEBUG)
    sim.phone = "+254799123456"
    bodies = [hop["body"] for hop in sim.screens(REPORT_ANSWERS)]
    refused = sim.hop("", phoneNumber="+2547991234567890").get_data(as_text=True)
    for text in [caplog.text, refused, *bodies]:
        assert "799123456" not in text


def test_arabic_screens_are_counted_as_ucs2(app, settings, tmp_path, redis_client):
    folder = tmp_path / "deployment"
    shutil.copytree(DEFAULT_DEPLOYMENT, folder)
    profile = yaml.safe_load((folder / "profile.yaml").read_text(encoding="utf-8"))
    languages = profile["languages"]
    languages["enabled"] = sorted({*languages["enabled"], "ar"})
    languages["by_country_code"] = {**languages["by_country_code"], "20": "ar"}
    numbers = profile["emergency_numbers"]["by_country_code"]
    numbers["20"] = {"child_helpline": "16000"}  # Egypt's child helpline
    (folder / "profile.yaml").write_text(yaml.safe_dump(profile), encoding="utf-8")
    arabic = dataclasses.replace(settings, deployment=folder)
    arabic_app = create_app(arabic)
    simulator.init_app(arabic_app, arabic)
    phone = Phone(arabic_app.test_client(), phone=EGYPT_PHONE)

    data = phone.hop("").get_json()
    assert re.search("[\u0600-\u06ff]", data["screen"]), data["screen"]
    assert (data["encoding"], data["limit"]) == ("UCS-2", 80)
    assert data["used"] == len(data["screen"])
    assert data["fits"] is True
