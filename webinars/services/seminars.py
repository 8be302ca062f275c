"""Write operations on the catalogue. Views and the admin call these, never ``save()`` alone."""

import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import OperationalError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from notifications import services as notices
from webinars.cache import catalogue_changed
from webinars.content_languages import CONTENT_LANGUAGES, language_columns, with_language_columns
from webinars.errors import SeminarAlreadyCancelled, SeminarBusy, SeminarNotPublishable
from webinars.locks import is_lock_timeout, lock_timeout_set
from webinars.models import AudienceQuota, RegistrationQuestion, Seminar, SeminarSpeaker
from webinars.services.recordings import recordings_search_reindex

# Changes to these fields must reach attendees' calendars.
CALENDAR_FIELDS = frozenset(Seminar.TIME_FIELDS + Seminar.DELIVERY_FIELDS)
# Only the publish and cancel services move a seminar through its life; an update that
# set these would skip their rules (and the calendar sequence).
LIFECYCLE_FIELDS = frozenset(
    {"status", "sequence", "uid", "published_at", "cancelled_at", "previous_starts_at"}
)
# The archive searches these through the seminar's recording (its PostgreSQL vector).
SEARCHED_FIELDS = with_language_columns({"title", "summary", "description"})


def _locked(seminar: Seminar) -> Seminar:
    """The seminar row, locked until the transaction ends; the wait for it, and for any
    lock after it in the transaction (its change notice), is bounded by ``LOCK_TIMEOUT``."""
    lock_timeout_set(settings.LOCK_TIMEOUT)
    return Seminar.objects.select_for_update().get(pk=seminar.pk)


@transaction.atomic
def seminar_create(*, m2m: dict[str, Any] | None = None, **fields: Any) -> Seminar:
    """Create a seminar (a draft unless ``status`` says otherwise) after full validation."""
    seminar = Seminar(**fields)
    # Published now (not an earlier publication copied in, as the demo and imports do):
    # its followers hear of it.
    announce = seminar.status == Seminar.Status.PUBLISHED and seminar.published_at is None
    if announce:
        seminar.published_at = timezone.now()
    seminar.full_clean()
    seminar.save()
    for name, values in (m2m or {}).items():
        getattr(seminar, name).set(values)
    if announce:
        notices.seminar_alert_record(seminar=seminar)
    catalogue_changed()
    return seminar


def seminar_update(*, seminar: Seminar, **changes: Any) -> Seminar:
    """Apply field changes; a published seminar's time or delivery change bumps ``sequence``.

    Returns the saved seminar. The caller's instance is refreshed in place too. Raises
    :class:`SeminarBusy` when the seminar (or its change notice, while its emails are
    being written) stays locked longer than ``LOCK_TIMEOUT``: nothing is changed.
    """
    try:
        return _seminar_update(seminar=seminar, **changes)
    except OperationalError as error:
        if is_lock_timeout(error):
            raise SeminarBusy(
                _("This seminar is being changed elsewhere right now; nothing was saved.")
            ) from error
        raise


@transaction.atomic
def _seminar_update(*, seminar: Seminar, **changes: Any) -> Seminar:
    forbidden = LIFECYCLE_FIELDS.intersection(changes)
    if forbidden:
        raise TypeError(
            f"seminar_update() cannot change {', '.join(sorted(forbidden))}: "
            "use seminar_publish() or seminar_cancel()."
        )
    current = _locked(seminar)
    changed = {name for name, value in changes.items() if getattr(current, name) != value}
    before = {name: getattr(current, name) for name in CALENDAR_FIELDS}
    for name, value in changes.items():
        setattr(current, name, value)
    calendar_changed = current.is_published and bool(changed & CALENDAR_FIELDS)
    if calendar_changed:
        current.sequence = F("sequence") + 1
    if current.is_published and "starts_at" in changed:
        # Moved after it was announced: keep the start first announced, and forget it
        # once the seminar is back at that time (then it was never rescheduled).
        announced = current.previous_starts_at or before["starts_at"]
        current.previous_starts_at = announced if announced != current.starts_at else None
    current.full_clean(exclude=["sequence"])
    current.save()
    current.refresh_from_db()
    if calendar_changed:
        # Attendees hear of it in one email once the edits stop (coalesced), not per save.
        notices.seminar_change_record(seminar=current, before=before)
    if changed & SEARCHED_FIELDS:
        recordings_search_reindex(seminar=current)
    _copy_into(current, seminar)
    catalogue_changed()
    return seminar


