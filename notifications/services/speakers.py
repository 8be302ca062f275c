"""Speakers' own calendar invites: sent when they join a published seminar, updated, withdrawn.

A speaker's invite carries their speaker join link (``SeminarSpeaker.join_url``, else
the seminar's meeting URL), never a registrant's. The seminar services
(:mod:`webinars.services.speakers`) decide who is told and raise the calendar
SEQUENCE first where a client needs it; the functions here read what the outbox
already holds and write the emails at the seminar's current SEQUENCE, in the
caller's transaction. Each row has a dedupe key, so running a notice twice sends
nothing new:

- ``speaker-invite:<seminar>:<speaker>:<link>``: one invite per speaker link, so a
  speaker removed and added again (a new link row) is invited again;
- ``speaker-update:<seminar>:<speaker>:<link>:<sequence>``: one per raised SEQUENCE;
- ``speaker-removed:<seminar>:<speaker>:<sequence>``: likewise;
- ``speaker-reminder:<seminar>:<speaker>:<start>``: the reminder the day before, once per
  start (a seminar moved to another time reminds again); none for a speaker invited
  within that day.

Each speaker reads their emails in their own language (``Speaker.email_language``), with
the times in their zone too when it is known.

Emails to the seminar's whole audience (changed, cancelled) live in
:mod:`notifications.services.seminar_changes` and
:mod:`notifications.services.cancellations`.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Prefetch, Q, prefetch_related_objects
from django.utils import timezone, translation

from notifications.invites import InviteBook
from notifications.models import OutgoingEmail
from notifications.services.outbox import email_queue
from notifications.services.rendering import render_email, seminar_email_context
from webinars.models import Seminar, SeminarSpeaker, Speaker
from webinars.timezones import japan_zone_name, moment_line, uk_zone_name, utc_iso

Kind = OutgoingEmail.Kind
# Rows that never reached the speaker: withdrawing them leaves nothing to take back.
_NOT_DELIVERED = (OutgoingEmail.Status.CANCELLED, OutgoingEmail.Status.FAILED)


def speaker_links_uninvited(
    *, seminar: Seminar, links: Iterable[SeminarSpeaker] | None = None
) -> list[SeminarSpeaker]:
    """The ``links`` (all the seminar's when None) whose speaker has an email and no invite yet.

    Reads the seminar's links with their speakers once (shared by every invite's text)
    and the invites already written, whatever the number of speakers.
    """
    loaded = _load_speakers(seminar)
    candidates = [link for link in (loaded if links is None else links) if _email_of(link)]
    written = set(
        OutgoingEmail.objects.filter(
            dedupe_key__in=[_invite_key(link) for link in candidates]
        ).values_list("dedupe_key", flat=True)
    )
    return [link for link in candidates if _invite_key(link) not in written]


def speaker_ids_cancelled(*, seminar: Seminar) -> set[int]:
    """Speakers of ``seminar`` who were sent a CANCEL when taken off it."""
    prefix = f"speaker-removed:{seminar.pk}:"
    keys = OutgoingEmail.objects.filter(
        seminar=seminar, kind=Kind.SPEAKER_CANCEL, dedupe_key__startswith=prefix
    ).values_list("dedupe_key", flat=True)
    return {int(key.removeprefix(prefix).split(":")[0]) for key in keys}


def speaker_invited(*, link: SeminarSpeaker) -> bool:
    """Whether an invite for this speaker link is in the outbox (whatever became of it)."""
    return OutgoingEmail.objects.filter(dedupe_key=_invite_key(link)).exists()


def speaker_invites_queue(*, seminar: Seminar, links: list[SeminarSpeaker]) -> list[OutgoingEmail]:
    """Invite the speakers of ``links`` (see :func:`speaker_links_uninvited`), one calendar book."""
    _load_speakers(seminar)
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


def speaker_update_queue(*, link: SeminarSpeaker) -> OutgoingEmail:
    """Send an invited speaker their new join link: REQUEST at the seminar's (raised) SEQUENCE."""
    seminar = link.seminar
    _load_speakers(seminar)
    return _invite_email(
        seminar=seminar,
        link=link,
        book=InviteBook(),
        kind=Kind.SPEAKER_UPDATE,
        dedupe_key=(f"speaker-update:{seminar.pk}:{link.speaker_id}:{link.pk}:{seminar.sequence}"),
    )


def speaker_invites_withdraw(*, seminar: Seminar, speaker: Speaker) -> bool:
    """Withdraw a removed speaker's emails still queued; True when one had reached them.

    True means their calendar holds the seminar, so they are owed a CANCEL
    (:func:`speaker_removed_queue`); False means they never heard of it.
    """
    theirs = OutgoingEmail.objects.filter(seminar=seminar).filter(
        Q(
            kind=Kind.SPEAKER_INVITE,
            dedupe_key__startswith=f"speaker-invite:{seminar.pk}:{speaker.pk}:",
        )
        | Q(
            kind=Kind.SPEAKER_UPDATE,
            dedupe_key__startswith=f"speaker-update:{seminar.pk}:{speaker.pk}:",
        )
        # The "seminar changed" email to a speaker (notifications.services.seminar_changes)
        # also carries an invite: a queued one must not go out, a sent one needs the CANCEL.
        | Q(
            kind=Kind.SPEAKER_UPDATE,
            dedupe_key__startswith=f"seminar-changed:{seminar.pk}:",
            dedupe_key__endswith=f":speaker:{speaker.pk}",
        )
    )
    theirs.filter(status=OutgoingEmail.Status.QUEUED).update(
        status=OutgoingEmail.Status.CANCELLED, last_error="the speaker was removed"
    )
    return theirs.exclude(status__in=_NOT_DELIVERED).exists()


