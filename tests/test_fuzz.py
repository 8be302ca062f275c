"""Property-based: any text, any length, any Unicode posted to a public form or put in a
token route gets a 4xx or a page, never a 500 (the test client re-raises any exception).
"""

import base64
import json
from urllib.parse import quote

import pytest
from django.test import override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import AudienceType
from tests.factories import RegistrationFactory, SeminarFactory
from webinars.models import Registration, RegistrationToken
from webinars.services import registration_token_issue

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Any character a form field can carry (lone surrogates cannot be encoded as UTF-8),
# control characters and right-to-left marks included, short and very long.
ANY_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=80),
    st.text(st.characters(exclude_categories=("Cs",)), min_size=200, max_size=5000),
    st.sampled_from(["", " ", "\x00", "=cmd|' /C calc'!A0", "<script>", "‮", "a" * 10_000]),
)
FORM_FIELDS = (
    "name",
    "email",
    "organisation",
    "job_title",
    "country",
    "audience_type",
    "time_zone",
    "privacy_consent",
    "marketing_opt_in",
    "website",
    "human_check",
)


@pytest.fixture
def seminar():
    return SeminarFactory(slug="fuzz-seminar")


@pytest.fixture
def manage_token(seminar):
    registration = RegistrationFactory(seminar=seminar, email="fuzz@example.org")
    return registration_token_issue(registration=registration, scope=RegistrationToken.Scope.MANAGE)


def _no_server_error(response) -> None:
    assert response.status_code < 500, response.status_code


@FUZZ
@given(values=st.lists(ANY_TEXT, min_size=len(FORM_FIELDS), max_size=len(FORM_FIELDS)))
def test_the_registration_form_never_fails(client, seminar, values):
    data = dict(zip(FORM_FIELDS, values, strict=True))
    _no_server_error(client.post(reverse("webinars:register", args=[seminar.slug]), data))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
# Forged proofs: any text, base64 of any bytes, and base64 of any JSON shaped like a payload.
FORGED_PROOF = st.one_of(
    ANY_TEXT,
    st.binary(max_size=3000).map(lambda raw: base64.b64encode(raw).decode()),
    st.fixed_dictionaries({"challenge": JSON, "solution": JSON}).map(
        lambda payload: base64.b64encode(json.dumps(payload).encode()).decode()
    ),
)


@FUZZ
@given(proof=FORGED_PROOF)
def test_the_human_check_refuses_any_forged_proof_without_failing(client, seminar, proof):
    data = {
        "name": "Aiko Tanaka",
        "email": "aiko@example.org",
        "audience_type": str(AudienceType.objects.get(slug="travel-agent").pk),
        "privacy_consent": "on",
        "human_check": proof,
    }
    # Ask every submission for the check, and let the many examples pass the rate limits.
    with override_settings(
        HUMAN_CHECK_AFTER_PER_CLIENT="0/60",
        REGISTRATION_RATE_LIMIT_PER_IP="1000/600",
        REGISTRATION_RATE_LIMIT_PER_EMAIL="1000/600",
    ):
        response = client.post(reverse("webinars:register", args=[seminar.slug]), data)

    assert response.status_code == 200
    assert "automatic check" in response.content.decode()
    assert not Registration.objects.exists()


@FUZZ
@given(values=st.lists(ANY_TEXT, min_size=6, max_size=6))
def test_the_account_forms_never_fail(client, values):
    email, password, name, organisation, audience, zone = values
    signup = {
        "email": email,
        "password1": password,
        "password2": password,
        "full_name": name,
        "organisation": organisation,
        "audience_type": audience,
        "time_zone": zone,
    }
    _no_server_error(client.post("/accounts/signup/", signup))
    _no_server_error(client.post("/accounts/login/", {"login": email, "password": password}))
    _no_server_error(client.post("/accounts/password/reset/", {"email": email}))


@FUZZ
@given(values=st.lists(ANY_TEXT, min_size=6, max_size=6))
def test_the_manage_page_never_fails(client, manage_token, values):
    name, organisation, job_title, country, news, follow_up = values
    data = {
        "name": name,
        "organisation": organisation,
        "job_title": job_title,
        "country": country,
        "marketing_opt_in": news,
        "recording_followup_opt_in": follow_up,
    }
    _no_server_error(
        client.post(reverse("webinars:registration_manage", args=[manage_token]), data)
    )


@FUZZ
@given(token=ANY_TEXT)
def test_token_routes_never_fail(client, token):
    quoted = quote(token, safe="")
    if not quoted:
        return
    for path in (
        f"/r/{quoted}/",
        f"/r/{quoted}/cancel/",
        f"/r/{quoted}/invite.ics",
        f"/r/{quoted}/recording/",
        f"/r/{quoted}/data.json",
        f"/r/{quoted}/erase/",
        f"/j/{quoted}/",
        f"/me/calendar/{quoted}.ics",
        f"/unsubscribe/{quoted}/",
    ):
        _no_server_error(client.get(path))
    for path in (f"/r/{quoted}/cancel/", f"/r/{quoted}/new-links/", f"/unsubscribe/{quoted}/"):
        _no_server_error(client.post(path))


@FUZZ
@given(query=ANY_TEXT, page=ANY_TEXT)
def test_search_and_lists_never_fail(client, query, page):
    for name in ("webinars:seminar_list", "webinars:seminar_past", "webinars:recording_list"):
        _no_server_error(client.get(reverse(name), {"q": query, "page": page, "topic": query}))