def seminar_sequence_raise(*, seminar: Seminar) -> Seminar:
    """Raise the calendar SEQUENCE for one person's invite or CANCEL; refresh ``seminar``.

    Keeps ``seminar.sequence`` at or above every SEQUENCE ever sent for its UID, so the
    next invite to anyone outranks what their calendar holds (clients ignore an update
    or CANCEL whose SEQUENCE did not grow). ``updated_at`` moves with it: it is the
    calendar's LAST-MODIFIED.
    """
    Seminar.objects.filter(pk=seminar.pk).update(
        sequence=F("sequence") + 1, updated_at=timezone.now()
    )
    seminar.refresh_from_db(fields=["sequence", "updated_at"])
    return seminar


@transaction.atomic
def seminar_speakers_invite(
    *, seminar: Seminar, links: list[SeminarSpeaker] | None = None
) -> list[notices.OutgoingEmail]:
    """Invite the speakers of a published, upcoming seminar who have an email and no invite.

    ``links`` narrows it to some of the seminar's speaker links (all when None); the
    publish and speaker services call it with the seminar row locked. A speaker taken
    off the seminar (sent a CANCEL) and added again gets an invite at a raised SEQUENCE,
    so it outranks the CANCEL their calendar holds.
    """
    if not seminar_speakers_announced(seminar):
        return []
    uninvited = notices.speaker_links_uninvited(seminar=seminar, links=links)
    if not uninvited:
        return []
    cancelled = notices.speaker_ids_cancelled(seminar=seminar)
    if any(link.speaker_id in cancelled for link in uninvited):
        seminar_sequence_raise(seminar=seminar)
    return notices.speaker_invites_queue(seminar=seminar, links=uninvited)


def seminar_speakers_announced(seminar: Seminar) -> bool:
    """Only a published seminar that has not ended has speakers to tell."""
    return seminar.is_published and not seminar.is_past


@transaction.atomic
def seminar_publish(*, seminar: Seminar) -> Seminar:
    """Make a draft visible to the public and open for registration."""
    current = _locked(seminar)
    if current.is_published:
        return seminar
    if current.is_cancelled:
        raise SeminarNotPublishable(_("A cancelled seminar cannot be published again."))
    if current.ends_at <= timezone.now():
        raise SeminarNotPublishable(_("A seminar that has already ended cannot be published."))
    current.status = Seminar.Status.PUBLISHED
    current.published_at = timezone.now()
    current.save(update_fields=["status", "published_at", "updated_at"])
    # Speakers added while it was a draft get their invite now, in this transaction;
    # so does the alert to its followers (sent in their next digest).
    seminar_speakers_invite(seminar=current)
    notices.seminar_alert_record(seminar=current)
    _copy_into(current, seminar)
    catalogue_changed()
    return seminar


@transaction.atomic
def seminar_cancel(*, seminar: Seminar, message: str = "") -> Seminar:
    """Cancel a seminar; its calendar entry must follow, so ``sequence`` grows.

    A published seminar's registrants and speakers are emailed the ``message`` with a
    calendar cancellation (queued in this transaction); a draft has nobody to tell.
    """
    current = _locked(seminar)
    if current.is_cancelled:
        raise SeminarAlreadyCancelled(_("This seminar is already cancelled."))
    was_published = current.is_published
    current.status = Seminar.Status.CANCELLED
    current.cancelled_at = timezone.now()
    current.cancellation_message = message.strip()
    fields = ["status", "cancelled_at", "cancellation_message", "updated_at"]
    if was_published:
        current.sequence = F("sequence") + 1
        fields.append("sequence")
    current.save(update_fields=fields)
    current.refresh_from_db()
    if was_published:
        # In this transaction: a cancel that rolls back leaves no email behind.
        notices.seminar_cancelled_emails_queue(
            seminar=current, message=current.cancellation_message
        )
    _copy_into(current, seminar)
    catalogue_changed()
    return seminar


