"""Outbox delivery at its exact edges.

Written for what ``make mutate MODULE=delivery`` showed no test would notice: the exact
counts of a pass, the backoff and retry boundaries, the texts an organiser reads in the
outbox admin (``last_error``) and an operator in the log, which rows are claimed,
released or requeued (and which are left alone), the times stored on them, what is
erased, and that the mail connection is closed.
"""

import logging
import smtplib
from datetime import timedelta

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from notifications.mail import error_text
from notifications.models import OutgoingEmail
from notifications.services import email_render, emails_deliver_due, registration_email_queue
from notifications.services.composing import RENDERED_FIELDS, emails_render
from notifications.services.delivery import (
    DeliveryOutcome,
    DeliveryPass,
    _emails_release,
    email_claim,
    email_deliver,
    emails_claim,
    emails_deliver,
    emails_requeue_stuck,
    is_temporary_failure,
    stored_with_outcome,
)
from tests.factories import OutgoingEmailFactory, RegistrationFactory
from tests.utils import OUTBOX_NOW, queued_email, smtp_reply
from webinars.models import Registration

pytestmark = pytest.mark.django_db

Status = OutgoingEmail.Status
LOGGER = "notifications.services.delivery"


def _lean_email(address: str = "mio@example.org") -> OutgoingEmail:
    """A registration confirmation written lean: the worker renders it when it sends it."""
    registration = RegistrationFactory(email=address, name="Mio")
    return registration_email_queue(
        registration=registration, kind=OutgoingEmail.Kind.REGISTRATION_CONFIRMED
    )


def _rendered_now(email: OutgoingEmail) -> dict[str, object]:
    """The message a lean row renders to, computed without storing anything."""
    rendered = email_render(email=OutgoingEmail.objects.get(pk=email.pk))
    return {name: getattr(rendered, name) for name in RENDERED_FIELDS}


def _stored(email: OutgoingEmail, *fields: str) -> tuple:
    return OutgoingEmail.objects.filter(pk=email.pk).values_list(*fields).get()


def _delivery_log(caplog) -> list[tuple[str, str, type | None]]:
    """What delivery logged: level, message, and the exception whose traceback went along."""
    return [
        (record.levelname, record.getMessage(), record.exc_info[0] if record.exc_info else None)
        for record in caplog.records
        if record.name == LOGGER
    ]


def _fail_sends_to(scripted_backend, monkeypatch, failures: dict[str, BaseException]) -> None:
    """Make the backend raise for the given recipient addresses, and deliver the others."""
    send_messages = scripted_backend.send_messages

    def send(self, messages):
        for message in messages:
            for address, error in failures.items():
                if message.to[0].endswith(f"<{address}>"):
                    type(self).sends += 1
                    raise error
        return send_messages(self, messages)

    monkeypatch.setattr(scripted_backend, "send_messages", send)


@pytest.fixture
def closes(scripted_backend, monkeypatch):
    """How many times the scripted backend's connection was closed."""
    closed = []
    monkeypatch.setattr(scripted_backend, "close", lambda self: closed.append(1))
    return closed


class KeepingConnection(BaseEmailBackend):
    """A connection a caller opened itself: keeps what goes over it."""

    def __init__(self) -> None:
        super().__init__()
        self.messages = []

    def send_messages(self, messages) -> int:
        self.messages.extend(messages)
        return len(messages)


# --- The counts of a pass -----------------------------------------------------------------


def test_a_batch_counts_each_failure_and_each_retry_it_met(clock, enqueued, scripted_backend):
    ids = [queued_email(to_email=f"n{n}@example.org").pk for n in range(5)]
    scripted_backend.failures = [smtp_reply(550), smtp_reply(421), smtp_reply(554), smtp_reply(450)]

    result = emails_deliver(email_ids=ids)

    # Two of each, not one: the counts add up over the batch.
    assert result == DeliveryPass(
        delivered=1, failed=2, retrying=2, retries=[(ids[1], 30), (ids[3], 30)]
    )


