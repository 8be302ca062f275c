"""Delivery of outbox rows: claim under row locks, send over one SMTP connection, record.

Delivery (:func:`emails_deliver`, :func:`email_deliver`, :func:`emails_deliver_due`)
claims rows under row locks in a short transaction, talks to SMTP outside any
transaction over one connection per batch, and records each row's outcome as soon as
it is known: sent, retried later, or failed.
"""

import logging
import smtplib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications.mail import build_message, error_text
from notifications.models import OutgoingEmail
from notifications.services.composing import RENDERED_FIELDS, emails_render
from notifications.services.links import link_tokens_mint, with_link_token

logger = logging.getLogger(__name__)

# Redis redelivers messages whose countdown outlives its visibility timeout (1 hour):
# retries further away than this are left to the periodic pass.
MAX_RETRY_COUNTDOWN_SECONDS = 15 * 60
# A task may arrive slightly before the row's next attempt (clock skew between hosts).
EARLY_DELIVERY_TOLERANCE = timedelta(seconds=5)
# One periodic pass stops starting new batches after this long (the task's soft limit is 4 min).
DELIVERY_PASS_BUDGET = timedelta(minutes=3)


@dataclass(frozen=True)
class DeliveryOutcome:
    """What one delivery attempt did; ``retry_in`` is set when it will be tried again."""

    status: str  # "sent", "failed", "retrying" or "skipped"
    retry_in: int | None = None


@dataclass
class DeliveryPass:
    """Counts of one batch or one pass over the due rows.

    ``retries`` lists (email id, seconds) of the rows put back with a backoff; ``unreachable``
    says the mail server could not be reached, so the rest of the work waits.
    """

    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    requeued: int = 0
    skipped: int = 0
    retries: list[tuple[int, int]] = field(default_factory=list)
    unreachable: bool = False

    def add(self, outcome: DeliveryOutcome, *, email_id: int | None = None) -> None:
        if outcome.status == "sent":
            self.delivered += 1
        elif outcome.status == "failed":
            self.failed += 1
        elif outcome.status == "retrying":
            self.retrying += 1
            if email_id is not None and outcome.retry_in is not None:
                self.retries.append((email_id, outcome.retry_in))
        elif outcome.status == "skipped":
            self.skipped += 1


class PermanentDeliveryError(Exception):
    """The message can never be delivered as it is: do not retry."""


def sending_lease() -> timedelta:
    """How long a row may stay "sending" before its worker counts as dead (a setting)."""
    return timedelta(seconds=settings.EMAIL_SENDING_LEASE_SECONDS)


def _due(now: datetime) -> Q:
    """Queued rows whose next attempt has come, and "sending" rows whose lease ran out."""
    return Q(
        status=OutgoingEmail.Status.QUEUED,
        next_attempt_at__lte=now + EARLY_DELIVERY_TOLERANCE,
    ) | Q(status=OutgoingEmail.Status.SENDING, updated_at__lte=now - sending_lease())


def emails_claim(*, email_ids: list[int], now: datetime | None = None) -> list[OutgoingEmail]:
    """Mark the due rows among ``email_ids`` ``sending`` and return them; skip the others.

    Two queries in one short transaction: the rows are read under a row lock that skips
    rows another worker (or the sweep) is claiming at the same moment, and updated in one
    statement. A row is due when it is queued and its next attempt has come, or when it
    has been "sending" longer than the lease (its worker died). Sent, failed and
    cancelled rows are never sent again: running a delivery twice is harmless.
    """
    now = now or timezone.now()
    with transaction.atomic():
        emails = list(
            OutgoingEmail.objects.select_for_update(skip_locked=True)
            .filter(_due(now), pk__in=email_ids)
            .order_by("pk")
        )
        if emails:
            OutgoingEmail.objects.filter(pk__in=[email.pk for email in emails]).update(
                status=OutgoingEmail.Status.SENDING, attempts=F("attempts") + 1, updated_at=now
            )
    for email in emails:
        email.status = OutgoingEmail.Status.SENDING
        email.attempts += 1
        email.updated_at = now
    return emails


def email_claim(*, email_id: int, now: datetime | None = None) -> OutgoingEmail | None:
    """Mark one due row ``sending`` (see :func:`emails_claim`), or None if it is not ours."""
    claimed = emails_claim(email_ids=[email_id], now=now)
    return claimed[0] if claimed else None


def email_send(
    *,
    email: OutgoingEmail,
    connection=None,
    tokens: dict[str, str] | None = None,
) -> DeliveryOutcome:
    """Send a claimed row over ``connection`` (outside any transaction) and record the result.

    The row is marked sent right after the server accepted it, before the next message
    starts, so a worker dying later in a batch resends nothing that went out before.
    """
    try:
        sent = build_message(with_link_token(email, tokens=tokens), connection=connection).send(
            fail_silently=False
        )
        if not sent:
            raise PermanentDeliveryError("The mail backend accepted no message.")
    except SoftTimeLimitExceeded:
        # The task ran out of time, the mail did not fail: back in the queue, then stop.
        now = timezone.now()
        OutgoingEmail.objects.filter(pk=email.pk, status=OutgoingEmail.Status.SENDING).update(
            status=OutgoingEmail.Status.QUEUED, next_attempt_at=now, updated_at=now
        )
        raise
    except Exception as exc:  # every failure is recorded on the row, none is lost
        outcome = _record_failure(email=email, error=exc)
        if outcome.status == "failed":
            _erase_if_asked(email)
        return outcome
    email_mark_sent(email=email)
    _erase_if_asked(email)
    return DeliveryOutcome(status="sent")


