"""Speakers' own calendar invites: sent when they join a published seminar, updated, withdrawn.

A speaker's invite carries their speaker join link (``SeminarSpeaker.join_url``, else
the seminar's meeting URL), never a registrant's. The seminar services call these
inside their own transaction with the seminar row locked, so the outbox rows are
written (or rolled back) with the change that causes them. Each row has a dedupe
key, so running a notice twice sends nothing new:

- ``speaker-invite:<seminar>:<speaker>:<link>``: one invite per speaker link, so a
  speaker removed and added again (a new link row) is invited again;
- ``speaker-update:<seminar>:<speaker>:<link>:<sequence>``: one per raised SEQUENCE;
- ``speaker-removed:<seminar>:<speaker>:<sequence>``: likewise.

Emails to the seminar's whole audience (changed, cancelled) live in
:mod:`notifications.seminar_changes` and :mod:`notifications.seminar_notices`.
"""

from django.conf import settings
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.utils import translation

from notifications.invites import InviteBook
from notifications.models import OutgoingEmail
from notifications.services import email_queue, render_email, zoned_times
from webinars.models import Seminar, SeminarSpeaker, Speaker
from webinars.services import seminar_sequence_raise
from webinars.timezones import uk_clock_change_note

Kind = OutgoingEmail.Kind
# Rows that never reached the speaker: withdrawing them leaves nothing to take back.
_NOT_DELIVERED = (OutgoingEmail.Status.CANCELLED, OutgoingEmail.Status.FAILED)


def speaker_invites_queue(*, seminar: Seminar) -> list[OutgoingEmail]:
    """Invite each speaker of a published seminar who has an email and no invite for their link.

    ``seminar_publish`` calls it, so speakers added while the seminar was a draft hear
    of it once it is public. Reads do not grow with the speakers (their links with
    the speakers, the series, the invites already written); each email then costs
    its own outbox write.
    """
    if not _announced(seminar):
        return []
    links = _load_speakers(seminar)
    return _invites_queue(seminar=seminar, links=[link for link in links if _email_of(link)])


def speaker_invite_queue(*, link: SeminarSpeaker) -> OutgoingEmail | None:
    """Invite one speaker just added to a published seminar; None when there is nobody to tell."""
    seminar = link.seminar
    if not _announced(seminar) or not _email_of(link):
        return None
    _load_speakers(seminar)
    emails = _invites_queue(seminar=seminar, links=[link])
    return emails[0] if emails else None


def speaker_update_queue(*, link: SeminarSpeaker) -> OutgoingEmail | None:
    """Send a speaker their new join link as an updated invite (REQUEST at a raised SEQUENCE).

    Call after ``link.join_url`` changed on a published seminar. A speaker who has no
    invite for this link yet (an email added since) gets the invite instead.
    """
    seminar = link.seminar
    if not _announced(seminar) or not _email_of(link):
        return None
    _load_speakers(seminar)
    invite_key = _invite_key(link)
    if not OutgoingEmail.objects.filter(dedupe_key=invite_key).exists():
        emails = _invites_queue(seminar=seminar, links=[link])
        return emails[0] if emails else None
    # Clients ignore an update whose SEQUENCE did not grow.
    seminar_sequence_raise(seminar=seminar)
    return _invite_email(
        seminar=seminar,
        link=link,
        book=InviteBook(),
        kind=Kind.SPEAKER_UPDATE,
        dedupe_key=(f"speaker-update:{seminar.pk}:{link.speaker_id}:{link.pk}:{seminar.sequence}"),
    )


def speaker_removed_queue(*, seminar: Seminar, speaker: Speaker) -> OutgoingEmail | None:
    """Take a removed speaker's invite back: a polite email and a ``METHOD:CANCEL``.

    Call after the speaker's link to a published seminar was deleted. Their invites
    still waiting in the outbox are withdrawn; if none had gone out, nothing is sent
    (they never heard of it). The CANCEL goes at a raised SEQUENCE, which clients
    need to accept it.
    """
    if not _announced(seminar) or not speaker.email.strip():
        return None
    theirs = OutgoingEmail.objects.filter(seminar=seminar).filter(
        Q(
            kind=Kind.SPEAKER_INVITE,
            dedupe_key__startswith=f"speaker-invite:{seminar.pk}:{speaker.pk}:",
        )
        | Q(
            kind=Kind.SPEAKER_UPDATE,
            dedupe_key__startswith=f"speaker-update:{seminar.pk}:{speaker.pk}:",
        )
        # The "seminar changed" email to a speaker (notifications.seminar_changes) also
        # carries an invite: a queued one must not go out, a sent one needs the CANCEL.
        | Q(
            kind=Kind.SPEAKER_UPDATE,
            dedupe_key__startswith=f"seminar-changed:{seminar.pk}:",
            dedupe_key__endswith=f":speaker:{speaker.pk}",
        )
    )
    theirs.filter(status=OutgoingEmail.Status.QUEUED).update(
        status=OutgoingEmail.Status.CANCELLED, last_error="the speaker was removed"
    )
    if not theirs.exclude(status__in=_NOT_DELIVERED).exists():
        return None
    _load_speakers(seminar)
    seminar_sequence_raise(seminar=seminar)
    language = _language(seminar)
    with translation.override(language):
        calendar_body = InviteBook().invite(
            seminar=seminar,
            method="CANCEL",
            attendee_email=speaker.email,
            attendee_name=speaker.name,
            sequence=seminar.sequence,
        )
        rendered = _render("speaker_removed", seminar=seminar, name=speaker.name)
    return email_queue(
        kind=Kind.SPEAKER_CANCEL,
        to_email=speaker.email,
        to_name=speaker.name,
        language=language,
        calendar_method="CANCEL",
        calendar_body=calendar_body,
        seminar=seminar,
        dedupe_key=f"speaker-removed:{seminar.pk}:{speaker.pk}:{seminar.sequence}",
        **rendered,
    )


