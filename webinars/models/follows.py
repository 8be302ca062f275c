"""Follows: a person asks to hear when seminars on a place, topic or series are announced.

A follow belongs to an address (lower-cased) and, when made signed in, to an account.
A guest's follow waits for the confirmation link sent to the address (double opt-in,
``confirmed_at``); an account holder's is confirmed when made, since the account's
address is proven. "Email me about future seminars" on the registration form is a
follow of every seminar (``Kind.ALL``). Stopping a follow deletes it: following again
then needs a fresh confirmation, like any new follow.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from webinars.regions import place_for_slug


class FollowQuerySet(models.QuerySet["Follow"]):
    def confirmed(self) -> "FollowQuerySet":
        return self.filter(confirmed_at__isnull=False)

    def of_address(self, email: str) -> "FollowQuerySet":
        return self.filter(email=email.strip().lower())


class Follow(models.Model):
    class Kind(models.TextChoices):
        PLACE = "place", _("Region or prefecture")
        TOPIC = "topic", _("Topic")
        SERIES = "series", _("Series")
        ALL = "all", _("Every seminar")

    class Source(models.TextChoices):
        PAGE = "page", _("follow page")
        ACCOUNT = "account", _("account page")
        REGISTRATION = "registration", _("registration (news of future seminars)")
        ADMIN = "admin", _("added by an organiser")

    email = models.EmailField(_("email"), max_length=254, help_text=_("Lower-case."))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="follows",
    )
    kind = models.CharField(_("follows"), max_length=10, choices=Kind.choices)
    place = models.CharField(
        _("region or prefecture"),
        max_length=40,
        blank=True,
        help_text=_("The place's slug, as in /regions/<slug>/."),
    )
    topic = models.ForeignKey(
        "webinars.Topic",
        verbose_name=_("topic"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="follows",
    )
    series = models.ForeignKey(
        "webinars.Series",
        verbose_name=_("series"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="follows",
    )
    language = models.CharField(_("language"), max_length=5, default="en")
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    source = models.CharField(_("how"), max_length=20, choices=Source.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(_("confirmation sent"), null=True, blank=True)

    objects = FollowQuerySet.as_manager()

    class Meta:
        ordering = ["email", "kind", "pk"]
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        indexes = [models.Index(fields=["email"]), models.Index(fields=["kind", "place"])]
        constraints = [
            # One follow per address and target. Per kind, with a condition: a unique
            # constraint over nullable columns lets nulls repeat (nulls_distinct is
            # PostgreSQL's only).
            models.UniqueConstraint(
                fields=["email", "place"],
                condition=Q(kind="place"),
                name="webinars_follow_one_per_place",
            ),
            models.UniqueConstraint(
                fields=["email", "topic"],
                condition=Q(kind="topic"),
                name="webinars_follow_one_per_topic",
            ),
            models.UniqueConstraint(
                fields=["email", "series"],
                condition=Q(kind="series"),
                name="webinars_follow_one_per_series",
            ),
            models.UniqueConstraint(
                fields=["email"], condition=Q(kind="all"), name="webinars_follow_one_of_all"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="place", topic=None, series=None) & ~Q(place="")
                    | Q(kind="topic", place="", series=None) & ~Q(topic=None)
                    | Q(kind="series", place="", topic=None) & ~Q(series=None)
                    | Q(kind="all", place="", topic=None, series=None)
                ),
                name="webinars_follow_target_of_its_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.target_name}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    @property
    def target_name(self) -> str:
        """What is followed, in the active language: "Kyushu", a topic, a series."""
        if self.kind == self.Kind.PLACE:
            place = place_for_slug(self.place)
            return str(place.name) if place is not None else self.place
        if self.kind == self.Kind.TOPIC:
            return str(self.topic.name) if self.topic_id else ""
        if self.kind == self.Kind.SERIES:
            return str(self.series.name) if self.series_id else ""
        return str(_("every new seminar"))
