"""The outbox: emails are written in the caller's transaction and delivered after commit.

Writing (:func:`email_queue`, :func:`registration_email_queue`) happens inside the
transaction of the change that causes the email, so a rolled-back change leaves no
row and sends nothing. The rows one transaction wrote are handed to Celery by one
on-commit callback, in ``deliver_email_batch`` tasks of up to ``DELIVERY_BATCH_SIZE``
ids (a single row goes alone as ``deliver_email``). Delivery (:func:`emails_deliver`,
:func:`email_deliver`, :func:`emails_deliver_due`) claims rows under row locks in a short
transaction, talks to SMTP outside any transaction over one connection per batch, and
records each row's outcome as soon as it is known: sent, retried later, or failed.
"""

import copy
import logging
import re
import secrets
import smtplib
import weakref
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from notifications.invites import InviteBook
from notifications.mail import build_message, header_text
from notifications.models import OutgoingEmail
from webinars.models import Registration, RegistrationToken
from webinars.selectors import registration_token_hash
from webinars.timezones import ZonedSpan, seminar_spans, uk_clock_change_note, zoned_span

logger = logging.getLogger(__name__)

# Emails written in one transaction go to Celery in tasks of at most this many ids: one
# task sends its batch over one SMTP connection, and one lost task delays few emails.
DELIVERY_BATCH_SIZE = 100
# Redis redelivers messages whose countdown outlives its visibility timeout (1 hour):
# retries further away than this are left to the periodic pass.
MAX_RETRY_COUNTDOWN_SECONDS = 15 * 60
# A task may arrive slightly before the row's next attempt (clock skew between hosts).
EARLY_DELIVERY_TOLERANCE = timedelta(seconds=5)
# One periodic pass stops starting new batches after this long (the task's soft limit is 4 min).
DELIVERY_PASS_BUDGET = timedelta(minutes=3)

# Stands in the stored email for the registrant's link token (URL-safe, never a real one).
LINK_TOKEN_PLACEHOLDER = "kizuna-link-token-minted-when-sent"

REGISTRATION_KINDS = (
    OutgoingEmail.Kind.REGISTRATION_CONFIRMED,
    OutgoingEmail.Kind.REGISTRATION_WAITLISTED,
    OutgoingEmail.Kind.WAITLIST_PROMOTED,
    OutgoingEmail.Kind.REGISTRATION_CANCELLED,
)
_KINDS_WITH_JOIN_LINK = (
    OutgoingEmail.Kind.REGISTRATION_CONFIRMED,
    OutgoingEmail.Kind.WAITLIST_PROMOTED,
)


# --- Writing ---------------------------------------------------------------


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


def registration_email_queue(
    *, registration: Registration, kind: str, invite: bool = True
) -> OutgoingEmail:
    """Render and queue one registration lifecycle email, with its calendar invite.

    Call inside the transaction that changed the registration. The manage/join links
    carry ``LINK_TOKEN_PLACEHOLDER``: the real token is minted at sending time
    (:func:`with_link_token`), so no usable link is ever stored in the outbox. Confirmed
    and promoted emails carry a ``METHOD:REQUEST`` invite, a cancellation carries
    ``METHOD:CANCEL`` (one SEQUENCE above the seminar's while the seminar goes
    ahead, so clients accept it), a waitlisted email carries none.
    """
    if kind not in REGISTRATION_KINDS:
        raise ValueError(f"Not a registration email kind: {kind!r}")
    seminar = registration.seminar
    language = registration.language or settings.LANGUAGE_CODE
    token = LINK_TOKEN_PLACEHOLDER
    with translation.override(language):
        manage_url = settings.SITE_URL + reverse("webinars:registration_manage", args=[token])
        join_url = None
        if kind in _KINDS_WITH_JOIN_LINK:
            join_url = settings.SITE_URL + reverse("webinars:registration_join", args=[token])
        calendar_method, calendar_body = "", ""
        if invite:
            # invite=False: e.g. cancelling a waiting-list place, which never had an invite.
            calendar_method, calendar_body = registration_invite(
                registration=registration, kind=kind, join_url=join_url, manage_url=manage_url
            )
        context = {
            "registration": registration,
            "seminar": seminar,
            "name": registration.name,
            "times": times_for(registration),
            "clock_change_note": uk_clock_change_note(seminar.starts_at),
            "manage_url": manage_url,
            "join_url": join_url,
            "join_opens_minutes": settings.JOIN_OPENS_MINUTES_BEFORE,
            "seminar_url": seminar.public_url,
            "contact_email": settings.ORGANISER_CONTACT_EMAIL,
            "has_invite": bool(calendar_body),
            "calendar_method": calendar_method,
        }
        template = f"notifications/email/{kind}"
        subject = render_to_string(f"{template}.subject.txt", context)
        body_text = render_to_string(f"{template}.txt", context)
        body_html = render_to_string(f"{template}.html", context)
    return email_queue(
        kind=kind,
        to_email=registration.email,
        to_name=registration.name,
        language=language,
        subject=subject,
        body_text=tidy_text(body_text),
        body_html=body_html,
        calendar_method=calendar_method,
        calendar_body=calendar_body,
        registration=registration,
        seminar=seminar,
    )


