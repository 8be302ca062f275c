"""The outbox: emails are written in the caller's transaction and delivered after commit.

Writing (:func:`email_queue`, :func:`registration_email_queue`) happens inside the
transaction of the change that causes the email, so a rolled-back change leaves no
row and sends nothing. Delivery (:func:`email_deliver`, :func:`emails_deliver_due`)
claims a row under a lock in a short transaction, talks to SMTP outside any
transaction, then records the outcome: sent, retried later, or failed.
"""

import copy
import logging
import re
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from notifications.mail import build_message, header_text
from notifications.models import OutgoingEmail
from webinars.ical import build_invite
from webinars.models import Registration
from webinars.timezones import ZonedSpan, seminar_spans, uk_clock_change_note, zoned_span

logger = logging.getLogger(__name__)

# A row left in "sending" this long belongs to a worker that died mid-send.
SENDING_LEASE = timedelta(minutes=10)
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
    email_id = email.pk
    transaction.on_commit(lambda: enqueue_delivery(email_id))
    return email


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


def with_link_token(email: OutgoingEmail) -> OutgoingEmail:
    """The email as it is sent: a fresh link token in place of the placeholder.

    Returns an unsaved copy; the stored row keeps the placeholder, so the outbox
    (and anyone who can read it) never holds a working manage or join link.
    """
    bodies = (email.body_text, email.body_html, email.calendar_body)
    if email.registration_id is None or not any(LINK_TOKEN_PLACEHOLDER in b for b in bodies):
        return email
    from webinars.services import registration_token_issue

    token = registration_token_issue(registration=email.registration)
    sent = copy.copy(email)
    sent.body_text = email.body_text.replace(LINK_TOKEN_PLACEHOLDER, token)
    sent.body_html = email.body_html.replace(LINK_TOKEN_PLACEHOLDER, token)
    if email.calendar_body:
        # Folding may have split the placeholder across lines: unfold, replace, refold.
        unfolded = re.sub(r"\r?\n[ \t]", "", email.calendar_body)
        replaced = unfolded.replace(LINK_TOKEN_PLACEHOLDER, token)
        sent.calendar_body = Calendar.from_ical(replaced).to_ical().decode()
    return sent


def registration_invite(
    *, registration: Registration, kind: str, join_url: str | None, manage_url: str
) -> tuple[str, str]:
    seminar = registration.seminar
    if kind == OutgoingEmail.Kind.REGISTRATION_WAITLISTED:
        return "", ""
    organizer_name = header_text(from_name()) or seminar.series.name
    if kind == OutgoingEmail.Kind.REGISTRATION_CANCELLED:
        method = "CANCEL"
        # registration_cancel has already raised the seminar's sequence for this CANCEL
        # (clients ignore one whose SEQUENCE did not grow).
        sequence = seminar.sequence
        join_url = None
    else:
        method = "REQUEST"
        sequence = seminar.sequence
    body = build_invite(
        seminar=seminar,
        method=method,
        organizer_email=settings.ORGANISER_CONTACT_EMAIL,
        organizer_name=organizer_name,
        attendee_email=registration.email,
        attendee_name=registration.name,
        join_url=join_url,
        manage_url=manage_url if method == "REQUEST" else None,
        sequence=sequence,
    )
    return method, body.decode()


def from_name() -> str:
    return parseaddr(settings.DEFAULT_FROM_EMAIL)[0]


@dataclass(frozen=True)
class EmailTime:
    """One line of the "when" block: which clock, and the seminar's times on it."""

    label: str
    text: str


def times_for(registration: Registration) -> list[EmailTime]:
    """The seminar's zone, UK time and Japan time as the pages show them, then the reader's."""
    seminar = registration.seminar
    spans = seminar_spans(seminar.starts_at, seminar.ends_at, seminar.timezone)
    times = [EmailTime(label=span_label(span), text=span.text()) for span in spans]
    own_zone = registration.time_zone
    if own_zone and own_zone not in {span.zone for span in spans}:
        span = zoned_span(seminar.starts_at, seminar.ends_at, own_zone)
        times.append(EmailTime(label=translation.gettext("Your time"), text=span.text()))
    return times


