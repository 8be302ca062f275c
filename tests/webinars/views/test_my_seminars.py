"""My seminars (/me/) and the private calendar feed (/me/calendar/<token>.ics)."""

import hashlib
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from tests.factories import (
    RegistrationFactory,
    SeminarFactory,
    SeminarSpeakerFactory,
    UserFactory,
    london,
)
from webinars.models import Registration, Seminar

pytestmark = pytest.mark.django_db

NOW = london(2026, 12, 1, 9)
MEETING_URL = "https://zoom.example/j/99887766?pwd=Secret8812"


@pytest.fixture(autouse=True)
def fixed_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def user():
    return UserFactory(email="hanako@example.org")


def upcoming(title: str, days: int = 7, **kwargs) -> Seminar:
    starts_at = NOW + timedelta(days=days)
    return SeminarFactory(
        title=title,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        meeting_url=MEETING_URL,
        **kwargs,
    )


def past(title: str) -> Seminar:
    starts_at = NOW - timedelta(days=7)
    return SeminarFactory(title=title, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1))


def section(html: str, heading_id: str) -> str:
    """The HTML of one <section> of the page, found by its heading's id."""
    start = html.index(f'id="{heading_id}"')
    return html[start : html.index("</section>", start)]


# --- The page -------------------------------------------------------------------


