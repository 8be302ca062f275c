from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutgoingEmail(models.Model):
    """One email in the outbox: written in the same transaction as its cause, then delivered.

    Most rows are written *lean* (``rendered`` False): who, what kind, which registration
    and seminar, and the ``snapshot`` of what the email needs that the database may no
    longer say (the time a change notice compares with, a reminder's offset). The
    delivery worker renders a lean row just before sending it and stores the message
    (subject, bodies, calendar) on the row, so a request or a scan only decides, the
    rendering is spread over the workers, and a retry sends exactly the same mail.
    Rows written rendered (``rendered`` True) are sent as they are.
    """

    class Kind(models.TextChoices):
        REGISTRATION_CONFIRMED = "registration_confirmed", _("Registration confirmed")
        REGISTRATION_WAITLISTED = "registration_waitlisted", _("Waitlisted")
        WAITLIST_PROMOTED = "waitlist_promoted", _("Promoted from the waitlist")
        REGISTRATION_CANCELLED = "registration_cancelled", _("Registration cancelled")
        MOVED_TO_WAITLIST = "moved_to_waitlist", _("Moved to the waiting list")
        REMINDER = "reminder", _("Reminder")
        SEMINAR_CHANGED = "seminar_changed", _("Seminar changed")
        SEMINAR_CANCELLED = "seminar_cancelled", _("Seminar cancelled")
        ANNOUNCEMENT = "announcement", _("Announcement")
        SPEAKER_INVITE = "speaker_invite", _("Speaker invite")
        SPEAKER_UPDATE = "speaker_update", _("Speaker update")
        SPEAKER_CANCEL = "speaker_cancel", _("Speaker cancellation")
        SPEAKER_REMINDER = "speaker_reminder", _("Speaker reminder")
        RECORDING_AVAILABLE = "recording_available", _("Recording available")
        REGISTRATION_LINKS = "registration_links", _("Registration links")
        FOLLOW_CONFIRMATION = "follow_confirmation", _("Follow confirmation")
        SEMINAR_ALERTS = "seminar_alerts", _("New seminar alerts")
        SURVEY = "survey", _("Post-seminar survey")
        SURVEY_FOLLOWUP = "survey_followup", _("Survey follow-up")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    to_email = models.EmailField(_("recipient"), max_length=254)
    to_name = models.CharField(_("recipient name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=5, default="en")
    registration = models.ForeignKey(
        "webinars.Registration",
        verbose_name=_("registration"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="emails",
    )
    seminar = models.ForeignKey(
        "webinars.Seminar",
        verbose_name=_("seminar"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="emails",
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body_text = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("HTML"), blank=True)
    calendar_method = models.CharField(
        _("calendar method"), max_length=10, blank=True, help_text=_("REQUEST or CANCEL")
    )
    calendar_body = models.TextField(_("calendar"), blank=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
    rendered = models.BooleanField(
        _("rendered"),
        default=True,
        help_text=_("False until the delivery worker has written the message from the snapshot."),
    )
    snapshot = models.JSONField(
        _("snapshot"),
        default=dict,
        blank=True,
        help_text=_("What the email needs that may change before it is rendered."),
    )
    # The SEQUENCE of the invite this row carries (or will carry, once rendered): a change
    # notice leaves out whoever was already sent the seminar at its current sequence.
    calendar_sequence = models.PositiveIntegerField(_("calendar sequence"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    dedupe_key = models.CharField(
        _("deduplication key"), max_length=200, unique=True, null=True, blank=True
    )
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # The last email to a person who asked to be erased (the CANCEL that takes the
    # seminar out of their calendar): deleted as soon as it is sent or has failed.
    erase_when_done = models.BooleanField(_("erase once sent"), default=False, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outbox")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "sending", "sent", "failed", "cancelled"]),
                name="notifications_outgoingemail_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(calendar_method__in=["", "REQUEST", "CANCEL", "PUBLISH"]),
                name="notifications_outgoingemail_calendar_method_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.to_email}"


class SeminarChangeNotice(models.Model):
    """A "seminar changed" email waiting to go out, coalescing edits made close together.

    The first time-or-delivery edit of a published seminar opens a notice holding the
    seminar as attendees last heard of it (``before``); later edits within the window
    push ``due_at`` back. When it comes due, one email per confirmed registrant and
    speaker compares ``before`` with the seminar as it is then, so a change that was
    undone sends nothing.
    """

    seminar = models.ForeignKey(
        "webinars.Seminar",
        verbose_name=_("seminar"),
        on_delete=models.CASCADE,
        related_name="change_notices",
    )
    before = models.JSONField(
        _("before the change"),
        help_text=_("The time and delivery fields as attendees last heard of them."),
    )
    first_change_at = models.DateTimeField(_("first change"), default=timezone.now)
    last_change_at = models.DateTimeField(_("last change"), default=timezone.now)
    due_at = models.DateTimeField(_("due"))
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        ordering = ["-first_change_at", "-pk"]
        verbose_name = _("seminar change notice")
        verbose_name_plural = _("seminar change notices")
        indexes = [models.Index(fields=["sent_at", "due_at"])]
        constraints = [
            # At most one notice still collecting edits per seminar.
            models.UniqueConstraint(
                fields=["seminar"],
                condition=models.Q(sent_at__isnull=True),
                name="notifications_seminarchangenotice_one_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seminar} ({self.first_change_at:%Y-%m-%d %H:%M})"


class Announcement(models.Model):
    """A message an organiser writes to a seminar's registrants, sent once through the outbox."""

    seminar = models.ForeignKey(
        "webinars.Seminar",
        verbose_name=_("seminar"),
        on_delete=models.PROTECT,
        related_name="announcements",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), help_text=_("Plain text. Links are kept as written."))
    statuses = models.JSONField(
        _("registration statuses"),
        default=list,
        help_text=_("Who receives it, e.g. confirmed and waitlisted registrants."),
    )
    audience_types = models.ManyToManyField(
        "accounts.AudienceType",
        verbose_name=_("audience types"),
        blank=True,
        related_name="+",
        help_text=_("Leave empty to write to every audience type."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self) -> str:
        return self.subject


class EmailOptOut(models.Model):
    """An address that unsubscribed from announcements (transactional mail still goes)."""

    email = models.EmailField(_("email"), max_length=254, unique=True)
    created_at = models.DateTimeField(_("unsubscribed"), auto_now_add=True)
    source = models.CharField(
        _("how"), max_length=20, blank=True, help_text=_("one-click, page or admin")
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("announcement opt-out")
        verbose_name_plural = _("announcement opt-outs")

    def __str__(self) -> str:
        return self.email


class PeriodicTaskRun(models.Model):
    """When a periodic (beat) task last ran: what ``/healthz`` and the admin banner read."""

    name = models.CharField(_("task"), max_length=100, primary_key=True)
    last_started_at = models.DateTimeField(_("last started"))
    last_finished_at = models.DateTimeField(_("last finished"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("periodic task run")
        verbose_name_plural = _("periodic task runs")

    def __str__(self) -> str:
        return self.name


class SeminarAlert(models.Model):
    """A seminar announced to its followers: written when it is published (and when its
    registration opens, if later), in that transaction; the digest run turns it into one
    :class:`AlertItem` per follower once ``ALERT_DIGEST_DELAY_MINUTES`` have passed."""

    class Occasion(models.TextChoices):
        PUBLISHED = "published", _("Published")
        REGISTRATION_OPEN = "registration_open", _("Registration opened")

    seminar = models.ForeignKey(
        "webinars.Seminar",
        verbose_name=_("seminar"),
        on_delete=models.CASCADE,
        related_name="alerts",
    )
    occasion = models.CharField(_("occasion"), max_length=20, choices=Occasion.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expanded_at = models.DateTimeField(_("followers found"), null=True, blank=True)
    recipient_count = models.PositiveIntegerField(_("recipients"), default=0)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("seminar alert")
        verbose_name_plural = _("seminar alerts")
        indexes = [models.Index(fields=["expanded_at", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["seminar", "occasion"], name="notifications_seminaralert_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seminar} ({self.get_occasion_display()})"


class AlertItem(models.Model):
    """One announced seminar waiting for one person's next digest (at most one a day)."""

    alert = models.ForeignKey(
        SeminarAlert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="items"
    )
    email = models.EmailField(_("email"), max_length=254)
    language = models.CharField(_("language"), max_length=5, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    digest = models.ForeignKey(
        OutgoingEmail,
        verbose_name=_("digest"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    digested_at = models.DateTimeField(_("put in a digest"), null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("alert item")
        verbose_name_plural = _("alert items")
        indexes = [
            models.Index(fields=["digested_at", "email"]),
            models.Index(fields=["email"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["alert", "email"], name="notifications_alertitem_once"),
        ]

    def __str__(self) -> str:
        return f"{self.alert} → {self.email}"