def with_link_token(email: OutgoingEmail, *, token: str | None = None) -> OutgoingEmail:
    """The email as it is sent: a fresh link token in place of the placeholder.

    Returns an unsaved copy; the stored row keeps the placeholder, so the outbox
    (and anyone who can read it) never holds a working manage or join link. A batch
    passes the ``token`` it minted for this row (:func:`link_tokens_mint`).
    """
    if not needs_link_token(email):
        return email
    if token is None:
        from webinars.services import registration_token_issue

        token = registration_token_issue(registration=email.registration)
    sent = copy.copy(email)
    sent.body_text = email.body_text.replace(LINK_TOKEN_PLACEHOLDER, token)
    sent.body_html = email.body_html.replace(LINK_TOKEN_PLACEHOLDER, token)
    if email.calendar_body:
        sent.calendar_body = _calendar_with_token(email.calendar_body, token)
    return sent


def needs_link_token(email: OutgoingEmail) -> bool:
    bodies = (email.body_text, email.body_html, email.calendar_body)
    return email.registration_id is not None and any(LINK_TOKEN_PLACEHOLDER in b for b in bodies)


def link_tokens_mint(emails: list[OutgoingEmail]) -> dict[int, str]:
    """One fresh link token per email that carries links, written in one INSERT.

    The same tokens :func:`webinars.services.registration_token_issue` mints (only their
    SHA-256 is stored), without one INSERT per email of a batch.
    """
    tokens = {email.pk: secrets.token_urlsafe(32) for email in emails if needs_link_token(email)}
    by_pk = {email.pk: email for email in emails}
    RegistrationToken.objects.bulk_create(
        RegistrationToken(
            registration_id=by_pk[pk].registration_id, token_hash=registration_token_hash(token)
        )
        for pk, token in tokens.items()
    )
    return tokens


ICAL_FOLD_OCTETS = 74
# A folded iCalendar line break: CRLF (or LF) followed by one space or tab.
_ICAL_FOLD = re.compile(r"\r?\n[ \t]")
# Where one content line ends and the next begins (a line break not followed by a fold).
_ICAL_LINE_END = re.compile(r"(?<=\n)(?![ \t])")


def _calendar_with_token(calendar_body: str, token: str) -> str:
    """The calendar with the token in place of the placeholder, long lines folded again.

    Folding may have split the placeholder across lines: each content line holding it
    is unfolded, replaced and refolded as icalendar folds; the other lines stay as built.
    """
    lines = []
    for raw in _ICAL_LINE_END.split(calendar_body):
        unfolded = _ICAL_FOLD.sub("", raw)
        if LINK_TOKEN_PLACEHOLDER in unfolded:
            content = unfolded.rstrip("\r\n")
            ending = unfolded[len(content) :]
            raw = _ical_fold(content.replace(LINK_TOKEN_PLACEHOLDER, token)) + ending
        lines.append(raw)
    return "".join(lines)


def _ical_fold(line: str) -> str:
    """``line`` folded exactly as icalendar folds it, without its per-character loop.

    Segments of at most 74 octets (a continuation after its leading space), never cutting
    a UTF-8 character; an escape character (``\\`` or ``^``) never ends a segment, it
    starts the next one.
    """
    data = line.encode()
    segments = []
    start = 0
    while len(data) - start > ICAL_FOLD_OCTETS:
        end = start + ICAL_FOLD_OCTETS
        while data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: the character goes on
            end -= 1
        if data[end - 1] in b"\\^":
            end -= 1
        segments.append(data[start:end])
        start = end
    segments.append(data[start:])
    return "\r\n ".join(segment.decode() for segment in segments)


def registration_invite(
    *,
    registration: Registration,
    kind: str,
    join_url: str | None,
    manage_url: str,
    book: InviteBook | None = None,
) -> tuple[str, str]:
    """The (method, calendar) of a registration email; a fan-out passes its ``book``."""
    seminar = registration.seminar
    if kind == OutgoingEmail.Kind.REGISTRATION_WAITLISTED:
        return "", ""
    if kind == OutgoingEmail.Kind.REGISTRATION_CANCELLED:
        method = "CANCEL"
        # registration_cancel has already raised the seminar's sequence for this CANCEL
        # (clients ignore one whose SEQUENCE did not grow).
        join_url = None
    else:
        method = "REQUEST"
    fields = {
        "seminar": seminar,
        "method": method,
        "attendee_email": registration.email,
        "attendee_name": registration.name,
        "join_url": join_url,
        "manage_url": manage_url if method == "REQUEST" else None,
        "sequence": seminar.sequence,
    }
    # A one-off book builds the same bytes as build_invite (notifications.invites).
    return method, (book or InviteBook()).invite(**fields)


@dataclass(frozen=True)
class EmailTime:
    """One line of the "when" block: which clock, and the seminar's times on it."""

    label: str
    text: str


