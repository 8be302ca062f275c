"""Write operations on recordings: consent, transcript, search index, publication, views."""

import math
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files import File
from django.core.files.storage import Storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from notifications import services as notices
from webinars.cache import catalogue_changed
from webinars.content_languages import language_columns
from webinars.errors import RecordingNotPublishable
from webinars.models import (
    Recording,
    RecordingProgress,
    RecordingView,
    Seminar,
    Speaker,
    TranscriptCue,
)
from webinars.search_tokens import search_index_values
from webinars.vtt import Cue


def _locked(recording: Recording) -> Recording:
    return (
        Recording.objects.select_for_update(of=("self",))
        .select_related("seminar")
        .get(pk=recording.pk)
    )


def recording_publish_problems(*, recording: Recording, now: datetime | None = None) -> list[str]:
    """Why ``recording`` cannot be published now, in words for the organiser (empty: it can)."""
    now = now or timezone.now()
    problems = []
    if not recording.speakers_consented or not recording.speaker_consent_note.strip():
        problems.append(
            _(
                "Record the speakers' consent first: tick “speakers agreed to publication” and "
                "note how they agreed."
            )
        )
    if not recording.has_video:
        problems.append(
            _("Add the video first: a YouTube or Vimeo address, or an uploaded video file.")
        )
    seminar = recording.seminar
    if seminar.status != Seminar.Status.PUBLISHED:
        problems.append(_("Only the recording of a published seminar can be published."))
    elif seminar.ends_at > now:
        problems.append(_("The seminar has not ended yet."))
    if (
        recording.access == Recording.Access.AUDIENCE_TYPES
        and not recording.audience_types.exists()
    ):
        problems.append(_("Choose the audience types who may watch, or another access level."))
    return problems


@transaction.atomic
def recording_publish(*, recording: Recording, now: datetime | None = None) -> int:
    """Publish ``recording`` and, the first time only, queue the follow-up emails.

    Returns how many follow-up emails were queued (0 when it was already published or
    had been published before). Raises :class:`RecordingNotPublishable` with every reason.
    """
    now = now or timezone.now()
    current = _locked(recording)
    if current.is_published:
        return 0
    problems = recording_publish_problems(recording=current, now=now)
    if problems:
        raise RecordingNotPublishable(" ".join(problems))
    current.published_at = now
    fields = ["published_at", "updated_at"]
    queued = 0
    if current.followups_queued_at is None:
        # In this transaction (outbox): a publish that rolls back sends nothing.
        queued = notices.recording_followups_queue(recording=current)
        current.followups_queued_at = now
        fields.append("followups_queued_at")
    current.save(update_fields=fields)
    recording.published_at = current.published_at
    recording.followups_queued_at = current.followups_queued_at
    catalogue_changed()
    return queued


@transaction.atomic
def recording_unpublish(*, recording: Recording) -> Recording:
    """Hide ``recording`` again; publishing it later sends no second round of emails."""
    Recording.objects.filter(pk=recording.pk).update(published_at=None, updated_at=timezone.now())
    recording.published_at = None
    catalogue_changed()
    return recording


def recording_consent_record(
    *, recording: Recording, consented: bool, by: AbstractBaseUser | None
) -> Recording:
    """Set whether the speakers agreed, keeping who recorded it and when (unsaved).

    The caller saves the recording (the admin form does, with the rest of its changes).
    """
    if consented and not recording.speaker_consent_recorded_at:
        recording.speaker_consent_recorded_at = timezone.now()
        recording.speaker_consent_recorded_by = by
    elif not consented:
        recording.speaker_consent_recorded_at = None
        recording.speaker_consent_recorded_by = None
    recording.speakers_consented = consented
    return recording


@transaction.atomic
def recording_transcript_attach(
    *, recording: Recording, upload: File, cues: list[Cue], file_name: str = "transcript.vtt"
) -> Recording:
    """Store a parsed WebVTT transcript: the file, its cues and its searchable text.

    Replaces any earlier transcript; the old file is deleted once this commits.
    """
    old_name = recording.transcript_file.name if recording.transcript_file else ""
    recording.transcript_file.save(file_name, upload, save=False)
    recording.transcript_text = "\n".join(cue.text for cue in cues)
    recording.save(update_fields=["transcript_file", "transcript_text", "updated_at"])
    TranscriptCue.objects.filter(recording=recording).delete()
    TranscriptCue.objects.bulk_create(
        [
            TranscriptCue(
                recording=recording,
                position=position,
                starts_at=cue.starts_at,
                ends_at=cue.ends_at,
                voice=cue.voice,
                text=cue.text,
            )
            for position, cue in enumerate(cues)
        ],
        batch_size=1000,
    )
    if old_name and old_name != recording.transcript_file.name:
        private_file_delete_after_commit(storage=recording.transcript_file.storage, name=old_name)
    recording_search_index(recording=recording)
    return recording


@transaction.atomic
def recording_transcript_remove(*, recording: Recording) -> Recording:
    """Drop the transcript: its cues and searchable text now, its file once this commits."""
    old_name = recording.transcript_file.name if recording.transcript_file else ""
    recording.transcript_file, recording.transcript_text = "", ""
    recording.save(update_fields=["transcript_file", "transcript_text", "updated_at"])
    TranscriptCue.objects.filter(recording=recording).delete()
    private_file_delete_after_commit(storage=recording.transcript_file.storage, name=old_name)
    recording_search_index(recording=recording)
    return recording


