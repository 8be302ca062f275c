"""The follow pages: asking, confirming from the link, the alerts pages, one-click stop."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutgoingEmail
from tests.factories import FollowFactory, SeriesFactory, TopicFactory, UserFactory
from webinars.follow_links import alerts_token, confirmation_token
from webinars.models import Follow

pytestmark = pytest.mark.django_db

FOLLOW = reverse("webinars:follow")


def _confirmation_link() -> str:
    email = OutgoingEmail.objects.get(kind=OutgoingEmail.Kind.FOLLOW_CONFIRMATION)
    return re.search(r"https?://\S+/follow/confirm/\S+/", email.body_text).group(0)


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


# --- The follow page -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "name"),
    [("place=kyushu", "Kyushu"), ("place=oita", "Oita"), ("all=1", "every new seminar")],
)
def test_the_follow_page_names_what_is_followed(client, query, name):
    response = client.get(f"{FOLLOW}?{query}")
    assert response.status_code == 200
    assert f"Follow {name}" in response.content.decode()


def test_topics_and_series_are_followed_by_slug(client):
    TopicFactory(slug="onsen", name="Onsen")
    SeriesFactory(slug="local-attractions", name="Local Attractions")
    assert "Follow Onsen" in client.get(f"{FOLLOW}?topic=onsen").content.decode()
    assert (
        "Follow Local Attractions"
        in client.get(f"{FOLLOW}?series=local-attractions").content.decode()
    )


@pytest.mark.parametrize("query", ["", "place=atlantis", "topic=nothing", "place=kyushu&all=1"])
def test_nothing_or_an_unknown_target_is_a_404_that_says_so(client, query):
    response = client.get(f"{FOLLOW}?{query}")
    assert response.status_code == 404


def test_a_guest_follows_and_confirms_from_the_link(client):
    response = client.post(
        f"{FOLLOW}?place=kyushu", {"email": "Ken@Example.org", "time_zone": "Europe/London"}
    )
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    follow = Follow.objects.get()
    assert (follow.email, follow.time_zone, follow.confirmed_at) == (
        "ken@example.org",
        "Europe/London",
        None,
    )

    link = _path(_confirmation_link())
    page = client.get(link)
    assert "Confirm my alerts" in page.content.decode()
    assert Follow.objects.get().confirmed_at is None  # a GET (a mail scanner) confirms nothing

    done = client.post(link)
    assert "You follow Kyushu" in done.content.decode()
    assert Follow.objects.get().confirmed_at is not None
    again = client.post(link)
    assert again.status_code == 200
    assert "You follow Kyushu" in again.content.decode()


def test_the_answer_is_the_same_for_an_address_already_following(client):
    FollowFactory(email="ken@example.org")
    response = client.post(f"{FOLLOW}?place=kyushu", {"email": "ken@example.org"})
    assert "Check your inbox" in response.content.decode()
    assert not OutgoingEmail.objects.exists()


def test_a_bad_address_is_a_form_error_and_nothing_is_stored(client):
    response = client.post(f"{FOLLOW}?place=kyushu", {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert not Follow.objects.exists()


def test_the_honeypot_gets_the_same_answer_and_stores_nothing(client):
    response = client.post(f"{FOLLOW}?place=kyushu", {"email": "bot@example.org", "website": "x"})
    assert "Check your inbox" in response.content.decode()
    assert not Follow.objects.exists()


def test_a_signed_in_person_follows_with_one_button(client):
    user = UserFactory(email="aiko@example.org")
    client.force_login(user)
    page = client.get(f"{FOLLOW}?place=tohoku")
    assert 'name="email"' not in page.content.decode()
    response = client.post(f"{FOLLOW}?place=tohoku")
    assert response.status_code == 302
    follow = Follow.objects.get()
    assert (follow.user, follow.place, follow.source) == (user, "tohoku", "page")
    assert follow.confirmed_at is not None
    assert "You already follow Tohoku" in client.get(f"{FOLLOW}?place=tohoku").content.decode()


# --- Confirmation links gone wrong --------------------------------------------------


def test_an_expired_link_is_a_clear_page_and_confirms_nothing(client):
    client.post(f"{FOLLOW}?place=kyushu", {"email": "ken@example.org"})
    link = _path(_confirmation_link())
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client.post(link)
    assert response.status_code == 410
    assert "This confirmation link has expired" in response.content.decode()
    assert Follow.objects.get().confirmed_at is None


def test_a_tampered_link_is_a_clear_page(client):
    follow = FollowFactory(confirmed_at=None)
    token = confirmation_token(follow_id=follow.pk, email=follow.email)
    response = client.get(reverse("webinars:follow_confirm", args=[token[:-3] + "abc"]))
    assert response.status_code == 404
    assert "This confirmation link is not valid" in response.content.decode()


def test_a_link_to_a_follow_stopped_since_says_so(client):
    follow = FollowFactory(confirmed_at=None)
    token = confirmation_token(follow_id=follow.pk, email=follow.email)
    follow.delete()
    response = client.post(reverse("webinars:follow_confirm", args=[token]))
    assert response.status_code == 404
    assert "These alerts were stopped" in response.content.decode()
    assert not Follow.objects.exists()


# --- The alerts pages ------------------------------------------------------------------


def _alerts(email="ken@example.org", language="en"):
    return alerts_token(email=email, language=language)


def test_the_alerts_page_lists_and_stops_one_follow(client):
    kept = FollowFactory(email="ken@example.org", place="tohoku")
    stopped = FollowFactory(email="ken@example.org", place="kyushu")
    FollowFactory(email="someone-else@example.org", place="okinawa")
    url = reverse("webinars:alerts_manage", args=[_alerts()])
    page = client.get(url).content.decode()
    assert "Tohoku" in page and "Kyushu" in page and "Okinawa" not in page
    client.post(url, {"stop": stopped.pk})
    assert list(Follow.objects.filter(email="ken@example.org")) == [kept]


def test_the_alerts_page_cannot_stop_another_addresses_follow(client):
    other = FollowFactory(email="someone-else@example.org")
    client.post(reverse("webinars:alerts_manage", args=[_alerts()]), {"stop": other.pk})
    assert Follow.objects.filter(pk=other.pk).exists()


def test_one_click_stops_every_alert_without_a_csrf_token(settings):
    from django.test import Client

    FollowFactory(email="ken@example.org", place="tohoku")
    FollowFactory(email="ken@example.org", place="kyushu")
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post(
        reverse("webinars:alerts_stop", args=[_alerts(language="ja")]),
        {"List-Unsubscribe": "One-Click"},
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert not Follow.objects.exists()


def test_the_stop_page_asks_first_then_stops(client):
    FollowFactory(email="ken@example.org")
    url = reverse("webinars:alerts_stop", args=[_alerts()])
    assert "Stop all alerts?" in client.get(url).content.decode()
    assert Follow.objects.exists()
    assert "Alerts stopped" in client.post(url).content.decode()
    assert not Follow.objects.exists()


@pytest.mark.parametrize("name", ["alerts_manage", "alerts_stop"])
def test_a_forged_alerts_link_is_a_404_page(client, name):
    response = client.post(reverse(f"webinars:{name}", args=["forged:token"]))
    assert response.status_code == 404
    assert "This alerts link is not valid" in response.content.decode()


# --- An account's follows ----------------------------------------------------------


def test_an_account_adds_and_stops_follows(client):
    user = UserFactory(email="aiko@example.org")
    client.force_login(user)
    url = reverse("webinars:my_follows")
    client.post(url, {"target": "place:kyushu"})
    client.post(url, {"target": "all:1"})
    assert sorted(Follow.objects.values_list("kind", "place")) == [("all", ""), ("place", "kyushu")]
    bad = client.post(url, {"target": "place:atlantis"})
    assert "Select a valid choice" in bad.content.decode()
    follow = Follow.objects.get(kind="place")
    client.post(url, {"stop": follow.pk})
    assert list(Follow.objects.values_list("kind", flat=True)) == ["all"]


def test_the_account_page_needs_a_sign_in(client):
    response = client.get(reverse("webinars:my_follows"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("count", [1, 15])
def test_the_account_page_reads_the_same_number_of_times_for_few_or_many_follows(
    client, django_assert_max_num_queries, count
):
    user = UserFactory(email="aiko@example.org")
    series = [SeriesFactory() for _ in range(count)]
    for item in series:
        FollowFactory(email="aiko@example.org", kind=Follow.Kind.SERIES, place="", series=item)
    client.force_login(user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("webinars:my_follows"))
    assert response.content.decode().count("Stop following") == count


@pytest.mark.parametrize("stop", ["\u00b2", "\u0661", "x", "9" * 40])
def test_a_malformed_stop_is_ignored_not_an_error(client, stop):
    follow = FollowFactory(email="ken@example.org")
    response = client.post(reverse("webinars:alerts_manage", args=[_alerts()]), {"stop": stop})
    assert response.status_code == 302
    assert Follow.objects.filter(pk=follow.pk).exists()


@pytest.mark.parametrize("query", ["topic=%00", "series=a%00b", "place=kyu%00shu"])
def test_a_nul_byte_in_the_target_is_a_404(client, query):
    assert client.get(f"{FOLLOW}?{query}").status_code == 404


def test_one_address_gets_a_handful_of_confirmation_links_an_hour_at_most(client, settings):
    settings.FOLLOW_RATE_LIMIT_PER_EMAIL = "3/3600"
    # The human check (asked after a few forms for one address) is not what is tested.
    settings.HUMAN_CHECK_AFTER_PER_ADDRESS = "100/3600"
    places = ["kyushu", "tohoku", "kanto", "chubu"]
    statuses = [
        client.post(f"{FOLLOW}?place={place}", {"email": "victim@example.org"}).status_code
        for place in places
    ]
    assert statuses == [200, 200, 200, 429]
    assert OutgoingEmail.objects.count() == 3