def speaker_removed_queue(*, seminar: Seminar, speaker: Speaker) -> OutgoingEmail:
    """Take a removed speaker's invite back: a polite email and a ``METHOD:CANCEL``.

    The CANCEL goes at the seminar's SEQUENCE, which the caller has raised (clients
    ignore a CANCEL whose SEQUENCE did not grow).
    """
    _load_speakers(seminar)
    language = speaker.email_language
    with translation.override(language):
        calendar_body = InviteBook().invite(
            seminar=seminar,
            method="CANCEL",
            attendee_email=speaker.email,
            attendee_name=speaker.name,
            sequence=seminar.sequence,
        )
        rendered = _render(
            "speaker_removed", seminar=seminar, name=_name(speaker), own_zone=speaker.time_zone
        )
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


def _invite_email(
    *, seminar: Seminar, link: SeminarSpeaker, book: InviteBook, kind: str, dedupe_key: str
) -> OutgoingEmail:
    speaker = link.speaker
    join_url = _join_url(link)
    language = speaker.email_language
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
            name=_name(speaker),
            own_zone=speaker.time_zone,
            extra={
                **_speaker_context(link, join_url),
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


def _email_of(link: SeminarSpeaker) -> str:
    return link.speaker.email.strip()


def _invite_key(link: SeminarSpeaker) -> str:
    return f"speaker-invite:{link.seminar_id}:{link.speaker_id}:{link.pk}"


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


def _join_url(link: SeminarSpeaker) -> str:
    return link.join_url.strip() or link.seminar.meeting_url.strip()


def _name(speaker: Speaker) -> str:
    """The name to address the speaker by: in Japanese, the Japanese one when given."""
    if translation.get_language() == "ja" and speaker.name_ja.strip():
        return speaker.name_ja.strip()
    return speaker.name


def _speaker_context(link: SeminarSpeaker, join_url: str) -> dict[str, object]:
    seminar, speaker = link.seminar, link.speaker
    rehearsal = ""
    if seminar.rehearsal_starts_at is not None:
        rehearsal = moment_line(
            seminar.rehearsal_starts_at,
            [speaker.time_zone, seminar.timezone, uk_zone_name(), japan_zone_name()],
        )
    return {
        "role": link.get_role_display(),
        "speaker_join_url": join_url,
        "passcode": seminar.meeting_passcode.strip(),
        "rehearsal": rehearsal,
    }


def _render(
    template: str,
    *,
    seminar: Seminar,
    name: str,
    own_zone: str = "",
    extra: dict | None = None,
) -> dict[str, str]:
    """Subject and bodies from ``templates/notifications/email/<template>.*``, with the
    times in the speaker's zone too (``own_zone``)."""
    context = seminar_email_context(seminar=seminar, name=name, own_zone=own_zone, **(extra or {}))
    return render_email(template, context)


# --- The speakers' reminder, the day before ------------------------------------------

SPEAKER_REMINDER_BEFORE = timedelta(days=1)


def speaker_reminder_key(*, link: SeminarSpeaker) -> str:
    """One reminder per speaker per start: a seminar moved to another time reminds again,
    with the new time."""
    return f"speaker-reminder:{link.seminar_id}:{link.speaker_id}:{utc_iso(link.seminar.starts_at)}"


def speaker_reminders_dispatch(*, now: datetime | None = None) -> int:
    """Write the speakers' reminders that have come due: published seminars starting
    within a day, each speaker with an email once (per start). Each in the speaker's
    language, with the times in their zone, their own join link and the rehearsal.
    Returns how many were written; safe to run twice or at once (dedupe keys)."""
    now = now or timezone.now()
    seminars = list(
        Seminar.objects.filter(
            status=Seminar.Status.PUBLISHED,
            starts_at__gt=now,
            starts_at__lte=now + SPEAKER_REMINDER_BEFORE,
        ).prefetch_related(
            "series",
            Prefetch(
                "speaker_links",
                queryset=SeminarSpeaker.objects.select_related("speaker").order_by(
                    "position", "pk"
                ),
            ),
        )
    )
    # The prefetch sets each link's seminar to the instance above: no query per link.
    links = [
        link for seminar in seminars for link in seminar.speaker_links.all() if _email_of(link)
    ]
    written = set(
        OutgoingEmail.objects.filter(
            dedupe_key__in=[speaker_reminder_key(link=link) for link in links]
        ).values_list("dedupe_key", flat=True)
    )
    # A speaker invited (or sent a new link) within the day has everything already: a
    # reminder on top would be a second email about the same thing.
    just_invited = set(
        OutgoingEmail.objects.filter(
            kind__in=[Kind.SPEAKER_INVITE, Kind.SPEAKER_UPDATE],
            seminar__in=seminars,
            created_at__gte=now - SPEAKER_REMINDER_BEFORE,
        ).values_list("seminar_id", "to_email")
    )
    count = 0
    for link in links:
        key = speaker_reminder_key(link=link)
        if key in written or (link.seminar_id, _email_of(link)) in just_invited:
            continue
        with transaction.atomic():
            _reminder_email(link=link, dedupe_key=key)
        count += 1
    return count


def _reminder_email(*, link: SeminarSpeaker, dedupe_key: str) -> OutgoingEmail:
    seminar, speaker = link.seminar, link.speaker
    join_url = _join_url(link)
    language = speaker.email_language
    with translation.override(language):
        rendered = _render(
            "speaker_reminder",
            seminar=seminar,
            name=_name(speaker),
            own_zone=speaker.time_zone,
            extra=_speaker_context(link, join_url),
        )
    return email_queue(
        kind=Kind.SPEAKER_REMINDER,
        to_email=speaker.email,
        to_name=speaker.name,
        language=language,
        seminar=seminar,
        dedupe_key=dedupe_key,
        **rendered,
    )