def _invites_queue(*, seminar: Seminar, links: list[SeminarSpeaker]) -> list[OutgoingEmail]:
    """Invites for ``links`` (speakers with an email) not invited yet, in one calendar book."""
    written = set(
        OutgoingEmail.objects.filter(
            dedupe_key__in=[_invite_key(link) for link in links]
        ).values_list("dedupe_key", flat=True)
    )
    links = [link for link in links if _invite_key(link) not in written]
    if not links:
        return []
    removed = _removed_speaker_ids(seminar)
    if any(link.speaker_id in removed for link in links):
        # A speaker taken off and added back holds a CANCEL: the new invite must outrank it.
        seminar_sequence_raise(seminar=seminar)
    book = InviteBook()
    return [
        _invite_email(
            seminar=seminar,
            link=link,
            book=book,
            kind=Kind.SPEAKER_INVITE,
            dedupe_key=_invite_key(link),
        )
        for link in links
    ]


def _invite_email(
    *, seminar: Seminar, link: SeminarSpeaker, book: InviteBook, kind: str, dedupe_key: str
) -> OutgoingEmail:
    speaker = link.speaker
    join_url = link.join_url.strip() or seminar.meeting_url.strip()
    language = _language(seminar)
    with translation.override(language):
        calendar_body = book.invite(
            seminar=seminar,
            method="REQUEST",
            attendee_email=speaker.email,
            attendee_name=speaker.name,
            join_url=join_url or None,
            sequence=seminar.sequence,
        )
        rendered = _render(
            "speaker_invite",
            seminar=seminar,
            name=speaker.name,
            extra={
                "role": link.get_role_display(),
                "speaker_join_url": join_url,
                "passcode": seminar.meeting_passcode.strip(),
                "is_update": kind == Kind.SPEAKER_UPDATE,
            },
        )
    return email_queue(
        kind=kind,
        to_email=speaker.email,
        to_name=speaker.name,
        language=language,
        calendar_method="REQUEST",
        calendar_body=calendar_body,
        seminar=seminar,
        dedupe_key=dedupe_key,
        **rendered,
    )


def _announced(seminar: Seminar) -> bool:
    """Only a published seminar that has not ended has speakers to tell."""
    return seminar.is_published and not seminar.is_past


def _email_of(link: SeminarSpeaker) -> str:
    return link.speaker.email.strip()


def _invite_key(link: SeminarSpeaker) -> str:
    return f"speaker-invite:{link.seminar_id}:{link.speaker_id}:{link.pk}"


def _removed_speaker_ids(seminar: Seminar) -> set[int]:
    prefix = f"speaker-removed:{seminar.pk}:"
    keys = OutgoingEmail.objects.filter(
        seminar=seminar, kind=Kind.SPEAKER_CANCEL, dedupe_key__startswith=prefix
    ).values_list("dedupe_key", flat=True)
    return {int(key.removeprefix(prefix).split(":")[0]) for key in keys}


def _load_speakers(seminar: Seminar) -> list[SeminarSpeaker]:
    """The seminar's links with their speakers, in one query shared by every invite's text."""
    prefetch_related_objects(
        [seminar],
        "series",
        Prefetch(
            "speaker_links",
            queryset=SeminarSpeaker.objects.select_related("speaker").order_by("position", "pk"),
        ),
    )
    return list(seminar.speaker_links.all())


def _language(seminar: Seminar) -> str:
    # Speakers have no language of their own: write in the seminar's language.
    return seminar.language or settings.LANGUAGE_CODE


def _render(
    template: str, *, seminar: Seminar, name: str, extra: dict | None = None
) -> dict[str, str]:
    """Subject and bodies from ``templates/notifications/email/<template>.*``."""
    context = {
        "seminar": seminar,
        "name": name,
        "times": zoned_times(seminar.starts_at, seminar.ends_at, seminar.timezone),
        "clock_change_note": uk_clock_change_note(seminar.starts_at),
        "seminar_url": seminar.public_url,
        "contact_email": settings.ORGANISER_CONTACT_EMAIL,
    } | (extra or {})
    return render_email(template, context)
