"""'Seminar changed' emails, coalesced: one email per person however many edits were made.

:func:`webinars.services.seminar_update` calls :func:`seminar_change_record` in its own
transaction whenever a published seminar's time or delivery changes. That opens (or
extends) the seminar's pending :class:`~notifications.models.SeminarChangeNotice`,
which keeps the seminar as attendees last heard of it. Nothing is sent then: an
organiser fixing a time usually saves several times in a row. Every minute beat runs
:func:`seminar_change_notices_send`, which compares each due notice's ``before`` with
the seminar as it is *then* and writes one email per confirmed registrant and speaker,
with an updated invite (same UID, the current SEQUENCE). An edit that was undone sends
nothing; cosmetic edits never open a notice at all.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext

from notifications.invites import InviteBook
from notifications.models import OutgoingEmail, SeminarChangeNotice
from notifications.services.links import registration_links
from notifications.services.outbox import (
    LeanRow,
    NotSent,
    RenderBatch,
    email_queue,
    emails_write,
    lean_row,
)
from notifications.services.registrations import TELLING_KINDS
from notifications.services.rendering import (
    RECIPIENT_NAME_PLACEHOLDER,
    recipient_message,
    render_email,
    seminar_email_context,
    zoned_times,
)
from webinars.locks import lock_timeout_set
from webinars.models import Registration, Seminar, SeminarSpeaker
from webinars.timezones import (
    time_format,
    uk_zone_name,
    zoned_span,
)

logger = logging.getLogger(__name__)

# The fields whose change attendees are told about (webinars.services.CALENDAR_FIELDS).
TIME_FIELDS = Seminar.TIME_FIELDS
DELIVERY_FIELDS = Seminar.DELIVERY_FIELDS
CALENDAR_FIELDS = TIME_FIELDS + DELIVERY_FIELDS
_DATETIME_FIELDS = ("starts_at", "ends_at")

NOT_SENT_CANCELLED = "not sent: the seminar was cancelled"
NOT_SENT_NO_CHANGE = "not sent: no net change"
NOT_SENT_OVER = "not sent: the seminar is over"


# --- Recording edits ---------------------------------------------------------


def seminar_change_record(*, seminar: Seminar, before: dict[str, Any]) -> SeminarChangeNotice:
    """Open (or extend) the seminar's pending change notice. Called by seminar_update.

    Call inside the edit's transaction with the seminar row locked and saved. A pending
    notice keeps its original ``before`` (what attendees last heard); each edit pushes
    its ``due_at`` to ``DELAY`` from now, but never past ``MAX_DELAY`` after the first
    edit, so a long editing session still tells people in time.
    """
    now = timezone.now()
    delay = timedelta(seconds=settings.SEMINAR_CHANGE_NOTICE_DELAY_SECONDS)
    max_delay = timedelta(seconds=settings.SEMINAR_CHANGE_NOTICE_MAX_DELAY_SECONDS)
    # Any time field, not only the start: a queued reminder prints the end and the
    # seminar's zone too, and the scan rewrites it within a minute if it is still due.
    if any(before.get(name) != getattr(seminar, name) for name in TIME_FIELDS):
        _withdraw_queued_reminders(seminar)
    pending = (
        SeminarChangeNotice.objects.select_for_update()
        .filter(seminar=seminar, sent_at__isnull=True)
        .first()
    )
    if pending is None:
        return SeminarChangeNotice.objects.create(
            seminar=seminar,
            before=serialise_before(before),
            first_change_at=now,
            last_change_at=now,
            due_at=now + delay,
        )
    pending.last_change_at = now
    pending.due_at = min(now + delay, pending.first_change_at + max_delay)
    pending.save(update_fields=["last_change_at", "due_at"])
    return pending


def _withdraw_queued_reminders(seminar: Seminar) -> int:
    """Delete the seminar's reminders that were rendered but not yet sent.

    They show the old time. Deleting (rather than cancelling) frees their dedupe keys,
    so the next reminder scan writes each one again for the seminar's new moment: a
    seminar that moves carries its pending reminders with it. Rows being sent, sent, or
    recorded as missed are history and stay as they are.
    """
    withdrawn, _by_model = OutgoingEmail.objects.filter(
        seminar=seminar, kind=OutgoingEmail.Kind.REMINDER, status=OutgoingEmail.Status.QUEUED
    ).delete()
    return withdrawn


def serialise_before(before: dict[str, Any]) -> dict[str, Any]:
    """``before`` as JSON: aware datetimes as full ISO strings (microseconds kept).

    Not DjangoJSONEncoder: it cuts microseconds, which would make an untouched time
    look changed when compared later.
    """
    return {name: _stored(value) for name, value in before.items()}


def _stored(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


# --- What changed -------------------------------------------------------------


@dataclass(frozen=True)
class SeminarChange:
    """The net difference between a notice's ``before`` and the seminar now."""

    before: dict[str, Any]
    changed: frozenset[str] = field(default_factory=frozenset)

    @property
    def time_changed(self) -> bool:
        return bool(self.changed & set(TIME_FIELDS))

    @property
    def start_changed(self) -> bool:
        return "starts_at" in self.changed

    def was(self, name: str) -> Any:
        return self.before[name]


