"""The outbox: emails are written in the caller's transaction and delivered after commit.

Writing (:func:`email_queue`) happens inside the transaction of the change that causes
the email, so a rolled-back change leaves no row and sends nothing. The rows one
transaction wrote are handed to Celery by one on-commit callback, in
``deliver_email_batch`` tasks of up to ``DELIVERY_BATCH_SIZE`` ids (a single row goes
alone as ``deliver_email``); :mod:`notifications.services.delivery` sends them.
"""

import json
import logging
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from notifications.invites import InviteBook
from notifications.mail import header_text
from notifications.models import OutgoingEmail
from webinars.models import Registration

logger = logging.getLogger(__name__)

# Rows written per INSERT by the fan-outs (PostgreSQL allows 65,535 parameters a statement).
WRITE_BATCH_SIZE = 500

# Emails written in one transaction go to Celery in tasks of at most this many ids: one
# task sends its batch over one SMTP connection, and one lost task delays few emails.
# Each batch costs a few statements and an SMTP session whatever its size: 200 rather
# than 100 saved a tenth of the database's CPU per message and 3 % of the worker's
# (bench/README.md). A batch still ends well inside the task's time limit (4 min, and
# then its unsent rows go back to the queue), which is shorter than the sending lease.
DELIVERY_BATCH_SIZE = 200


@dataclass
class RenderBatch:
    """What the renderings of one batch of lean rows share: the invites (each distinct
    calendar built once) and anything a renderer reads once for many rows, by key."""

    book: InviteBook = field(default_factory=InviteBook)
    shared: dict[tuple, Any] = field(default_factory=dict)

    def once(self, key: tuple, read: Callable[[], Any]) -> Any:
        """``read()`` the first time ``key`` is asked for in this batch, kept after."""
        if key not in self.shared:
            self.shared[key] = read()
        return self.shared[key]