def _erase_if_asked(email: OutgoingEmail) -> None:
    """Delete the row of an erased person's last email once it is done with."""
    if email.erase_when_done:
        OutgoingEmail.objects.filter(pk=email.pk).delete()


def email_mark_sent(*, email: OutgoingEmail) -> None:
    """Record that the server accepted a row being sent (one statement, once per message).

    A row rendered for this sending (a lean row) stores its message in the same
    statement, so the rendering costs no write of its own. Written as SQL: the ORM would
    spend more CPU compiling this UPDATE than the database spends running it, once for
    every message of a 100,000-message fan-out.
    """
    now = timezone.now()
    if stored_with_outcome(email):
        sql = _MARK_SENT_RENDERED_SQL
        values = [*_rendered_values(email), OutgoingEmail.Status.SENT, now, now]
    else:
        sql = _MARK_SENT_SQL
        values = [OutgoingEmail.Status.SENT, now, now]
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(sql, [*values, email.pk, OutgoingEmail.Status.SENDING])


def stored_with_outcome(email: OutgoingEmail) -> bool:
    """Whether ``email`` was rendered in this worker and its message is still to be stored."""
    return getattr(email, "rendered_unstored", False)


def _rendered_values(email: OutgoingEmail) -> list:
    return [getattr(email, name) for name in RENDERED_FIELDS] + [True]


# OutgoingEmail's table and columns (tests check they match the model).
_MARK_SENT_SQL = (
    'UPDATE "notifications_outgoingemail" SET "status" = %s, "sent_at" = %s, "updated_at" = %s '
    'WHERE "id" = %s AND "status" = %s'
)
_MARK_SENT_RENDERED_SQL = (
    'UPDATE "notifications_outgoingemail" SET "subject" = %s, "body_text" = %s, '
    '"body_html" = %s, "calendar_method" = %s, "calendar_body" = %s, "calendar_sequence" = %s, '
    '"rendered" = %s, "status" = %s, "sent_at" = %s, "updated_at" = %s '
    'WHERE "id" = %s AND "status" = %s'
)


def email_deliver(*, email_id: int, connection=None) -> DeliveryOutcome:
    """Claim and send one row; what the ``notifications.deliver_email`` task runs."""
    email = email_claim(email_id=email_id)
    if email is None:
        return DeliveryOutcome(status="skipped")
    if not emails_render(emails=[email]):
        # Not worth sending any more, or its rendering failed: recorded on the row.
        return DeliveryOutcome(status="skipped")
    return email_send(email=email, connection=connection)


def emails_deliver(*, email_ids: list[int], result: DeliveryPass | None = None) -> DeliveryPass:
    """Claim the due rows among ``email_ids``, render the lean ones, and send them over one
    SMTP connection.

    What the ``notifications.deliver_email_batch`` task and the periodic pass run. The
    claim, the rendering (:func:`~notifications.services.composing.emails_render`) and
    the link tokens cost a few queries per batch; each row then costs its
    SMTP transaction and one UPDATE marking it sent. After a failed row the connection
    is opened again (the server may have dropped it). When the server cannot be
    reached, the rows not yet tried go back to the queue, their attempt not counted,
    for the periodic pass: nothing is lost and nothing is marked sent that was not.
    """
    result = result if result is not None else DeliveryPass()
    emails = emails_claim(email_ids=email_ids)
    result.skipped += len(set(email_ids)) - len(emails)
    # Lean rows become messages here, before the SMTP connection opens (it would idle).
    claimed = len(emails)
    emails = emails_render(emails=emails)
    result.skipped += claimed - len(emails)
    if not emails:
        return result
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception:
        logger.warning(
            "Mail server unreachable; %s emails wait for the next pass.", len(emails), exc_info=True
        )
        result.unreachable = True
        result.retrying += _emails_release(emails)
        return result
    tried = 0
    try:
        tokens = link_tokens_mint(emails)
        with _outcomes_without_flush_wait():
            for email in emails:
                outcome = email_send(
                    email=email, connection=connection, tokens=tokens.get(email.pk)
                )
                tried += 1
                result.add(outcome, email_id=email.pk)
                if outcome.status in ("retrying", "failed") and tried < len(emails):
                    # The server may have dropped the session after an error: a fresh one.
                    _close_quietly(connection)
                    connection.open()
    except SoftTimeLimitExceeded:
        # email_send put back the row it was sending; the rows after it were never tried.
        _emails_release(emails[tried:])
        raise
    except Exception:
        logger.warning(
            "Mail server connection lost; %s emails wait for the next pass.",
            len(emails) - tried,
            exc_info=True,
        )
        result.unreachable = True
        result.retrying += _emails_release(emails[tried:])
    finally:
        _close_quietly(connection)
    return result


