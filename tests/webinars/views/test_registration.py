from datetime import timedelta

import icalendar
import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import AudienceType
from notifications.models import OutgoingEmail
from tests.factories import (
    RegistrationFactory,
    RegistrationQuestionFactory,
    SeminarFactory,
    UserFactory,
)
from tests.utils import (
    assert_received_page,
    emailed_manage_path,
    human_check_challenge,
    human_check_solution,
    messages_of,
    rendered,
)
from webinars import selectors
from webinars.errors import RegistrationBusy
from webinars.models import Registration, RegistrationQuestion, RegistrationToken

pytestmark = pytest.mark.django_db


def url(seminar) -> str:
    return reverse("webinars:register", args=[seminar.slug])


def lock_timeout_queries() -> int:
    """PostgreSQL bounds the seat lock's wait with one more statement; SQLite has none."""
    return 1 if connection.vendor == "postgresql" else 0


def form_data(**overrides) -> dict[str, object]:
    data = {
        "name": "Aiko Tanaka",
        "email": "aiko@example.org",
        "organisation": "Kyoto Tours",
        "job_title": "Director",
        "country": "GB",
        "audience_type": str(AudienceType.objects.get(slug="travel-agent").pk),
        "privacy_consent": "on",
        "recording_followup_opt_in": "on",
        "website": "",
    }
    data.update(overrides)
    return data


def test_get_shows_the_form_with_questions_and_privacy_link(client):
    seminar = SeminarFactory(title="Kyushu for travel agents")
    RegistrationQuestionFactory(
        seminar=seminar,
        label="Which region interests you?",
        kind=RegistrationQuestion.Kind.SINGLE_CHOICE,
        choices="Kyushu\nTohoku",
    )

    response = client.get(url(seminar))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Register for Kyushu for travel agents" in content
    assert "Which region interests you?" in content
    assert 'name="csrfmiddlewaretoken"' in content
    assert f'href="{reverse("webinars:privacy")}"' in content
    assert "Leave this empty" in content
    assert response["Cache-Control"].startswith("max-age=0")
    assert "no-store" in response["Cache-Control"]


def test_a_guest_registers_and_finds_the_manage_link_in_their_inbox(client, mailoutbox):
    seminar = SeminarFactory(capacity=10)

    response = client.post(url(seminar), form_data(email="Aiko@Example.org"))

    registration = Registration.objects.get()
    assert registration.email == "aiko@example.org"
    assert registration.status == "confirmed"
    assert_received_page(response)
    assert "<strong>aiko@example.org</strong>" in response.content.decode()
    assert list(OutgoingEmail.objects.values_list("to_email", "kind")) == [
        ("aiko@example.org", "registration_confirmed")
    ]
    manage = emailed_manage_path("aiko@example.org")
    token = manage.split("/")[2]
    assert selectors.registration_by_token(token, scopes=["manage"]) == registration
    assert "You have a place: your registration is confirmed" in client.get(manage).content.decode()


def test_post_when_full_with_waitlist_puts_the_guest_on_the_waiting_list(client, mailoutbox):
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)
    RegistrationFactory(seminar=seminar)

    response = client.post(url(seminar), form_data())

    assert Registration.objects.get(email="aiko@example.org").status == "waitlisted"
    assert_received_page(response)
    manage = client.get(emailed_manage_path("aiko@example.org")).content.decode()
    assert "You are on the waiting list" in manage


def test_post_when_full_without_waitlist_shows_full_message(client):
    seminar = SeminarFactory(capacity=1, waitlist_enabled=False)
    RegistrationFactory(seminar=seminar)

    response = client.post(url(seminar), form_data())

    assert response.status_code == 200
    assert "this seminar is full and has no waiting list" in response.content.decode()
    assert not Registration.objects.filter(email="aiko@example.org").exists()


def test_invalid_post_shows_the_form_with_errors_and_writes_nothing(client):
    seminar = SeminarFactory()

    response = client.post(url(seminar), form_data(privacy_consent=""))

    assert response.status_code == 200
    assert "Please accept the privacy notice to register." in response.content.decode()
    assert Registration.objects.count() == 0