class NotSent(Exception):
    """A lean row is no longer worth sending when its turn comes (its renderer says why:
    the place was cancelled, the change was undone); the row is recorded as cancelled."""


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
    calendar_sequence: int | None = None,
) -> OutgoingEmail:
    """Write one rendered outbox row and deliver it once the surrounding transaction commits.

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
    return _insert(
        OutgoingEmail(
            kind=kind,
            to_email=to_email.strip(),
            to_name=header_text(to_name)[:150],
            language=language or settings.LANGUAGE_CODE,
            subject=header_text(subject)[:300],
            body_text=body_text,
            body_html=body_html,
            calendar_method=calendar_method if calendar_body else "",
            calendar_body=calendar_body,
            calendar_sequence=calendar_sequence if calendar_body else None,
            registration=registration,
            seminar=seminar,
            dedupe_key=dedupe_key or None,
            headers=headers or {},
            next_attempt_at=timezone.now(),
        )
    )


@dataclass(slots=True)
class LeanRow:
    """One fan-out row before it is written: plain values, no model instance.

    A reminder scan over 100,000 registrations builds 100,000 of these; model instances
    would cost more than deciding. :func:`emails_write` writes them (and sets ``pk``).
    """

    kind: str
    to_email: str
    to_name: str
    language: str
    registration_id: int | None
    seminar_id: int | None
    # Every fan-out row has one: emails_write matches the rows it wrote by it.
    dedupe_key: str | None
    snapshot: dict = field(default_factory=dict)
    calendar_sequence: int | None = None
    headers: dict = field(default_factory=dict)
    status: str = OutgoingEmail.Status.QUEUED
    last_error: str = ""
    # Rows recorded as never sent (a missed reminder) keep a subject and count as rendered.
    subject: str = ""
    rendered: bool = False
    pk: int | None = None

    def email(self) -> OutgoingEmail:
        """The unsaved model instance of this row."""
        return OutgoingEmail(
            **{name: getattr(self, name) for name in _LEAN_ROW_COLUMNS},
            next_attempt_at=timezone.now(),
        )


def lean_row(
    *,
    kind: str,
    to_email: str,
    to_name: str,
    language: str,
    registration_id: int | None,
    seminar_id: int | None,
    dedupe_key: str | None = None,
    snapshot: dict | None = None,
    calendar_sequence: int | None = None,
    headers: dict[str, str] | None = None,
) -> LeanRow:
    """A lean row, its recipient tidied as :func:`email_queue` tidies them.

    ``snapshot`` holds what the email needs that may change before it is rendered (JSON
    values only); the kind's renderer (:mod:`notifications.services.composing`) reads
    the rest from the registration and the seminar as they are when it is sent.
    """
    return LeanRow(
        kind=kind,
        to_email=to_email.strip(),
        to_name=header_text(to_name)[:150],
        language=language or settings.LANGUAGE_CODE,
        registration_id=registration_id,
        seminar_id=seminar_id,
        dedupe_key=dedupe_key,
        snapshot=snapshot or {},
        calendar_sequence=calendar_sequence,
        headers=headers or {},
    )


_LEAN_ROW_COLUMNS = (
    "kind",
    "to_email",
    "to_name",
    "language",
    "registration_id",
    "seminar_id",
    "dedupe_key",
    "snapshot",
    "calendar_sequence",
    "headers",
    "status",
    "last_error",
    "subject",
    "rendered",
)


def lean_email_queue(*, registration: Registration, seminar=None, **fields: Any) -> OutgoingEmail:
    """Write one lean row about ``registration`` (:func:`lean_row` takes the other
    arguments) and deliver it after commit. A ``dedupe_key`` that exists returns the
    existing row, as in :func:`email_queue`."""
    dedupe_key = fields.get("dedupe_key")
    if dedupe_key:
        existing = OutgoingEmail.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    seminar = seminar or registration.seminar
    email = lean_row(registration_id=registration.pk, seminar_id=seminar.pk, **fields).email()
    # The caller's instances: reading them back from the row costs no query.
    email.registration, email.seminar = registration, seminar
    return _insert(email)


def emails_write(rows: list[LeanRow]) -> list[LeanRow]:
    """Insert a fan-out's rows and deliver the queued ones after commit; return those written.

    A row whose dedupe key another writer (a second scan) wrote first is left out. On
    PostgreSQL, ``INSERT ... SELECT FROM unnest(...) ON CONFLICT DO NOTHING`` statements
    of ``FAST_WRITE_BATCH_SIZE`` rows, one array per column: a scan over 100,000
    registrations spends its time deciding, not in the ORM preparing 2.4 million values.
    Elsewhere (SQLite), one ``bulk_create`` per ``WRITE_BATCH_SIZE`` rows; a batch that
    hits a key written meanwhile is written again row by row, each in its own savepoint.
    """
    if any(row.dedupe_key is None for row in rows):
        raise ValueError("Every fan-out row needs a dedupe key.")
    with transaction.atomic():
        connection = transaction.get_connection()
        if connection.vendor == "postgresql":
            written = _fast_insert(rows, connection)
        else:
            written = _orm_insert(rows)
        deliver_after_commit(row.pk for row in written if row.status == OutgoingEmail.Status.QUEUED)
    return written


# Rows per INSERT on the PostgreSQL path: one array parameter per column, so no limit on
# parameters; the size only bounds the memory of one statement.
FAST_WRITE_BATCH_SIZE = 5000


def _fast_insert(rows: list[LeanRow], connection) -> list[LeanRow]:
    fields = [field for field in OutgoingEmail._meta.concrete_fields if not field.primary_key]
    table = connection.ops.quote_name(OutgoingEmail._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    arrays = ", ".join(f"%s::{_array_type(field, connection)}" for field in fields)
    key_column = connection.ops.quote_name(OutgoingEmail._meta.get_field("dedupe_key").column)
    # Only the model's own table, column and type names, quoted, are formatted in.
    sql = (
        f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) "  # noqa: S608
        f"ON CONFLICT ({key_column}) DO NOTHING RETURNING id, {key_column}"
    )
    now = timezone.now()
    constants = {
        field.attname: now
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        else field.get_default()
        for field in fields
        if field.attname not in _LEAN_ROW_COLUMNS
    }
    constants["next_attempt_at"] = now
    written: list[LeanRow] = []
    for start in range(0, len(rows), FAST_WRITE_BATCH_SIZE):
        batch = rows[start : start + FAST_WRITE_BATCH_SIZE]
        values = []
        for model_field in fields:
            name = model_field.attname
            is_json = model_field.get_internal_type() == "JSONField"
            if name in constants:
                value = json.dumps(constants[name]) if is_json else constants[name]
                values.append([value] * len(batch))
            elif is_json:
                values.append([json.dumps(getattr(row, name)) for row in batch])
            else:
                values.append([getattr(row, name) for row in batch])
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            ids = {key: pk for pk, key in cursor.fetchall()}
        for row in batch:
            row.pk = ids.get(row.dedupe_key)
            if row.pk is None:
                logger.info("Outbox row %s was written by another pass.", row.dedupe_key)
                continue
            written.append(row)
    return written


def _array_type(field, connection) -> str:
    db_type = field.db_type(connection)
    # JSON goes as text (json.dumps above) and is cast on the way in.
    return "text[]::jsonb[]" if db_type == "jsonb" else f"{db_type}[]"


def _orm_insert(rows: list[LeanRow]) -> list[LeanRow]:
    written: list[LeanRow] = []
    for start in range(0, len(rows), WRITE_BATCH_SIZE):
        batch = rows[start : start + WRITE_BATCH_SIZE]
        emails = [row.email() for row in batch]
        try:
            with transaction.atomic():
                OutgoingEmail.objects.bulk_create(emails)
        except IntegrityError:
            for email in emails:
                try:
                    with transaction.atomic():
                        email.pk = None
                        email.save(force_insert=True)
                except IntegrityError:
                    logger.info("Outbox row %s was written by another pass.", email.dedupe_key)
                    email.pk = None
        for row, email in zip(batch, emails, strict=True):
            if email.pk is not None:
                row.pk = email.pk
                written.append(row)
    return written


def _insert(email: OutgoingEmail) -> OutgoingEmail:
    """Save ``email`` in a savepoint and deliver it after commit; a lost dedupe race returns
    the row that won."""
    if not email.dedupe_key:
        # Nothing to race for: no savepoint (two round trips a registration would make
        # while it holds the seminar's lock).
        email.save(force_insert=True)
        if email.status == OutgoingEmail.Status.QUEUED:
            deliver_after_commit([email.pk])
        return email
    try:
        # A savepoint, so that losing a dedupe race leaves the caller's transaction usable.
        with transaction.atomic():
            email.save(force_insert=True)
    except IntegrityError:
        if email.dedupe_key:
            existing = OutgoingEmail.objects.filter(dedupe_key=email.dedupe_key).first()
            if existing is not None:
                return existing
        raise
    if email.status == OutgoingEmail.Status.QUEUED:
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
