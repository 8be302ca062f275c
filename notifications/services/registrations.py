"""Registration lifecycle emails: confirmed, waitlisted, promoted, cancelled."""

from django.conf import settings
from django.utils import translation

from notifications.invites import InviteBook
from notifications.models import OutgoingEmail
from notifications.services.links import registration_links
from notifications.services.outbox import email_queue
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


def registration_email_queue(
    *, registration: Registration, kind: str, invite: bool = True
) -> OutgoingEmail:
    """Render and queue one registration lifecycle email, with its calendar invite.

    Call inside the transaction that changed the registration. The manage/join links
    carry placeholders: the real tokens are minted at sending time
    (:func:`~notifications.services.links.with_link_token`), so no usable link is ever
    stored in the outbox. Confirmed and promoted emails carry a ``METHOD:REQUEST``
    invite, a cancellation or a move to the waiting list carries
    ``METHOD:CANCEL`` (one SEQUENCE above the seminar's while the seminar goes
    ahead, so clients accept it), a waitlisted email carries none.
    """
    if kind not in REGISTRATION_KINDS:
        raise ValueError(f"Not a registration email kind: {kind!r}")
    return _registrant_email_queue(
        registration=registration,
        kind=kind,
        join=kind in _KINDS_WITH_JOIN_LINK,
        # invite=False: e.g. cancelling a waiting-list place, which never had an invite.
        invite_kind=kind if invite else None,
    )


def _registrant_email_queue(
    *,
    registration: Registration,
    kind: str,
    join: bool,
    invite_kind: str | None,
    **extra: object,
) -> OutgoingEmail:
    """Render the ``kind`` email to a registrant in their language, with their links (as
    placeholders) and the invite ``invite_kind`` calls for, and queue it."""
    seminar = registration.seminar
    language = registration.language or settings.LANGUAGE_CODE
    with translation.override(language):
        manage_url, join_url = registration_links(join=join)
        calendar_method, calendar_body = "", ""
        if invite_kind:
            calendar_method, calendar_body = registration_invite(
                registration=registration, kind=invite_kind, join_url=join_url
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
    return email_queue(
        kind=kind,
        to_email=registration.email,
        to_name=registration.name,
        language=language,
        calendar_method=calendar_method,
        calendar_body=calendar_body,
        registration=registration,
        seminar=seminar,
        **rendered,
    )


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
    joins = registration.is_confirmed and not registration.seminar.is_cancelled
    return _registrant_email_queue(
        registration=registration,
        kind=OutgoingEmail.Kind.REGISTRATION_LINKS,
        join=joins,
        # The place's invite again (the same event), now with the new join link.
        invite_kind=OutgoingEmail.Kind.REGISTRATION_CONFIRMED if joins else None,
        reason=reason,
    )
