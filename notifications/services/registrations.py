"""Registration lifecycle emails: confirmed, waitlisted, promoted, cancelled."""

from django.conf import settings
from django.utils import translation

from notifications.invites import InviteBook
from notifications.models import OutgoingEmail
from notifications.services.links import registration_links
from notifications.services.outbox import NotSent, RenderBatch, email_queue, lean_email_queue
from notifications.services.rendering import render_email, seminar_email_context
from webinars.models import Registration

REGISTRATION_KINDS = (
    OutgoingEmail.Kind.REGISTRATION_CONFIRMED,
    OutgoingEmail.Kind.REGISTRATION_WAITLISTED,
    OutgoingEmail.Kind.WAITLIST_PROMOTED,
    OutgoingEmail.Kind.REGISTRATION_CANCELLED,
    OutgoingEmail.Kind.MOVED_TO_WAITLIST,
)
# Emails that take a place's calendar entry away: their invite is a METHOD:CANCEL.
_KINDS_WITH_CANCEL_INVITE = (
    OutgoingEmail.Kind.REGISTRATION_CANCELLED,
    OutgoingEmail.Kind.MOVED_TO_WAITLIST,
)
_KINDS_WITH_JOIN_LINK = (
    OutgoingEmail.Kind.REGISTRATION_CONFIRMED,
    OutgoingEmail.Kind.WAITLIST_PROMOTED,
)


# Rendered by the worker that sends them (lean rows). The CANCEL kinds are rendered when
# queued: an erasure cancels a place and then blanks the person's details in the same
# transaction, and their CANCEL must still name them to leave their calendar.
LEAN_KINDS = (
    OutgoingEmail.Kind.REGISTRATION_CONFIRMED,
    OutgoingEmail.Kind.REGISTRATION_WAITLISTED,
    OutgoingEmail.Kind.WAITLIST_PROMOTED,
    OutgoingEmail.Kind.REGISTRATION_LINKS,
)
# The emails that tell a registrant the seminar as it is, with an invite at its sequence:
# a change notice leaves out whoever has one at the current sequence (or still to render).
TELLING_KINDS = (
    OutgoingEmail.Kind.REGISTRATION_CONFIRMED,
    OutgoingEmail.Kind.WAITLIST_PROMOTED,
    OutgoingEmail.Kind.REGISTRATION_LINKS,
)
# The status a lean email's registration must still have when it is rendered: a place
# cancelled, or a waiting place promoted, before its confirmation went out is not told
# of a state it no longer has (the later email says what it is).
_STATUS_WHEN_SENT = {
    OutgoingEmail.Kind.REGISTRATION_CONFIRMED: Registration.Status.CONFIRMED,
    OutgoingEmail.Kind.WAITLIST_PROMOTED: Registration.Status.CONFIRMED,
    OutgoingEmail.Kind.REGISTRATION_WAITLISTED: Registration.Status.WAITLISTED,
}


def registration_email_queue(
    *, registration: Registration, kind: str, invite: bool = True
) -> OutgoingEmail:
    """Queue one registration lifecycle email, with its calendar invite.

    Call inside the transaction that changed the registration. Confirmed, waitlisted and
    promoted emails are written lean (who and what, no message) and rendered by the
    worker that sends them, so a registration holds the seminar's lock for its decision
    only. The manage/join links carry placeholders: the real tokens are minted at
    sending time (:func:`~notifications.services.links.with_link_token`), so no usable
    link is ever stored in the outbox. Confirmed and promoted emails carry a
    ``METHOD:REQUEST`` invite, a cancellation or a move to the waiting list carries
    ``METHOD:CANCEL`` (one SEQUENCE above the seminar's while the seminar goes ahead,
    so clients accept it), a waitlisted email carries none.
    """
    if kind not in REGISTRATION_KINDS:
        raise ValueError(f"Not a registration email kind: {kind!r}")
    if kind in LEAN_KINDS:
        return _registrant_email_plan(registration=registration, kind=kind)
    return _registrant_email_queue(
        registration=registration,
        kind=kind,
        join=kind in _KINDS_WITH_JOIN_LINK,
        # invite=False: e.g. cancelling a waiting-list place, which never had an invite.
        invite_kind=kind if invite else None,
    )


def _registrant_email_plan(
    *, registration: Registration, kind: str, snapshot: dict | None = None
) -> OutgoingEmail:
    """Write a lean ``kind`` row for ``registration``; :func:`registration_email_render`
    renders it when it is sent."""
    telling = kind in TELLING_KINDS and (
        kind != OutgoingEmail.Kind.REGISTRATION_LINKS or registration.is_confirmed
    )
    return lean_email_queue(
        kind=kind,
        to_email=registration.email,
        to_name=registration.name,
        language=registration.language or settings.LANGUAGE_CODE,
        registration=registration,
        seminar=registration.seminar,
        snapshot=snapshot,
        calendar_sequence=registration.seminar.sequence if telling else None,
    )


