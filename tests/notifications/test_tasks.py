import re
import smtplib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from notifications.models import OutgoingEmail, PeriodicTaskRun
from notifications.services import emails_deliver_due, registration_email_queue
from notifications.services.delivery import emails_requeue_stuck
from notifications.tasks import (
    deliver_due_emails,
    deliver_email,
    deliver_email_batch,
    send_seminar_alerts,
)
from tests.factories import FollowFactory, RegistrationFactory, SeminarFactory
from tests.utils import OUTBOX_NOW, queued_email, smtp_reply
from webinars.models import RegistrationToken
from webinars.prefectures import Prefecture
from webinars.selectors import registration_by_token
from webinars.services import seminar_publish

pytestmark = pytest.mark.django_db


Status = OutgoingEmail.Status


def test_deliver_email_sends_once_and_a_second_run_skips(clock, enqueued, mailoutbox):
    email = queued_email()

    assert deliver_email(email.pk) == "sent"
    assert deliver_email(email.pk) == "skipped"

    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["Ayumi <ayumi@example.org>"]
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert email.sent_at == OUTBOX_NOW
    assert email.attempts == 1
    assert enqueued == []


def test_deliver_email_of_a_missing_row_does_nothing(enqueued, mailoutbox):
    assert deliver_email(987654) == "skipped"
    assert mailoutbox == []


@pytest.mark.parametrize("status", [Status.SENT, Status.FAILED, Status.CANCELLED])
def test_deliver_email_never_sends_a_finished_row(enqueued, mailoutbox, status):
    email = queued_email()
    OutgoingEmail.objects.filter(pk=email.pk).update(status=status)

    assert deliver_email(email.pk) == "skipped"
    assert mailoutbox == []


def test_deliver_email_skips_a_row_another_worker_is_sending(clock, enqueued, mailoutbox):
    email = queued_email()
    OutgoingEmail.objects.filter(pk=email.pk).update(status=Status.SENDING, updated_at=OUTBOX_NOW)

    assert deliver_email(email.pk) == "skipped"
    assert mailoutbox == []


def test_deliver_email_takes_over_a_row_whose_sending_lease_expired(clock, enqueued, mailoutbox):
    email = queued_email()
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=Status.SENDING, updated_at=OUTBOX_NOW - timedelta(minutes=11), attempts=1
    )

    assert deliver_email(email.pk) == "sent"
    email.refresh_from_db()
    assert email.status == Status.SENT
    assert email.attempts == 2


def test_deliver_email_skips_a_row_whose_retry_is_not_due(clock, enqueued, mailoutbox):
    email = queued_email()
    OutgoingEmail.objects.filter(pk=email.pk).update(
        next_attempt_at=OUTBOX_NOW + timedelta(minutes=5)
    )

    assert deliver_email(email.pk) == "skipped"
    assert mailoutbox == []


@pytest.mark.parametrize(
    "error",
    [
        smtp_reply(421),
        smtplib.SMTPSenderRefused(451, b"try later", "seminars@kizuna.example"),
        smtplib.SMTPServerDisconnected("gone"),
        ConnectionRefusedError("refused"),
        TimeoutError("timed out"),
        smtplib.SMTPRecipientsRefused({"ayumi@example.org": (450, b"mailbox busy")}),
    ],
    ids=["421", "sender-451", "disconnected", "refused", "timeout", "recipient-450"],
)
def test_temporary_failure_is_retried_with_backoff(clock, enqueued, scripted_backend, error):
    email = queued_email()
    scripted_backend.failures = [error]

    assert deliver_email(email.pk) == "retrying"

    email.refresh_from_db()
    assert email.status == Status.QUEUED
    assert email.attempts == 1
    assert email.next_attempt_at == OUTBOX_NOW + timedelta(seconds=30)
    assert email.last_error.startswith(type(error).__name__)
    assert enqueued == [(email.pk, 30)]