def test_a_repeat_registration_reveals_nothing_and_emails_the_links_to_the_address(
    client, settings
):
    settings.CONFIRMATION_RESEND_SECONDS = 600
    with time_machine.travel("2026-11-26 09:00Z", tick=False):
        seminar = SeminarFactory(
            starts_at=timezone.now() + timedelta(days=7),
            ends_at=timezone.now() + timedelta(days=7, hours=1),
        )
        first = client.post(url(seminar), form_data())
        soon = client.post(url(seminar), form_data(email="AIKO@example.org"))
        bot = client.post(url(seminar), form_data(website="x"))  # as a bot is answered
    with time_machine.travel("2026-11-26 09:11Z", tick=False):
        later = client.post(url(seminar), form_data())

    # A new address, the same address again, and a bot all get the very same page.
    pages = {response.content.decode() for response in (first, soon, bot, later)}
    assert len(pages) == 1
    for response in (first, soon, later):
        assert_received_page(response)
        assert "already" not in response.content.decode()
    assert Registration.objects.count() == 1
    assert list(OutgoingEmail.objects.order_by("pk").values_list("kind", flat=True)) == [
        "registration_confirmed",
        "registration_links",
    ]


def test_a_guest_registration_takes_at_most_13_queries_and_mints_no_browser_token(
    client, django_assert_max_num_queries
):
    seminar = SeminarFactory(capacity=10, waitlist_enabled=True)
    RegistrationQuestionFactory(seminar=seminar)
    data = form_data()

    # The seminar, its questions, the audience type (two), then in one transaction (a
    # savepoint here) the lock timeout (PostgreSQL), the locked seminar, the seat state,
    # the place, its consents and its email (in a savepoint of its own). It was 18 (19)
    # when each rule read on its own.
    with django_assert_max_num_queries(13 + lock_timeout_queries()):
        response = client.post(url(seminar), data)

    assert_received_page(response)
    registration = Registration.objects.get()
    assert registration.status == "confirmed"
    assert registration.consent_records.count() == 3
    # The guest's links go to the inbox only, so no token is minted for the browser.
    assert not RegistrationToken.objects.exists()


def test_a_repeat_guest_registration_takes_at_most_9_queries(client, django_assert_max_num_queries):
    seminar = SeminarFactory(capacity=10, waitlist_enabled=True)
    RegistrationQuestionFactory(seminar=seminar)
    data = form_data()
    client.post(url(seminar), data)

    with django_assert_max_num_queries(9 + lock_timeout_queries()):
        response = client.post(url(seminar), data)

    assert_received_page(response)
    assert Registration.objects.count() == 1


def test_a_signed_in_person_gets_a_working_manage_link_in_the_redirect(client):
    user = UserFactory(email="aiko@example.org", full_name="Aiko Tanaka")
    client.force_login(user)
    seminar = SeminarFactory()

    response = client.post(url(seminar), form_data())

    registration = Registration.objects.get()
    token = response["Location"].split("/")[2]
    assert response["Location"] == reverse("webinars:registration_manage", args=[token])
    assert selectors.registration_by_token(token, scopes=["manage"]) == registration


def test_a_full_seminar_answers_the_same_for_a_registered_and_an_unknown_address(client):
    seminar = SeminarFactory(capacity=1, waitlist_enabled=False)
    RegistrationFactory(seminar=seminar, email="aiko@example.org")

    known = client.post(url(seminar), form_data(email="aiko@example.org"))
    unknown = client.post(url(seminar), form_data(email="ben@example.org"))

    for response in (known, unknown):
        assert response.status_code == 200
        assert response.context["closed_reason"] == "full"
    assert OutgoingEmail.objects.count() == 0  # no links re-sent to the known address
    assert Registration.objects.count() == 1


def test_the_signed_in_owner_of_a_place_in_a_full_seminar_is_shown_it(client):
    user = UserFactory(email="aiko@example.org")
    seminar = SeminarFactory(capacity=1, waitlist_enabled=False)
    registration = RegistrationFactory(seminar=seminar, email="aiko@example.org", user=user)
    client.force_login(user)

    response = client.post(url(seminar), form_data())

    assert response["Location"] == reverse("webinars:my_registration", args=[registration.pk])