def test_a_retry_is_listed_only_when_both_the_email_and_its_delay_are_known():
    result = DeliveryPass()

    result.add(DeliveryOutcome(status="retrying", retry_in=30))
    result.add(DeliveryOutcome(status="retrying"), email_id=7)
    result.add(DeliveryOutcome(status="retrying", retry_in=60), email_id=8)

    assert result == DeliveryPass(retrying=3, retries=[(8, 60)])


def test_skipped_outcomes_are_counted_one_each():
    result = DeliveryPass(skipped=1)

    result.add(DeliveryOutcome(status="skipped"), email_id=1)
    result.add(DeliveryOutcome(status="skipped"), email_id=2)
    result.add(DeliveryOutcome(status="sent"), email_id=3)

    assert result == DeliveryPass(delivered=1, skipped=3)


def test_counts_of_one_pass_carry_over_from_batch_to_batch(clock, enqueued, scripted_backend):
    later = queued_email(to_email="later@example.org")
    OutgoingEmail.objects.filter(pk=later.pk).update(
        next_attempt_at=OUTBOX_NOW + timedelta(minutes=5)
    )
    due = queued_email(to_email="due@example.org")
    result = DeliveryPass()

    emails_deliver(email_ids=[later.pk], result=result)
    emails_deliver(email_ids=[due.pk], result=result)

    assert result == DeliveryPass(delivered=1, skipped=1)


def test_rows_not_claimed_and_rows_not_worth_sending_are_both_counted_skipped(
    clock, enqueued, scripted_backend
):
    later = queued_email(to_email="later@example.org")
    OutgoingEmail.objects.filter(pk=later.pk).update(
        next_attempt_at=OUTBOX_NOW + timedelta(minutes=5)
    )
    cancelled = _lean_email("cancelled@example.org")
    Registration.objects.filter(pk=cancelled.registration_id).update(
        status=Registration.Status.CANCELLED
    )
    due = queued_email(to_email="due@example.org")

    result = emails_deliver(email_ids=[later.pk, cancelled.pk, due.pk])

    assert result == DeliveryPass(delivered=1, skipped=2)
    assert _stored(cancelled, "status", "last_error") == (
        Status.CANCELLED,
        "not sent: the registration is cancelled now",
    )


# --- Claiming -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.SENT, Status.FAILED, Status.CANCELLED])
def test_finished_rows_are_never_claimed_however_long_ago_they_were_updated(
    clock, enqueued, status
):
    email = queued_email()
    # Only a "sending" row can outlive its lease; a finished row is never sent again.
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=status,
        updated_at=OUTBOX_NOW - timedelta(days=1),
        next_attempt_at=OUTBOX_NOW - timedelta(days=1),
    )

    assert emails_claim(email_ids=[email.pk]) == []
    assert _stored(email, "status", "attempts") == (status, 0)


def test_a_claim_stamps_the_row_with_the_claim_time_which_starts_its_lease(clock, enqueued):
    email = queued_email()
    claimed_at = OUTBOX_NOW + timedelta(minutes=2)
    clock.move_to(claimed_at)

    (claimed,) = emails_claim(email_ids=[email.pk])

    assert (claimed.status, claimed.attempts, claimed.updated_at) == (
        Status.SENDING,
        1,
        claimed_at,
    )
    assert _stored(email, "status", "attempts", "updated_at") == (Status.SENDING, 1, claimed_at)


def test_claiming_one_row_judges_whether_it_is_due_at_the_time_given(clock, enqueued):
    email = queued_email()
    retry_at = OUTBOX_NOW + timedelta(minutes=10)
    OutgoingEmail.objects.filter(pk=email.pk).update(next_attempt_at=retry_at)

    assert email_claim(email_id=email.pk, now=OUTBOX_NOW) is None
    claimed = email_claim(email_id=email.pk, now=retry_at)

    assert (claimed.pk, claimed.updated_at) == (email.pk, retry_at)
    assert _stored(email, "status", "updated_at") == (Status.SENDING, retry_at)


# --- Sending one row ----------------------------------------------------------------------


def test_a_backend_that_accepts_no_message_fails_the_row_for_good(
    clock, enqueued, scripted_backend, monkeypatch
):
    email = queued_email()
    monkeypatch.setattr(scripted_backend, "send_messages", lambda self, messages: 0)

    assert email_deliver(email_id=email.pk) == DeliveryOutcome(status="failed")

    assert _stored(email, "status", "last_error") == (
        Status.FAILED,
        "PermanentDeliveryError: The mail backend accepted no message.",
    )


