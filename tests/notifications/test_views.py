import re

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from notifications.models import EmailOptOut
from notifications.services import (
    email_opt_out,
    is_opted_out,
)
from notifications.services.unsubscribes import unsubscribe_token
from tests.factories import EmailOptOutFactory

pytestmark = pytest.mark.django_db

EMAIL = "kenji.sato@example.org"

ONE_CLICK = "List-Unsubscribe=One-Click"

DONE = (
    "k***@example.org will no longer receive announcements or recording notices; you will still "
    "get confirmations, "
    "reminders and changes for seminars you register for."
)


@pytest.fixture
def csrf_client():
    """A browser-less client that, like a mail provider, carries no CSRF cookie or token."""
    return Client(enforce_csrf_checks=True)


def _path(email: str = EMAIL) -> str:
    return reverse("notifications:unsubscribe", args=[unsubscribe_token(email=email)])


def _opt_outs():
    return list(EmailOptOut.objects.values_list("email", "source"))


def test_an_address_with_a_slash_still_makes_a_usable_link(client):
    email = "a/b?c#d@example.org"

    response = client.post(
        _path(email), ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert _opt_outs() == [(email, "one-click")]


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        unsubscribe_token(email=EMAIL)[:-2] + "xx",
        # Signed with the project's key but another salt: a token from elsewhere is no key here.
        signing.Signer().sign_object(EMAIL),
        signing.Signer(salt="kizuna.notifications.unsubscribe").sign_object(["not", "an address"]),
    ],
)
def test_forged_or_damaged_token_is_a_404_page_that_says_why(client, token):
    path = reverse("notifications:unsubscribe", args=[token])

    shown = client.get(path)
    posted = client.post(path, ONE_CLICK, content_type="application/x-www-form-urlencoded")

    assert shown.status_code == 404
    assert "This unsubscribe link is not valid" in shown.content.decode()
    assert shown.templates[0].name == "notifications/unsubscribe_invalid.html"
    assert posted.status_code == 404
    assert _opt_outs() == []


# --- The page ------------------------------------------------------------------


def test_get_asks_and_never_unsubscribes(client):
    response = client.get(_path())
    head = client.head(_path())

    assert response.status_code == 200
    assert head.status_code == 200
    body = response.content.decode()
    assert "Stop announcements and recording notices to k***@example.org?" in body
    assert f'<form class="confirm-form" method="post" action="{_path()}">' in body
    assert "Unsubscribe from both</button>" in body
    assert EMAIL not in body
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Robots-Tag"] == "noindex"
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert _opt_outs() == []


def test_page_button_unsubscribes_then_shows_what_still_comes_and_subscribe_again(client):
    response = client.post(_path(), {"csrfmiddlewaretoken": "from-the-page"}, follow=True)

    assert response.redirect_chain == [(_path(), 302)]
    assert _opt_outs() == [(EMAIL, "page")]
    body = response.content.decode()
    assert DONE in body
    resubscribe = reverse("notifications:resubscribe", args=[unsubscribe_token(email=EMAIL)])
    assert f'<form class="confirm-form" method="post" action="{resubscribe}">' in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert "Subscribe again</button>" in body


def test_one_click_post_without_cookies_or_csrf_token_unsubscribes(csrf_client):
    response = csrf_client.post(
        _path(), ONE_CLICK, content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert (
        response.content.decode()
        == "You are unsubscribed from announcements and recording notices."
    )
    assert _opt_outs() == [(EMAIL, "one-click")]


def test_one_click_post_as_multipart_form_data_unsubscribes_once(csrf_client):
    for _ in range(2):
        response = csrf_client.post(_path(), {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200

    assert _opt_outs() == [(EMAIL, "one-click")]


def test_unsubscribing_again_keeps_the_first_record(client):
    EmailOptOutFactory(email="Kenji.Sato@Example.org", source="admin")

    client.post(_path(), ONE_CLICK, content_type="application/x-www-form-urlencoded")
    page = client.get(_path())

    assert _opt_outs() == [("Kenji.Sato@Example.org", "admin")]
    assert DONE in page.content.decode()


def test_subscribe_again_needs_the_pages_csrf_token(csrf_client):
    email_opt_out(email=EMAIL, source="one-click")
    resubscribe = reverse("notifications:resubscribe", args=[unsubscribe_token(email=EMAIL)])

    forged = csrf_client.post(resubscribe)

    assert forged.status_code == 403
    assert is_opted_out(email=EMAIL) is True

    page = csrf_client.get(_path())
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())[1]
    response = csrf_client.post(resubscribe, {"csrfmiddlewaretoken": token}, follow=True)

    assert response.redirect_chain == [(_path(), 302)]
    assert _opt_outs() == []
    assert [str(m) for m in response.context["messages"]] == [
        "You will receive announcements and recording notices again."
    ]
    assert (
        "Stop announcements and recording notices to k***@example.org?" in response.content.decode()
    )


def test_subscribe_again_is_post_only_and_checks_the_token(client):
    email_opt_out(email=EMAIL, source="page")
    forged = reverse("notifications:resubscribe", args=["forged"])

    assert (
        client.get(
            reverse("notifications:resubscribe", args=[unsubscribe_token(email=EMAIL)])
        ).status_code
        == 405
    )
    assert client.post(forged).status_code == 404
    assert is_opted_out(email=EMAIL) is True
