from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class OutgoingEmail(models.Model):
    """One email in the outbox: written in the same transaction as its cause, then delivered.

    The row holds the fully rendered message, so delivery never depends on
    data that may have changed since, and a retry sends exactly the same mail.
    """

    class Kind(models.TextChoices):
        REGISTRATION_CONFIRMED = "registration_confirmed", _("Registration confirmed")
        REGISTRATION_WAITLISTED = "registration_waitlisted", _("Waitlisted")
        WAITLIST_PROMOTED = "waitlist_promoted", _("Promoted from the waitlist")
        REGISTRATION_CANCELLED = "registration_cancelled", _("Registration cancelled")
        REMINDER = "reminder", _("Reminder")
        SEMINAR_CHANGED = "seminar_changed", _("Seminar changed")
        SEMINAR_CANCELLED = "seminar_cancelled", _("Seminar cancelled")
        ANNOUNCEMENT = "announcement", _("Announcement")
        SPEAKER_INVITE = "speaker_invite", _("Speaker invite")
        SPEAKER_UPDATE = "speaker_update", _("Speaker update")
        SPEAKER_CANCEL = "speaker_cancel", _("Speaker cancellation")

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
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text"))
    body_html = models.TextField(_("HTML"), blank=True)
    calendar_method = models.CharField(
        _("calendar method"), max_length=10, blank=True, help_text=_("REQUEST or CANCEL")
    )
    calendar_body = models.TextField(_("calendar"), blank=True)
    headers = models.JSONField(_("extra headers"), default=dict, blank=True)
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