def test_one_row_goes_over_the_connection_the_caller_gives(clock, enqueued, mailoutbox):
    email = queued_email()
    connection = KeepingConnection()

    assert email_deliver(email_id=email.pk, connection=connection) == DeliveryOutcome(status="sent")

    assert [message.to for message in connection.messages] == [["Ayumi <ayumi@example.org>"]]
    assert mailoutbox == []


def test_one_row_no_longer_worth_sending_is_skipped_and_says_why(clock, enqueued, mailoutbox):
    email = _lean_email()
    Registration.objects.filter(pk=email.registration_id).update(
        status=Registration.Status.CANCELLED
    )

    assert email_deliver(email_id=email.pk) == DeliveryOutcome(status="skipped")

    assert mailoutbox == []
    assert _stored(email, "status", "last_error") == (
        Status.CANCELLED,
        "not sent: the registration is cancelled now",
    )


def test_time_running_out_puts_the_row_back_due_at_once_stamped_when_it_happened(
    clock, enqueued, scripted_backend, monkeypatch
):
    email = queued_email()

    def slow_then_out_of_time(self, messages):
        clock.shift(timedelta(seconds=40))
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(scripted_backend, "send_messages", slow_then_out_of_time)

    with pytest.raises(SoftTimeLimitExceeded):
        email_deliver(email_id=email.pk)

    stopped_at = OUTBOX_NOW + timedelta(seconds=40)
    # The attempt stays counted: the message may have reached the server.
    assert _stored(email, "status", "attempts", "next_attempt_at", "updated_at") == (
        Status.QUEUED,
        1,
        stopped_at,
        stopped_at,
    )


def test_time_running_out_leaves_alone_a_row_another_worker_has_sent_meanwhile(
    clock, enqueued, scripted_backend, monkeypatch
):
    email = queued_email()
    taken_over_at = OUTBOX_NOW + timedelta(minutes=11)

    def overtaken_then_out_of_time(self, messages):
        # This worker hung past its lease: the sweep gave the row to another, which sent it.
        OutgoingEmail.objects.filter(pk=email.pk).update(
            status=Status.SENT, sent_at=taken_over_at, updated_at=taken_over_at
        )
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(scripted_backend, "send_messages", overtaken_then_out_of_time)

    with pytest.raises(SoftTimeLimitExceeded):
        email_deliver(email_id=email.pk)

    assert _stored(email, "status", "sent_at", "updated_at") == (
        Status.SENT,
        taken_over_at,
        taken_over_at,
    )


def test_a_failure_leaves_alone_a_row_an_organiser_cancelled_while_it_was_sent(
    clock, enqueued, scripted_backend, monkeypatch
):
    email = queued_email()

    def cancelled_meanwhile(self, messages):
        OutgoingEmail.objects.filter(pk=email.pk).update(status=Status.CANCELLED)
        raise smtp_reply(421)

    monkeypatch.setattr(scripted_backend, "send_messages", cancelled_meanwhile)

    email_deliver(email_id=email.pk)

    # Not put back in the queue: a cancelled email must stay cancelled.
    assert _stored(email, "status", "last_error", "next_attempt_at") == (
        Status.CANCELLED,
        "",
        OUTBOX_NOW,
    )


# --- Erasure ------------------------------------------------------------------------------


def test_an_erased_persons_last_email_is_deleted_once_sent(clock, enqueued, mailoutbox):
    email = queued_email()
    OutgoingEmail.objects.filter(pk=email.pk).update(erase_when_done=True)

    assert email_deliver(email_id=email.pk) == DeliveryOutcome(status="sent")

    assert len(mailoutbox) == 1
    assert not OutgoingEmail.objects.filter(pk=email.pk).exists()


def test_an_erased_persons_last_email_is_deleted_once_it_failed_for_good(
    clock, enqueued, scripted_backend
):
    email = queued_email()
    OutgoingEmail.objects.filter(pk=email.pk).update(erase_when_done=True)
    scripted_backend.failures = [smtp_reply(550)]

    assert email_deliver(email_id=email.pk) == DeliveryOutcome(status="failed")

    assert not OutgoingEmail.objects.filter(pk=email.pk).exists()