def test_backoff_doubles_then_is_capped(clock, enqueued, scripted_backend, settings):
    settings.EMAIL_MAX_ATTEMPTS = 10
    settings.EMAIL_RETRY_MAX_SECONDS = 300
    email = queued_email()
    scripted_backend.failures = [smtp_reply(451) for _ in range(5)]
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
    email = queued_email()
    OutgoingEmail.objects.filter(pk=email.pk).update(attempts=5)
    scripted_backend.failures = [smtp_reply(421)]

    assert deliver_email(email.pk) == "retrying"

    email.refresh_from_db()
    assert email.attempts == 6
    assert email.next_attempt_at == OUTBOX_NOW + timedelta(seconds=30 * 2**5)
    assert enqueued == []


@pytest.mark.parametrize(
    "error",
    [
        smtp_reply(554),
        smtplib.SMTPRecipientsRefused({"ayumi@example.org": (550, b"no such user")}),
        smtplib.SMTPSenderRefused(553, b"not allowed", "seminars@kizuna.example"),
    ],
    ids=["554", "recipient-550", "sender-553"],
)
def test_permanent_failure_fails_at_once_without_retry(clock, enqueued, scripted_backend, error):
    email = queued_email()
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
    email = queued_email()
    OutgoingEmail.objects.filter(pk=email.pk).update(attempts=3)
    scripted_backend.failures = [smtp_reply(421)]

    assert deliver_email(email.pk) == "failed"

    email.refresh_from_db()
    assert email.status == Status.FAILED
    assert email.attempts == 4
    assert email.last_error == "SMTPDataError: (421, b'reply text') (gave up after 4 attempts)"
    assert enqueued == []


def test_periodic_pass_counts_failures_and_retries_and_keeps_going(
    clock, enqueued, scripted_backend
):
    for n in range(3):
        queued_email(to_email=f"p{n}@example.org")
    scripted_backend.failures = [smtp_reply(550), smtp_reply(421)]

    result = deliver_due_emails()

    assert result == {"delivered": 1, "failed": 1, "retrying": 1, "requeued": 0}
    assert enqueued == []


# --- Batches ----------------------------------------------------------------------------


def _registration_email(address: str) -> OutgoingEmail:
    registration = RegistrationFactory(email=address, name="Mio")
    return registration_email_queue(
        registration=registration, kind=OutgoingEmail.Kind.REGISTRATION_CONFIRMED
    )


def test_batch_sends_its_rows_over_one_connection_and_a_second_run_sends_nothing(
    clock, enqueued, scripted_backend
):
    emails = [queued_email(to_email=f"b{n}@example.org") for n in range(3)]
    ids = [email.pk for email in emails]

    first = deliver_email_batch(ids)
    second = deliver_email_batch(ids)

    assert first == {"delivered": 3, "failed": 0, "retrying": 0, "skipped": 0}
    assert second == {"delivered": 0, "failed": 0, "retrying": 0, "skipped": 3}
    assert [message.to for message in mail.outbox] == [
        [f"Ayumi <b{n}@example.org>"] for n in range(3)
    ]
    assert (scripted_backend.opened, scripted_backend.sends) == (1, 3)
    assert (
        list(OutgoingEmail.objects.filter(pk__in=ids).values_list("status", "attempts", "sent_at"))
        == [(Status.SENT, 1, OUTBOX_NOW)] * 3
    )
    assert enqueued == []


def test_batches_with_overlapping_ids_send_each_row_once(clock, enqueued, scripted_backend):
    ids = [queued_email(to_email=f"o{n}@example.org").pk for n in range(4)]

    assert deliver_email_batch(ids[:3])["delivered"] == 3
    assert deliver_email_batch(ids[1:])["delivered"] == 1
    assert emails_deliver_due().delivered == 0

    assert sorted(message.to[0] for message in mail.outbox) == [
        f"Ayumi <o{n}@example.org>" for n in range(4)
    ]