def seminar_change_compare(*, seminar: Seminar, before: dict[str, Any]) -> SeminarChange:
    """Which calendar fields differ between the stored ``before`` and ``seminar`` now."""
    values = {}
    for name in CALENDAR_FIELDS:
        value = before.get(name, getattr(seminar, name))
        if name in _DATETIME_FIELDS and isinstance(value, str):
            value = datetime.fromisoformat(value)
        values[name] = value
    changed = frozenset(name for name in CALENDAR_FIELDS if values[name] != getattr(seminar, name))
    return SeminarChange(before=values, changed=changed)


# --- Sending ------------------------------------------------------------------


@dataclass
class ChangeNoticeRun:
    """Counts of one pass over the due notices."""

    sent: int = 0
    not_sent: int = 0
    emails: int = 0
    errors: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.not_sent


def seminar_change_notices_send(*, now: datetime | None = None) -> int:
    """Send every change notice whose window has closed; return how many were handled."""
    return seminar_change_notices_run(now=now).handled


def seminar_change_notices_run(*, now: datetime | None = None) -> ChangeNoticeRun:
    """Handle each due notice in its own transaction, with the notice row locked.

    A notice locked by a concurrent pass (or by an edit extending it) is skipped, and a
    handled one gets ``sent_at``, so overlapping or repeated passes send it once; the
    outbox dedupe keys make even a re-run after a crash harmless.
    """
    now = now or timezone.now()
    run = ChangeNoticeRun()
    due = list(
        SeminarChangeNotice.objects.filter(sent_at__isnull=True, due_at__lte=now)
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)
    )
    for notice_id in due:
        try:
            with transaction.atomic():
                # Any wait here (an outbox key a concurrent pass is inserting) is bounded.
                lock_timeout_set(settings.LOCK_TIMEOUT)
                notice = (
                    SeminarChangeNotice.objects.select_for_update(skip_locked=True)
                    .filter(pk=notice_id, sent_at__isnull=True, due_at__lte=now)
                    .first()
                )
                if notice is None:
                    continue
                emails = _notice_handle(notice=notice, now=now)
        except Exception:
            # One broken notice must not hold back every other seminar's: it stays
            # pending (and logged) for the next pass while the others go out.
            logger.exception("Seminar change notice %s could not be sent.", notice_id)
            run.errors += 1
            continue
        if emails is None:
            run.not_sent += 1
        else:
            run.sent += 1
            run.emails += emails
    return run


def seminar_change_notices_summary(run: ChangeNoticeRun) -> str:
    return gettext(
        "Handled %(handled)d seminar change notices (%(sent)d sent as %(emails)d emails, "
        "%(not_sent)d not sent)"
    ) % {
        "handled": run.handled,
        "sent": run.sent,
        "emails": run.emails,
        "not_sent": run.not_sent,
    } + (
        gettext("; %(errors)d failed and stay pending (see the log)") % {"errors": run.errors}
        if run.errors
        else ""
    )


def _notice_handle(*, notice: SeminarChangeNotice, now: datetime) -> int | None:
    """Decide, fan out, and close one locked notice; the number of emails, or None."""
    seminar = (
        Seminar.objects.select_related("series")
        .prefetch_related(
            Prefetch(
                "speaker_links",
                queryset=SeminarSpeaker.objects.select_related("speaker").order_by(
                    "position", "pk"
                ),
            )
        )
        .get(pk=notice.seminar_id)
    )
    change = seminar_change_compare(seminar=seminar, before=notice.before)
    sent_to: int | None = None
    if not seminar.is_published:
        # The cancellation email has told everyone already.
        outcome = NOT_SENT_CANCELLED
    elif not change.changed:
        outcome = NOT_SENT_NO_CHANGE
    elif seminar.ends_at <= now:
        outcome = NOT_SENT_OVER
    else:
        sent_to = len(seminar_changed_emails_queue(seminar=seminar, change=change))
        # Not translated: the outcome is a record for organisers, like the outbox's errors.
        outcome = f"sent to {sent_to} {'person' if sent_to == 1 else 'people'}"
    notice.sent_at = now
    notice.outcome = outcome
    notice.save(update_fields=["sent_at", "outcome"])
    logger.info("Seminar change notice %s for seminar %s: %s", notice.pk, seminar.pk, outcome)
    return sent_to


