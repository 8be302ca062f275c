import re
from datetime import UTC, datetime

import pytest
import time_machine

from notifications.mail import build_message
from notifications.models import OutgoingEmail
from notifications.services import (
    announcement_send,
    email_opt_in,
    email_opt_out,
    is_opted_out,
    masked_email,
    registration_email_queue,
    reminders_dispatch,
    unsubscribe_email,
    unsubscribe_url,
)
from notifications.services.unsubscribes import (
    unsubscribe_token,
)
from tests.factories import (
    OutgoingEmailFactory,
    RecordingFactory,
    RegistrationFactory,
    SeminarFactory,
)
from tests.utils import (
    ANNOUNCEMENT_SENT_AT,
    announcement_audience,
    announcement_draft,
    rendered_emails,
    tottori_seminar,
)
from webinars.services import recording_publish, seminar_cancel

pytestmark = pytest.mark.django_db

EMAIL = "kenji.sato@example.org"

# --- Tokens -----------------------------------------------------------------


def test_token_is_the_signed_lower_cased_address_and_never_expires():
    token = unsubscribe_token(email=" Kenji.Sato@Example.ORG ")

    assert token == unsubscribe_token(email=EMAIL)
    assert re.fullmatch(r"[A-Za-z0-9_:-]+", token)
    with time_machine.travel(datetime(2036, 1, 1, tzinfo=UTC)):
        assert unsubscribe_email(token=token) == EMAIL
    assert unsubscribe_url(email=EMAIL) == f"https://kizuna.example/unsubscribe/{token}/"


def test_masked_email_shows_the_first_letter_and_the_domain():
    assert masked_email("kenji@example.org") == "k***@example.org"
    assert masked_email("k@example.org") == "k***@example.org"
    assert masked_email("@example.org") == "***@example.org"
    assert masked_email("nobody") == "***"


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
    # Each rendered as it goes out: the confirmation and the reminder before the cancellation.
    with time_machine.travel(datetime(2026, 10, 22, 9, 0, tzinfo=UTC)):
        reminders_dispatch()
        rows = rendered_emails(OutgoingEmail.objects.order_by("pk"))
    seminar_cancel(seminar=seminar, message="The speaker is unwell.")
    rows += rendered_emails(OutgoingEmail.objects.exclude(pk__in=[row.pk for row in rows]))

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
    reminder = OutgoingEmailFactory(
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


def test_unsubscribing_withdraws_announcements_still_waiting_but_not_other_mail(enqueued):
    from notifications.services import email_opt_out

    seminar = tottori_seminar()
    people = announcement_audience(seminar)
    announcement_send(announcement=announcement_draft(seminar), now=ANNOUNCEMENT_SENT_AT)
    reminder = OutgoingEmailFactory(
        kind=OutgoingEmail.Kind.REMINDER,
        to_email="agent-confirmed@example.org",
        subject="Reminder",
        body_text="Soon.",
    )

    email_opt_out(email="Agent-Confirmed@Example.org", source="one-click")

    statuses = dict(
        OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.ANNOUNCEMENT).values_list(
            "to_email", "status"
        )
    )
    assert statuses == {
        people["agent-confirmed"].email: "cancelled",
        people["media-confirmed"].email: "queued",
    }
    reminder.refresh_from_db()
    assert reminder.status == "queued"
