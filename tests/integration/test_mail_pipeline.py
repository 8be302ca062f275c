"""Mail end to end: a real worker with beat, Redis, PostgreSQL and an SMTP server on loopback.

Each test writes through the application's own code in this process (the register view,
the services), which hands the outbox rows to a real ``celery worker -B`` over Redis; the
worker sends them to an aiosmtpd server in this process, and the test reads what arrived.
"""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from notifications.mail import message_id
from notifications.models import OutgoingEmail
from notifications.services.reminders import reminder_dedupe_key
from tests.factories import AudienceTypeFactory, RegistrationFactory, SeminarFactory
from tests.integration.smtp import Received, smtp_server
from tests.integration.workers import empty_redis_broker, running_worker, services_environment
from tests.utils import assert_received_page
from webinars.models import Registration
from webinars.selectors import registration_by_token
from webinars.services import seminar_update
from webinars.services.registrations import registration_create

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _key(registration, offset: int) -> str:
    """The dedupe key of ``registration``'s reminder ``offset`` minutes before its seminar's
    start as it stands now."""
    seminar = type(registration.seminar).objects.get(pk=registration.seminar_id)
    return reminder_dedupe_key(
        registration_id=registration.pk, offset=offset, starts_at=seminar.starts_at
    )


# Redis database of these tests' queues, used by nothing else: the broker is on 0, its
# cache on 1, test_worker.py on 15, the benchmarks on 13 and 14.
BROKER_DB = 11
DELIVERY_TIMEOUT_SECONDS = 60

Kind = OutgoingEmail.Kind
Status = OutgoingEmail.Status


@pytest.fixture
def broker_url():
    with empty_redis_broker(BROKER_DB) as url:
        yield url


@pytest.fixture
def smtp():
    with smtp_server() as server:
        yield server


def _calendar_event(received: Received):
    """(METHOD, the VEVENT) of the message's inline ``text/calendar`` part."""
    [part] = [p for p in received.message().walk() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(part.get_content())
    [event] = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), event


def _text_body(received: Received) -> str:
    return received.message().get_body(preferencelist=("plain",)).get_content()


def test_registration_through_the_form_delivers_the_confirmation(
    tmp_path, client, broker_url, smtp
):
    audience_type = AudienceTypeFactory(slug="pipeline", name="Pipeline")
    seminar = SeminarFactory(title="Onsen towns after the snow")

    with running_worker(
        tmp_path, **services_environment(broker_url=broker_url, email_url=smtp.url)
    ) as worker:
        worker.wait_until_ready()
        response = client.post(
            reverse("webinars:register", args=[seminar.slug]),
            {
                "name": "Mio Tanaka",
                "email": "mio@example.org",
                "audience_type": str(audience_type.pk),
                "country": "GB",
                "privacy_consent": "on",
            },
        )
        [received] = smtp.wait_for_messages(1, timeout=DELIVERY_TIMEOUT_SECONDS, failure=worker.log)
        # A later sweep finds nothing left to send.
        worker.run_task("notifications.deliver_due_emails")
        worker.wait_until_idle()

    registration = Registration.objects.get()
    assert_received_page(response)
    row = OutgoingEmail.objects.get()
    assert (row.kind, row.status, row.attempts, row.registration_id) == (
        Kind.REGISTRATION_CONFIRMED,
        Status.SENT,
        1,
        registration.pk,
    )
    assert smtp.received == [received]
    assert received.recipients == ("mio@example.org",)
    assert received.message_id == message_id(row)
    assert received.message()["Subject"] == row.subject
    assert "Onsen towns after the snow" in row.subject
    method, event = _calendar_event(received)
    assert (method, str(event["UID"]), event["SEQUENCE"]) == (
        "REQUEST",
        seminar.calendar_uid,
        seminar.sequence,
    )
    # The stored row keeps the placeholder; the message carries a token minted when sent.
    token = re.search(r"/r/([\w-]+)/", _text_body(received)).group(1)
    assert registration_by_token(token, scopes=["manage", "join"]) == registration


