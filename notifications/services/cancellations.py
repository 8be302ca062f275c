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
from notifications.services.outbox import (
    LeanRow,
    NotSent,
    RenderBatch,
    email_queue,
    emails_write,
    lean_row,
)
from notifications.services.rendering import (
    RECIPIENT_NAME_PLACEHOLDER,
    recipient_message,
    render_email,
    seminar_email_context,
)
from webinars.models import Registration, Seminar, SeminarSpeaker, Speaker


def seminar_cancelled_emails_queue(
    *, seminar: Seminar, message: str
) -> list[LeanRow | OutgoingEmail]:
    """Tell every live registrant and every speaker with an email that ``seminar`` is off.

    Call with the seminar as :func:`webinars.services.seminar_cancel` left it: cancelled,
    its ``sequence`` already raised, inside the cancel's transaction. Confirmed
    registrants and speakers get a ``METHOD:CANCEL`` invite (same UID, the new
    SEQUENCE) that removes the event from their calendars; waitlisted people never
    had an invite and get the message alone. A seminar that was never published has
    no audience and no calendar entries: nothing is sent.

    Its reads do not grow with the audience (one query for the registrations, one for
    the speaker links with their speakers); the registrants' emails are lean rows
    written in bulk and rendered by the mail workers (:func:`seminar_cancelled_render`),
    whose ``METHOD:CANCEL`` calendar is built once per language and batch and the
    recipients' ``ATTENDEE`` lines swapped in (:class:`~notifications.invites.InviteBook`).
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
    places = (
        Registration.objects.live()
        .filter(seminar=seminar)
        .order_by("created_at", "pk")
        .values_list("pk", "email", "name", "language", "status")
    )
    message = message.strip()
    # Lean rows, rendered by the mail workers: the cancel's lock on the seminar row is
    # held for a few INSERTs, not for one rendering per registrant.
    emails: list[LeanRow | OutgoingEmail] = list(
        emails_write(
            [
                lean_row(
                    kind=OutgoingEmail.Kind.SEMINAR_CANCELLED,
                    to_email=email,
                    to_name=name,
                    language=language,
                    registration_id=registration_id,
                    seminar_id=seminar.pk,
                    snapshot={
                        "message": message,
                        "had_place": status == Registration.Status.CONFIRMED,
                    },
                    calendar_sequence=seminar.sequence,
                    dedupe_key=f"seminar-cancelled:{seminar.pk}:{registration_id}",
                )
                for registration_id, email, name, language, status in places.iterator(
                    chunk_size=10_000
                )
            ]
        )
    )
    book = InviteBook()
    # A speaker appears once per seminar (a unique constraint), so one email each.
    emails.extend(
        _speaker_cancel_email(seminar=seminar, speaker=link.speaker, message=message, book=book)
        for link in seminar.speaker_links.all()
        if link.speaker.email.strip()
    )
    return emails


def seminar_cancelled_render(email: OutgoingEmail, batch: RenderBatch) -> dict[str, object]:
    """A registrant's "seminar cancelled" email as it is sent: the organisers' message, and
    for a place a ``METHOD:CANCEL`` at the sequence the cancellation raised.

    It goes whatever became of the registration since (the calendar entry must go), to
    the row's own address and name, rendered once per (language, zone, place or not)
    in the batch with each name put in.
    """
    seminar = email.seminar
    if seminar is None:
        raise NotSent("not sent: the seminar no longer exists")
    had_place = bool(email.snapshot.get("had_place"))
    zone = email.registration.time_zone if email.registration is not None else ""
    calendar_body = ""
    if had_place:
        calendar_body = batch.book.invite(
            seminar=seminar,
            method="CANCEL",
            attendee_email=email.to_email,
            attendee_name=email.to_name,
            sequence=email.calendar_sequence or seminar.sequence,
        )
    group = ("seminar-cancelled", seminar.pk, email.language, zone, had_place)
    shared = batch.once(
        group,
        lambda: _render(
            "seminar_cancelled",
            seminar=seminar,
            name=RECIPIENT_NAME_PLACEHOLDER,
            message=email.snapshot.get("message", ""),
            own_zone=zone,
            extra={"was_waitlisted": not had_place},
            has_invite=had_place,
        ),
    )
    return {
        **recipient_message(shared, name=email.to_name),
        "calendar_method": "CANCEL" if calendar_body else "",
        "calendar_body": calendar_body,
        "calendar_sequence": (email.calendar_sequence or seminar.sequence) if had_place else None,
    }


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
