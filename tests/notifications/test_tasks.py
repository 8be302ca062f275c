import smtplib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from notifications.models import OutgoingEmail
from notifications.services import email_queue, emails_deliver_due
from notifications.tasks import deliver_due_emails, deliver_email

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
Status = OutgoingEmail.Status


def _email(**kwargs) -> OutgoingEmail:
    fields = {
        "kind": OutgoingEmail.Kind.REGISTRATION_CONFIRMED,
        "to_email": "ayumi@example.org",
        "to_name": "Ayumi",
        "language": "en",
        "subject": "You're registered",
        "body_text": "See you there.",
        "body_html": "<p>See you there.</p>",
    }
    return email_queue(**(fields | kwargs))


def _reply(code: int) -> smtplib.SMTPResponseException:
    return smtplib.SMTPDataError(code, b"reply text")


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def test_deliver_email_sends_once_and_a_second_run_skips(clock, enqueued, mailoutbox):
    email = _email()

    assert deliver_email(email.pk) == "sent"
    assert deliver_email(email.pk) == "skipped"

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["Ayumi <ayumi@example.org>"]
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert email.sent_at == NOW
    assert email.attempts == 1
    assert enqueued == []


def test_deliver_email_of_a_missing_row_does_nothing(enqueued, mailoutbox):
    assert deliver_email(987654) == "skipped"
    assert mailoutbox == []


@pytest.mark.parametrize("status", [Status.SENT, Status.FAILED, Status.CANCELLED])
def test_deliver_email_never_sends_a_finished_row(enqueued, mailoutbox, status):
    email = _email()
    OutgoingEmail.objects.filter(pk=email.pk).update(status=status)

    assert deliver_email(email.pk) == "skipped"
    assert mailoutbox == []


def test_deliver_email_skips_a_row_another_worker_is_sending(clock, enqueued, mailoutbox):
    email = _email()
    OutgoingEmail.objects.filter(pk=email.pk).update(status=Status.SENDING, updated_at=NOW)

    assert deliver_email(email.pk) == "skipped"
    assert mailoutbox == []


def test_deliver_email_takes_over_a_row_whose_sending_lease_expired(clock, enqueued, mailoutbox):
    email = _email()
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=Status.SENDING, updated_at=NOW - timedelta(minutes=11), attempts=1
    )

    assert deliver_email(email.pk) == "sent"
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert email.attempts == 2


def test_deliver_email_skips_a_row_whose_retry_is_not_due(clock, enqueued, mailoutbox):
    email = _email()
    OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=NOW + timedelta(minutes=5))

    assert deliver_email(email.pk) == "skipped"
    assert mailoutbox == []


@pytest.mark.parametrize(
    "error",
    [
        _reply(421),
        smtplib.SMTPSenderRefused(451, b"try later", "seminars@kizuna.example"),
        smtplib.SMTPServerDisconnected("gone"),
        ConnectionRefusedError("refused"),
        TimeoutError("timed out"),
        smtplib.SMTPRecipientsRefused({"ayumi@example.org": (450, b"mailbox busy")}),
    ],
    ids=["421", "sender-451", "disconnected", "refused", "timeout", "recipient-450"],
)
def test_temporary_failure_is_retried_with_backoff(clock, enqueued, scripted_backend, error):
    email = _email()
    scripted_backend.failures = [error]

    assert deliver_email(email.pk) == "retrying"

    email.refresh_from_db()
    assert email.status == Status.QUEUED
    assert email.attempts == 1
    assert email.next_attempt_at == NOW + timedelta(seconds=30)
    assert email.last_error.startswith(type(error).__name__)
    assert enqueued == [(email.pk, 30)]


def test_backoff_doubles_then_is_capped(clock, enqueued, scripted_backend, settings):
    settings.EMAIL_MAX_ATTEMPTS = 10
    settings.EMAIL_RETRY_MAX_SECONDS = 300
    email = _email()
    scripted_backend.failures = [_reply(451) for _ in range(5)]
    delays = []
    for _ in range(5):
        attempted_at = datetime.now(UTC)
        assert deliver_email(email.pk) == "retrying"
        email.refresh_from_db()
        delays.append((email.next_attempt_at - attempted_at).total_seconds())
        clock.move_to(email.next_attempt_at)

    assert delays == [30, 60, 120, 240, 300]
    assert [countdown for _id, countdown in enqueued] == [30, 60, 120, 240, 300]
    assert email.attempts == 5


def test_retry_further_than_15_minutes_is_left_to_the_periodic_pass(
    clock, enqueued, scripted_backend, settings
):
    settings.EMAIL_MAX_ATTEMPTS = 10
    email = _email()
    OutgoingEmail.objects.filter(pk=email.pk).update(attempts=5)
    scripted_backend.failures = [_reply(421)]

    assert deliver_email(email.pk) == "retrying"

    email.refresh_from_db()
    assert email.attempts == 6
    assert email.next_attempt_at == NOW + timedelta(seconds=30 * 2**5)
    assert enqueued == []