def seminar_changed_emails_queue(
    *, seminar: Seminar, change: SeminarChange
) -> list[LeanRow | OutgoingEmail]:
    """One email per confirmed registrant and per speaker with an email, with a new invite.

    Pass the seminar with ``series`` and ``speaker_links__speaker`` loaded. Registrants'
    emails are lean rows written in bulk (the worker renders each as it sends it), so the
    notice's lock is held for a few INSERTs, not for 100,000 renderings; reads do not
    grow with the audience. Waitlisted people have no calendar entry and no place to
    join, so a change is not theirs to hear about until they are promoted (with a fresh
    email). Nor is it news to whoever was sent the seminar as it is now: their
    confirmation (or promotion, or new links) carries the current sequence, or has not
    been rendered yet and will show the seminar as it is when it is (the registration
    made between an edit and its notice).
    """
    told_now = OutgoingEmail.objects.filter(
        registration=OuterRef("pk"), kind__in=TELLING_KINDS
    ).filter(
        Q(rendered=False, status__in=[OutgoingEmail.Status.QUEUED, OutgoingEmail.Status.SENDING])
        | Q(calendar_sequence__gte=seminar.sequence)
    )
    places = (
        Registration.objects.confirmed()
        .filter(seminar=seminar)
        .exclude(Exists(told_now))
        .order_by("created_at", "pk")
        .values_list("pk", "email", "name", "language")
    )
    snapshot = {"before": serialise_before(change.before)}
    rows = [
        lean_row(
            kind=OutgoingEmail.Kind.SEMINAR_CHANGED,
            to_email=email,
            to_name=name,
            language=language,
            registration_id=registration_id,
            seminar_id=seminar.pk,
            snapshot=snapshot,
            calendar_sequence=seminar.sequence,
            dedupe_key=changed_dedupe_key(seminar=seminar, registration_id=registration_id),
        )
        for registration_id, email, name, language in places.iterator(chunk_size=10_000)
    ]
    emails: list[LeanRow | OutgoingEmail] = list(emails_write(rows))
    book = InviteBook()
    # A speaker appears once per seminar (a unique constraint), so one email each.
    emails.extend(
        _speaker_email(seminar=seminar, link=link, change=change, book=book)
        for link in seminar.speaker_links.all()
        if link.speaker.email.strip()
    )
    return emails


def changed_dedupe_key(*, seminar: Seminar, registration_id: int) -> str:
    return f"seminar-changed:{seminar.pk}:{seminar.sequence}:registration:{registration_id}"


def seminar_changed_render(email: OutgoingEmail, batch: RenderBatch) -> dict[str, object]:
    """A registrant's "seminar changed" email as it is sent: the snapshot's ``before``
    against the seminar now, with an invite at the current sequence. Raises
    :class:`NotSent` when the place was cancelled, the seminar cancelled, or the change
    undone since the notice."""
    registration, seminar = email.registration, email.seminar
    if registration is None or not registration.is_confirmed:
        raise NotSent("not sent: the place was cancelled before the email went out")
    if seminar is None or not seminar.is_published:
        raise NotSent(NOT_SENT_CANCELLED)
    change = seminar_change_compare(seminar=seminar, before=email.snapshot["before"])
    if not change.changed:
        raise NotSent(NOT_SENT_NO_CHANGE)
    manage_url, join_url = registration_links()
    calendar_body = batch.book.invite(
        seminar=seminar,
        method="REQUEST",
        attendee_email=registration.email,
        attendee_name=registration.name,
        join_url=join_url,
    )
    # Rendered once per (change, language, zone) in the batch, the name put in per person.
    group = (
        "seminar-changed",
        seminar.pk,
        seminar.sequence,
        repr(sorted(email.snapshot["before"].items())),
        email.language,
        registration.time_zone,
    )
    shared = batch.once(
        group,
        lambda: _render(
            "seminar_changed",
            seminar=seminar,
            change=change,
            name=RECIPIENT_NAME_PLACEHOLDER,
            own_zone=registration.time_zone,
            extra={
                "join_url": join_url,
                "manage_url": manage_url,
                "join_opens_minutes": settings.JOIN_OPENS_MINUTES_BEFORE,
            },
        ),
    )
    return {
        **recipient_message(shared, name=registration.name),
        "calendar_method": "REQUEST",
        "calendar_body": calendar_body,
        "calendar_sequence": seminar.sequence,
    }


