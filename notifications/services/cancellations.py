"""Emails about a whole seminar: to everyone registered and to its speakers.

The seminar services call these inside their own transaction, so the outbox rows
are written (or rolled back) together with the change that causes them. Each row
has a dedupe key, so running a notice twice sends nothing new.
"""

from django.conf import settings
from django.db.models import Prefetch, prefetch_related_objects
from django.utils import translation

from notifications.invites import InviteBook
from notifications.models import OutgoingEmail
from notifications.services.outbox import email_queue
from notifications.services.rendering import render_email, seminar_email_context
from webinars.models import Registration, Seminar, SeminarSpeaker, Speaker


def seminar_cancelled_emails_queue(*, seminar: Seminar, message: str) -> list[OutgoingEmail]:
    """Tell every live registrant and every speaker with an email that ``seminar`` is off.

    Call with the seminar as :func:`webinars.services.seminar_cancel` left it: cancelled,
    its ``sequence`` already raised, inside the cancel's transaction. Confirmed
    registrants and speakers get a ``METHOD:CANCEL`` invite (same UID, the new
    SEQUENCE) that removes the event from their calendars; waitlisted people never
    had an invite and get the message alone. A seminar that was never published has
    no audience and no calendar entries: nothing is sent.

    Its reads do not grow with the audience (one query for the registrations, one for
    the speaker links with their speakers, one for the series); each email then
    costs its own outbox write. The ``METHOD:CANCEL`` calendar is built once per
    language and the recipients' ``ATTENDEE`` lines swapped in
    (:class:`~notifications.invites.InviteBook`); delivery goes out in batches after commit.
    """
    if not seminar.is_cancelled:
        raise ValueError("Only a cancelled seminar can be announced as cancelled.")
    if seminar.published_at is None:
        return []
    # Reminders already queued but not yet sent must not announce a cancelled seminar.
    OutgoingEmail.objects.filter(
        seminar=seminar, kind=OutgoingEmail.Kind.REMINDER, status=OutgoingEmail.Status.QUEUED
    ).update(status=OutgoingEmail.Status.CANCELLED, last_error="the seminar was cancelled")
    # One query for the speakers, shared by every invite's description and the speaker emails.
    prefetch_related_objects(
        [seminar],
        Prefetch(
            "speaker_links",
            queryset=SeminarSpeaker.objects.select_related("speaker").order_by("position", "pk"),
        ),
    )
    registrations = Registration.objects.live().filter(seminar=seminar).order_by("created_at", "pk")
    message = message.strip()
    book = InviteBook()
    emails = [
        _registrant_cancel_email(
            seminar=seminar, registration=registration, message=message, book=book
        )
        for registration in registrations
    ]
    # A speaker appears once per seminar (a unique constraint), so one email each.
    emails.extend(
        _speaker_cancel_email(seminar=seminar, speaker=link.speaker, message=message, book=book)
        for link in seminar.speaker_links.all()
        if link.speaker.email.strip()
    )
    return emails


def _registrant_cancel_email(
    *, seminar: Seminar, registration: Registration, message: str, book: InviteBook
) -> OutgoingEmail:
    # The registrations were read for this seminar: spare a query per row.
    registration.seminar = seminar
    language = registration.language or settings.LANGUAGE_CODE
    with translation.override(language):
        calendar_body = ""
        if registration.is_confirmed:
            calendar_body = _cancel_invite(
                book,
                seminar=seminar,
                attendee_email=registration.email,
                attendee_name=registration.name,
            )
        rendered = _render(
            "seminar_cancelled",
            seminar=seminar,
            name=registration.name,
            message=message,
            own_zone=registration.time_zone,
            extra={"was_waitlisted": registration.is_waitlisted},
            has_invite=bool(calendar_body),
        )
    return email_queue(
        kind=OutgoingEmail.Kind.SEMINAR_CANCELLED,
        to_email=registration.email,
        to_name=registration.name,
        language=language,
        calendar_method="CANCEL" if calendar_body else "",
        calendar_body=calendar_body,
        registration=registration,
        seminar=seminar,
        dedupe_key=f"seminar-cancelled:{seminar.pk}:{registration.pk}",
        **rendered,
    )


def _speaker_cancel_email(
    *, seminar: Seminar, speaker: Speaker, message: str, book: InviteBook
) -> OutgoingEmail:
    # Speakers have no language of their own: write in the seminar's language.
    language = seminar.language or settings.LANGUAGE_CODE
    with translation.override(language):
        calendar_body = _cancel_invite(
            book, seminar=seminar, attendee_email=speaker.email, attendee_name=speaker.name
        )
        rendered = _render(
            "speaker_cancel",
            seminar=seminar,
            name=speaker.name,
            message=message,
            own_zone="",
            has_invite=True,
        )
    return email_queue(
        kind=OutgoingEmail.Kind.SPEAKER_CANCEL,
        to_email=speaker.email,
        to_name=speaker.name,
        language=language,
        calendar_method="CANCEL",
        calendar_body=calendar_body,
        seminar=seminar,
        dedupe_key=f"speaker-cancel:{seminar.pk}:{speaker.pk}",
        **rendered,
    )


def _cancel_invite(
    book: InviteBook, *, seminar: Seminar, attendee_email: str, attendee_name: str
) -> str:
    """A ``METHOD:CANCEL`` for one recipient at the seminar's current (raised) SEQUENCE."""
    return book.invite(
        seminar=seminar,
        method="CANCEL",
        attendee_email=attendee_email,
        attendee_name=attendee_name,
        sequence=seminar.sequence,
    )


def _render(
    template: str,
    *,
    seminar: Seminar,
    name: str,
    message: str,
    own_zone: str,
    has_invite: bool,
    extra: dict | None = None,
) -> dict[str, str]:
    """Subject and bodies from ``templates/notifications/email/<template>.*``."""
    # No clock-change note: the seminar will not take place.
    context = seminar_email_context(
        seminar=seminar,
        own_zone=own_zone,
        clock_change_note=False,
        name=name,
        message=message,
        has_invite=has_invite,
        **(extra or {}),
    )
    return render_email(template, context)