def test_batch_queries_are_a_claim_a_rendering_a_token_insert_and_an_update_per_row(
    clock, enqueued, mailoutbox, django_assert_num_queries
):
    ids = [_registration_email(f"q{n}@example.org").pk for n in range(5)]

    # Claim: savepoint, SELECT ... FOR UPDATE, UPDATE, release; rendering the lean rows:
    # their seminars, speakers and registrations; one INSERT of the link tokens; then one
    # UPDATE per row, marking it sent and storing its message.
    with django_assert_num_queries(4 + 3 + 1 + 5):
        assert deliver_email_batch(ids)["delivered"] == 5

    # A manage and a join token for each (one INSERT).
    assert RegistrationToken.objects.count() == 10


def test_batch_gives_each_email_its_own_working_link_token(clock, enqueued, mailoutbox):
    emails = [_registration_email(f"t{n}@example.org") for n in range(3)]

    deliver_email_batch([email.pk for email in emails])

    tokens = []
    for message, email in zip(mailoutbox, emails, strict=True):
        (token,) = re.findall(r"https://kizuna\.example/j/([A-Za-z0-9_-]{40,})/", message.body)
        assert registration_by_token(token, scopes=["manage", "join"]) == email.registration
        calendar_part = next(
            part for part in message.message().walk() if part.get_content_type() == "text/calendar"
        )
        (event,) = Calendar.from_ical(calendar_part.get_payload(decode=True)).walk("VEVENT")
        assert str(event["LOCATION"]) == f"https://kizuna.example/j/{token}/"
        tokens.append(token)
    assert len(set(tokens)) == 3


def test_batch_retries_a_temporary_failure_alone_and_fails_a_permanent_one(
    clock, enqueued, scripted_backend
):
    ids = [queued_email(to_email=f"r{n}@example.org").pk for n in range(4)]
    scripted_backend.failures = [smtp_reply(421), smtp_reply(550)]

    assert deliver_email_batch(ids) == {"delivered": 2, "failed": 1, "retrying": 1, "skipped": 0}

    statuses = dict(OutgoingEmail.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in ids] == [Status.QUEUED, Status.FAILED, Status.SENT, Status.SENT]
    assert OutgoingEmail.objects.get(pk=ids[0]).next_attempt_at == OUTBOX_NOW + timedelta(
        seconds=30
    )
    assert enqueued == [(ids[0], 30)]
    # A fresh connection after each failure: the server may have dropped the session.
    assert scripted_backend.opened == 3


def test_connection_lost_mid_batch_leaves_the_untried_rows_queued_for_the_pass(
    clock, enqueued, scripted_backend, monkeypatch
):
    ids = [queued_email(to_email=f"l{n}@example.org").pk for n in range(4)]
    scripted_backend.failures = [smtplib.SMTPServerDisconnected("gone")]
    opens = []

    def open_once(self):
        opens.append(1)
        if len(opens) > 1:
            raise ConnectionRefusedError("server down")
        return True

    monkeypatch.setattr(scripted_backend, "open", open_once)

    assert deliver_email_batch(ids) == {"delivered": 0, "failed": 0, "retrying": 4, "skipped": 0}

    rows = OutgoingEmail.objects.filter(pk__in=ids).order_by("pk")
    assert list(rows.values_list("status", "attempts", "next_attempt_at")) == [
        (Status.QUEUED, 1, OUTBOX_NOW + timedelta(seconds=30)),
        (Status.QUEUED, 0, OUTBOX_NOW),
        (Status.QUEUED, 0, OUTBOX_NOW),
        (Status.QUEUED, 0, OUTBOX_NOW),
    ]
    assert mail.outbox == []
    assert enqueued == [(ids[0], 30)]


