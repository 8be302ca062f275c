import email
import email.policy
import smtplib
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from django.core import mail
from icalendar import Calendar

from notifications.models import OutgoingEmail
from notifications.services import emails_deliver_due, registration_email_queue
from notifications.services.delivery import emails_claim
from notifications.tasks import deliver_email, deliver_email_batch
from tests.factories import RegistrationFactory
from tests.utils import OUTBOX_NOW, queued_email

pytestmark = pytest.mark.django_db


Status = OutgoingEmail.Status


def test_periodic_pass_sends_due_rows_over_one_connection_per_batch(
    clock, enqueued, scripted_backend
):
    due = [queued_email(to_email=f"due{n}@example.org") for n in range(5)]
    later = queued_email(to_email="later@example.org")
    OutgoingEmail.objects.filter(pk=later.pk).update(
        next_attempt_at=OUTBOX_NOW + timedelta(minutes=1)
    )

    result = emails_deliver_due(batch_size=2)

    assert (result.delivered, result.failed, result.retrying) == (5, 0, 0)
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        f"Ayumi <due{n}@example.org>" for n in range(5)
    )
    assert scripted_backend.opened == 3
    assert OutgoingEmail.objects.get(pk=later.pk).status == Status.QUEUED
    assert set(
        OutgoingEmail.objects.filter(pk__in=[e.pk for e in due]).values_list("status", flat=True)
    ) == {Status.SENT}


def test_periodic_pass_requeues_rows_stuck_in_sending_and_sends_them(
    clock, enqueued, scripted_backend, settings
):
    stuck = queued_email(to_email="stuck@example.org")
    exhausted = queued_email(to_email="exhausted@example.org")
    fresh = queued_email(to_email="fresh@example.org")
    OutgoingEmail.objects.filter(pk=stuck.pk).update(
        status=Status.SENDING, attempts=1, updated_at=OUTBOX_NOW - timedelta(minutes=11)
    )
    OutgoingEmail.objects.filter(pk=exhausted.pk).update(
        status=Status.SENDING,
        attempts=settings.EMAIL_MAX_ATTEMPTS,
        updated_at=OUTBOX_NOW - timedelta(minutes=30),
    )
    OutgoingEmail.objects.filter(pk=fresh.pk).update(
        status=Status.SENDING, attempts=1, updated_at=OUTBOX_NOW - timedelta(minutes=2)
    )

    result = emails_deliver_due()

    assert (result.requeued, result.delivered) == (1, 1)
    statuses = dict(OutgoingEmail.objects.values_list("to_email", "status"))
    assert statuses == {
        "stuck@example.org": Status.SENT,
        "exhausted@example.org": Status.FAILED,
        "fresh@example.org": Status.SENDING,
    }


def test_periodic_pass_leaves_rows_queued_when_the_mail_server_is_unreachable(
    clock, enqueued, scripted_backend, monkeypatch
):
    email = queued_email()

    def unreachable(self):
        raise ConnectionRefusedError("no server")

    monkeypatch.setattr(scripted_backend, "open", unreachable)

    result = emails_deliver_due()

    assert (result.delivered, result.retrying) == (0, 1)
    email.refresh_from_db()
    assert email.status == Status.QUEUED
    assert email.attempts == 0


def test_claim_skips_rows_another_batch_claimed_and_rows_not_due(clock, enqueued):
    ids = [queued_email(to_email=f"c{n}@example.org").pk for n in range(4)]
    OutgoingEmail.objects.filter(pk=ids[3]).update(
        next_attempt_at=OUTBOX_NOW + timedelta(minutes=5)
    )

    first = emails_claim(email_ids=ids[:2])
    second = emails_claim(email_ids=ids)

    assert [email.pk for email in first] == ids[:2]
    assert [email.pk for email in second] == [ids[2]]
    assert [(email.status, email.attempts) for email in first + second] == [(Status.SENDING, 1)] * 3
    assert dict(OutgoingEmail.objects.values_list("pk", "status")) == {
        ids[0]: Status.SENDING,
        ids[1]: Status.SENDING,
        ids[2]: Status.SENDING,
        ids[3]: Status.QUEUED,
    }


def test_the_sent_mark_statements_name_the_models_table_and_columns():
    from notifications.services.composing import RENDERED_FIELDS
    from notifications.services.delivery import _MARK_SENT_RENDERED_SQL, _MARK_SENT_SQL

    fields = {field.column for field in OutgoingEmail._meta.concrete_fields}
    for sql in (_MARK_SENT_SQL, _MARK_SENT_RENDERED_SQL):
        assert f'UPDATE "{OutgoingEmail._meta.db_table}" SET' in sql
        for column in ("status", "sent_at", "updated_at", "id"):
            assert column in fields
            assert f'"{column}" = %s' in sql
    # The rendered message's columns, in the order email_mark_sent passes their values.
    stored = [*RENDERED_FIELDS, "rendered", "status", "sent_at", "updated_at"]
    assert set(stored) <= fields
    assert _MARK_SENT_RENDERED_SQL.split(" WHERE ")[0].endswith(
        ", ".join(f'"{column}" = %s' for column in stored)
    )


