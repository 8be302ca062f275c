"""Recordings of past seminars: the video, its chapters, transcript and materials.

Uploaded files live in the ``private`` storage (outside the static and public media
roots, under random names) and are only ever served by views that check access.
"""

import posixpath
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres import search as postgres_search
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import AudienceType
from webinars.models.catalogue import Seminar

# The PostgreSQL text-search configuration of the archive's search vector (stemming for
# English text; Japanese has no spaces for the parser to split on, so it is indexed as
# tokens of its own, see ``webinars.search_tokens``). The services build the vector and
# the selectors query it with it.
SEARCH_CONFIG = "english"


def private_storage() -> Storage:
    # A callable, so migrations do not freeze the storage's location.
    return storages["private"]


def _random_name(folder: str, filename: str) -> str:
    extension = posixpath.splitext(filename)[1].lower()[:10]
    return f"{folder}/{uuid.uuid4().hex}{extension}"


def recording_video_path(instance: object, filename: str) -> str:
    return _random_name("recordings", filename)


def recording_transcript_path(instance: object, filename: str) -> str:
    return _random_name("transcripts", filename)


def recording_material_path(instance: object, filename: str) -> str:
    return _random_name("materials", filename)


class SearchVectorField(postgres_search.SearchVectorField):
    """A PostgreSQL ``tsvector`` (with its ``@@`` lookup); elsewhere an unused text column.

    Search uses it on PostgreSQL only (``webinars.selectors.recordings``); the embedded
    SQLite default searches the plain text instead.
    """

    description = "Full-text search vector (PostgreSQL)"

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def db_type(self, connection) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"


class RecordingQuerySet(models.QuerySet["Recording"]):
    def published(self) -> "RecordingQuerySet":
        return self.filter(published_at__isnull=False)