def test_due_reminder_found_by_beats_scan_is_delivered_once(tmp_path, broker_url, smtp):
    now = timezone.now()
    seminar = SeminarFactory(
        starts_at=now + timedelta(minutes=59),
        ends_at=now + timedelta(minutes=119),
        reminder_offsets_minutes=[60],
    )
    early = RegistrationFactory(seminar=seminar, email="early@example.org")
    RegistrationFactory(seminar=seminar, email="late@example.org")
    # Travel to the moment a minute after the 1-hour reminder fell due: one person
    # registered two days before, the other only now, after that moment (no reminder).
    Registration.objects.filter(pk=early.pk).update(created_at=now - timedelta(days=2))

    with running_worker(
        tmp_path,
        beat_due_now=True,  # beat's first tick runs the reminder scan and the outbox sweep
        **services_environment(broker_url=broker_url, email_url=smtp.url),
    ) as worker:
        worker.wait_until_ready()
        [received] = smtp.wait_for_messages(1, timeout=DELIVERY_TIMEOUT_SECONDS, failure=worker.log)
        # Beat's next minutes: two more scans and a sweep find the reminder already written.
        worker.run_task("notifications.dispatch_reminders")
        worker.run_task("notifications.dispatch_reminders")
        worker.run_task("notifications.deliver_due_emails")
        worker.wait_until_idle()

    assert "Sending due task dispatch-reminders" in worker.log()
    row = OutgoingEmail.objects.get()
    assert (row.kind, row.status, row.attempts, row.dedupe_key) == (
        Kind.REMINDER,
        Status.SENT,
        1,
        _key(early, 60),
    )
    assert smtp.recipient_counts() == {"early@example.org": 1}
    assert received.message_id == message_id(row)
    assert received.message()["Subject"] == f"Reminder: {seminar.title} starts in 1 hour"
    method, event = _calendar_event(received)
    assert (method, str(event["UID"]), event["SEQUENCE"]) == (
        "REQUEST",
        seminar.calendar_uid,
        seminar.sequence,
    )


def test_moved_seminar_sends_an_update_with_a_higher_sequence(tmp_path, broker_url, smtp, settings):
    # Attendees are told once the organiser stops editing; here at once.
    settings.SEMINAR_CHANGE_NOTICE_DELAY_SECONDS = 0
    audience_type = AudienceTypeFactory(slug="pipeline-move", name="Pipeline move")
    seminar = SeminarFactory(title="Sake breweries of Niigata")
    new_start = seminar.starts_at + timedelta(days=1, hours=2)

    with running_worker(
        tmp_path,
        **services_environment(
            broker_url=broker_url, email_url=smtp.url, SEMINAR_CHANGE_NOTICE_DELAY_SECONDS="0"
        ),
    ) as worker:
        worker.wait_until_ready()
        registration_create(
            seminar=seminar,
            email="kenji@example.org",
            name="Kenji Sato",
            audience_type=audience_type,
        )
        [confirmation] = smtp.wait_for_messages(
            1, timeout=DELIVERY_TIMEOUT_SECONDS, failure=worker.log
        )
        seminar_update(seminar=seminar, starts_at=new_start, ends_at=new_start + timedelta(hours=1))
        # What beat's next minute runs.
        worker.run_task("notifications.send_seminar_change_notices")
        _confirmation, update = smtp.wait_for_messages(
            2, timeout=DELIVERY_TIMEOUT_SECONDS, failure=worker.log
        )
        worker.wait_until_idle()

    seminar.refresh_from_db()
    rows = list(OutgoingEmail.objects.order_by("pk").values_list("kind", "status", "to_email"))
    assert rows == [
        (Kind.REGISTRATION_CONFIRMED, Status.SENT, "kenji@example.org"),
        (Kind.SEMINAR_CHANGED, Status.SENT, "kenji@example.org"),
    ]
    assert smtp.recipient_counts() == {"kenji@example.org": 2}
    assert update.message_id == message_id(OutgoingEmail.objects.get(kind=Kind.SEMINAR_CHANGED))
    first_method, first = _calendar_event(confirmation)
    method, event = _calendar_event(update)
    assert (first_method, method, str(event["UID"])) == ("REQUEST", "REQUEST", str(first["UID"]))
    assert event["SEQUENCE"] == first["SEQUENCE"] + 1 == seminar.sequence
    assert event.decoded("DTSTART") == new_start
    assert first.decoded("DTSTART") == new_start - timedelta(days=1, hours=2)