def test_my_seminars_needs_sign_in(client):
    response = client.get(reverse("webinars:my_seminars"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/me/"


def test_my_seminars_groups_registrations(client, user):
    confirmed = RegistrationFactory(seminar=upcoming("Kyushu onsen"), user=user)
    waiting = RegistrationFactory(
        seminar=upcoming("Hokkaido snow"), user=user, status=Registration.Status.WAITLISTED
    )
    attended = RegistrationFactory(seminar=past("Okinawa food"), user=user)
    RegistrationFactory(
        seminar=upcoming("Cancelled one"), user=user, status=Registration.Status.CANCELLED
    )
    RegistrationFactory(
        seminar=past("Past waitlist"), user=user, status=Registration.Status.WAITLISTED
    )
    # A guest registration made with the account's email belongs to the account too.
    guest = RegistrationFactory(seminar=upcoming("Tohoku crafts"), email=user.email, user=None)
    RegistrationFactory(seminar=upcoming("Someone else's"), user=UserFactory())
    client.force_login(user)
    response = client.get(reverse("webinars:my_seminars"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    html = response.content.decode()
    upcoming_html = section(html, "upcoming-heading")
    assert "Kyushu onsen" in upcoming_html
    assert "Tohoku crafts" in upcoming_html
    assert reverse("webinars:my_registration", args=[confirmed.pk]) in upcoming_html
    assert reverse("webinars:my_registration", args=[guest.pk]) in upcoming_html
    assert reverse("webinars:my_registration_join", args=[confirmed.pk]) in upcoming_html
    waiting_html = section(html, "waitlisted-heading")
    assert "Hokkaido snow" in waiting_html
    assert reverse("webinars:my_registration_join", args=[waiting.pk]) not in waiting_html
    past_html = section(html, "past-heading")
    assert "Okinawa food" in past_html
    assert reverse("webinars:my_registration", args=[attended.pk]) in past_html
    assert confirmed.seminar.get_absolute_url() in html
    for absent in ("Cancelled one", "Past waitlist", "Someone else"):
        assert absent not in html
    assert MEETING_URL not in html


def test_header_links_to_my_seminars_only_when_signed_in(client, user):
    my_url = reverse("webinars:my_seminars")
    assert f'href="{my_url}"' not in client.get(reverse("webinars:seminar_list")).content.decode()
    client.force_login(user)
    html = client.get(reverse("webinars:seminar_list")).content.decode()
    assert f'href="{my_url}"' in html


def _count_queries(client, django_assert_max_num_queries, bound: int) -> None:
    with django_assert_max_num_queries(bound):
        response = client.get(reverse("webinars:my_seminars"))
    assert response.status_code == 200


@pytest.mark.parametrize("count", [1, 20])
def test_my_seminars_query_count_does_not_grow(client, user, django_assert_max_num_queries, count):
    for number in range(count):
        RegistrationFactory(seminar=upcoming(f"Upcoming {number}", days=number + 1), user=user)
        RegistrationFactory(seminar=past(f"Past {number}"), user=user)
        RegistrationFactory(
            seminar=upcoming(f"Waiting {number}"),
            user=user,
            status=Registration.Status.WAITLISTED,
        )
    client.force_login(user)
    # Session, user, registrations (with seminar and series), the viewer's confirmed
    # registrations, the recordings of past seminars, who watched enough for a
    # certificate and the seminars the person presented; nothing per row.
    _count_queries(client, django_assert_max_num_queries, 7)


def test_my_seminars_get_does_not_create_a_feed(client, user):
    client.force_login(user)
    html = client.get(reverse("webinars:my_seminars")).content.decode()
    user.refresh_from_db()
    assert user.calendar_token_hash is None
    assert "Create my calendar feed" in html


# --- The feed ------------------------------------------------------------------


def create_feed(client, user) -> str:
    """Create the feed as the person does; its path, read off the page shown once."""
    client.force_login(user)
    response = client.post(reverse("webinars:my_calendar_renew"))
    assert response.status_code == 302
    assert response["Location"] == reverse("webinars:my_seminars")
    page = client.get(reverse("webinars:my_seminars")).content.decode()
    (url,) = re.findall(r'id="feed-url" type="url" value="([^"]+)"', page)
    return urlsplit(url).path


def test_create_feed_shows_its_address_once_and_keeps_only_its_hash(client, user, settings):
    client.force_login(user)
    client.post(reverse("webinars:my_calendar_renew"))

    first = client.get(reverse("webinars:my_seminars")).content.decode()
    again = client.get(reverse("webinars:my_seminars")).content.decode()

    (url,) = re.findall(r'id="feed-url" type="url" value="([^"]+)"', first)
    assert url.startswith(f"{settings.SITE_URL}/me/calendar/")
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert "Your private calendar feed is ready." in first
    assert "Copy it now" in first
    assert url not in again
    assert "Your private feed is active." in again
    assert "Revoke and renew the address" in again
    user.refresh_from_db()
    assert user.calendar_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(client.session.items())
    assert client.get(urlsplit(url).path).status_code == 200


def test_renew_needs_post(client, user):
    client.force_login(user)
    assert client.get(reverse("webinars:my_calendar_renew")).status_code == 405
    user.refresh_from_db()
    assert user.calendar_token_hash is None


def test_feed_has_confirmed_seminars_with_time_zones(client, user, settings):
    tokyo = upcoming("Tokyo evening", timezone="Asia/Tokyo")
    SeminarSpeakerFactory(seminar=tokyo)
    london_seminar = upcoming("London morning", days=3)
    confirmed_tokyo = RegistrationFactory(seminar=tokyo, user=user)
    RegistrationFactory(seminar=london_seminar, email=user.email, user=None)
    RegistrationFactory(
        seminar=upcoming("Waiting"), user=user, status=Registration.Status.WAITLISTED
    )
    RegistrationFactory(
        seminar=upcoming("Cancelled"), user=user, status=Registration.Status.CANCELLED
    )
    RegistrationFactory(seminar=upcoming("Not mine"), user=UserFactory())
    feed_url = create_feed(client, user)
    client.logout()  # calendar apps have no session
    response = client.get(feed_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, no-store"
    assert MEETING_URL not in response.content.decode()
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["METHOD"]) == "PUBLISH"
    events = calendar.walk("VEVENT")
    assert sorted(str(event["SUMMARY"]) for event in events) == [
        "London morning",
        "Tokyo evening",
    ]
    tzids = {event["DTSTART"].params["TZID"] for event in events}
    assert tzids == {"Asia/Tokyo", "Europe/London"}
    assert {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")} == tzids
    assert all("ATTENDEE" not in event for event in events)
    tokyo_event = next(event for event in events if str(event["SUMMARY"]) == "Tokyo evening")
    join = settings.SITE_URL + reverse("webinars:my_registration_join", args=[confirmed_tokyo.pk])
    assert str(tokyo_event["LOCATION"]) == join


def test_feed_query_count_does_not_grow(client, user, django_assert_max_num_queries):
    def add(count: int) -> None:
        for number in range(count):
            seminar = upcoming(f"Seminar {number}", days=number + 1)
            SeminarSpeakerFactory(seminar=seminar)
            RegistrationFactory(seminar=seminar, user=user)

    add(1)
    feed_url = create_feed(client, user)
    client.logout()
    with django_assert_max_num_queries(3):
        assert client.get(feed_url).status_code == 200
    add(19)
    with django_assert_max_num_queries(3):
        assert client.get(feed_url).status_code == 200


def test_feed_unknown_token_is_404(client, user):
    create_feed(client, user)
    assert client.get(reverse("webinars:my_calendar", args=["x" * 43])).status_code == 404


def test_renew_changes_token_and_old_address_stops_working(client, user):
    RegistrationFactory(seminar=upcoming("Kyushu onsen"), user=user)
    old_url = create_feed(client, user)
    response = client.post(reverse("webinars:my_calendar_renew"), follow=True)
    assert "Your calendar feed has a new address." in response.content.decode()
    (new_url,) = re.findall(r'id="feed-url" type="url" value="([^"]+)"', response.content.decode())
    new_url = urlsplit(new_url).path
    assert new_url != old_url
    assert client.get(old_url).status_code == 404
    assert client.get(new_url).status_code == 200


def test_feed_of_inactive_user_is_404(client, user):
    feed_url = create_feed(client, user)
    user.is_active = False
    user.save()
    assert client.get(feed_url).status_code == 404


@pytest.mark.parametrize("token", ["a%00b", "..%2f..", "x y"])
def test_malformed_calendar_feed_tokens_are_not_found(client, token):
    assert client.get(f"/me/calendar/{token}.ics").status_code == 404