def test_an_erased_persons_last_email_is_kept_while_it_will_be_retried(
    clock, enqueued, scripted_backend
):
    email = queued_email()
    OutgoingEmail.objects.filter(pk=email.pk).update(erase_when_done=True)
    scripted_backend.failures = [smtp_reply(421)]

    assert email_deliver(email_id=email.pk) == DeliveryOutcome(status="retrying", retry_in=30)

    assert _stored(email, "status", "attempts") == (Status.QUEUED, 1)


# --- Storing a message rendered for its sending -------------------------------------------


def test_a_lean_row_sent_keeps_the_message_that_went_out(clock, enqueued, mailoutbox):
    email = _lean_email()
    expected = _rendered_now(email)

    assert email_deliver(email_id=email.pk) == DeliveryOutcome(status="sent")

    assert _stored(email, *RENDERED_FIELDS, "rendered", "status", "sent_at") == (
        *expected.values(),
        True,
        Status.SENT,
        OUTBOX_NOW,
    )
    assert mailoutbox[0].subject == expected["subject"]


def test_a_lean_row_put_back_for_a_retry_keeps_the_message_rendered_this_time(
    clock, enqueued, scripted_backend
):
    email = _lean_email()
    expected = _rendered_now(email)
    scripted_backend.failures = [smtp_reply(421)]

    assert email_deliver(email_id=email.pk) == DeliveryOutcome(status="retrying", retry_in=30)

    # The retry sends exactly this message, not a new rendering.
    assert _stored(email, *RENDERED_FIELDS, "rendered", "status") == (
        *expected.values(),
        True,
        Status.QUEUED,
    )


def test_only_a_row_rendered_in_this_worker_has_its_message_still_to_store(clock, enqueued):
    written_rendered = OutgoingEmailFactory()
    lean = _lean_email()
    (claimed,) = emails_claim(email_ids=[lean.pk])

    assert stored_with_outcome(written_rendered) is False
    assert stored_with_outcome(claimed) is False
    (rendered,) = emails_render(emails=[claimed])
    assert stored_with_outcome(rendered) is True


# --- Failures, retries and backoff --------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "temporary"), [(399, False), (400, True), (499, True), (500, False)]
)
def test_only_4xx_replies_are_temporary_failures(code, temporary):
    refused = smtplib.SMTPRecipientsRefused({"ayumi@example.org": (code, b"reply")})

    assert is_temporary_failure(smtp_reply(code)) is temporary
    assert is_temporary_failure(refused) is temporary


def test_a_retry_and_a_final_failure_are_stamped_when_the_server_answered(
    clock, enqueued, scripted_backend, monkeypatch
):
    retried = queued_email(to_email="busy@example.org")
    failed = queued_email(to_email="gone@example.org")
    send_messages = scripted_backend.send_messages

    def slow_server(self, messages):
        clock.shift(timedelta(seconds=20))
        return send_messages(self, messages)

    monkeypatch.setattr(scripted_backend, "send_messages", slow_server)
    scripted_backend.failures = [smtp_reply(421), smtp_reply(550)]

    emails_deliver(email_ids=[retried.pk, failed.pk])

    first_reply, second_reply = (OUTBOX_NOW + timedelta(seconds=s) for s in (20, 40))
    assert _stored(retried, "status", "next_attempt_at", "updated_at") == (
        Status.QUEUED,
        first_reply + timedelta(seconds=30),
        first_reply,
    )
    assert _stored(failed, "status", "updated_at") == (Status.FAILED, second_reply)


def test_retries_and_final_failures_are_logged_with_the_email_attempt_and_delay(
    clock, enqueued, scripted_backend, caplog
):
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    retried = queued_email(to_email="busy@example.org")
    failed = queued_email(to_email="gone@example.org")
    OutgoingEmail.objects.filter(pk=retried.pk).update(attempts=1)
    scripted_backend.failures = [smtp_reply(421), smtp_reply(550)]

    emails_deliver(email_ids=[retried.pk, failed.pk])

    assert _delivery_log(caplog) == [
        (
            "WARNING",
            f"Email {retried.pk} failed (attempt 2), retrying in 60s: "
            "SMTPDataError: (421, b'reply text')",
            None,
        ),
        ("ERROR", f"Email {failed.pk} failed for good: SMTPDataError: (550, b'reply text')", None),
    ]


