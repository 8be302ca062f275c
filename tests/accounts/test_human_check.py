import base64
import json

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from accounts.human_check import HumanCheck
from tests.utils import human_check_solution


def _request(remote="203.0.113.9"):
    return RequestFactory().post("/seminars/x/register/", REMOTE_ADDR=remote)


def _required_check(scope="register", remote="203.0.113.9") -> HumanCheck:
    check = HumanCheck.for_request(_request(remote), scope=scope)
    check.required = True
    return check


def _error_code(check: HumanCheck, payload: str) -> str:
    with pytest.raises(ValidationError) as raised:
        check.verify(payload)
    return raised.value.code


def test_a_quiet_client_and_address_are_not_asked(settings):
    settings.HUMAN_CHECK_AFTER_PER_CLIENT = "2/3600"
    settings.HUMAN_CHECK_AFTER_PER_ADDRESS = "2/3600"

    check = HumanCheck.for_request(_request(), scope="register")
    check.require_for_address("aiko@example.org")

    assert check.required is False
    check.verify("")  # nothing asked, nothing to prove


def test_a_client_past_its_threshold_is_asked_and_another_client_is_not(settings):
    settings.HUMAN_CHECK_AFTER_PER_CLIENT = "2/3600"
    first = HumanCheck.for_request(_request(), scope="register")
    first.count(email="one@example.org")
    first.count(email="two@example.org")

    busy = HumanCheck.for_request(_request(), scope="register")
    quiet = HumanCheck.for_request(_request("198.51.100.7"), scope="register")
    other_form = HumanCheck.for_request(_request(), scope="signup")

    assert (busy.required, busy.reasons) == (True, ["client"])
    assert quiet.required is False
    assert other_form.required is False


def test_an_address_given_too_often_is_asked_from_any_network(settings):
    settings.HUMAN_CHECK_AFTER_PER_ADDRESS = "2/86400"
    for remote in ("203.0.113.1", "203.0.113.2"):
        HumanCheck.for_request(_request(remote), scope="register").count(email="Aiko@Example.org")

    check = HumanCheck.for_request(_request("198.51.100.99"), scope="register")
    check.require_for_address("aiko@example.org")
    other = HumanCheck.for_request(_request("198.51.100.99"), scope="register")
    other.require_for_address("ben@example.org")

    assert (check.required, check.reasons) == (True, ["address"])
    assert other.required is False


def test_plus_tags_of_one_inbox_count_as_one_address(settings):
    settings.HUMAN_CHECK_AFTER_PER_ADDRESS = "2/86400"
    for tag in ("+a", "+b"):
        HumanCheck.for_request(_request(), scope="register").count(email=f"aiko{tag}@example.org")

    check = HumanCheck.for_request(_request("198.51.100.99"), scope="register")
    check.require_for_address("AIKO+c@Example.org")

    assert check.required is True


def test_the_threshold_zero_asks_everyone(settings):
    settings.HUMAN_CHECK_AFTER_PER_CLIENT = "0/60"

    assert HumanCheck.for_request(_request(), scope="signup").required is True


def test_a_solved_challenge_passes_once():
    check = _required_check()
    payload = human_check_solution(check.challenge_json)

    check.verify(payload)

    assert _error_code(_required_check(), payload) == "invalid"


def test_a_challenge_for_another_form_is_refused():
    payload = human_check_solution(_required_check(scope="signup").challenge_json)

    assert _error_code(_required_check(scope="register"), payload) == "invalid"


def test_a_challenge_past_its_expiry_is_refused_as_expired(settings):
    settings.HUMAN_CHECK_EXPIRES_SECONDS = 600
    with time_machine.travel("2026-12-06 09:00Z", tick=False):
        payload = human_check_solution(_required_check().challenge_json)
    with time_machine.travel("2026-12-06 09:11Z", tick=False):
        assert _error_code(_required_check(), payload) == "expired"


def test_a_tampered_solution_or_challenge_is_refused():
    check = _required_check()
    payload = json.loads(base64.b64decode(human_check_solution(check.challenge_json)))
    wrong_key = json.loads(json.dumps(payload))
    wrong_key["solution"]["derivedKey"] = "00" * 32
    cheaper = json.loads(json.dumps(payload))
    cheaper["challenge"]["parameters"]["cost"] = 1
    unsigned = json.loads(json.dumps(payload))
    del unsigned["challenge"]["signature"]

    for forged in (wrong_key, cheaper, unsigned):
        encoded = base64.b64encode(json.dumps(forged).encode()).decode()
        assert _error_code(_required_check(), encoded) == "invalid"


def test_a_challenge_signed_with_another_secret_key_is_refused(settings):
    payload = human_check_solution(_required_check().challenge_json)
    settings.SECRET_KEY = "another-secret-key-for-another-deployment-0123456789"

    assert _error_code(_required_check(), payload) == "invalid"


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("", "missing"),
        ("   ", "missing"),
        ("not base64 at all", "invalid"),
        (base64.b64encode(b"[1, 2, 3]").decode(), "invalid"),
        (base64.b64encode(b'{"challenge": null, "solution": 5}').decode(), "invalid"),
        ("A" * 5000, "invalid"),
    ],
)
def test_missing_or_malformed_payloads_are_refused_with_their_reason(payload, code):
    assert _error_code(_required_check(), payload) == code


def test_the_check_fails_open_when_the_cache_is_down(monkeypatch):
    class CacheDown:
        def add(self, *args, **kwargs):
            raise ConnectionError("cache down")

    check = _required_check()
    payload = human_check_solution(check.challenge_json)
    monkeypatch.setattr("accounts.human_check.cache", CacheDown())

    check.verify(payload)  # a cache outage must not stop people registering