def registration_email_render(email: OutgoingEmail, batch: RenderBatch) -> dict[str, object]:
    """The message of a lean registration email, from the registration and seminar as
    they are now. Raises :class:`NotSent` when the place has moved on since."""
    registration = email.registration
    if registration is None:
        raise NotSent("not sent: the registration no longer exists")
    wanted = _STATUS_WHEN_SENT.get(email.kind)
    if wanted is not None and registration.status != wanted:
        raise NotSent(f"not sent: the registration is {registration.status} now")
    if email.kind == OutgoingEmail.Kind.REGISTRATION_LINKS:
        joins = registration.is_confirmed and not registration.seminar.is_cancelled
        return _registrant_email_render(
            registration=registration,
            kind=email.kind,
            join=joins,
            invite_kind=OutgoingEmail.Kind.REGISTRATION_CONFIRMED if joins else None,
            book=batch.book,
            reason=email.snapshot.get("reason", "renewed"),
        )
    return _registrant_email_render(
        registration=registration,
        kind=email.kind,
        join=email.kind in _KINDS_WITH_JOIN_LINK,
        invite_kind=email.kind,
        book=batch.book,
    )


def _registrant_email_queue(
    *,
    registration: Registration,
    kind: str,
    join: bool,
    invite_kind: str | None,
    **extra: object,
) -> OutgoingEmail:
    """Render the ``kind`` email to a registrant now and queue it (see
    :func:`_registrant_email_render`)."""
    rendered = _registrant_email_render(
        registration=registration, kind=kind, join=join, invite_kind=invite_kind, **extra
    )
    return email_queue(
        kind=kind,
        to_email=registration.email,
        to_name=registration.name,
        language=registration.language or settings.LANGUAGE_CODE,
        registration=registration,
        seminar=registration.seminar,
        **rendered,
    )


def _registrant_email_render(
    *,
    registration: Registration,
    kind: str,
    join: bool,
    invite_kind: str | None,
    book: InviteBook | None = None,
    **extra: object,
) -> dict[str, object]:
    """The ``kind`` email to a registrant in their language, with their links (as
    placeholders) and the invite ``invite_kind`` calls for: subject, bodies, calendar."""
    seminar = registration.seminar
    language = registration.language or settings.LANGUAGE_CODE
    with translation.override(language):
        manage_url, join_url = registration_links(join=join)
        calendar_method, calendar_body = "", ""
        if invite_kind:
            calendar_method, calendar_body = registration_invite(
                registration=registration, kind=invite_kind, join_url=join_url, book=book
            )
        context = seminar_email_context(
            seminar=seminar,
            own_zone=registration.time_zone,
            registration=registration,
            name=registration.name,
            manage_url=manage_url,
            join_url=join_url,
            join_opens_minutes=settings.JOIN_OPENS_MINUTES_BEFORE,
            has_invite=bool(calendar_body),
            calendar_method=calendar_method,
            **extra,
        )
        rendered = render_email(kind, context)
    return {
        **rendered,
        "calendar_method": calendar_method,
        "calendar_body": calendar_body,
        "calendar_sequence": seminar.sequence if calendar_body else None,
    }


def registration_invite(
    *,
    registration: Registration,
    kind: str,
    join_url: str | None,
    book: InviteBook | None = None,
) -> tuple[str, str]:
    """The (method, calendar) of a registration email; a fan-out passes its ``book``."""
    seminar = registration.seminar
    if kind == OutgoingEmail.Kind.REGISTRATION_WAITLISTED:
        return "", ""
    if kind in _KINDS_WITH_CANCEL_INVITE:
        method = "CANCEL"
        # registration_cancel (or _move_to_waitlist) has already raised the seminar's
        # sequence for this CANCEL (clients ignore one whose SEQUENCE did not grow).
        join_url = None
    else:
        method = "REQUEST"
    fields = {
        "seminar": seminar,
        "method": method,
        "attendee_email": registration.email,
        "attendee_name": registration.name,
        "join_url": join_url,
        "sequence": seminar.sequence,
    }
    # A one-off book builds the same bytes as build_invite (notifications.invites).
    return method, (book or InviteBook()).invite(**fields)


LINKS_REASONS = ("renewed", "repeat")


def registration_links_email_queue(*, registration: Registration, reason: str) -> OutgoingEmail:
    """Queue an email with fresh links to ``registration`` (tokens minted when sent).

    ``reason`` says why: ``"renewed"``, the person asked for new links and the old ones
    no longer work; ``"repeat"``, someone registered again with this address, and only
    its owner, reading this email, learns that it already has a place. A confirmed
    place gets its join link and a current invite (the same event, with the new join
    link); a waitlisted one gets neither.
    """
    if reason not in LINKS_REASONS:
        raise ValueError(f"Not a reason for a links email: {reason!r}")
    return _registrant_email_plan(
        registration=registration,
        kind=OutgoingEmail.Kind.REGISTRATION_LINKS,
        snapshot={"reason": reason},
    )