def private_file_delete_after_commit(*, storage: Storage, name: str) -> None:
    """Delete a replaced or removed upload once the change that dropped it has committed.

    A rollback keeps the file, so no row ever points at a missing one; a failed delete
    is logged by ``robust`` and leaves an orphan file rather than an error page.
    """
    if name:
        transaction.on_commit(lambda: storage.delete(name), robust=True)


def recording_search_text(recording: Recording) -> dict[str, str]:
    """What the archive search reads, by PostgreSQL weight: A title, B about, C transcript."""
    seminar = recording.seminar
    speakers = [
        " ".join(
            filter(
                None,
                [
                    link.speaker.name,
                    link.speaker.name_ja,
                    *_in_both_languages(link.speaker, "organisation"),
                ],
            )
        )
        for link in seminar.speaker_links.select_related("speaker")
    ]
    return {
        "A": " ".join(
            [*_in_both_languages(recording, "title"), *_in_both_languages(seminar, "title")]
        ),
        "B": "\n".join(
            [
                *_in_both_languages(seminar, "summary"),
                *_in_both_languages(recording, "description"),
                *_in_both_languages(seminar, "description"),
                *speakers,
            ]
        ),
        "C": recording.transcript_text,
    }


def _in_both_languages(obj: Any, field: str) -> list[str]:
    """The field's text in each language it is given in (search finds either)."""
    return [text for column in language_columns(field) if (text := getattr(obj, column))]


def recording_search_index(*, recording: Recording) -> None:
    """Rebuild the recording's search vector and Japanese recheck text (PostgreSQL; elsewhere
    search reads the text).

    The vector holds the English words (stemmed) and the Japanese tokens of the text, all
    NFKC-normalised like the queries (``webinars.search_tokens``).
    """
    if connection.vendor != "postgresql":
        return
    values = search_index_values(recording_search_text(recording))
    Recording.objects.filter(pk=recording.pk).update(**values)


def recordings_search_reindex(
    *, seminar: Seminar | None = None, speaker: Speaker | None = None
) -> int:
    """Rebuild the search vectors of the recordings of ``seminar`` or of ``speaker``'s seminars.

    Their text includes the seminar's title, summary and description and the speakers'
    names, so edits there must reach the index. Returns how many were rebuilt (0 off
    PostgreSQL, where search reads the live text).
    """
    if connection.vendor != "postgresql":
        return 0
    recordings = Recording.objects.select_related("seminar")
    if seminar is not None:
        recordings = recordings.filter(seminar=seminar)
    elif speaker is not None:
        recordings = recordings.filter(seminar__speaker_links__speaker=speaker).distinct()
    else:
        return 0
    rebuilt = 0
    for recording in recordings:
        recording_search_index(recording=recording)
        rebuilt += 1
    return rebuilt


# The watch page reports progress in segments of this many seconds.
WATCH_SEGMENT_SECONDS = 10


def recording_segment_count(recording: Recording) -> int | None:
    """How many segments the recording has, or None while its duration is not known."""
    if not recording.duration:
        return None
    return max(math.ceil(recording.duration.total_seconds() / WATCH_SEGMENT_SECONDS), 1)


# No one is credited faster than this many times the speed of the video, whatever the
# page posts, and no report adds more than a minute of it at that speed: watching the
# recording for a certificate takes at least half its length in real time.
WATCH_PACE = 2
WATCH_SEGMENTS_PER_REPORT = 60 * WATCH_PACE // WATCH_SEGMENT_SECONDS


def recording_progress_record(
    *,
    recording: Recording,
    registration_id: int,
    segments: Iterable[int],
    paced: bool = True,
) -> RecordingProgress:
    """Add the segments a registrant played through to what they watched; the new share.

    The set only grows, so a report sent twice (a retried beacon) or minutes watched
    again count once. ``paced`` (the watch page's reports): a report adds at most what
    could have played since the previous one at ``WATCH_PACE`` times the speed, and at
    most ``WATCH_SEGMENTS_PER_REPORT``; the earliest new segments are kept. Segments past
    the end are the caller's to refuse.
    """
    now = timezone.now()
    with transaction.atomic():
        progress, created = RecordingProgress.objects.select_for_update().get_or_create(
            recording=recording, registration_id=registration_id
        )
        watched = int(progress.segments or "0", 16)
        new = sorted(segment for segment in set(segments) if not watched >> segment & 1)
        if paced:
            elapsed = (
                WATCH_SEGMENTS_PER_REPORT * WATCH_SEGMENT_SECONDS
                if created
                else ((now - progress.updated_at).total_seconds() * WATCH_PACE)
            )
            allowed = min(int(elapsed // WATCH_SEGMENT_SECONDS), WATCH_SEGMENTS_PER_REPORT)
            new = new[:allowed]
        for segment in new:
            watched |= 1 << segment
        total = recording_segment_count(recording)
        progress.segments = format(watched, "x") if watched else ""
        progress.percent = min(watched.bit_count() * 100 // total, 100) if total else 0
        progress.save(update_fields=["segments", "percent", "updated_at"])
    return progress


def recording_view_record(
    *,
    recording: Recording,
    viewer_key: str,
    day: date | None = None,
    registration_id: int | None = None,
) -> bool:
    """Count one view per person per day, linked to the viewer's registration for the
    seminar when they hold one; True when this one was counted."""
    day = day or timezone.localdate()
    try:
        with transaction.atomic():
            RecordingView.objects.create(
                recording=recording,
                viewer_key=viewer_key[:80],
                day=day,
                registration_id=registration_id,
            )
    except IntegrityError:
        return False
    return True