def test_a_signed_in_person_registering_again_is_shown_their_place(client):
    user = UserFactory(email="aiko@example.org", full_name="Aiko Tanaka")
    client.force_login(user)
    seminar = SeminarFactory()
    client.post(url(seminar), form_data(), follow=True)

    again = client.post(url(seminar), form_data())

    registration = Registration.objects.get()
    assert again["Location"] == reverse("webinars:my_registration", args=[registration.pk])
    assert messages_of(client.get(again["Location"])) == [
        "You're already registered for this seminar."
    ]


def test_filled_honeypot_pretends_success_and_writes_nothing(client):
    seminar = SeminarFactory()

    response = client.post(url(seminar), form_data(website="http://spam.example"))

    assert response.status_code == 200
    assert "We've received your registration" in response.content.decode()
    assert Registration.objects.count() == 0
    assert OutgoingEmail.objects.count() == 0


def test_too_many_posts_from_one_ip_get_429(client, settings):
    settings.REGISTRATION_RATE_LIMIT_PER_IP = "2/600"
    seminar = SeminarFactory()

    statuses = [
        client.post(url(seminar), form_data(email=f"p{n}@example.org")).status_code
        for n in range(3)
    ]

    assert statuses == [200, 200, 429]
    assert Registration.objects.count() == 2
    last = client.post(url(seminar), form_data(email="p9@example.org"))
    assert "Too many registrations from your network" in last.content.decode()
    assert "Too many attempts" in last.content.decode()


def test_too_many_posts_for_one_email_get_429(client, settings):
    settings.REGISTRATION_RATE_LIMIT_PER_EMAIL = "2/600"
    seminar = SeminarFactory()

    responses = [
        client.post(url(seminar), form_data(email="Aiko@example.org"), REMOTE_ADDR=f"10.0.0.{n}")
        for n in range(3)
    ]

    assert [r.status_code for r in responses] == [200, 200, 429]
    assert "Too many registrations for this email address" in responses[2].content.decode()


def test_rate_limit_window_passes(client, settings):
    settings.REGISTRATION_RATE_LIMIT_PER_IP = "1/600"
    seminar = SeminarFactory(starts_at=timezone.now() + timedelta(days=30))
    seminar.ends_at = seminar.starts_at + timedelta(hours=1)
    seminar.save()
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        assert client.post(url(seminar), form_data(email="a@example.org")).status_code == 200
        assert client.post(url(seminar), form_data(email="b@example.org")).status_code == 429
        traveller.shift(timedelta(seconds=601))
        assert client.post(url(seminar), form_data(email="c@example.org")).status_code == 200
    assert Registration.objects.count() == 2


def test_a_busy_network_must_pass_the_human_check_and_then_registers(client, settings):
    settings.HUMAN_CHECK_AFTER_PER_CLIENT = "1/3600"
    seminar = SeminarFactory()
    first = client.post(url(seminar), form_data(email="first@example.org"))
    assert human_check_challenge(client.get(url(seminar)).content.decode()) is not None

    refused = client.post(url(seminar), form_data(email="second@example.org"))
    page = refused.content.decode()
    solution = human_check_solution(human_check_challenge(page))
    accepted = client.post(
        url(seminar), form_data(email="second@example.org", human_check=solution)
    )
    replayed = client.post(url(seminar), form_data(email="third@example.org", human_check=solution))

    assert_received_page(first)
    assert refused.status_code == 200
    assert "Please wait for the automatic check below to finish" in page
    assert "A quick check that a person is sending this" in page
    assert "<noscript>" in page and "This check needs JavaScript" in page
    assert '<script src="/static/js/human-check.js" defer></script>' in page
    assert_received_page(accepted)
    assert "The automatic check did not pass" in replayed.content.decode()
    assert sorted(Registration.objects.values_list("email", flat=True)) == [
        "first@example.org",
        "second@example.org",
    ]
    assert OutgoingEmail.objects.filter(to_email="third@example.org").count() == 0