def test_soft_time_limit_mid_batch_puts_the_unsent_rows_back(
    clock, enqueued, scripted_backend, monkeypatch
):
    ids = [queued_email(to_email=f"s{n}@example.org").pk for n in range(3)]
    send = scripted_backend.send_messages

    def send_then_time_out(self, messages):
        if scripted_backend.sends:
            raise SoftTimeLimitExceeded()
        return send(self, messages)

    monkeypatch.setattr(scripted_backend, "send_messages", send_then_time_out)

    with pytest.raises(SoftTimeLimitExceeded):
        deliver_email_batch(ids)

    rows = OutgoingEmail.objects.filter(pk__in=ids).order_by("pk")
    assert list(rows.values_list("status", "attempts")) == [
        (Status.SENT, 1),
        (Status.QUEUED, 1),
        (Status.QUEUED, 0),
    ]
    assert len(mail.outbox) == 1


def test_unreachable_server_at_batch_start_claims_nothing_for_good(
    clock, enqueued, scripted_backend, monkeypatch
):
    ids = [queued_email(to_email=f"u{n}@example.org").pk for n in range(2)]

    def unreachable(self):
        raise ConnectionRefusedError("no server")

    monkeypatch.setattr(scripted_backend, "open", unreachable)

    assert deliver_email_batch(ids) == {"delivered": 0, "failed": 0, "retrying": 2, "skipped": 0}
    assert list(OutgoingEmail.objects.values_list("status", "attempts")) == [(Status.QUEUED, 0)] * 2


@pytest.mark.parametrize(
    ("lease_seconds", "outcome", "requeued"), [(60, "sent", 1), (600, "skipped", 0)]
)
def test_the_sending_lease_is_read_from_settings(
    clock, enqueued, mailoutbox, settings, lease_seconds, outcome, requeued
):
    settings.EMAIL_SENDING_LEASE_SECONDS = lease_seconds
    taken = queued_email(to_email="taken@example.org")
    stuck = queued_email(to_email="stuck@example.org")
    OutgoingEmail.objects.filter(pk__in=[taken.pk, stuck.pk]).update(
        status=Status.SENDING, attempts=1, updated_at=OUTBOX_NOW - timedelta(minutes=2)
    )

    assert deliver_email(taken.pk) == outcome
    assert emails_requeue_stuck(now=OUTBOX_NOW) == requeued


def test_each_row_is_marked_sent_before_the_next_message_starts(enqueued, mailoutbox, monkeypatch):
    # A worker killed between two messages must leave nothing sent but unrecorded.
    from django.core.mail.backends.locmem import EmailBackend

    statuses_seen_at_send = []
    send_messages = EmailBackend.send_messages

    def recording_send(self, messages):
        statuses_seen_at_send.append(
            list(OutgoingEmail.objects.order_by("pk").values_list("status", flat=True))
        )
        return send_messages(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", recording_send)
    ids = [queued_email(to_email=f"row{n}@example.org").pk for n in range(3)]

    assert deliver_email_batch(ids)["delivered"] == 3

    assert statuses_seen_at_send == [
        [Status.SENDING, Status.SENDING, Status.SENDING],
        [Status.SENT, Status.SENDING, Status.SENDING],
        [Status.SENT, Status.SENT, Status.SENDING],
    ]
    assert len(mailoutbox) == 3


def test_seminar_alerts_run_every_minute_and_record_their_run(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["send-seminar-alerts"]
    assert (entry["task"], entry["schedule"]) == ("notifications.send_seminar_alerts", 60)
    FollowFactory(email="ken@example.org", place="kyushu")
    seminar_publish(seminar=SeminarFactory(draft=True, prefecture=Prefecture.OITA))
    with time_machine.travel(
        timezone.now() + timedelta(minutes=settings.ALERT_DIGEST_DELAY_MINUTES + 1)
    ):
        assert send_seminar_alerts() == {"alerts": 1, "items": 1, "digests": 1}
    assert PeriodicTaskRun.objects.get(name="send-seminar-alerts").last_finished_at is not None