def times_for(registration: Registration) -> list[EmailTime]:
    """The seminar's zone, UK time and Japan time as the pages show them, then the reader's."""
    seminar = registration.seminar
    return zoned_times(
        seminar.starts_at, seminar.ends_at, seminar.timezone, own_zone=registration.time_zone
    )


def zoned_times(
    starts_at: datetime, ends_at: datetime, zone: str, *, own_zone: str = ""
) -> list[EmailTime]:
    """The "when" block of every email: ``zone``, UK time, Japan time, then ``own_zone``."""
    spans = seminar_spans(starts_at, ends_at, zone)
    times = [EmailTime(label=span_label(span), text=span.text()) for span in spans]
    if own_zone and own_zone not in {span.zone for span in spans}:
        span = zoned_span(starts_at, ends_at, own_zone)
        times.append(EmailTime(label=translation.gettext("Your time"), text=span.text()))
    return times


def span_label(span: ZonedSpan) -> str:
    if span.is_uk:
        return translation.gettext("UK time")
    if span.is_japan:
        return translation.gettext("Japan time")
    return translation.gettext("%(city)s time") % {"city": span.city}


def render_email(template: str, context: dict) -> dict[str, str]:
    """``subject``, ``body_text`` and ``body_html`` from ``notifications/email/<template>.*``.

    Call inside ``translation.override`` of the reader's language.
    """
    path = f"notifications/email/{template}"
    return {
        "subject": render_to_string(f"{path}.subject.txt", context),
        "body_text": tidy_text(render_to_string(f"{path}.txt", context)),
        "body_html": render_to_string(f"{path}.html", context),
    }


def tidy_text(text: str) -> str:
    """Template whitespace out of a text body: no runs of blank lines, no trailing spaces."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy) + "\n"


# --- Delivery --------------------------------------------------------------


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
    token: str | None = None,
) -> DeliveryOutcome:
    """Send a claimed row over ``connection`` (outside any transaction) and record the result.

    The row is marked sent right after the server accepted it, before the next message
    starts, so a worker dying later in a batch resends nothing that went out before.
    """
    try:
        sent = build_message(with_link_token(email, token=token), connection=connection).send(
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
        return _record_failure(email=email, error=exc)
    email_mark_sent(email_id=email.pk)
    return DeliveryOutcome(status="sent")


def email_mark_sent(*, email_id: int) -> None:
    """Record that the server accepted a row being sent (one statement, once per message).

    Written as SQL: the ORM would spend more CPU compiling this UPDATE than the database
    spends running it, once for every message of a 10,000-message fan-out.
    """
    now = timezone.now()
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(
            _MARK_SENT_SQL,
            [OutgoingEmail.Status.SENT, now, now, email_id, OutgoingEmail.Status.SENDING],
        )


# OutgoingEmail's table and columns (tests check they match the model).
_MARK_SENT_SQL = (
    'UPDATE "notifications_outgoingemail" SET "status" = %s, "sent_at" = %s, "updated_at" = %s '
    'WHERE "id" = %s AND "status" = %s'
)


def email_deliver(*, email_id: int, connection=None) -> DeliveryOutcome:
    """Claim and send one row; what the ``notifications.deliver_email`` task runs."""
    email = email_claim(email_id=email_id)
    if email is None:
        return DeliveryOutcome(status="skipped")
    return email_send(email=email, connection=connection)


def emails_deliver(*, email_ids: list[int], result: DeliveryPass | None = None) -> DeliveryPass:
    """Claim the due rows among ``email_ids`` and send them over one SMTP connection.

    What the ``notifications.deliver_email_batch`` task and the periodic pass run. The
    claim and the link tokens cost a few queries per batch; each row then costs its
    SMTP transaction and one UPDATE marking it sent. After a failed row the connection
    is opened again (the server may have dropped it). When the server cannot be
    reached, the rows not yet tried go back to the queue, their attempt not counted,
    for the periodic pass: nothing is lost and nothing is marked sent that was not.
    """
    result = result if result is not None else DeliveryPass()
    emails = emails_claim(email_ids=email_ids)
    result.skipped += len(set(email_ids)) - len(emails)
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
                outcome = email_send(email=email, connection=connection, token=tokens.get(email.pk))
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
    if connection.vendor != "postgresql" or connection.in_atomic_block:
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
    message = f"{type(error).__name__}: {error}"[:2000]
    sending = OutgoingEmail.objects.filter(pk=email.pk, status=OutgoingEmail.Status.SENDING)
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


def email_resend(*, email: OutgoingEmail) -> bool:
    """Queue a failed or cancelled row again (an organiser's "Resend"); False if not allowed."""
    now = timezone.now()
    with transaction.atomic():
        updated = OutgoingEmail.objects.filter(
            pk=email.pk,
            status__in=[OutgoingEmail.Status.FAILED, OutgoingEmail.Status.CANCELLED],
        ).update(
            status=OutgoingEmail.Status.QUEUED, attempts=0, next_attempt_at=now, updated_at=now
        )
        if updated:
            email_id = email.pk
            transaction.on_commit(lambda: enqueue_delivery(email_id))
    return bool(updated)