def span_label(span: ZonedSpan) -> str:
    if span.is_uk:
        return translation.gettext("UK time")
    if span.is_japan:
        return translation.gettext("Japan time")
    return translation.gettext("%(city)s time") % {"city": span.city}


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
    """Counts of one pass over the due rows."""

    delivered: int = 0
    failed: int = 0
    retrying: int = 0
    requeued: int = 0

    def add(self, outcome: DeliveryOutcome) -> None:
        if outcome.status == "sent":
            self.delivered += 1
        elif outcome.status == "failed":
            self.failed += 1
        elif outcome.status == "retrying":
            self.retrying += 1


class PermanentDeliveryError(Exception):
    """The message can never be delivered as it is: do not retry."""


def email_claim(*, email_id: int, now: datetime | None = None) -> OutgoingEmail | None:
    """Mark a due row ``sending`` under a row lock, or None if it is not ours to send.

    A row is due when it is queued and its next attempt has come, or when it has
    been "sending" longer than the lease (its worker died). Sent, failed and
    cancelled rows are never sent again: running a delivery twice is harmless.
    """
    now = now or timezone.now()
    with transaction.atomic():
        email = OutgoingEmail.objects.select_for_update().filter(pk=email_id).first()
        if email is None:
            return None
        if email.status == OutgoingEmail.Status.QUEUED:
            if email.next_attempt_at > now + EARLY_DELIVERY_TOLERANCE:
                return None
        elif email.status == OutgoingEmail.Status.SENDING:
            if email.updated_at > now - SENDING_LEASE:
                return None
        else:
            return None
        email.status = OutgoingEmail.Status.SENDING
        email.attempts += 1
        email.updated_at = now
        OutgoingEmail.objects.filter(pk=email.pk).update(
            status=email.status, attempts=email.attempts, updated_at=now
        )
    return email


def email_send(*, email: OutgoingEmail, connection=None) -> DeliveryOutcome:
    """Send a claimed row over ``connection`` (outside any transaction) and record the result."""
    try:
        sent = build_message(with_link_token(email), connection=connection).send(
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
    now = timezone.now()
    OutgoingEmail.objects.filter(pk=email.pk, status=OutgoingEmail.Status.SENDING).update(
        status=OutgoingEmail.Status.SENT, sent_at=now, updated_at=now
    )
    return DeliveryOutcome(status="sent")


def email_deliver(*, email_id: int, connection=None) -> DeliveryOutcome:
    """Claim and send one row; what the ``notifications.deliver_email`` task runs."""
    email = email_claim(email_id=email_id)
    if email is None:
        return DeliveryOutcome(status="skipped")
    return email_send(email=email, connection=connection)


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
        status=OutgoingEmail.Status.SENDING, updated_at__lt=now - SENDING_LEASE
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
        if not _deliver_batch(batch, result):
            break
    return result


def _deliver_batch(email_ids: list[int], result: DeliveryPass) -> bool:
    """Send ``email_ids`` over one connection; False when the mail server is unreachable."""
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except Exception:
        logger.warning(
            "Mail server unreachable; %s emails wait for the next pass.",
            len(email_ids),
            exc_info=True,
        )
        result.retrying += len(email_ids)
        return False
    try:
        for email_id in email_ids:
            outcome = email_deliver(email_id=email_id, connection=connection)
            result.add(outcome)
            if outcome.status in ("retrying", "failed"):
                # The connection may be broken after an error: start a fresh one.
                _close_quietly(connection)
                connection.open()
    except Exception:
        logger.warning(
            "Mail server connection lost; the rest waits for the next pass.", exc_info=True
        )
        return False
    finally:
        _close_quietly(connection)
    return True


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
