"""The personal join link /j/<token>/: the joining window, each status, and no meeting URL."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from tests.factories import RegistrationFactory, SeminarFactory, UserFactory, london
from webinars.models import JoinClick, Registration, RegistrationToken, Seminar
from webinars.services import registration_token_issue

pytestmark = pytest.mark.django_db

MEETING_URL = "https://zoom.example/j/99887766?pwd=Secret8812"
PASSCODE = "Passcode-5521"
# Thursday 10 December 2026, 10:00–11:00 GMT = 19:00–20:00 JST.
STARTS_AT = london(2026, 12, 10, 10)
ENDS_AT = london(2026, 12, 10, 11)


@pytest.fixture
def seminar() -> Seminar:
    with time_machine.travel(STARTS_AT - timedelta(days=10), tick=False):
        return SeminarFactory(
            title="Onsen towns of Kyushu",
            starts_at=STARTS_AT,
            ends_at=ENDS_AT,
            meeting_url=MEETING_URL,
            meeting_passcode=PASSCODE,
        )


def token_for(seminar: Seminar, **kwargs) -> tuple[Registration, str]:
    registration = RegistrationFactory(seminar=seminar, **kwargs)
    return registration, registration_token_issue(
        registration=registration, scope=RegistrationToken.Scope.JOIN
    )


def join(client, token: str, at):
    with time_machine.travel(at, tick=False):
        return client.get(reverse("webinars:registration_join", args=[token]))


def clicks(registration: Registration) -> list[bool]:
    return list(registration.join_clicks.values_list("redirected", flat=True))


def assert_no_meeting_details(response) -> None:
    html = response.content.decode()
    assert MEETING_URL not in html
    assert "zoom.example" not in html
    assert PASSCODE not in html


def test_join_exactly_30_minutes_before_redirects_to_meeting(client, seminar):
    registration, token = token_for(seminar)
    response = join(client, token, STARTS_AT - timedelta(minutes=30))
    assert response.status_code == 302
    assert response["Location"] == MEETING_URL
    assert response.content == b""
    assert response["Referrer-Policy"] == "strict-origin"
    assert response["Cache-Control"] == "private, no-store"
    assert clicks(registration) == [True]


def test_join_31_minutes_before_shows_countdown(client, seminar):
    registration, token = token_for(seminar, time_zone="America/New_York")
    response = join(client, token, STARTS_AT - timedelta(minutes=31))
    assert response.status_code == 200
    assert response.templates[0].name == "webinars/join_countdown.html"
    html = response.content.decode()
    assert "The seminar has not started yet" in html
    # When the link opens, in UK time, Japan time and the registrant's zone.
    assert "Thursday 10 December 2026, 09:30 GMT (London)" in html
    assert "18:30 JST (Tokyo)" in html
    assert "04:30 EST (New York)" in html
    # The seminar itself, in the same zones.
    assert "10:00–11:00 GMT" in html
    assert "19:00–20:00 JST" in html
    assert "05:00–06:00 EST" in html
    assert "<script>" not in html
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex"
    assert_no_meeting_details(response)
    assert clicks(registration) == [False]


def test_join_a_second_before_the_end_redirects(client, seminar):
    registration, token = token_for(seminar)
    response = join(client, token, ENDS_AT - timedelta(seconds=1))
    assert response.status_code == 302
    assert response["Location"] == MEETING_URL
    assert clicks(registration) == [True]


def test_join_at_the_end_shows_ended_page(client, seminar):
    registration, token = token_for(seminar)
    response = join(client, token, ENDS_AT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "This seminar has ended" in html
    assert "If a recording is published, we will announce it by email" in html
    assert_no_meeting_details(response)
    assert clicks(registration) == [False]


def test_join_waitlisted_is_403_without_meeting(client, seminar):
    registration, token = token_for(seminar, status=Registration.Status.WAITLISTED)
    response = join(client, token, STARTS_AT)
    assert response.status_code == 403
    assert "You are on the waiting list" in response.content.decode()
    assert_no_meeting_details(response)
    assert clicks(registration) == []


def test_join_link_of_a_cancelled_registration_no_longer_works(client, seminar):
    registration, token = token_for(seminar, status=Registration.Status.CANCELLED)
    response = join(client, token, STARTS_AT)
    assert response.status_code == 410
    assert "This registration was cancelled" in response.content.decode()
    assert_no_meeting_details(response)
    assert clicks(registration) == []


def test_join_cancelled_seminar_says_so(client, seminar):
    seminar.status = Seminar.Status.CANCELLED
    seminar.cancellation_message = "The speaker is unwell."
    seminar.save()
    registration, token = token_for(seminar)
    response = join(client, token, STARTS_AT)
    assert response.status_code == 200
    html = response.content.decode()
    assert "This seminar was cancelled" in html
    assert "The speaker is unwell." in html
    assert_no_meeting_details(response)
    assert clicks(registration) == []


def test_join_without_meeting_url_yet_says_so(client, seminar):
    seminar.meeting_url = ""
    seminar.save()
    registration, token = token_for(seminar)
    response = join(client, token, STARTS_AT)
    assert response.status_code == 503
    assert "The meeting is not ready yet" in response.content.decode()
    assert clicks(registration) == [False]


def test_join_unknown_token_is_404(client, seminar):
    token_for(seminar)
    response = join(client, "x" * 43, STARTS_AT)
    assert response.status_code == 404
    assert JoinClick.objects.count() == 0


def test_join_refuses_post(client, seminar):
    _registration, token = token_for(seminar)
    with time_machine.travel(STARTS_AT, tick=False):
        response = client.post(reverse("webinars:registration_join", args=[token]))
    assert response.status_code == 405


def test_join_window_follows_the_setting(client, seminar, settings):
    settings.JOIN_OPENS_MINUTES_BEFORE = 10
    _registration, token = token_for(seminar)
    assert join(client, token, STARTS_AT - timedelta(minutes=11)).status_code == 200
    assert join(client, token, STARTS_AT - timedelta(minutes=10)).status_code == 302


def test_account_join_route_for_own_registration(client, seminar):
    user = UserFactory()
    registration = RegistrationFactory(seminar=seminar, user=user)
    url = reverse("webinars:my_registration_join", args=[registration.pk])
    with time_machine.travel(STARTS_AT, tick=False):
        client.force_login(user)
        response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == MEETING_URL
    assert clicks(registration) == [True]


def test_account_join_route_of_someone_else_is_404(client, seminar):
    registration = RegistrationFactory(seminar=seminar, user=UserFactory())
    url = reverse("webinars:my_registration_join", args=[registration.pk])
    with time_machine.travel(STARTS_AT, tick=False):
        client.force_login(UserFactory())
        assert client.get(url).status_code == 404
    assert clicks(registration) == []


def test_account_join_route_needs_sign_in(client, seminar):
    registration = RegistrationFactory(seminar=seminar, user=UserFactory())
    url = reverse("webinars:my_registration_join", args=[registration.pk])
    with time_machine.travel(STARTS_AT, tick=False):
        response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert clicks(registration) == []


def test_head_requests_from_link_scanners_are_not_counted_as_clicks(client, seminar):
    registration, token = token_for(seminar)

    with time_machine.travel(STARTS_AT - timedelta(minutes=5), tick=False):
        response = client.head(reverse("webinars:registration_join", args=[token]))

    assert response.status_code == 302
    assert clicks(registration) == []