Status = OutgoingEmail.Status


class RecordingHandler:
    """Accepts mail, except for addresses that start with "busy" (450) or "gone" (550)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.sessions: set[int] = set()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.sessions.add(id(session))
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("busy"):
            return "450 Mailbox busy, try later"
        if address.startswith("gone"):
            return "550 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    settings.EMAIL_BACKEND = "notifications.backends.OutboxSMTPBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    yield handler
    controller.stop()


def _queue(address: str) -> OutgoingEmail:
    registration = RegistrationFactory(email=address, name="Mio")
    return registration_email_queue(
        registration=registration, kind=OutgoingEmail.Kind.REGISTRATION_CONFIRMED
    )


def test_invite_arrives_over_smtp_as_a_meeting_request(smtp_server, enqueued):
    outbox_email = _queue("mio@example.org")

    assert deliver_email(outbox_email.pk) == "sent"

    ((recipients, raw),) = smtp_server.messages
    assert recipients == ["mio@example.org"]
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert message["To"] == "Mio <mio@example.org>"
    calendar_part = next(
        part for part in message.walk() if part.get_content_type() == "text/calendar"
    )
    assert calendar_part.get_param("method") == "REQUEST"
    assert Calendar.from_ical(calendar_part.get_content())["METHOD"] == "REQUEST"


def test_periodic_pass_over_one_smtp_session_with_4xx_and_5xx_refusals(smtp_server, enqueued):
    delivered = [_queue(f"ok{n}@example.org") for n in range(3)]
    busy = _queue("busy@example.org")
    gone = _queue("gone@example.org")

    result = emails_deliver_due(batch_size=10)

    assert (result.delivered, result.failed, result.retrying) == (3, 1, 1)
    assert sorted(recipients[0] for recipients, _raw in smtp_server.messages) == [
        f"ok{n}@example.org" for n in range(3)
    ]
    statuses = dict(OutgoingEmail.objects.values_list("pk", "status"))
    assert [statuses[e.pk] for e in delivered] == [Status.SENT] * 3
    assert statuses[busy.pk] == Status.QUEUED
    assert statuses[gone.pk] == Status.FAILED
    # ok0–ok2 and busy share the batch's session; after the 450 a fresh one sends to gone.
    assert len(smtp_server.sessions) == 2


def test_unreachable_smtp_server_is_a_temporary_failure(settings, enqueued):
    settings.EMAIL_BACKEND = "notifications.backends.OutboxSMTPBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _free_port()
    settings.EMAIL_TIMEOUT = 2
    outbox_email = _queue("mio@example.org")

    assert deliver_email(outbox_email.pk) == "retrying"

    outbox_email.refresh_from_db()
    assert outbox_email.status == Status.QUEUED
    assert outbox_email.last_error.startswith("ConnectionRefusedError")


def test_a_batch_goes_over_one_smtp_session_each_message_once(smtp_server, enqueued):
    ids = [_queue(f"batch{n}@example.org").pk for n in range(4)]

    assert deliver_email_batch(ids)["delivered"] == 4
    assert deliver_email_batch(ids)["skipped"] == 4

    assert [recipients for recipients, _raw in smtp_server.messages] == [
        [f"batch{n}@example.org"] for n in range(4)
    ]
    assert len(smtp_server.sessions) == 1
    message_ids = {
        email.message_from_bytes(raw, policy=email.policy.default)["Message-ID"]
        for _recipients, raw in smtp_server.messages
    }
    assert len(message_ids) == 4


@pytest.mark.parametrize(
    ("error", "stored"),
    [
        (
            smtplib.SMTPRecipientsRefused({"Ayumi <ayumi@example.org>": (550, b"no such user")}),
            "SMTPRecipientsRefused: 550 no such user",
        ),
        (
            smtplib.SMTPDataError(550, b"5.1.1 <ayumi@example.org>: Recipient address rejected"),
            "SMTPDataError: (550, b'5.1.1 <<address>>: Recipient address rejected')",
        ),
        (
            smtplib.SMTPSenderRefused(553, b"not allowed", "seminars@kizuna.example"),
            "SMTPSenderRefused: (553, b'not allowed', '<address>')",
        ),
    ],
    ids=["recipients-refused", "address-in-reply", "sender-refused"],
)
def test_a_failure_is_stored_and_logged_without_any_address(
    clock, enqueued, scripted_backend, caplog, error, stored
):
    email = queued_email()
    scripted_backend.failures = [error]

    emails_deliver_due()

    email.refresh_from_db()
    assert email.last_error == stored
    assert "@" not in caplog.text
    assert "Ayumi" not in email.last_error