def _speaker_email(
    *, seminar: Seminar, link: SeminarSpeaker, change: SeminarChange, book: InviteBook
) -> OutgoingEmail:
    speaker = link.speaker
    # Speakers have no language of their own: write in the seminar's language.
    language = seminar.language or settings.LANGUAGE_CODE
    join_url = link.join_url.strip() or seminar.meeting_url.strip()
    with translation.override(language):
        calendar_body = book.invite(
            seminar=seminar,
            method="REQUEST",
            attendee_email=speaker.email,
            attendee_name=speaker.name,
            join_url=join_url or None,
        )
        rendered = _render(
            "speaker_seminar_changed",
            seminar=seminar,
            change=change,
            name=speaker.name,
            own_zone="",
            extra={"speaker_join_url": join_url, "passcode": seminar.meeting_passcode},
        )
    return email_queue(
        kind=OutgoingEmail.Kind.SPEAKER_UPDATE,
        to_email=speaker.email,
        to_name=speaker.name,
        language=language,
        calendar_method="REQUEST",
        calendar_body=calendar_body,
        seminar=seminar,
        dedupe_key=f"seminar-changed:{seminar.pk}:{seminar.sequence}:speaker:{speaker.pk}",
        **rendered,
    )


# --- Rendering ----------------------------------------------------------------


@dataclass(frozen=True)
class WasNow:
    """One changed setting as the reader sees it: its old and its new value."""

    label: str
    was: str
    now: str


def _render(
    template: str,
    *,
    seminar: Seminar,
    change: SeminarChange,
    name: str,
    own_zone: str,
    extra: dict,
) -> dict[str, str]:
    """Subject and bodies from ``templates/notifications/email/<template>.*``.

    Call inside ``translation.override`` of the reader's language.
    """
    was_starts, was_ends = change.was("starts_at"), change.was("ends_at")
    context = seminar_email_context(
        seminar=seminar,
        own_zone=own_zone,
        name=name,
        time_changed=change.time_changed,
        was_times=zoned_times(was_starts, was_ends, change.was("timezone"), own_zone=own_zone),
        start_was=_start_text(was_starts, change.was("timezone"), other=seminar.starts_at),
        start_now=_start_text(seminar.starts_at, seminar.timezone, other=was_starts),
        new_uk_start=_start_text(seminar.starts_at, uk_zone_name(), other=None),
        start_changed=change.start_changed,
        delivery_changes=_delivery_changes(seminar=seminar, change=change),
        meeting_url_changed="meeting_url" in change.changed,
        passcode_changed="meeting_passcode" in change.changed,
        **extra,
    )
    return render_email(template, context)


def _start_text(starts_at: datetime, zone: str, *, other: datetime | None) -> str:
    """ "11:00 BST", with the short date in front when the day differs from ``other``'s."""
    span = zoned_span(starts_at, starts_at, zone)
    time = f"{dateformat.format(span.starts, time_format())} {span.abbreviation}"
    if other is not None and other.astimezone(span.starts.tzinfo).date() == span.starts.date():
        return time
    return gettext("%(date)s, %(time)s") % {"date": span.short_date_text, "time": time}


def _delivery_changes(*, seminar: Seminar, change: SeminarChange) -> list[WasNow]:
    """Platform and venue, was and now; the meeting link and passcode are told apart."""
    rows = []
    if "platform" in change.changed:
        labels = dict(Seminar.Platform.choices)
        rows.append(
            WasNow(
                label=gettext("Platform"),
                was=str(labels.get(change.was("platform"), change.was("platform"))),
                now=str(labels.get(seminar.platform, seminar.platform)),
            )
        )
    if "venue" in change.changed:
        online_only = gettext("none (online only)")
        rows.append(
            WasNow(
                label=gettext("Venue"),
                was=(change.was("venue") or "").strip() or online_only,
                now=seminar.venue.strip() or online_only,
            )
        )
    return rows
