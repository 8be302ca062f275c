"""Choosing the interface language: the header's switcher, remembered for guests in the
cookie and for signed-in people on their profile; pages stay cacheable for guests."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import SeminarFactory, UserFactory

pytestmark = pytest.mark.django_db

SWITCH = reverse("accounts:language_set")


def test_a_guest_switches_to_japanese_and_returns_to_the_page(client):
    seminar = SeminarFactory()
    page = seminar.get_absolute_url()

    response = client.post(SWITCH, {"language": "ja", "next": page})
    again = client.get(page)

    assert response.status_code == 302
    assert response["Location"] == page
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ja"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME]["max-age"] == 60 * 60 * 24 * 365
    assert '<html lang="ja"' in again.content.decode()
    assert 'value="en" lang="en"' in again.content.decode()  # the way back, named in English


def test_a_language_the_site_does_not_offer_changes_nothing(client):
    response = client.post(SWITCH, {"language": "xx", "next": "/"})
    page = client.get("/")

    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert '<html lang="en"' in page.content.decode()


def test_a_guest_needs_no_token_and_the_page_stays_in_the_shared_cache():
    guest = Client(enforce_csrf_checks=True)
    SeminarFactory()

    first = guest.get("/")
    second = guest.get("/")
    switched = guest.post(SWITCH, {"language": "ja", "next": "/"})

    assert 'action="/accounts/language/"' in first.content.decode()
    assert "csrfmiddlewaretoken" not in first.content.decode()
    assert second["X-Page-Cache"] == "hit"
    assert switched.status_code == 302


def test_a_signed_in_person_keeps_the_choice_on_their_profile():
    user = UserFactory(preferred_language="en")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    page = browser.get(reverse("accounts:profile"))
    token = page.context["csrf_token"]

    forged = browser.post(SWITCH, {"language": "ja", "next": "/"})
    user.refresh_from_db()
    assert forged.status_code == 403
    assert user.preferred_language == "en"

    done = browser.post(SWITCH, {"language": "ja", "next": "/", "csrfmiddlewaretoken": token})
    user.refresh_from_db()
    assert done.status_code == 302
    assert user.preferred_language == "ja"


def test_a_new_browser_reads_in_the_profiles_language(client):
    user = UserFactory(preferred_language="ja")
    client.force_login(user)

    response = client.get("/")

    assert '<html lang="ja"' in response.content.decode()
    # No cookie of its own: the profile stays the one place the choice lives.
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_switching_while_signed_in_without_a_cookie_sticks(client):
    user = UserFactory(preferred_language="en")
    client.force_login(user)

    response = client.post(SWITCH, {"language": "ja", "next": "/"})
    page = client.get("/")

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ja"
    assert '<html lang="ja"' in page.content.decode()


def test_changing_the_profiles_language_turns_the_site_at_once(client):
    from tests.accounts.test_profile import profile_data

    user = UserFactory(preferred_language="en")
    client.force_login(user)
    client.get("/")

    saved = client.post(reverse("accounts:profile"), profile_data(preferred_language="ja"))
    page = client.get("/")

    assert saved.status_code == 302
    assert saved.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ja"
    assert '<html lang="ja"' in page.content.decode()


def test_only_the_sites_languages_are_remembered(client):
    response = client.post(SWITCH, {"language": "fr", "next": "/"})

    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_way_back_keeps_a_personal_pages_whole_address(client):
    login = client.get(reverse("account_login"), {"next": "/me/"}).content.decode()
    listing = client.get(reverse("webinars:seminar_list"), {"q": "onsen", "junk": "x"})

    assert 'name="next" value="/accounts/login/?next=%2Fme%2F"' in login
    assert 'name="next" value="/seminars/?q=onsen"' in listing.content.decode()


def test_the_cookie_wins_over_the_profile_once_set(client):
    user = UserFactory(preferred_language="ja")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.get("/")

    assert '<html lang="en"' in response.content.decode()