def test_an_address_registered_too_often_needs_the_check_from_any_network(client, settings):
    """Rotating networks do not help a script that fills one person's inbox."""
    settings.HUMAN_CHECK_AFTER_PER_ADDRESS = "1/86400"
    first, second = SeminarFactory(), SeminarFactory()
    client.post(url(first), form_data(), REMOTE_ADDR="10.0.0.1")

    again = client.post(url(second), form_data(), REMOTE_ADDR="10.0.0.2")
    other_address = client.post(
        url(second), form_data(email="ben@example.org"), REMOTE_ADDR="10.0.0.3"
    )

    assert "Please wait for the automatic check below to finish" in again.content.decode()
    assert_received_page(other_address)
    assert sorted(Registration.objects.values_list("seminar_id", "email")) == [
        (first.pk, "aiko@example.org"),
        (second.pk, "ben@example.org"),
    ]


def test_a_signed_in_person_is_never_asked_for_the_human_check(client, settings):
    settings.HUMAN_CHECK_AFTER_PER_CLIENT = "0/60"  # ask every guest
    client.force_login(UserFactory(email="aiko@example.org"))
    seminar = SeminarFactory()

    page = client.get(url(seminar)).content.decode()
    response = client.post(url(seminar), form_data())

    assert human_check_challenge(page) is None
    assert response.status_code == 302
    assert Registration.objects.get().email == "aiko@example.org"


def test_lock_timeout_shows_try_again_with_503(client, monkeypatch):
    seminar = SeminarFactory()

    def busy(**kwargs):
        raise RegistrationBusy

    monkeypatch.setattr("webinars.views.registration.registration_create", busy)

    response = client.post(url(seminar), form_data())

    assert response.status_code == 503
    assert "Lots of people are registering right now" in response.content.decode()


def test_draft_seminar_is_404(client):
    seminar = SeminarFactory(draft=True)

    assert client.get(url(seminar)).status_code == 404
    assert client.post(url(seminar), form_data()).status_code == 404


@pytest.mark.parametrize(
    ("factory_kwargs", "message"),
    [
        ({"status": "cancelled"}, "This seminar was cancelled"),
        ({"past": True}, "This seminar has ended."),
        (
            {
                "starts_at": timezone.now() - timedelta(minutes=5),
                "ends_at": timezone.now() + timedelta(minutes=55),
            },
            "already started",
        ),
        (
            {
                "registration_opens_at": timezone.now() - timedelta(days=2),
                "registration_closes_at": timezone.now() - timedelta(days=1),
            },
            "Registration for this seminar has closed.",
        ),
    ],
)
def test_closed_registration_shows_a_message_not_a_form(client, factory_kwargs, message):
    seminar = SeminarFactory(published_at=timezone.now(), **factory_kwargs)

    get = client.get(url(seminar))
    post = client.post(url(seminar), form_data())

    for response in (get, post):
        assert response.status_code == 200
        content = response.content.decode()
        assert message in content
        assert 'name="privacy_consent"' not in content
    assert Registration.objects.count() == 0


def test_not_yet_open_says_when_it_opens_in_the_seminar_zone(client):
    from tests.factories import london

    seminar = SeminarFactory(
        starts_at=london(2027, 3, 1, 10),
        ends_at=london(2027, 3, 1, 11),
        registration_opens_at=london(2027, 2, 1, 9),
    )
    with time_machine.travel("2027-01-15 12:00Z", tick=False):
        response = client.get(url(seminar))

    assert "Registration opens on Monday 1 February 2027, 09:00 GMT." in response.content.decode()


def test_signed_in_user_sees_prefilled_form_and_one_click(client, settings):
    travel_agent = AudienceType.objects.get(slug="travel-agent")
    user = UserFactory(
        email="aiko@example.org",
        full_name="Aiko Tanaka",
        organisation="Kyoto Tours",
        audience_type=travel_agent,
        time_zone="Asia/Tokyo",
    )
    client.force_login(user)
    seminar = SeminarFactory()

    page = client.get(url(seminar)).content.decode()
    response = client.post(url(seminar), {"one_click": "1"})

    assert 'value="Aiko Tanaka"' in page
    assert "Register now" in page
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert (registration.email, registration.name, registration.user) == (
        "aiko@example.org",
        "Aiko Tanaka",
        user,
    )
    assert registration.audience_type == travel_agent
    assert registration.time_zone == "Asia/Tokyo"
    assert registration.privacy_notice_version == settings.PRIVACY_NOTICE_VERSION
    # One click accepts the privacy notice, and asks for nothing else.
    assert (registration.marketing_opt_in, registration.recording_followup_opt_in) == (
        False,
        False,
    )
    assert sorted(
        registration.consent_records.values_list("consent", "given", "source", "notice_version")
    ) == [
        ("news", False, "one_click", settings.PRIVACY_NOTICE_VERSION),
        ("privacy_notice", True, "one_click", settings.PRIVACY_NOTICE_VERSION),
        ("recording_followup", False, "one_click", settings.PRIVACY_NOTICE_VERSION),
    ]


