from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Erasure(models.Model):
    """That an erasure happened, and how much it erased: never whose data it was.

    The log an organiser shows a regulator: when, by which route, who asked for it
    (the person themselves, or which staff member), and counts of what went.
    """

    class Route(models.TextChoices):
        ACCOUNT = "account", _("Account deleted by its holder")
        GUEST = "guest", _("Registration erased from its manage link")
        ORGANISER = "organiser", _("Person erased by an organiser")
        RETENTION = "retention", _("Retention period ended")

    route = models.CharField(_("route"), max_length=20, choices=Route.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by (staff)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    registrations = models.PositiveIntegerField(_("registrations anonymised"), default=0)
    cancelled = models.PositiveIntegerField(_("places cancelled"), default=0)
    emails = models.PositiveIntegerField(_("emails deleted"), default=0)
    accounts = models.PositiveIntegerField(_("accounts deleted"), default=0)
    created_at = models.DateTimeField(_("erased at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")

    def __str__(self) -> str:
        return f"{self.get_route_display()} ({self.created_at:%Y-%m-%d %H:%M})"
