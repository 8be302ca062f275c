import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse

from notifications.mail import build_message
from notifications.models import EmailOptOut, OutgoingEmail
from notifications.services import (
    email_opt_in,
    email_opt_out,
    is_opted_out,
    masked_email,
    registration_email_queue,
    reminders_dispatch,
    unsubscribe_email,
    unsubscribe_url,
)
from notifications.services.unsubscribes import unsubscribe_token
from tests.factories import RecordingFactory, RegistrationFactory, SeminarFactory
from webinars.services import recording_publish, seminar_cancel

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


# --- Tokens -----------------------------------------------------------------


def test_token_is_the_signed_lower_cased_address_and_never_expires():
    token = unsubscribe_token(email=" Kenji.Sato@Example.ORG ")

    assert token == unsubscribe_token(email=EMAIL)
    assert re.fullmatch(r"[A-Za-z0-9_:-]+", token)
    with time_machine.travel(datetime(2036, 1, 1, tzinfo=UTC)):
        assert unsubscribe_email(token=token) == EMAIL
    assert unsubscribe_url(email=EMAIL) == f"https://kizuna.example/unsubscribe/{token}/"


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


def test_masked_email_shows_the_first_letter_and_the_domain():
    assert masked_email("kenji@example.org") == "k***@example.org"
    assert masked_email("k@example.org") == "k***@example.org"
    assert masked_email("@example.org") == "***@example.org"
    assert masked_email("nobody") == "***"


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
    EmailOptOut.objects.create(email="Kenji.Sato@Example.org", source="admin")

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


def test_opt_in_and_out_services_ignore_case():
    first = email_opt_out(email="Kenji.Sato@EXAMPLE.org", source="page")
    second = email_opt_out(email=EMAIL, source="one-click")

    assert first == second
    assert first.email == EMAIL
    assert is_opted_out(email="KENJI.SATO@example.org") is True
    assert email_opt_in(email="kenji.sato@Example.org") is True
    assert email_opt_in(email=EMAIL) is False
    assert is_opted_out(email=EMAIL) is False


# --- Transactional mail carries no unsubscribe header ------------------------------


def test_confirmations_reminders_and_cancellations_have_no_list_unsubscribe(enqueued):
    seminar = SeminarFactory(
        starts_at=datetime(2026, 10, 23, 9, 0, tzinfo=UTC),
        ends_at=datetime(2026, 10, 23, 10, 0, tzinfo=UTC),
    )
    with time_machine.travel(datetime(2026, 10, 1, tzinfo=UTC)):
        registration = RegistrationFactory(seminar=seminar, email=EMAIL)
    registration_email_queue(
        registration=registration, kind=OutgoingEmail.Kind.REGISTRATION_CONFIRMED
    )
    with time_machine.travel(datetime(2026, 10, 22, 9, 0, tzinfo=UTC)):
        reminders_dispatch()
    seminar_cancel(seminar=seminar, message="The speaker is unwell.")

    rows = list(OutgoingEmail.objects.order_by("pk"))
    assert [row.kind for row in rows] == [
        OutgoingEmail.Kind.REGISTRATION_CONFIRMED,
        OutgoingEmail.Kind.REMINDER,
        OutgoingEmail.Kind.SEMINAR_CANCELLED,
    ]
    for row in rows:
        message = build_message(row).message()
        assert message["List-Unsubscribe"] is None
        assert message["List-Unsubscribe-Post"] is None
        assert "/unsubscribe/" not in row.body_text


# --- Unsubscribing withdraws non-transactional mail still waiting --------------------------


def test_unsubscribing_withdraws_queued_recording_follow_ups_but_not_sent_or_other_mail(
    enqueued,
):
    recording = RecordingFactory(unpublished=True)
    RegistrationFactory(seminar=recording.seminar, email=EMAIL)
    RegistrationFactory(seminar=recording.seminar, email="aiko@example.org")
    recording_publish(recording=recording)
    OutgoingEmail.objects.filter(to_email="aiko@example.org").update(
        status=OutgoingEmail.Status.SENT
    )
    reminder = OutgoingEmail.objects.create(
        kind=OutgoingEmail.Kind.REMINDER, to_email=EMAIL, subject="Reminder", body_text="Soon."
    )

    email_opt_out(email="Kenji.Sato@Example.org", source="one-click")
    email_opt_out(email="aiko@example.org", source="page")

    follow_ups = OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.RECORDING_AVAILABLE)
    assert dict(follow_ups.values_list("to_email", "status")) == {
        EMAIL: "cancelled",
        "aiko@example.org": "sent",
    }
    assert follow_ups.get(to_email=EMAIL).last_error == "the recipient unsubscribed"
    reminder.refresh_from_db()
    assert reminder.status == "queued"