def test_giving_up_on_a_long_reply_keeps_last_error_within_2000_characters(
    clock, enqueued, scripted_backend, settings
):
    settings.EMAIL_MAX_ATTEMPTS = 1
    email = queued_email()
    error = smtplib.SMTPDataError(421, b"x" * 3000)
    scripted_backend.failures = [error]

    assert email_deliver(email_id=email.pk) == DeliveryOutcome(status="failed")

    (last_error,) = _stored(email, "last_error")
    assert len(last_error) == 2000
    assert last_error == error_text(error)


# --- A batch and its connection -----------------------------------------------------------


def test_a_failure_on_the_batchs_last_row_opens_no_new_connection(
    clock, enqueued, scripted_backend, monkeypatch, closes
):
    ids = [queued_email(to_email=f"last{n}@example.org").pk for n in range(3)]
    _fail_sends_to(scripted_backend, monkeypatch, {"last2@example.org": smtp_reply(550)})

    result = emails_deliver(email_ids=ids)

    assert result == DeliveryPass(delivered=2, failed=1)
    assert (scripted_backend.opened, len(closes)) == (1, 1)


def test_a_batch_closes_its_connection_when_done(clock, enqueued, scripted_backend, closes):
    ids = [queued_email(to_email=f"c{n}@example.org").pk for n in range(2)]

    assert emails_deliver(email_ids=ids) == DeliveryPass(delivered=2)

    assert (scripted_backend.opened, len(closes)) == (1, 1)


