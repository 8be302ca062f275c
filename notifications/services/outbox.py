"""The outbox: emails are written in the caller's transaction and delivered after commit.

Writing (:func:`email_queue`) happens inside the transaction of the change that causes
the email, so a rolled-back change leaves no row and sends nothing. The rows one
transaction wrote are handed to Celery by one on-commit callback, in
``deliver_email_batch`` tasks of up to ``DELIVERY_BATCH_SIZE`` ids (a single row goes
alone as ``deliver_email``); :mod:`notifications.services.delivery` sends them.
"""

import logging
import weakref
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.mail import header_text
from notifications.models import OutgoingEmail
from webinars.models import Registration

logger = logging.getLogger(__name__)

# Emails written in one transaction go to Celery in tasks of at most this many ids: one
# task sends its batch over one SMTP connection, and one lost task delays few emails.
DELIVERY_BATCH_SIZE = 100


def email_queue(
    *,
    kind: str,
    to_email: str,
    to_name: str,
    language: str,
    subject: str,
    body_text: str,
    body_html: str = "",
    calendar_method: str = "",
    calendar_body: str = "",
    registration: Registration | None = None,
    seminar=None,
    dedupe_key: str | None = None,
    headers: dict[str, str] | None = None,
) -> OutgoingEmail:
    """Write one outbox row and deliver it once the surrounding transaction commits.

    A ``dedupe_key`` that already exists returns the existing row and queues nothing:
    callers that may run twice (scans, retried tasks) give one to send exactly once.
    """
    if dedupe_key:
        existing = OutgoingEmail.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    if calendar_body and calendar_method not in ("REQUEST", "CANCEL", "PUBLISH"):
        raise ValueError(f"Unknown calendar method {calendar_method!r}.")
    if seminar is None and registration is not None:
        seminar = registration.seminar
    fields = {
        "kind": kind,
        "to_email": to_email.strip(),
        "to_name": header_text(to_name)[:150],
        "language": language or settings.LANGUAGE_CODE,
        "subject": header_text(subject)[:300],
        "body_text": body_text,
        "body_html": body_html,
        "calendar_method": calendar_method if calendar_body else "",
        "calendar_body": calendar_body,
        "registration": registration,
        "seminar": seminar,
        "dedupe_key": dedupe_key or None,
        "headers": headers or {},
        "next_attempt_at": timezone.now(),
    }
    try:
        # A savepoint, so that losing a dedupe race leaves the caller's transaction usable.
        with transaction.atomic():
            email = OutgoingEmail.objects.create(**fields)
    except IntegrityError:
        if dedupe_key:
            existing = OutgoingEmail.objects.filter(dedupe_key=dedupe_key).first()
            if existing is not None:
                return existing
        raise
    deliver_after_commit([email.pk])
    return email


class _PendingDeliveries:
    """The outbox ids one transaction wrote, handed to Celery by one on-commit callback.

    The ids live in the callback itself: when the transaction (or the savepoint the
    callback was registered in) rolls back, Django drops the callback and its ids with it.
    """

    def __init__(self) -> None:
        self.email_ids: list[int] = []
        self.done = False

    def __call__(self) -> None:
        self.done = True
        enqueue_deliveries(self.email_ids)


# Per database connection (connections are per thread): the callback collecting ids and
# its index in ``connection.run_on_commit``. Weak, so a closed connection takes it along.
_pending_by_connection: "weakref.WeakKeyDictionary[object, tuple[_PendingDeliveries, int]]" = (
    weakref.WeakKeyDictionary()
)


def deliver_after_commit(email_ids: Iterable[int]) -> None:
    """Deliver ``email_ids`` once the current transaction commits, in batched Celery tasks.

    A fan-out writing 10,000 rows in one transaction becomes one on-commit callback and
    100 ``deliver_email_batch`` tasks instead of 10,000 callbacks and tasks. Outside a
    transaction the ids are handed over at once.
    """
    email_ids = list(email_ids)
    if not email_ids:
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        enqueue_deliveries(email_ids)
        return
    hooks = connection.run_on_commit
    active_savepoints = set(connection.savepoint_ids)
    entry = _pending_by_connection.get(connection)
    if entry is not None:
        pending, index = entry
        # Still ours to extend: not yet run (captured callbacks stay in the list after
        # running), still registered (a rollback empties the list, a savepoint rollback cuts
        # its tail), and dropped by the rollback of every savepoint open now.
        if (
            not pending.done
            and index < len(hooks)
            and hooks[index][1] is pending
            and active_savepoints <= hooks[index][0]
        ):
            pending.email_ids.extend(email_ids)
            return
    pending = _PendingDeliveries()
    pending.email_ids.extend(email_ids)
    transaction.on_commit(pending)
    _pending_by_connection[connection] = (pending, len(connection.run_on_commit) - 1)


def enqueue_deliveries(email_ids: list[int]) -> None:
    """Hand rows to Celery: one alone as ``deliver_email``, more in batches of ids."""
    # The tasks module imports these services: looked up when called, not at import.
    from notifications.tasks import deliver_email_batch

    if len(email_ids) == 1:
        enqueue_delivery(email_ids[0])
        return
    for start in range(0, len(email_ids), DELIVERY_BATCH_SIZE):
        batch = email_ids[start : start + DELIVERY_BATCH_SIZE]
        try:
            deliver_email_batch.delay(batch)
        except Exception:
            logger.warning(
                "Could not enqueue %s outbox emails (ids %s to %s); the periodic pass will "
                "send them.",
                len(batch),
                batch[0],
                batch[-1],
                exc_info=True,
            )


def enqueue_delivery(email_id: int, countdown: int | None = None) -> None:
    """Hand a row to Celery; if the broker is down the periodic pass delivers it later."""
    # The tasks module imports these services: looked up when called, not at import.
    from notifications.tasks import deliver_email

    try:
        if countdown:
            deliver_email.apply_async((email_id,), countdown=countdown)
        else:
            deliver_email.delay(email_id)
    except Exception:
        logger.warning(
            "Could not enqueue outbox email %s; the periodic pass will send it.",
            email_id,
            exc_info=True,
        )


def email_resend(*, email: OutgoingEmail) -> bool:
    """Queue a failed or cancelled row again (an organiser's "Resend"); False if not allowed.

    A row emptied by retention (no address left) cannot be sent again.
    """
    now = timezone.now()
    with transaction.atomic():
        updated = (
            OutgoingEmail.objects.filter(
                pk=email.pk,
                status__in=[OutgoingEmail.Status.FAILED, OutgoingEmail.Status.CANCELLED],
            )
            .exclude(to_email="")
            .update(
                status=OutgoingEmail.Status.QUEUED, attempts=0, next_attempt_at=now, updated_at=now
            )
        )
        if updated:
            email_id = email.pk
            transaction.on_commit(lambda: enqueue_delivery(email_id))
    return bool(updated)