def test_one_click_is_not_offered_with_an_incomplete_profile(client):
    user = UserFactory(full_name="Ben Smith", audience_type=None)
    client.force_login(user)
    seminar = SeminarFactory()

    page = client.get(url(seminar)).content.decode()
    response = client.post(url(seminar), {"one_click": "1"})

    assert "Register now" not in page
    assert response.status_code == 200
    assert Registration.objects.count() == 0


def test_injection_attempts_are_stored_harmlessly_and_reach_no_header_or_calendar(
    client, mailoutbox
):
    seminar = SeminarFactory()
    question = RegistrationQuestionFactory(
        seminar=seminar, kind=RegistrationQuestion.Kind.LONG_TEXT
    )

    refused = client.post(url(seminar), form_data(name="Aiko\r\nBcc: evil@example.org"))
    # Control characters in a person's details are refused too (one rule, accounts.forms).
    refused_control = client.post(url(seminar), form_data(name="Aiko\x1b[31m"))
    accepted = client.post(
        url(seminar),
        form_data(
            name="<img src=x onerror=alert(1)> Aiko",
            organisation="ACME;ATTENDEE:mailto:evil@example.org",
            **{f"question_{question.pk}": "x\r\nEND:VEVENT\r\nBEGIN:VEVENT"},
        ),
    )

    assert refused.status_code == 200
    assert "Please keep this on one line." in refused.content.decode()
    assert refused_control.status_code == 200
    assert "Please remove control characters" in refused_control.content.decode()
    assert_received_page(accepted)
    registration = Registration.objects.get()
    assert registration.name == "<img src=x onerror=alert(1)> Aiko"
    email = rendered(OutgoingEmail.objects.get())
    assert "\r" not in email.subject and "\n" not in email.subject
    assert all("\r" not in f"{k}{v}" and "\n" not in f"{k}{v}" for k, v in email.headers.items())
    assert "<img src=x" not in email.body_html
    calendar = icalendar.Calendar.from_ical(email.calendar_body)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 1
    attendees = events[0].get("ATTENDEE")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a) for a in attendees] == ["mailto:aiko@example.org"]
    manage = client.get(emailed_manage_path("aiko@example.org")).content.decode()
    assert "<img src=x" not in manage


def test_seminar_page_shows_seats_left_and_register_button(client):
    seminar = SeminarFactory(capacity=3)
    RegistrationFactory(seminar=seminar)

    content = client.get(seminar.get_absolute_url()).content.decode()

    assert "2 seats left" in content
    assert f'href="{url(seminar)}"' in content


def test_seminar_page_stops_offering_seats_as_soon_as_the_last_one_goes(
    client, django_capture_on_commit_callbacks
):
    seminar = SeminarFactory(capacity=1, waitlist_enabled=True)
    assert "1 seat left" in client.get(seminar.get_absolute_url()).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(seminar), form_data())
    client.cookies.clear()  # an anonymous visitor again, served from the page cache

    page = client.get(seminar.get_absolute_url()).content.decode()
    assert "1 seat left" not in page
    assert "waiting list" in page.lower()