class Recording(models.Model):
    """The recording of one seminar, published once the speakers have agreed."""

    class Access(models.TextChoices):
        PUBLIC = "public", _("Everyone")
        SIGNED_IN = "signed_in", _("Signed-in users")
        REGISTRANTS = "registrants", _("Registrants of the seminar")
        AUDIENCE_TYPES = "audience_types", _("Chosen audience types")

    class VideoProvider(models.TextChoices):
        YOUTUBE = "youtube", _("YouTube")
        VIMEO = "vimeo", _("Vimeo")
        FILE = "file", _("Uploaded file")

    seminar = models.OneToOneField(
        Seminar, verbose_name=_("seminar"), on_delete=models.PROTECT, related_name="recording"
    )
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    video_provider = models.CharField(
        _("video source"), max_length=10, choices=VideoProvider.choices, blank=True
    )
    # The canonical id, never the pasted URL: pages build the privacy-enhanced embed address.
    video_id = models.CharField(_("video id"), max_length=64, blank=True)
    video_file = models.FileField(
        _("video file"),
        storage=private_storage,
        upload_to=recording_video_path,
        max_length=200,
        blank=True,
    )
    video_file_name = models.CharField(_("original file name"), max_length=255, blank=True)
    video_file_size = models.PositiveBigIntegerField(_("file size (bytes)"), null=True, blank=True)
    video_content_type = models.CharField(_("content type"), max_length=100, blank=True)
    duration = models.DurationField(
        _("duration"), null=True, blank=True, help_text=_("h:mm:ss, e.g. 1:02:30.")
    )
    transcript_file = models.FileField(
        _("transcript (WebVTT)"),
        storage=private_storage,
        upload_to=recording_transcript_path,
        max_length=200,
        blank=True,
    )
    transcript_text = models.TextField(_("transcript text"), blank=True, editable=False)
    search_vector = SearchVectorField()
    # PostgreSQL: the lines of the searchable text that hold Japanese script, normalised and
    # case-folded (``webinars.search_tokens``). A GIN index over their Japanese tokens
    # finds a Japanese term's candidates, and this text makes the match exact without
    # normalising whole transcripts at query time. Empty elsewhere.
    search_text_japanese = models.TextField(blank=True, editable=False)
    access = models.CharField(
        _("who may watch"), max_length=20, choices=Access.choices, default=Access.PUBLIC
    )
    audience_types = models.ManyToManyField(
        AudienceType,
        verbose_name=_("audience types"),
        blank=True,
        related_name="+",
        help_text=_("Who may watch when access is “Chosen audience types”."),
    )
    speakers_consented = models.BooleanField(
        _("speakers agreed to publication"),
        default=False,
        help_text=_("Every speaker has agreed to this recording being published."),
    )
    speaker_consent_note = models.CharField(
        _("how the speakers agreed"),
        max_length=300,
        blank=True,
        help_text=_("E.g. “Consent forms signed 12 May; emails on file”."),
    )
    speaker_consent_recorded_at = models.DateTimeField(
        _("consent recorded at"), null=True, blank=True, editable=False
    )
    speaker_consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("consent recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    followups_queued_at = models.DateTimeField(
        _("follow-up emails queued at"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RecordingQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        indexes = [models.Index(fields=["published_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(video_provider="", video_id="", video_file="")
                | Q(video_provider__in=["youtube", "vimeo"], video_file="") & ~Q(video_id="")
                | Q(video_provider="file", video_id="") & ~Q(video_file=""),
                name="webinars_recording_one_video_source",
                violation_error_message=_(
                    "Give either an embed URL or an uploaded video file, not both."
                ),
            ),
            models.CheckConstraint(
                condition=Q(access__in=["public", "signed_in", "registrants", "audience_types"]),
                name="webinars_recording_access_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("webinars:recording_detail", kwargs={"slug": self.slug})

    @property
    def public_url(self) -> str:
        return settings.SITE_URL + self.get_absolute_url()

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def has_video(self) -> bool:
        return bool(self.video_id or self.video_file)

    @property
    def has_transcript(self) -> bool:
        return bool(self.transcript_file)


class RecordingChapter(models.Model):
    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="chapters")
    starts_at = models.DurationField(
        _("starts at"), help_text=_("Time into the video: m:ss or h:mm:ss, e.g. 12:30.")
    )
    title = models.CharField(_("title"), max_length=200)

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("chapter")
        verbose_name_plural = _("chapters")
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__gte=timedelta(0)),
                name="webinars_recordingchapter_starts_at_not_negative",
                violation_error_message=_("A chapter cannot start before the video."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def seconds(self) -> int:
        return int(self.starts_at.total_seconds())


class RecordingMaterial(models.Model):
    """A file that goes with a recording (slides, handouts), served only to those who may watch."""

    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="materials")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(
        _("file"), storage=private_storage, upload_to=recording_material_path, max_length=200
    )
    original_name = models.CharField(_("original file name"), max_length=255, editable=False)
    content_type = models.CharField(_("content type"), max_length=100, editable=False)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0, editable=False)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("material")
        verbose_name_plural = _("materials")

    def __str__(self) -> str:
        return self.title


class TranscriptCue(models.Model):
    """One cue of a recording's WebVTT transcript, as shown beside the video."""

    # No index of its own: the unique (recording, position) index serves every lookup by
    # recording, in order. With both, PostgreSQL read a search's snippet candidates through
    # this one and sorted them, checking every cue instead of stopping at the first match.
    recording = models.ForeignKey(
        Recording, on_delete=models.CASCADE, related_name="cues", db_index=False
    )
    position = models.PositiveIntegerField()
    starts_at = models.DurationField()
    ends_at = models.DurationField()
    voice = models.CharField(max_length=100, blank=True)
    text = models.TextField()

    class Meta:
        ordering = ["position"]
        verbose_name = _("transcript cue")
        verbose_name_plural = _("transcript cues")
        constraints = [
            models.UniqueConstraint(
                fields=["recording", "position"], name="webinars_transcriptcue_unique_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at} {self.text[:40]}"

    @property
    def seconds(self) -> int:
        return int(self.starts_at.total_seconds())


class RecordingView(models.Model):
    """One person watching one recording on one day: organisers count views, not reloads.

    ``viewer_key`` is ``user:<id>`` for accounts and a keyed hash of the address and
    browser otherwise, so no IP address is stored.
    """

    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="views")
    viewer_key = models.CharField(max_length=80)
    # The viewer's confirmed registration for the recording's seminar, when they hold one
    # (by account or emailed link): "watched the recording", counted per registrant.
    registration = models.ForeignKey(
        "webinars.Registration",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recording_views",
    )
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("recording view")
        verbose_name_plural = _("recording views")
        constraints = [
            models.UniqueConstraint(
                fields=["recording", "viewer_key", "day"], name="webinars_recordingview_once_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recording_id} {self.day}"


class RecordingProgress(models.Model):
    """How much of a recording one registrant has watched, from what the watch page reports.

    The recording is cut into ``WATCH_SEGMENT_SECONDS`` segments; the page reports each
    segment it played through (not one it skipped to), and the stored set only grows, so
    watching the same minutes twice or reporting them again counts once. ``percent`` is
    what a certificate of attendance reads (``CERTIFICATE_MIN_WATCH_PERCENT``).
    """

    recording = models.ForeignKey(
        Recording, on_delete=models.CASCADE, related_name="progress", verbose_name=_("recording")
    )
    registration = models.ForeignKey(
        "webinars.Registration",
        on_delete=models.CASCADE,
        related_name="recording_progress",
        verbose_name=_("registration"),
    )
    # Segment numbers watched, as a bit string in hex (bit n: segment n).
    segments = models.TextField(_("segments watched"), blank=True, editable=False)
    percent = models.PositiveSmallIntegerField(_("watched (%)"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("recording progress")
        verbose_name_plural = _("recording progress")
        constraints = [
            models.UniqueConstraint(
                fields=["recording", "registration"], name="webinars_recordingprogress_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recording_id} {self.registration_id} {self.percent}%"