@contextmanager
def _outcomes_without_flush_wait():
    """On PostgreSQL, commit the batch's per-row outcomes without waiting for the disk flush.

    Marking a row sent is one short commit per message, and waiting for its WAL flush
    would cost more than the SMTP transaction itself. Should the database server crash
    within the next fraction of a second, a row marked sent may be back in "sending",
    and the sweep sends it again once the lease runs out: the same at-least-once outcome
    as a worker killed between the SMTP reply and the UPDATE. The claim and the link
    tokens (a sent link must work) are committed before this, with the usual flush.
    """
    connection = transaction.get_connection()
    if (
        connection.vendor != "postgresql"
        or connection.in_atomic_block
        # Behind PgBouncer in transaction mode (README "More than one machine") a session
        # setting would stay on a server connection that other clients get next.
        or connection.settings_dict.get("DISABLE_SERVER_SIDE_CURSORS")
    ):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except Exception:
            # A broken connection is discarded with its session settings.
            logger.debug("Could not reset synchronous_commit.", exc_info=True)


def _emails_release(emails: list[OutgoingEmail]) -> int:
    """Give claimed rows that were never tried back to the queue, their attempt not counted."""
    if not emails:
        return 0
    now = timezone.now()
    return OutgoingEmail.objects.filter(
        pk__in=[email.pk for email in emails], status=OutgoingEmail.Status.SENDING
    ).update(
        status=OutgoingEmail.Status.QUEUED,
        attempts=F("attempts") - 1,
        next_attempt_at=now,
        updated_at=now,
    )


def is_temporary_failure(error: BaseException) -> bool:
    """SMTP 4xx replies and lost connections are worth retrying; 5xx replies are not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return any(400 <= code < 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return 400 <= error.smtp_code < 500
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return True
    return isinstance(error, OSError | TimeoutError)


def retry_delay_seconds(attempts: int) -> int:
    """Exponential backoff after the ``attempts``-th failed attempt, capped."""
    delay = settings.EMAIL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return int(min(delay, settings.EMAIL_RETRY_MAX_SECONDS))


def _record_failure(*, email: OutgoingEmail, error: BaseException) -> DeliveryOutcome:
    now = timezone.now()
    message = error_text(error)
    sending = OutgoingEmail.objects.filter(pk=email.pk, status=OutgoingEmail.Status.SENDING)
    if stored_with_outcome(email):
        # A retry sends the message rendered this time, not a new rendering.
        sending.update(**{name: getattr(email, name) for name in RENDERED_FIELDS}, rendered=True)
    if is_temporary_failure(error) and email.attempts < settings.EMAIL_MAX_ATTEMPTS:
        delay = retry_delay_seconds(email.attempts)
        sending.update(
            status=OutgoingEmail.Status.QUEUED,
            next_attempt_at=now + timedelta(seconds=delay),
            last_error=message,
            updated_at=now,
        )
        logger.warning(
            "Email %s failed (attempt %s), retrying in %ss: %s",
            email.pk,
            email.attempts,
            delay,
            message,
        )
        return DeliveryOutcome(status="retrying", retry_in=delay)
    if is_temporary_failure(error):
        message = f"{message} (gave up after {email.attempts} attempts)"[:2000]
    sending.update(status=OutgoingEmail.Status.FAILED, last_error=message, updated_at=now)
    logger.error("Email %s failed for good: %s", email.pk, message)
    return DeliveryOutcome(status="failed")


def emails_requeue_stuck(*, now: datetime | None = None) -> int:
    """Give rows stuck in ``sending`` (a killed worker) back to the queue; count them.

    A row that already used all its attempts is marked failed instead, so a message
    that kills its worker cannot loop for ever.
    """
    now = now or timezone.now()
    stuck = OutgoingEmail.objects.filter(
        status=OutgoingEmail.Status.SENDING, updated_at__lt=now - sending_lease()
    )
    stuck.filter(attempts__gte=settings.EMAIL_MAX_ATTEMPTS).update(
        status=OutgoingEmail.Status.FAILED,
        last_error="The worker stopped while sending, and no attempts are left.",
        updated_at=now,
    )
    return stuck.update(status=OutgoingEmail.Status.QUEUED, next_attempt_at=now, updated_at=now)


def emails_deliver_due(*, batch_size: int = 50) -> DeliveryPass:
    """One pass: re-queue stuck rows, then send every due row, one SMTP connection per batch."""
    started = timezone.now()
    result = DeliveryPass(requeued=emails_requeue_stuck(now=started))
    tried: set[int] = set()
    while timezone.now() - started < DELIVERY_PASS_BUDGET:
        batch = list(
            OutgoingEmail.objects.filter(
                status=OutgoingEmail.Status.QUEUED, next_attempt_at__lte=timezone.now()
            )
            .exclude(pk__in=tried)
            .order_by("next_attempt_at", "pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not batch:
            break
        tried.update(batch)
        emails_deliver(email_ids=batch, result=result)
        if result.unreachable:
            break
    return result


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception:
        logger.debug("Closing the mail connection failed.", exc_info=True)