def test_seminar_page_states_waiting_list_full_and_closed(client):
    waiting = SeminarFactory(capacity=1, waitlist_enabled=True)
    RegistrationFactory(seminar=waiting)
    full = SeminarFactory(capacity=1, waitlist_enabled=False)
    RegistrationFactory(seminar=full)
    closed = SeminarFactory(
        registration_opens_at=timezone.now() - timedelta(days=2),
        registration_closes_at=timezone.now() - timedelta(days=1),
    )

    waiting_page = client.get(waiting.get_absolute_url()).content.decode()
    full_page = client.get(full.get_absolute_url()).content.decode()
    closed_page = client.get(closed.get_absolute_url()).content.decode()

    assert "Waiting list open" in waiting_page
    assert "Join the waiting list" in waiting_page
    assert "<strong>Full</strong>" in full_page
    assert f'href="{url(full)}"' not in full_page
    assert "Registration closed" in closed_page
    assert f'href="{url(closed)}"' not in closed_page


def test_seminar_list_cards_link_to_registration(client):
    seminar = SeminarFactory()

    content = client.get(reverse("webinars:seminar_list")).content.decode()

    assert f'href="{url(seminar)}"' in content


def test_privacy_page_shows_the_version(client, settings):
    settings.PRIVACY_NOTICE_VERSION = "2026-11"

    response = client.get(reverse("webinars:privacy"))

    assert response.status_code == 200
    assert "Version 2026-11." in response.content.decode()


def test_privacy_page_states_the_retention_periods_in_force(client, settings):
    settings.RETENTION_MONTHS = 18
    settings.OUTBOX_RETENTION_DAYS = 60

    page = " ".join(client.get(reverse("webinars:privacy")).content.decode().split())

    assert "anonymised 18 months after the seminar" in page
    assert "deleted 60 days after it was sent" in page
    assert "Calendar invites carry only your joining link" in page


# --- The registrant's own time zone (filled in by site.js) and the page's markup -----------


def test_form_carries_a_hidden_time_zone_field_for_the_browser_to_fill(client):
    seminar = SeminarFactory()

    content = client.get(url(seminar)).content.decode()

    assert (
        '<input type="hidden" name="time_zone" data-browser-time-zone="" id="id_time_zone">'
        in content
    )


def test_posted_time_zone_is_stored_on_the_registration(client):
    seminar = SeminarFactory()

    response = client.post(url(seminar), form_data(time_zone="America/New_York"))

    assert_received_page(response)
    assert Registration.objects.get().time_zone == "America/New_York"


@pytest.mark.parametrize("posted", ["Mars/Olympus_Mons", "localtime", "Europe/London\r\nX: y", ""])
def test_unknown_or_missing_time_zone_is_ignored_without_an_error(client, posted):
    seminar = SeminarFactory()

    response = client.post(url(seminar), form_data(time_zone=posted))

    assert_received_page(response)
    assert Registration.objects.get().time_zone == ""


def test_signed_in_user_without_a_posted_zone_gets_their_profile_zone(client):
    user = UserFactory(email="aiko@example.org", time_zone="Asia/Tokyo")
    client.force_login(user)
    seminar = SeminarFactory()

    response = client.post(url(seminar), form_data(time_zone=""))

    assert response.status_code == 302
    assert Registration.objects.get().time_zone == "Asia/Tokyo"


def test_signed_in_user_posted_zone_wins_over_the_profile_zone(client):
    user = UserFactory(email="aiko@example.org", time_zone="Asia/Tokyo")
    client.force_login(user)
    seminar = SeminarFactory()

    response = client.post(url(seminar), form_data(time_zone="Europe/Paris"))

    assert response.status_code == 302
    assert Registration.objects.get().time_zone == "Europe/Paris"


def test_errors_are_summarised_at_the_top_with_links_to_their_fields(client):
    seminar = SeminarFactory()
    question = RegistrationQuestionFactory(
        seminar=seminar,
        label="Have you visited Japan?",
        kind=RegistrationQuestion.Kind.YES_NO,
        required=True,
    )

    response = client.post(url(seminar), form_data(name="", privacy_consent=""))

    content = response.content.decode()
    summary = content[content.index("data-error-summary") : content.index('class="register-form"')]
    assert "<title>Error: " in content
    assert 'href="#id_name">Full name: This field is required.</a>' in summary
    # A group of radios links to its first option; page order: questions before consent.
    assert summary.index(f'href="#id_question_{question.pk}_0"') < summary.index(
        'href="#id_privacy_consent">Please accept the privacy notice to register.</a>'
    )
    assert 'aria-describedby="id_name_error"' in content
