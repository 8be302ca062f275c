"""The manage page (/r/<token>/), its cancel confirmation and the invite download."""

import importlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from notifications.models import OutgoingEmail
from tests.factories import (
    RegistrationFactory,
    SeminarFactory,
    UserFactory,
    london,
)
from webinars.models import JoinClick, Registration, RegistrationToken, Seminar
from webinars.selectors import registration_link
from webinars.services import registration_token_issue

pytestmark = pytest.mark.django_db

MEETING_URL = "https://zoom.example/j/99887766?pwd=Secret8812"
PASSCODE = "Passcode-5521"
NOW = london(2026, 12, 1, 9)


@pytest.fixture(autouse=True)
def fixed_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def seminar() -> Seminar:
    # Thursday 10 December 2026, 10:00–11:00 GMT = 19:00–20:00 JST.
    return SeminarFactory(
        title="Onsen towns of Kyushu",
        starts_at=london(2026, 12, 10, 10),
        ends_at=london(2026, 12, 10, 11),
        meeting_url=MEETING_URL,
        meeting_passcode=PASSCODE,
    )


def registration_with_token(**kwargs) -> tuple[Registration, str]:
    registration = RegistrationFactory(**kwargs)
    return registration, registration_token_issue(
        registration=registration, scope=RegistrationToken.Scope.MANAGE
    )


def manage_url(token: str) -> str:
    return reverse("webinars:registration_manage", args=[token])


def cancel_url(token: str) -> str:
    return reverse("webinars:registration_cancel", args=[token])


def invite_url(token: str) -> str:
    return reverse("webinars:registration_invite", args=[token])


def details(**overrides) -> dict[str, str]:
    data = {
        "name": "Hanako Yamada",
        "organisation": "Kyushu Tours Ltd",
        "job_title": "Product manager",
        "country": "GB",
        "marketing_opt_in": "on",
    }
    data.update(overrides)
    return data


def assert_personal_headers(response) -> None:
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "strict-origin"
    assert response["X-Robots-Tag"] == "noindex"


def assert_no_meeting_details(response) -> None:
    html = response.content.decode()
    assert MEETING_URL not in html
    assert "zoom.example" not in html
    assert PASSCODE not in html


# --- Finding the registration ------------------------------------------------


def test_manage_unknown_token_is_404(client):
    response = client.get(manage_url("no-such-token-" + "x" * 30))
    assert response.status_code == 404


def test_manage_tampered_token_is_404(client, seminar):
    _registration, token = registration_with_token(seminar=seminar)
    tampered = ("A" if token[0] != "A" else "B") + token[1:]
    assert client.get(manage_url(tampered)).status_code == 404
    assert client.get(cancel_url(tampered)).status_code == 404
    assert client.get(invite_url(tampered)).status_code == 404


def test_manage_very_long_token_is_404(client):
    assert client.get(manage_url("a" * 500)).status_code == 404


# --- The page -------------------------------------------------------------------


def test_manage_confirmed_shows_status_times_join_link_and_headers(client, seminar):
    registration, token = registration_with_token(
        seminar=seminar, name="Hanako Yamada", time_zone="America/New_York"
    )
    response = client.get(manage_url(token))
    assert response.status_code == 200
    html = response.content.decode()
    assert "You have a place: your registration is confirmed" in html
    assert "Onsen towns of Kyushu" in html
    assert "10:00–11:00 GMT" in html
    assert "19:00–20:00 JST" in html
    # The registrant's own zone, given when registering: 05:00–06:00 EST.
    assert "Your time zone" in html
    assert "05:00–06:00 EST" in html
    assert reverse("webinars:registration_join", args=[token]) in html
    assert invite_url(token) in html
    assert cancel_url(token) in html
    assert registration.email in html
    assert_personal_headers(response)
    # Confirmed people may see the passcode (platforms ask for it); never the meeting URL.
    assert MEETING_URL not in html
    assert "zoom.example" not in html
    assert PASSCODE in html


def test_manage_waitlisted_shows_waiting_list_without_join_link_or_invite(client, seminar):
    _registration, token = registration_with_token(
        seminar=seminar, status=Registration.Status.WAITLISTED
    )
    response = client.get(manage_url(token))
    assert response.status_code == 200
    html = response.content.decode()
    assert "You are on the waiting list" in html
    assert reverse("webinars:registration_join", args=[token]) not in html
    assert invite_url(token) not in html
    assert cancel_url(token) in html
    assert_no_meeting_details(response)