def _language_columns_of(obj: Any, *fields: str) -> dict[str, Any]:
    """Each field's value in each language, to copy a text without choosing a language."""
    return {column: getattr(obj, column) for field in fields for column in language_columns(field)}


def _copied_titles(seminar: Seminar) -> dict[str, str | None]:
    """The title in each language with the copy marked in that language, cut so the marker
    is kept even when the title is already as long as the field allows."""
    max_length = Seminar._meta.get_field("title").max_length
    titles: dict[str, str | None] = {}
    for column, language in zip(language_columns("title"), CONTENT_LANGUAGES, strict=True):
        title = getattr(seminar, column)
        if not title:
            titles[column] = title
            continue
        with translation.override(language):
            marker = str(_("%(title)s (copy)"))
        room = max_length - len(marker % {"title": ""})
        titles[column] = marker % {"title": title[:room]}
    return titles


@transaction.atomic
def seminar_duplicate(*, seminar: Seminar, days_later: int = 0) -> Seminar:
    """Copy a seminar as a new draft, complete: speakers, topics, audience types and
    quotas, registration questions, reminder offsets and the registration window.

    ``days_later`` moves the copy (and its registration window) by whole days at the same
    wall-clock time in the seminar's own zone, so a 19:00 Tokyo seminar copied across the
    UK clock change is still at 19:00 Tokyo. The copy is a new calendar event (new UID,
    sequence 0, no publication state); the meeting link is not copied (a new session gets
    its own).
    """
    zone = zoneinfo.ZoneInfo(seminar.timezone)

    def moved(moment: datetime | None) -> datetime | None:
        if moment is None or not days_later:
            return moment
        local = moment.astimezone(zone).replace(tzinfo=None) + timedelta(days=days_later)
        return local.replace(tzinfo=zone).astimezone(UTC)

    slug = _free_slug(f"{seminar.slug}-copy")
    with transaction.atomic():
        copy = Seminar.objects.create(
            **_copied_titles(seminar),
            **_language_columns_of(seminar, "summary", "description"),
            slug=slug,
            series=seminar.series,
            cover_image=seminar.cover_image,
            cover_image_alt=seminar.cover_image_alt,
            prefecture=seminar.prefecture,
            partner_organisations=seminar.partner_organisations,
            language=seminar.language,
            starts_at=moved(seminar.starts_at),
            ends_at=moved(seminar.ends_at),
            timezone=seminar.timezone,
            platform=seminar.platform,
            venue=seminar.venue,
            capacity=seminar.capacity,
            waitlist_enabled=seminar.waitlist_enabled,
            reminder_offsets_minutes=(
                None
                if seminar.reminder_offsets_minutes is None
                else list(seminar.reminder_offsets_minutes)
            ),
            registration_opens_at=moved(seminar.registration_opens_at),
            registration_closes_at=moved(seminar.registration_closes_at),
            status=Seminar.Status.DRAFT,
        )
        copy.topics.set(seminar.topics.all())
        copy.allowed_audience_types.set(seminar.allowed_audience_types.all())
        SeminarSpeaker.objects.bulk_create(
            SeminarSpeaker(
                seminar=copy, speaker_id=link.speaker_id, role=link.role, position=link.position
            )
            for link in seminar.speaker_links.all()
        )
        AudienceQuota.objects.bulk_create(
            AudienceQuota(seminar=copy, audience_type_id=quota.audience_type_id, seats=quota.seats)
            for quota in seminar.audience_quotas.all()
        )
        RegistrationQuestion.objects.bulk_create(
            RegistrationQuestion(
                seminar=copy,
                **_language_columns_of(question, "label", "help_text", "choices"),
                kind=question.kind,
                required=question.required,
                position=question.position,
            )
            for question in seminar.questions.all()
        )
    return copy


def _free_slug(base: str) -> str:
    base = base[:190]
    slug, n = base, 2
    while Seminar.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _copy_into(source: Seminar, target: Seminar) -> None:
    if source is target:
        return
    for field in Seminar._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
