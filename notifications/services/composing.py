"""Lean outbox rows become messages here, in the delivery worker, just before sending.

A request or a scan only decides who gets what: it writes lean rows (``rendered``
False; :func:`~notifications.services.outbox.lean_row`). The worker that claims a
batch renders its lean rows with :func:`emails_render`, in each row's language, reading
the registration and seminar as they are then (a few queries per batch, whatever its
size), and sends them; each message is stored on its row by the statement that records
the row's outcome. A row whose renderer finds it no longer worth sending
(:class:`~notifications.services.outbox.NotSent`: the place was cancelled, the change
undone) is recorded as cancelled with the reason; a renderer that fails marks its row
failed, to be resent from the admin once fixed.
"""

import logging
from collections.abc import Callable

from django.db.models import Prefetch
from django.utils import timezone, translation

from notifications.mail import error_text, header_text
from notifications.models import OutgoingEmail
from notifications.services.alerts import seminar_alerts_render
from notifications.services.announcements import announcement_email_render
from notifications.services.cancellations import seminar_cancelled_render
from notifications.services.outbox import NotSent, RenderBatch
from notifications.services.recordings import recording_followup_render
from notifications.services.registrations import LEAN_KINDS, registration_email_render
from notifications.services.reminders import reminder_render
from notifications.services.seminar_changes import seminar_changed_render
from notifications.services.surveys import survey_email_render
from webinars.models import Registration, Seminar, SeminarSpeaker

logger = logging.getLogger(__name__)

Renderer = Callable[[OutgoingEmail, RenderBatch], dict[str, object]]

RENDERERS: dict[str, Renderer] = {
    **dict.fromkeys(LEAN_KINDS, registration_email_render),
    OutgoingEmail.Kind.REMINDER: reminder_render,
    OutgoingEmail.Kind.SEMINAR_CHANGED: seminar_changed_render,
    OutgoingEmail.Kind.ANNOUNCEMENT: announcement_email_render,
    OutgoingEmail.Kind.RECORDING_AVAILABLE: recording_followup_render,
    OutgoingEmail.Kind.SEMINAR_CANCELLED: seminar_cancelled_render,
    OutgoingEmail.Kind.SEMINAR_ALERTS: seminar_alerts_render,
    OutgoingEmail.Kind.SURVEY: survey_email_render,
    OutgoingEmail.Kind.SURVEY_FOLLOWUP: survey_email_render,
}
# What a renderer may set on its row.
RENDERED_FIELDS = (
    "subject",
    "body_text",
    "body_html",
    "calendar_method",
    "calendar_body",
    "calendar_sequence",
)


def emails_render(*, emails: list[OutgoingEmail]) -> list[OutgoingEmail]:
    """Render the lean rows among ``emails`` (claimed, being sent), in memory.

    Returns the rows to send, in their order: those rendered before and those rendered
    now (their message is stored when their outcome is, see
    :func:`~notifications.services.delivery.email_mark_sent`). Rows not worth sending any
    more are recorded as cancelled, rows whose rendering failed as failed (both with the
    reason), and left out.
    """
    lean = [email for email in emails if not email.rendered]
    if not lean:
        return emails
    _related_load(lean)
    batch = RenderBatch()
    dropped: dict[int, tuple[str, str]] = {}
    for email in lean:
        try:
            fields = _render_one(email, batch)
        except NotSent as reason:
            dropped[email.pk] = (OutgoingEmail.Status.CANCELLED, str(reason))
            continue
        except Exception as error:  # one broken row must not hold back the batch
            logger.exception("Outbox email %s could not be rendered.", email.pk)
            dropped[email.pk] = (
                OutgoingEmail.Status.FAILED,
                f"could not be rendered: {error_text(error)}"[:2000],
            )
            continue
        for name, value in fields.items():
            setattr(email, name, value)
        email.rendered = True
        # Stored with the row's outcome (sent, or put back for a retry) in the statement
        # that records it (delivery.email_mark_sent): no write of its own. A worker dying
        # before that leaves the row lean, and the next attempt renders it again.
        email.rendered_unstored = True
    now = timezone.now()
    for email_id, (status, reason) in dropped.items():
        OutgoingEmail.objects.filter(pk=email_id, status=OutgoingEmail.Status.SENDING).update(
            status=status, last_error=reason, updated_at=now
        )
        logger.info("Outbox email %s not sent: %s", email_id, reason)
    return [email for email in emails if email.pk not in dropped]


def email_render(*, email: OutgoingEmail) -> OutgoingEmail:
    """Render one lean row now, without sending it (the admin's preview, tests).

    Stores nothing: the row stays lean, and the worker renders it again when it sends
    it. Raises :class:`NotSent` when the row would not be sent.
    """
    if email.rendered:
        return email
    _related_load([email])
    fields = _render_one(email, RenderBatch())
    for name, value in fields.items():
        setattr(email, name, value)
    email.rendered = True
    return email


def _render_one(email: OutgoingEmail, batch: RenderBatch) -> dict[str, object]:
    renderer = RENDERERS.get(email.kind)
    if renderer is None:
        raise LookupError(f"no renderer for {email.kind!r} emails")
    with translation.override(email.language):
        fields = renderer(email, batch)
    unknown = set(fields) - set(RENDERED_FIELDS)
    if unknown:
        raise ValueError(f"the {email.kind} renderer set {sorted(unknown)}")
    fields["subject"] = header_text(str(fields.get("subject", "")))[:300]
    return fields


def _related_load(emails: list[OutgoingEmail]) -> None:
    """Each row's registration and seminar (with its series and speakers), in three queries."""
    seminars = Seminar.objects.select_related("series").prefetch_related(
        Prefetch(
            "speaker_links",
            queryset=SeminarSpeaker.objects.select_related("speaker").order_by("position", "pk"),
        )
    )
    by_seminar = seminars.in_bulk({email.seminar_id for email in emails if email.seminar_id})
    registrations = Registration.objects.select_related("audience_type").in_bulk(
        {email.registration_id for email in emails if email.registration_id}
    )
    for email in emails:
        email.seminar = by_seminar.get(email.seminar_id)
        registration = registrations.get(email.registration_id)
        if registration is not None and email.seminar is not None:
            registration.seminar = email.seminar
        email.registration = registration