def test_a_cancelled_registrations_links_no_longer_act(client, seminar):
    registration, token = registration_with_token(
        seminar=seminar, status=Registration.Status.CANCELLED, cancelled_at=NOW
    )
    join_token = registration_token_issue(
        registration=registration, scope=RegistrationToken.Scope.JOIN
    )

    pages = [
        client.get(manage_url(token)),
        client.post(manage_url(token), details()),
        client.get(cancel_url(token)),
        client.post(cancel_url(token)),
        client.get(invite_url(token)),
        client.get(reverse("webinars:registration_join", args=[token])),
        client.get(reverse("webinars:registration_join", args=[join_token])),
        client.get(reverse("webinars:registration_recording", args=[token])),
    ]

    for response in pages:
        assert response.status_code == 410
        html = response.content.decode()
        assert "This registration was cancelled" in html
        assert "The links in its emails and calendar invite no longer work." in html
        # Nothing of the person, and nothing to act on.
        assert registration.name not in html
        assert registration.email not in html
        assert 'method="post"' not in html.split("<main", 1)[1].split("</main>", 1)[0]
        assert_personal_headers(response)
        assert_no_meeting_details(response)
    assert JoinClick.objects.count() == 0


def test_a_cancelled_registrations_link_offers_to_register_again_while_it_can(client, seminar):
    _registration, token = registration_with_token(
        seminar=seminar, status=Registration.Status.CANCELLED, cancelled_at=NOW
    )

    html = client.get(manage_url(token)).content.decode()

    assert f'href="{seminar.get_absolute_url()}"' in html
    assert "again while places remain" in html


def test_manage_of_cancelled_seminar_says_so(client, seminar):
    seminar.status = Seminar.Status.CANCELLED
    seminar.cancellation_message = "The speaker is unwell."
    seminar.save()
    _registration, token = registration_with_token(seminar=seminar)
    html = client.get(manage_url(token)).content.decode()
    assert "This seminar was cancelled" in html
    assert "The speaker is unwell." in html
    assert cancel_url(token) not in html
    assert invite_url(token) not in html


def test_manage_get_changes_nothing(client, seminar):
    registration, token = registration_with_token(seminar=seminar)
    before = Registration.objects.values().get(pk=registration.pk)
    client.get(manage_url(token))
    client.get(cancel_url(token))
    client.head(manage_url(token))
    assert Registration.objects.values().get(pk=registration.pk) == before


# --- Updating details -----------------------------------------------------------


def test_update_details_saves_and_redirects(client, seminar):
    registration, token = registration_with_token(
        seminar=seminar, marketing_opt_in=False, recording_followup_opt_in=True
    )
    response = client.post(manage_url(token), details())
    assert response.status_code == 302
    assert response["Location"] == manage_url(token)
    assert_personal_headers(response)
    registration.refresh_from_db()
    assert registration.name == "Hanako Yamada"
    assert registration.organisation == "Kyushu Tours Ltd"
    assert registration.job_title == "Product manager"
    assert registration.country.code == "GB"
    assert registration.marketing_opt_in is True
    # An unticked box is a "no".
    assert registration.recording_followup_opt_in is False
    page = client.get(response["Location"]).content.decode()
    assert "Your details have been saved." in page


def test_update_details_requires_name_and_links_the_error(client, seminar):
    registration, token = registration_with_token(seminar=seminar, name="Original Name")
    response = client.post(manage_url(token), details(name=""))
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_name_error"' in html
    assert 'id="id_name_error"' in html
    registration.refresh_from_db()
    assert registration.name == "Original Name"


