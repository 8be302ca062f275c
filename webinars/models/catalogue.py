import re
import uuid
import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import AudienceType, Language
from accounts.validators import validate_time_zone
from webinars.prefectures import Prefecture

# Hiragana, katakana and CJK ideographs: a name written in Japanese.
JAPANESE_SCRIPT = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff]")

DEFAULT_REMINDER_OFFSETS_MINUTES = [24 * 60, 60]


def default_reminder_offsets() -> list[int]:
    return list(DEFAULT_REMINDER_OFFSETS_MINUTES)


def validate_reminder_offsets(value: object) -> None:
    if not isinstance(value, list) or not all(
        type(minutes) is int and 0 < minutes <= 60 * 24 * 60 for minutes in value
    ):
        raise ValidationError(
            _("Give reminder offsets as whole minutes before the start, e.g. [1440, 60]."),
            code="invalid_reminder_offsets",
        )


class Topic(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.name


class Series(models.Model):
    """A programme of seminars, e.g. "JLGC Seminar" or "Japan Local Attraction Seminar"."""

    name = models.CharField(_("name"), max_length=150, unique=True)
    slug = models.SlugField(_("slug"), max_length=150, unique=True)
    tagline = models.CharField(_("tagline"), max_length=250, blank=True)
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    reminder_offsets_minutes = models.JSONField(
        _("reminder offsets (minutes before start)"),
        default=default_reminder_offsets,
        validators=[validate_reminder_offsets],
        help_text=_("Default for this series' seminars, e.g. [1440, 60] for a day and an hour."),
    )
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/London",
        validators=[validate_time_zone],
        help_text=_("Where its seminars are usually planned: new seminars start in this zone."),
    )
    default_audience_types = models.ManyToManyField(
        AudienceType,
        verbose_name=_("default audience types"),
        blank=True,
        related_name="+",
        help_text=_("Preselected as the allowed audience types of new seminars."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("series")
        verbose_name_plural = _("series")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("webinars:series_detail", kwargs={"slug": self.slug})


class Speaker(models.Model):
    name = models.CharField(_("name"), max_length=150)
    name_ja = models.CharField(_("name in Japanese"), max_length=150, blank=True)
    slug = models.SlugField(_("slug"), max_length=150, unique=True)
    title = models.CharField(_("role or title"), max_length=200, blank=True)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    bio = models.TextField(_("biography"), blank=True, help_text=_("Markdown."))
    photo = models.ImageField(_("photo"), upload_to="speakers/", blank=True)
    email = models.EmailField(
        _("email"), blank=True, help_text=_("Private: used only to send the speaker's invite.")
    )
    language = models.CharField(
        _("language of their emails"),
        max_length=5,
        choices=Language.choices,
        blank=True,
        help_text=_("Empty: Japanese for a speaker with a name in Japanese, else English."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Where the speaker will be: their emails show the times there too."),
    )
    is_jet_participant = models.BooleanField(_("JET Programme participant"), default=False)
    jet_prefecture = models.CharField(
        _("JET placement prefecture"), max_length=5, choices=Prefecture.choices, blank=True
    )
    jet_municipality = models.CharField(_("JET placement municipality"), max_length=150, blank=True)
    jet_year_from = models.PositiveSmallIntegerField(
        _("JET from (year)"), null=True, blank=True, validators=[MinValueValidator(1987)]
    )
    jet_year_to = models.PositiveSmallIntegerField(
        _("JET to (year)"), null=True, blank=True, validators=[MinValueValidator(1987)]
    )
    website = models.URLField(_("website"), blank=True)
    links = models.TextField(
        _("other links"), blank=True, help_text=_("One address per line (LinkedIn, blog, …).")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")
        constraints = [
            models.CheckConstraint(
                condition=Q(jet_year_to__isnull=True)
                | Q(jet_year_from__isnull=True)
                | Q(jet_year_to__gte=F("jet_year_from")),
                name="webinars_speaker_jet_years_ordered",
                violation_error_message=_("The JET end year cannot be before the start year."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("webinars:speaker_detail", kwargs={"slug": self.slug})

    @property
    def email_language(self) -> str:
        """The language of the speaker's emails: theirs, else Japanese for a Japanese
        name (in ``name_ja`` or written in Japanese), else English."""
        if self.language:
            return self.language
        if self.name_ja.strip() or JAPANESE_SCRIPT.search(self.name):
            return Language.JAPANESE
        return Language.ENGLISH

    @property
    def link_list(self) -> list[str]:
        return [line.strip() for line in self.links.splitlines() if line.strip()]

    @property
    def jet_years(self) -> str:
        if self.jet_year_from and self.jet_year_to and self.jet_year_to != self.jet_year_from:
            return f"{self.jet_year_from}–{self.jet_year_to}"
        return str(self.jet_year_from or self.jet_year_to or "")


class SeminarQuerySet(models.QuerySet["Seminar"]):
    def visible(self) -> "SeminarQuerySet":
        """What the public may see: published seminars, and cancelled ones that were published.

        A draft cancelled before publication was never announced, so it stays hidden.
        """
        return self.filter(status__in=[Seminar.Status.PUBLISHED, Seminar.Status.CANCELLED]).exclude(
            status=Seminar.Status.CANCELLED, published_at__isnull=True
        )

    def upcoming(self, now: datetime | None = None) -> "SeminarQuerySet":
        return self.filter(ends_at__gt=now or dj_timezone.now())

    def past(self, now: datetime | None = None) -> "SeminarQuerySet":
        return self.filter(ends_at__lte=now or dj_timezone.now())


class Seminar(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        CANCELLED = "cancelled", _("Cancelled")

    class Platform(models.TextChoices):
        ZOOM = "zoom", _("Zoom")
        TEAMS = "teams", _("Microsoft Teams")
        YOUTUBE = "youtube", _("YouTube Live")
        OTHER = "other", _("Other")

    # Fields whose change attendees must hear about: each bumps `sequence`.
    TIME_FIELDS = ("starts_at", "ends_at", "timezone")
    DELIVERY_FIELDS = ("platform", "meeting_url", "meeting_passcode", "venue")

    uid = models.UUIDField(_("calendar UID"), default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    series = models.ForeignKey(
        Series, verbose_name=_("series"), on_delete=models.PROTECT, related_name="seminars"
    )
    summary = models.CharField(
        _("summary"), max_length=300, help_text=_("One or two sentences for lists and previews.")
    )
    description = models.TextField(_("description"), blank=True, help_text=_("Markdown."))
    cover_image = models.ImageField(_("cover image"), upload_to="seminars/", blank=True)
    cover_image_alt = models.CharField(_("cover image description"), max_length=250, blank=True)
    topics = models.ManyToManyField(
        Topic, verbose_name=_("topics"), blank=True, related_name="seminars"
    )
    prefecture = models.CharField(
        _("featured prefecture"), max_length=5, choices=Prefecture.choices, blank=True
    )
    partner_organisations = models.TextField(
        _("partner organisations"), blank=True, help_text=_("One per line.")
    )
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    timezone = models.CharField(
        _("time zone"),
        max_length=64,
        default="Europe/London",
        validators=[validate_time_zone],
        help_text=_("IANA name of the zone the seminar is planned in, e.g. Europe/London."),
    )
    platform = models.CharField(
        _("platform"), max_length=20, choices=Platform.choices, default=Platform.ZOOM
    )
    meeting_url = models.URLField(
        _("meeting URL"),
        max_length=500,
        blank=True,
        help_text=_("Never shown publicly: attendees use their personal join link."),
    )
    meeting_passcode = models.CharField(_("meeting passcode"), max_length=100, blank=True)
    venue = models.CharField(
        _("venue"), max_length=300, blank=True, help_text=_("For hybrid seminars only.")
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    waitlist_enabled = models.BooleanField(_("waitlist when full"), default=True)
    reminder_offsets_minutes = models.JSONField(
        _("reminder offsets (minutes before start)"),
        null=True,
        blank=True,
        validators=[validate_reminder_offsets],
        help_text=_("Leave empty to use the series' reminders, e.g. [1440, 60]."),
    )
    rehearsal_starts_at = models.DateTimeField(
        _("speakers' rehearsal"),
        null=True,
        blank=True,
        help_text=_("When speakers join for a technical check; told to speakers only."),
    )
    registration_opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(_("registration closes"), null=True, blank=True)
    allowed_audience_types = models.ManyToManyField(
        AudienceType,
        verbose_name=_("allowed audience types"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty to accept every audience type."),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT
    )
    sequence = models.PositiveIntegerField(
        _("calendar sequence"),
        default=0,
        editable=False,
        help_text=_("Grows on every change attendees' calendars must follow."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    # Set by seminar_update() when a published seminar moves: search engines and calendars
    # are told it was rescheduled (schema.org EventRescheduled, previousStartDate).
    previous_starts_at = models.DateTimeField(
        _("previous start"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The start first announced, while the seminar is at another time."),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True, editable=False)
    cancellation_message = models.TextField(_("cancellation message"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SeminarQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        verbose_name = _("seminar")
        verbose_name_plural = _("seminars")
        indexes = [models.Index(fields=["status", "starts_at"]), models.Index(fields=["ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="webinars_seminar_ends_after_start",
                violation_error_message=_("The seminar must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published", "cancelled"]),
                name="webinars_seminar_status_valid",
                violation_error_message=_("Unknown seminar status."),
            ),
            models.CheckConstraint(
                condition=Q(registration_opens_at__isnull=True)
                | Q(registration_closes_at__isnull=True)
                | Q(registration_closes_at__gt=F("registration_opens_at")),
                name="webinars_seminar_registration_window_ordered",
                violation_error_message=_("Registration must close after it opens."),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("webinars:seminar_detail", kwargs={"slug": self.slug})

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def is_past(self) -> bool:
        return self.ends_at <= dj_timezone.now()

    @property
    def partner_list(self) -> list[str]:
        return [line.strip() for line in self.partner_organisations.splitlines() if line.strip()]

    @property
    def reminder_offsets(self) -> list[int]:
        """Minutes before the start at which registrants are reminded."""
        if self.reminder_offsets_minutes is not None:
            return list(self.reminder_offsets_minutes)
        return list(self.series.reminder_offsets_minutes)

    @property
    def calendar_uid(self) -> str:
        return f"seminar-{self.uid}@kizuna"

    @property
    def public_url(self) -> str:
        return settings.SITE_URL + self.get_absolute_url()


class SeminarSpeaker(models.Model):
    class Role(models.TextChoices):
        PRESENTER = "presenter", _("Presenter")
        MODERATOR = "moderator", _("Moderator")
        PANELLIST = "panellist", _("Panellist")

    seminar = models.ForeignKey(Seminar, on_delete=models.CASCADE, related_name="speaker_links")
    speaker = models.ForeignKey(
        Speaker, verbose_name=_("speaker"), on_delete=models.PROTECT, related_name="seminar_links"
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices, default=Role.PRESENTER)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    join_url = models.URLField(
        _("speaker join link"),
        max_length=500,
        blank=True,
        help_text=_("Sent only to the speaker (e.g. a Zoom panellist link)."),
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("seminar speaker")
        verbose_name_plural = _("speakers")
        constraints = [
            models.UniqueConstraint(
                fields=["seminar", "speaker"], name="webinars_seminarspeaker_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.speaker} ({self.get_role_display()})"


class AudienceQuota(models.Model):
    """Seats reserved for one audience type at one seminar."""

    seminar = models.ForeignKey(Seminar, on_delete=models.CASCADE, related_name="audience_quotas")
    audience_type = models.ForeignKey(
        AudienceType, verbose_name=_("audience type"), on_delete=models.PROTECT, related_name="+"
    )
    seats = models.PositiveIntegerField(_("seats"))

    class Meta:
        verbose_name = _("audience quota")
        verbose_name_plural = _("audience quotas")
        constraints = [
            models.UniqueConstraint(
                fields=["seminar", "audience_type"], name="webinars_audiencequota_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.audience_type}: {self.seats}"