@pytest.mark.parametrize(
    "error",
    [
        _reply(554),
        smtplib.SMTPRecipientsRefused({"ayumi@example.org": (550, b"no such user")}),
        smtplib.SMTPSenderRefused(553, b"not allowed", "seminars@kizuna.example"),
    ],
    ids=["554", "recipient-550", "sender-553"],
)
def test_permanent_failure_fails_at_once_without_retry(clock, enqueued, scripted_backend, error):
    email = _email()
    scripted_backend.failures = [error]

    assert deliver_email(email.pk) == "failed"

    email.refresh_from_db()
    assert email.status == Status.FAILED
    assert email.attempts == 1
    assert email.last_error.startswith(type(error).__name__)
    assert enqueued == []
    assert deliver_email(email.pk) == "skipped"
    assert scripted_backend.sends == 1


def test_last_allowed_attempt_failing_marks_the_row_failed(
    clock, enqueued, scripted_backend, settings
):
    settings.EMAIL_MAX_ATTEMPTS = 4
    email = _email()
    OutgoingEmail.objects.filter(pk=email.pk).update(attempts=3)
    scripted_backend.failures = [_reply(421)]

    assert deliver_email(email.pk) == "failed"

    email.refresh_from_db()
    assert email.status == Status.FAILED
    assert email.attempts == 4
    assert email.last_error == "SMTPDataError: (421, b'reply text') (gave up after 4 attempts)"
    assert enqueued == []


def test_periodic_pass_sends_due_rows_over_one_connection_per_batch(
    clock, enqueued, scripted_backend
):
    due = [_email(to_email=f"due{n}@example.org") for n in range(5)]
    later = _email(to_email="later@example.org")
    OutgoingEmail.objects.filter(pk=later.pk).update(next_attempt_at=NOW + timedelta(minutes=1))

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


def test_periodic_pass_counts_failures_and_retries_and_keeps_going(
    clock, enqueued, scripted_backend
):
    for n in range(3):
        _email(to_email=f"p{n}@example.org")
    scripted_backend.failures = [_reply(550), _reply(421)]

    result = deliver_due_emails()

    assert result == {"delivered": 1, "failed": 1, "retrying": 1, "requeued": 0}
    assert enqueued == []


def test_periodic_pass_requeues_rows_stuck_in_sending_and_sends_them(
    clock, enqueued, scripted_backend, settings
):
    stuck = _email(to_email="stuck@example.org")
    exhausted = _email(to_email="exhausted@example.org")
    fresh = _email(to_email="fresh@example.org")
    OutgoingEmail.objects.filter(pk=stuck.pk).update(
        status=Status.SENDING, attempts=1, updated_at=NOW - timedelta(minutes=11)
    )
    OutgoingEmail.objects.filter(pk=exhausted.pk).update(
        status=Status.SENDING,
        attempts=settings.EMAIL_MAX_ATTEMPTS,
        updated_at=NOW - timedelta(minutes=30),
    )
    OutgoingEmail.objects.filter(pk=fresh.pk).update(
        status=Status.SENDING, attempts=1, updated_at=NOW - timedelta(minutes=2)
    )

    result = emails_deliver_due()

    assert (result.requeued, result.delivered) == (1, 1)
    statuses = dict(OutgoingEmail.objects.values_list("to_email", "status"))
    assert statuses == {
        "stuck@example.org": Status.SENT,
        "exhausted@example.org": Status.FAILED,
        "fresh@example.org": Status.SENDING,
    }


def test_deliver_outbox_command_prints_the_summary(clock, enqueued, scripted_backend, capsys):
    for n in range(4):
        _email(to_email=f"c{n}@example.org")
    scripted_backend.failures = [_reply(421), _reply(554)]

    call_command("deliver_outbox")

    assert capsys.readouterr().out == "Delivered 2, failed 1, retrying 1\n"
    assert call_command("deliver_outbox") is None
    assert capsys.readouterr().out == "Delivered 0, failed 0, retrying 0\n"


def test_periodic_pass_leaves_rows_queued_when_the_mail_server_is_unreachable(
    clock, enqueued, scripted_backend, monkeypatch
):
    email = _email()

    def unreachable(self):
        raise ConnectionRefusedError("no server")

    monkeypatch.setattr(scripted_backend, "open", unreachable)

    result = emails_deliver_due()

    assert (result.delivered, result.retrying) == (0, 1)
    email.refresh_from_db()
    assert email.status == Status.QUEUED
    assert email.attempts == 0
