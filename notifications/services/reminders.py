"""Reminders: a periodic scan writes each due reminder to the outbox exactly once.

Nothing is scheduled ahead (no Celery ETA/countdown: Redis redelivers long ones). Every
minute :func:`reminders_dispatch` computes each reminder's moment from the seminar's
*current* start, so a seminar that moves carries its pending reminders with it, and
writes one outbox row per (registration, offset, start) under a unique dedupe key, so
repeated or concurrent scans send each reminder once.

The start is part of the key: a seminar moved days later reminds its registrants again
before the new start. A reminder sent for a start less than half its offset from the new
one still reads right ("tomorrow", "in an hour"), and the change email told the new time,
so a small move sends no second one (:func:`_reminded_already`).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from notifications.mail import header_text
from notifications.models import OutgoingEmail
from notifications.services.links import registration_links
from notifications.services.outbox import (
    LeanRow,
    NotSent,
    RenderBatch,
    emails_write,
    lean_row,
)
from notifications.services.registrations import registration_invite
from notifications.services.rendering import (
    RECIPIENT_NAME_PLACEHOLDER,
    recipient_message,
    render_email,
    seminar_email_context,
)
from webinars.models import Registration, Seminar
from webinars.timezones import utc_iso

logger = logging.getLogger(__name__)

# The largest offset validate_reminder_offsets accepts (60 days): no seminar starting
# later than this can have a reminder due.
REMINDER_HORIZON = timedelta(days=60)
# A scan this close after a reminder's moment is on time: the subject names the offset
# ("starts in 1 hour"); a later one names the time actually left.
ON_TIME_TOLERANCE = timedelta(minutes=5)
MISSED_AFTER_START = "missed: the scan ran after the start"
MISSED_SUPERSEDED = "missed: superseded by the %s-minute reminder due in the same scan"


@dataclass
class ReminderScan:
    """Counts of one scan. Reminders already written by an earlier scan count nowhere."""

    queued: int = 0
    skipped_registered_late: int = 0
    missed: int = 0


def reminder_dedupe_key(*, registration_id: int, offset: int, starts_at: datetime) -> str:
    return f"reminder:{registration_id}:{offset}:{utc_iso(starts_at)}"


def _reminded_starts(
    seminars: dict[int, Seminar],
) -> dict[tuple[int, int], list[datetime]]:
    """For each (registration, offset), the starts its reminders were written for.

    Keys written before the start was part of them (``reminder:<id>:<offset>``) stand for
    the start the reminder was due before: its moment plus the offset.
    """
    starts: dict[tuple[int, int], list[datetime]] = {}
    # By the row's own seminar (an indexed column), not through its registration: no join
    # for the planner to get wrong on a large outbox.
    rows = OutgoingEmail.objects.filter(
        kind=OutgoingEmail.Kind.REMINDER,
        seminar_id__in=list(seminars),
        dedupe_key__startswith="reminder:",
    ).values_list("dedupe_key", "created_at")
    for key, created_at in rows:
        try:
            _, registration_id, offset, *start = key.split(":", 3)
            if start:
                reminded = datetime.fromisoformat(start[0])  # "Z" is read as UTC (Python 3.11+)
            else:
                reminded = created_at + timedelta(minutes=int(offset))
            registration_id, offset = int(registration_id), int(offset)
        except ValueError:
            # Not a key this module writes (edited by hand): it holds back no reminder,
            # and must not stop the scan for every other seminar.
            logger.warning("Ignoring the malformed reminder key %r.", key)
            continue
        starts.setdefault((registration_id, offset), []).append(reminded)
    return starts


def _reminded_already(starts: list[datetime], *, offset: int, starts_at: datetime) -> bool:
    """A reminder was written for this start, or for one close enough that it still
    reads right: less than half the offset away."""
    window = timedelta(minutes=offset) / 2
    return any(abs(starts_at - reminded) < window for reminded in starts)


def reminders_dispatch(*, now: datetime | None = None) -> ReminderScan:
    """Write the outbox rows of every reminder that has come due, once each.

    For each confirmed registration of a published seminar and each of the seminar's
    offsets whose moment (start - offset) has passed:

    - the place was taken after the moment → skipped, no row (someone registering
      3 hours before gets the 1-hour reminder only);
    - the seminar has started → a ``cancelled`` row recording the miss, so it is
      never sent later;
    - several offsets due at once (the scan ran late) → only the one nearest the start
      is sent, the others are recorded as missed: nobody wants two reminders at once;
    - otherwise → a queued reminder, delivered after commit in ``deliver_email_batch``
      tasks.

    Queries do not grow with the number of registrations (a handful per scan, plus
    one INSERT per ``WRITE_BATCH_SIZE`` rows), and each seminar's invite is built once
    per language, not once per person (:class:`~notifications.invites.InviteBook`).
    Losing an insert race to a concurrent scan is harmless: the unique dedupe key keeps
    one row.
    """
    now = now or timezone.now()
    scan = ReminderScan()
    seminars = _seminars_with_due_reminders(now)
    if not seminars:
        return scan
    places = (
        Registration.objects.filter(
            seminar__in=list(seminars), status=Registration.Status.CONFIRMED
        )
        .order_by("pk")
        # What deciding and a lean row need, as plain values: the worker reads the rest
        # when it renders, and 100,000 model instances would cost more than deciding.
        .values_list(*_Place._fields[:-1])
    )
    reminded = _reminded_starts(seminars)
    rows: list[LeanRow] = []
    for values in places.iterator(chunk_size=10_000):
        registration = _Place(*values, seminar=seminars[values[1]])
        seminar = registration.seminar
        place_taken_at = registration.promoted_at or registration.created_at
        due: list[int] = []
        for offset in sorted(set(seminar.reminder_offsets), reverse=True):
            moment = seminar.starts_at - timedelta(minutes=offset)
            if moment > now:
                continue
            if _reminded_already(
                reminded.get((registration.pk, offset), []),
                offset=offset,
                starts_at=seminar.starts_at,
            ):
                continue
            if place_taken_at > moment:
                scan.skipped_registered_late += 1
                continue
            due.append(offset)
        if not due:
            continue
        if seminar.starts_at <= now:
            rows.extend(_missed_row(registration, offset, MISSED_AFTER_START) for offset in due)
            continue
        *superseded, nearest = due
        rows.extend(
            _missed_row(registration, offset, MISSED_SUPERSEDED % nearest) for offset in superseded
        )
        rows.append(_reminder_row(registration=registration, offset=nearest))
    for row in emails_write(rows):
        if row.status == OutgoingEmail.Status.QUEUED:
            scan.queued += 1
        else:
            scan.missed += 1
    return scan


def _seminars_with_due_reminders(now: datetime) -> dict[int, Seminar]:
    """Published seminars not yet over whose earliest reminder moment has passed."""
    candidates = (
        Seminar.objects.filter(
            status=Seminar.Status.PUBLISHED,
            ends_at__gt=now,
            starts_at__lte=now + REMINDER_HORIZON,
        )
        # The series holds the default offsets. Deciding needs no speakers: the worker
        # loads them (for the invite) when it renders.
        .select_related("series")
    )
    due = {}
    for seminar in candidates:
        offsets = seminar.reminder_offsets
        if offsets and seminar.starts_at - timedelta(minutes=max(offsets)) <= now:
            due[seminar.pk] = seminar
    return due


class _Place(NamedTuple):
    """A confirmed registration as the scan reads it (``values_list``), with its seminar."""

    pk: int
    seminar_id: int
    email: str
    name: str
    language: str
    created_at: datetime
    promoted_at: datetime | None
    seminar: Seminar


def _missed_row(registration: Registration | _Place, offset: int, reason: str) -> LeanRow:
    """A row that is never sent: it records the miss and holds the dedupe key."""
    seminar = registration.seminar
    row = _reminder_row(registration=registration, offset=offset)
    row.status = OutgoingEmail.Status.CANCELLED
    row.last_error = reason
    row.rendered = True
    row.subject = header_text(gettext("Reminder: %(title)s") % {"title": seminar.title})[:300]
    return row


def _reminder_row(*, registration: Registration | _Place, offset: int) -> LeanRow:
    """The lean reminder: :func:`reminder_render` writes it when it is sent."""
    seminar = registration.seminar
    return lean_row(
        kind=OutgoingEmail.Kind.REMINDER,
        to_email=registration.email,
        to_name=registration.name,
        language=registration.language,
        registration_id=registration.pk,
        seminar_id=seminar.pk,
        snapshot={"offset": offset},
        calendar_sequence=seminar.sequence,
        dedupe_key=reminder_dedupe_key(
            registration_id=registration.pk, offset=offset, starts_at=seminar.starts_at
        ),
    )


def reminder_render(email: OutgoingEmail, batch: RenderBatch) -> dict[str, object]:
    """The reminder as it is sent: join and manage links, a current invite, and how far
    off the start is now ("in 1 hour" when on time, else the time actually left)."""
    registration = email.registration
    seminar = email.seminar
    if registration is None or not registration.is_confirmed:
        raise NotSent("not sent: the place was cancelled before the reminder went out")
    if seminar is None or not seminar.is_published:
        raise NotSent("not sent: the seminar is no longer published")
    now = timezone.now()
    if seminar.starts_at <= now:
        raise NotSent(MISSED_AFTER_START)
    offset = int(email.snapshot["offset"])
    moment = seminar.starts_at - timedelta(minutes=offset)
    if now - moment <= ON_TIME_TOLERANCE:
        minutes_left = offset
    else:
        minutes_left = max(int((seminar.starts_at - now).total_seconds() // 60), 1)
    manage_url, join_url = registration_links()
    # The confirmation's invite: METHOD:REQUEST at the seminar's current SEQUENCE.
    calendar_method, calendar_body = registration_invite(
        registration=registration,
        kind=OutgoingEmail.Kind.REGISTRATION_CONFIRMED,
        join_url=join_url,
        book=batch.book,
    )
    # Everyone in the batch reading the same language in the same zone reads the same
    # reminder but for their name: rendered once per group, the name put in per person.
    group = ("reminder", seminar.pk, email.language, registration.time_zone, minutes_left)
    shared = batch.once(
        group,
        lambda: render_email(
            "reminder",
            seminar_email_context(
                seminar=seminar,
                own_zone=registration.time_zone,
                name=RECIPIENT_NAME_PLACEHOLDER,
                starts_in=starts_in_text(minutes_left),
                manage_url=manage_url,
                join_url=join_url,
                join_opens_minutes=settings.JOIN_OPENS_MINUTES_BEFORE,
                has_invite=bool(calendar_body),
            ),
        ),
    )
    return {
        **recipient_message(shared, name=registration.name),
        "calendar_method": calendar_method,
        "calendar_body": calendar_body,
        "calendar_sequence": seminar.sequence,
    }


def starts_in_text(minutes: int) -> str:
    """ "in 1 day", "in 3 hours", "in 90 minutes": how far off the start is, in words."""
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("in %(count)d day", "in %(count)d days", days) % {"count": days}
    if minutes % 60 == 0 or minutes > 3 * 60:
        hours = minutes // 60
        return ngettext("in %(count)d hour", "in %(count)d hours", hours) % {"count": hours}
    return ngettext("in %(count)d minute", "in %(count)d minutes", minutes) % {"count": minutes}


def reminders_dispatch_summary(scan: ReminderScan) -> str:
    return gettext(
        "Queued %(queued)d reminders (%(late)d skipped: registered after the moment; "
        "%(missed)d missed)"
    ) % {"queued": scan.queued, "late": scan.skipped_registered_late, "missed": scan.missed}