def test_a_connection_that_fails_to_close_is_logged_and_the_batch_still_counts(
    clock, enqueued, scripted_backend, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    email = queued_email()

    def close(self):
        raise OSError("connection reset")

    monkeypatch.setattr(scripted_backend, "close", close)

    assert emails_deliver(email_ids=[email.pk]) == DeliveryPass(delivered=1)

    assert _delivery_log(caplog) == [("DEBUG", "Closing the mail connection failed.", OSError)]


def test_an_unreachable_server_stops_the_pass_and_releases_only_its_own_rows(
    clock, enqueued, scripted_backend, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    ids = [queued_email(to_email=f"u{n}@example.org").pk for n in range(3)]
    elsewhere = queued_email(to_email="elsewhere@example.org")
    started = OUTBOX_NOW + timedelta(minutes=1)
    # Another worker is sending this one right now: not this pass's to give back.
    OutgoingEmail.objects.filter(pk=elsewhere.pk).update(
        status=Status.SENDING, attempts=1, updated_at=started
    )
    clock.move_to(started)
    scripted_backend.failures = [smtp_reply(421)]
    opens = []

    def open_once(self):
        opens.append(1)
        if len(opens) > 1:
            clock.shift(timedelta(seconds=5))
            raise ConnectionRefusedError("no server")
        return True

    monkeypatch.setattr(scripted_backend, "open", open_once)

    result = emails_deliver_due(batch_size=1)

    # The first batch's retry and the second batch's released row both wait; the third
    # batch is not started.
    assert result == DeliveryPass(retrying=2, retries=[(ids[0], 30)], unreachable=True)
    released_at = started + timedelta(seconds=5)
    assert list(
        OutgoingEmail.objects.order_by("pk").values_list(
            "status", "attempts", "next_attempt_at", "updated_at"
        )
    ) == [
        (Status.QUEUED, 1, started + timedelta(seconds=30), started),
        (Status.QUEUED, 0, released_at, released_at),
        (Status.QUEUED, 0, OUTBOX_NOW, OUTBOX_NOW),
        (Status.SENDING, 1, OUTBOX_NOW, started),
    ]
    assert _delivery_log(caplog) == [
        (
            "WARNING",
            f"Email {ids[0]} failed (attempt 1), retrying in 30s: "
            "SMTPDataError: (421, b'reply text')",
            None,
        ),
        (
            "WARNING",
            "Mail server unreachable; 1 emails wait for the next pass.",
            ConnectionRefusedError,
        ),
    ]


def test_a_connection_lost_mid_batch_is_logged_with_the_rows_left_waiting(
    clock, enqueued, scripted_backend, monkeypatch, caplog
):
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    ids = [queued_email(to_email=f"l{n}@example.org").pk for n in range(4)]
    scripted_backend.failures = [smtplib.SMTPServerDisconnected("gone")]
    opens = []

    def open_once(self):
        opens.append(1)
        if len(opens) > 1:
            raise ConnectionRefusedError("server down")
        return True

    monkeypatch.setattr(scripted_backend, "open", open_once)

    result = emails_deliver(email_ids=ids)

    assert result == DeliveryPass(retrying=4, retries=[(ids[0], 30)], unreachable=True)
    assert _delivery_log(caplog) == [
        (
            "WARNING",
            f"Email {ids[0]} failed (attempt 1), retrying in 30s: SMTPServerDisconnected: gone",
            None,
        ),
        (
            "WARNING",
            "Mail server connection lost; 3 emails wait for the next pass.",
            ConnectionRefusedError,
        ),
    ]


def test_releasing_no_rows_counts_none():
    assert _emails_release([]) == 0


# --- Requeueing stuck rows ----------------------------------------------------------------


def test_requeueing_touches_only_rows_stuck_in_sending(clock, enqueued, settings):
    long_ago = OUTBOX_NOW - timedelta(days=1)
    rows = {
        name: queued_email(to_email=f"{name}@example.org")
        for name in ("stuck", "exhausted", "sent", "failed", "queued")
    }
    OutgoingEmail.objects.update(updated_at=long_ago, next_attempt_at=long_ago)
    OutgoingEmail.objects.filter(pk=rows["stuck"].pk).update(status=Status.SENDING, attempts=1)
    OutgoingEmail.objects.filter(pk=rows["exhausted"].pk).update(
        status=Status.SENDING, attempts=settings.EMAIL_MAX_ATTEMPTS
    )
    OutgoingEmail.objects.filter(pk=rows["sent"].pk).update(
        status=Status.SENT, attempts=settings.EMAIL_MAX_ATTEMPTS
    )
    OutgoingEmail.objects.filter(pk=rows["failed"].pk).update(status=Status.FAILED, attempts=1)

    assert emails_requeue_stuck() == 1

    stored = {
        to_email: rest
        for to_email, *rest in OutgoingEmail.objects.values_list(
            "to_email", "status", "next_attempt_at", "updated_at", "last_error"
        )
    }
    assert stored == {
        "stuck@example.org": [Status.QUEUED, OUTBOX_NOW, OUTBOX_NOW, ""],
        "exhausted@example.org": [
            Status.FAILED,
            long_ago,
            OUTBOX_NOW,
            "The worker stopped while sending, and no attempts are left.",
        ],
        "sent@example.org": [Status.SENT, long_ago, long_ago, ""],
        "failed@example.org": [Status.FAILED, long_ago, long_ago, ""],
        "queued@example.org": [Status.QUEUED, long_ago, long_ago, ""],
    }


def test_a_pass_judges_stuck_rows_by_the_time_it_started(enqueued, scripted_backend, monkeypatch):
    from django.utils import timezone

    email = queued_email()
    lease = timedelta(minutes=10)
    # Half a second short of its lease when the pass starts.
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=Status.SENDING, attempts=1, updated_at=OUTBOX_NOW - lease + timedelta(seconds=0.5)
    )
    ticks = iter(range(1000))
    # A clock that moves a second each time it is read.
    monkeypatch.setattr(timezone, "now", lambda: OUTBOX_NOW + timedelta(seconds=next(ticks)))

    result = emails_deliver_due()

    assert result == DeliveryPass()
    assert _stored(email, "status") == (Status.SENDING,)


# --- The periodic pass --------------------------------------------------------------------


def test_the_pass_sends_fifty_rows_per_connection_by_default(clock, enqueued, scripted_backend):
    for n in range(51):
        queued_email(to_email=f"f{n}@example.org")

    assert emails_deliver_due() == DeliveryPass(delivered=51)

    assert scripted_backend.opened == 2


def test_the_pass_starts_no_batch_once_its_budget_is_spent(
    clock, enqueued, scripted_backend, monkeypatch
):
    first = queued_email(to_email="first@example.org")
    second = queued_email(to_email="second@example.org")
    send_messages = scripted_backend.send_messages

    def slow(self, messages):
        # The first batch takes exactly the pass's three minutes.
        clock.move_to(OUTBOX_NOW + timedelta(minutes=3))
        return send_messages(self, messages)

    monkeypatch.setattr(scripted_backend, "send_messages", slow)

    assert emails_deliver_due(batch_size=1) == DeliveryPass(delivered=1)

    assert _stored(first, "status") == (Status.SENT,)
    assert _stored(second, "status") == (Status.QUEUED,)


def test_the_pass_sends_the_longest_waiting_rows_first(clock, enqueued, scripted_backend):
    waiting = queued_email(to_email="waiting@example.org")
    waiting_longer = queued_email(to_email="waiting-longer@example.org")
    OutgoingEmail.objects.filter(pk=waiting.pk).update(
        next_attempt_at=OUTBOX_NOW - timedelta(minutes=1)
    )
    OutgoingEmail.objects.filter(pk=waiting_longer.pk).update(
        next_attempt_at=OUTBOX_NOW - timedelta(minutes=2)
    )

    assert emails_deliver_due(batch_size=1) == DeliveryPass(delivered=2)

    assert [message.to for message in mail.outbox] == [
        ["Ayumi <waiting-longer@example.org>"],
        ["Ayumi <waiting@example.org>"],
    ]


def test_the_pass_sends_rows_due_at_the_same_moment_in_id_order(clock, enqueued, scripted_backend):
    for pk, address in ((20, "second@example.org"), (10, "first@example.org")):
        OutgoingEmailFactory(pk=pk, to_email=address, to_name="Ayumi", next_attempt_at=OUTBOX_NOW)

    assert emails_deliver_due(batch_size=1) == DeliveryPass(delivered=2)

    assert [message.to for message in mail.outbox] == [
        ["Ayumi <first@example.org>"],
        ["Ayumi <second@example.org>"],
    ]


def test_the_pass_picks_only_queued_rows_whose_time_has_come(clock, enqueued, scripted_backend):
    long_ago = OUTBOX_NOW - timedelta(days=1)
    finished = [queued_email(to_email=f"{status}@example.org") for status in ("sent", "failed")]
    for email, status in zip(finished, (Status.SENT, Status.FAILED), strict=True):
        OutgoingEmail.objects.filter(pk=email.pk).update(status=status, next_attempt_at=long_ago)
    # Due within the claim's tolerance for early tasks, but not yet due for the pass.
    almost = queued_email(to_email="almost@example.org")
    OutgoingEmail.objects.filter(pk=almost.pk).update(
        next_attempt_at=OUTBOX_NOW + timedelta(seconds=3)
    )
    due = queued_email(to_email="due@example.org")

    assert emails_deliver_due() == DeliveryPass(delivered=1)

    assert [message.to for message in mail.outbox] == [["Ayumi <due@example.org>"]]
    assert _stored(almost, "status", "attempts") == (Status.QUEUED, 0)
    assert _stored(due, "status") == (Status.SENT,)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_row_another_worker_holds_is_skipped_at_once_not_waited_for(clock, enqueued):
    import threading

    from django.db import connection, transaction

    held, free = (
        queued_email(to_email="held@example.org"),
        queued_email(to_email="free@example.org"),
    )
    locked, release = threading.Event(), threading.Event()

    def another_worker_claiming() -> None:
        try:
            with transaction.atomic():
                OutgoingEmail.objects.select_for_update().get(pk=held.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    worker = threading.Thread(target=another_worker_claiming)
    worker.start()
    try:
        assert locked.wait(10)
        claimed = emails_claim(email_ids=[held.pk, free.pk])
        # Decided while the other worker still holds its row: skipped, not waited for.
        assert not release.is_set()
    finally:
        release.set()
        worker.join(10)

    assert [email.pk for email in claimed] == [free.pk]
    assert _stored(held, "status", "attempts") == (Status.QUEUED, 0)