@pytest.mark.parametrize("field", ["name", "organisation", "job_title"])
@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Evil\r\nBcc: x@example.org", "Please keep this on one line."),
        ("Evil\u2028Bcc", "Please keep this on one line."),
        (
            "Evil\u202etxt.exe",
            "Please remove control characters (invisible formatting or direction marks).",
        ),
    ],
)
def test_update_details_rejects_line_breaks(client, seminar, field, value, message):
    registration, token = registration_with_token(seminar=seminar, organisation="Before Ltd")
    response = client.post(manage_url(token), details(**{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    registration.refresh_from_db()
    assert registration.organisation == "Before Ltd"


def test_update_details_rejects_too_long_name(client, seminar):
    _registration, token = registration_with_token(seminar=seminar)
    response = client.post(manage_url(token), details(name="x" * 151))
    assert response.status_code == 400
    assert "Ensure this value has at most 150 characters" in response.content.decode()


def test_update_details_escapes_markup(client, seminar):
    registration, token = registration_with_token(seminar=seminar)
    client.post(manage_url(token), details(name="<script>alert(1)</script>"))
    registration.refresh_from_db()
    assert registration.name == "<script>alert(1)</script>"
    html = client.get(manage_url(token)).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_update_details_of_cancelled_registration_changes_nothing(client, seminar):
    registration, token = registration_with_token(
        seminar=seminar, status=Registration.Status.CANCELLED, name="Original Name"
    )
    response = client.post(manage_url(token), details())
    assert response.status_code == 410
    registration.refresh_from_db()
    assert registration.name == "Original Name"


# --- Cancelling -----------------------------------------------------------------


# --- Links that do one thing -----------------------------------------------------------


def join_token_for(registration: Registration) -> str:
    return registration_token_issue(registration=registration, scope=RegistrationToken.Scope.JOIN)


def test_a_join_link_joins_but_manages_nothing(client, seminar):
    registration, _manage = registration_with_token(seminar=seminar)
    token = join_token_for(registration)
    new_links = reverse("webinars:registration_new_links", args=[token])

    assert client.get(manage_url(token)).status_code == 404
    assert client.post(manage_url(token), details(name="Someone Else")).status_code == 404
    assert client.get(cancel_url(token)).status_code == 404
    assert client.post(cancel_url(token)).status_code == 404
    assert client.get(invite_url(token)).status_code == 404
    assert client.post(new_links).status_code == 404
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    assert registration.name != "Someone Else"
    # Its page before the start offers no way to manage the place.
    page = client.get(reverse("webinars:registration_join", args=[token]))
    assert page.status_code == 200
    assert "Manage your registration" not in page.content.decode()
    assert "/r/" not in page.content.decode()


def test_asking_for_new_links_stops_every_old_one_and_emails_fresh_ones(
    client, seminar, mailoutbox
):
    from notifications.services import email_deliver
    from tests.utils import rendered

    registration, token = registration_with_token(seminar=seminar)
    old_join = join_token_for(registration)
    assert 'action="/r/' in client.get(manage_url(token)).content.decode()

    response = client.post(reverse("webinars:registration_new_links", args=[token]))

    assert response.status_code == 200
    assert "New links are on their way" in response.content.decode()
    assert_personal_headers(response)
    assert client.get(manage_url(token)).status_code == 404
    assert client.get(reverse("webinars:registration_join", args=[old_join])).status_code == 404
    email = OutgoingEmail.objects.get(registration=registration)
    assert email.kind == OutgoingEmail.Kind.REGISTRATION_LINKS
    assert rendered(email).calendar_method == "REQUEST"
    assert email_deliver(email_id=email.pk).status == "sent"
    (message,) = mailoutbox
    assert message.subject == "Your links for Onsen towns of Kyushu"
    assert "The links in our earlier emails and in your calendar invite no longer work." in (
        " ".join(message.body.split())
    )
    (new_manage,) = re.findall(r"/r/([A-Za-z0-9_-]{40,})/", message.body)
    (new_join,) = re.findall(r"/j/([A-Za-z0-9_-]{40,})/", message.body)
    assert client.get(manage_url(new_manage)).status_code == 200
    assert registration_link(new_join, scopes=["join"]).registration == registration


def test_new_links_only_by_post(client, seminar):
    registration, token = registration_with_token(seminar=seminar)

    assert client.get(reverse("webinars:registration_new_links", args=[token])).status_code == 405
    assert registration.tokens.count() == 1
    assert OutgoingEmail.objects.count() == 0


def test_signed_in_pages_offer_no_new_links(client, seminar):
    user = UserFactory(email="hanako@example.org")
    registration = RegistrationFactory(seminar=seminar, email=user.email, user=user)
    client.force_login(user)

    html = client.get(reverse("webinars:my_registration", args=[registration.pk])).content.decode()

    assert "Email me new links" not in html


def test_cancel_get_shows_confirmation_and_does_not_cancel(client, seminar):
    registration, token = registration_with_token(seminar=seminar)
    response = client.get(cancel_url(token))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Yes, cancel my registration" in html
    assert f'action="{cancel_url(token)}"' in html
    assert 'method="post"' in html
    assert_personal_headers(response)
    assert_no_meeting_details(response)
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED


def test_cancel_post_cancels_promotes_and_says_the_links_now_do_nothing(client, seminar):
    seminar.capacity = 1
    seminar.save()
    registration, token = registration_with_token(seminar=seminar, email="first@example.org")
    waiting = RegistrationFactory(
        seminar=seminar, email="second@example.org", status=Registration.Status.WAITLISTED
    )
    response = client.post(cancel_url(token))
    assert response.status_code == 200
    assert "Your registration has been cancelled." in response.content.decode()
    assert "This registration was cancelled" in response.content.decode()
    registration.refresh_from_db()
    waiting.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED
    assert waiting.status == Registration.Status.CONFIRMED
    assert sorted(OutgoingEmail.objects.values_list("kind", "to_email")) == [
        ("registration_cancelled", "first@example.org"),
        ("waitlist_promoted", "second@example.org"),
    ]
    page = client.get(manage_url(token))
    assert page.status_code == 410
    assert "This registration was cancelled" in page.content.decode()


def test_cancel_post_twice_is_harmless(client, seminar):
    registration, token = registration_with_token(seminar=seminar)
    client.post(cancel_url(token))
    registration.refresh_from_db()
    cancelled_at = registration.cancelled_at
    response = client.post(cancel_url(token))
    assert response.status_code == 410
    registration.refresh_from_db()
    assert registration.cancelled_at == cancelled_at
    assert OutgoingEmail.objects.filter(kind="registration_cancelled").count() == 1


def test_cancel_after_seminar_ended_is_refused(client, seminar):
    registration, token = registration_with_token(seminar=seminar)
    with time_machine.travel(seminar.ends_at + timedelta(minutes=1), tick=False):
        page = client.get(cancel_url(token)).content.decode()
        assert "Yes, cancel my registration" not in page
        response = client.post(cancel_url(token), follow=True)
    assert "This registration can no longer be cancelled." in response.content.decode()
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED


# --- Invite download ---------------------------------------------------------


def test_invite_is_personal_request_with_join_link(client, seminar):
    registration, token = registration_with_token(seminar=seminar, name="Hanako Yamada")
    response = client.get(invite_url(token))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; method=REQUEST; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="invite.ics"'
    assert_personal_headers(response)
    body = response.content.decode()
    assert MEETING_URL not in body
    assert PASSCODE not in body
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["METHOD"]) == "REQUEST"
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == seminar.calendar_uid
    assert str(event["ATTENDEE"]) == f"mailto:{registration.email}"
    # Its own join-only link; the manage link it was downloaded with is nowhere in it.
    (join_token,) = re.findall(r"/j/([A-Za-z0-9_-]{40,})/", str(event["LOCATION"]))
    assert join_token != token
    assert token not in re.sub(r"\r?\n[ \t]", "", body)
    assert "/r/" not in re.sub(r"\r?\n[ \t]", "", body)
    assert registration_link(join_token, scopes=["join"]).registration == registration
    assert event["DTSTART"].dt == seminar.starts_at
    tzids = {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    assert tzids == {"Europe/London"}


def test_invite_only_for_confirmed(client, seminar):
    _registration, token = registration_with_token(
        seminar=seminar, status=Registration.Status.WAITLISTED
    )
    assert client.get(invite_url(token)).status_code == 404


def test_invite_of_cancelled_seminar_is_404(client, seminar):
    seminar.status = Seminar.Status.CANCELLED
    seminar.save()
    _registration, token = registration_with_token(seminar=seminar)
    assert client.get(invite_url(token)).status_code == 404


def test_invite_refuses_post(client, seminar):
    _registration, token = registration_with_token(seminar=seminar)
    assert client.post(invite_url(token)).status_code == 405


# --- Account routes ---------------------------------------------------------------


def test_account_manage_for_own_registration(client, seminar):
    user = UserFactory()
    registration = RegistrationFactory(seminar=seminar, user=user)
    client.force_login(user)
    url = reverse("webinars:my_registration", args=[registration.pk])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You have a place: your registration is confirmed" in html
    assert reverse("webinars:my_registration_cancel", args=[registration.pk]) in html
    assert reverse("webinars:my_registration_join", args=[registration.pk]) in html
    assert_personal_headers(response)
    assert MEETING_URL not in html
    assert PASSCODE in html


def test_account_manage_for_guest_registration_with_own_email(client, seminar):
    user = UserFactory(email="hanako@example.org")
    registration = RegistrationFactory(seminar=seminar, email="hanako@example.org", user=None)
    client.force_login(user)
    response = client.get(reverse("webinars:my_registration", args=[registration.pk]))
    assert response.status_code == 200


def test_account_manage_of_someone_else_is_404(client, seminar):
    registration = RegistrationFactory(seminar=seminar, user=UserFactory())
    client.force_login(UserFactory())
    url = reverse("webinars:my_registration", args=[registration.pk])
    assert client.get(url).status_code == 404
    cancel = reverse("webinars:my_registration_cancel", args=[registration.pk])
    assert client.post(cancel).status_code == 404
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED


def test_account_manage_needs_sign_in(client, seminar):
    registration = RegistrationFactory(seminar=seminar, user=UserFactory())
    url = reverse("webinars:my_registration", args=[registration.pk])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_account_cancel_get_confirms_post_cancels(client, seminar):
    user = UserFactory()
    registration = RegistrationFactory(seminar=seminar, user=user)
    client.force_login(user)
    url = reverse("webinars:my_registration_cancel", args=[registration.pk])
    assert client.get(url).status_code == 200
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CONFIRMED
    response = client.post(url)
    assert response["Location"] == reverse("webinars:my_registration", args=[registration.pk])
    registration.refresh_from_db()
    assert registration.status == Registration.Status.CANCELLED


def test_account_invite_download(client, seminar):
    user = UserFactory()
    registration = RegistrationFactory(seminar=seminar, user=user)
    client.force_login(user)
    response = client.get(reverse("webinars:my_registration_invite", args=[registration.pk]))
    assert response.status_code == 200
    [event] = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["LOCATION"]).endswith(
        reverse("webinars:my_registration_join", args=[registration.pk])
    )


def test_a_link_from_an_earlier_email_joins_and_asks_for_fresh_links_but_manages_nothing(
    client, seminar
):
    """Before links had scopes one token did everything and rode in calendar invites."""
    registration = RegistrationFactory(seminar=seminar, name="Ines Marlowe")
    earlier = registration_token_issue(
        registration=registration, scope=RegistrationToken.Scope.EARLIER
    )

    refused = [
        client.get(manage_url(earlier)),
        client.post(cancel_url(earlier)),
        client.get(invite_url(earlier)),
        client.get(reverse("privacy:registration_data", args=[earlier])),
        client.post(reverse("privacy:registration_erase", args=[earlier])),
    ]
    with time_machine.travel(london(2026, 12, 10, 9, 45), tick=False):
        join = client.get(reverse("webinars:registration_join", args=[earlier]))

    for response in refused:
        page = response.content.decode()
        assert response.status_code == 200
        assert "Please ask for fresh links" in page
        assert "Ines Marlowe" not in page and registration.email not in page
    assert (join.status_code, join["Location"]) == (302, MEETING_URL)
    registration.refresh_from_db()
    assert (registration.status, registration.anonymised_at) == ("confirmed", None)

    fresh = client.post(reverse("webinars:registration_new_links", args=[earlier]))

    assert "New links are on their way" in fresh.content.decode()
    assert OutgoingEmail.objects.get(registration=registration).kind == "registration_links"
    assert client.get(manage_url(earlier)).status_code == 404


def test_tokens_minted_before_links_had_scopes_become_earlier_links():
    migration = importlib.import_module("webinars.migrations.0008_registration_token_scope")
    (add_scope,) = migration.Migration.operations

    # Existing rows take the field's default when the column is added.
    assert (add_scope.name, add_scope.field.default) == ("scope", RegistrationToken.Scope.EARLIER)


def test_a_link_checkers_head_mints_nothing_and_downloads_are_counted(client, seminar):
    registration, token = registration_with_token(seminar=seminar)
    joins = RegistrationToken.objects.filter(
        registration=registration, scope=RegistrationToken.Scope.JOIN
    )

    head = client.head(invite_url(token))
    assert (head.status_code, head["Content-Type"].split(";")[0]) == (200, "text/calendar")
    assert joins.count() == 0

    responses = [client.get(invite_url(token)) for _ in range(21)]

    assert [response.status_code for response in responses] == [200] * 20 + [429]
    assert "This invite was downloaded many times today." in responses[-1].content.decode()
    assert joins.count() == 20
