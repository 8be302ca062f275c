"""Registrations: a person's place at a seminar, its links and join clicks."""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from accounts.models import AudienceType, Language
from accounts.validators import validate_time_zone
from webinars.models.catalogue import Seminar


class ChoiceQuestion(models.Model):
    """A question whose options are typed per language, one a line, matched line by line.

    Shared by the registration form's questions and the post-seminar survey's: answers are
    stored as the first language's option, so counts never split by language.
    """

    CHOICE_KINDS: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def clean(self) -> None:
        if self.kind not in self.CHOICE_KINDS:
            return
        # Each language given needs two options; with none given, English is asked for.
        given = [
            language
            for language in ("en", "ja")
            if _option_lines(getattr(self, f"choices_{language}", ""))
        ]
        for language in given or ["en"]:
            if len(_option_lines(getattr(self, f"choices_{language}", ""))) < 2:
                raise ValidationError(
                    {
                        f"choices_{language}": _(
                            "A choice question needs at least two options, one per line."
                        )
                    }
                )

    @property
    def choice_list(self) -> list[str]:
        """The options in the reader's language, else in the other one."""
        return _option_lines(self.choices)

    def _options_by_language(self) -> dict[str, list[str]]:
        return {
            language: _option_lines(getattr(self, f"choices_{language}", None))
            for language in ("en", "ja")
        }

    @property
    def choice_options(self) -> list[tuple[str, str]]:
        """The options as (stored answer, label) pairs.

        The stored answer is the option in the first language given (English, else
        Japanese); the label is in the reader's language when it has as many options,
        else the stored one. Answers are read back by position (:meth:`choice_label`),
        so one stored in the other language, or before English options were added to a
        Japanese-only question, still counts as the same option.
        """
        options = self._options_by_language()
        stored = next((lines for lines in options.values() if lines), [])
        shown = self.choice_list
        return list(zip(stored, shown if len(shown) == len(stored) else stored, strict=True))

    def choice_position(self, answer: str) -> int | None:
        """Which option ``answer`` is (counted from 0) in any language, if it is one."""
        for lines in self._options_by_language().values():
            if answer in lines:
                return lines.index(answer)
        return None

    def choice_label(self, answer: str) -> str:
        """A stored answer in the reader's language (the answer itself if not an option)."""
        position = self.choice_position(answer)
        shown = self.choice_list
        if position is None or position >= len(shown):
            return answer
        return shown[position]


def _option_lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class RegistrationQuestion(ChoiceQuestion):
    """A custom question on one seminar's registration form."""

    class Kind(models.TextChoices):
        SHORT_TEXT = "short_text", _("Short text")
        LONG_TEXT = "long_text", _("Long text")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        YES_NO = "yes_no", _("Yes or no")

    CHOICE_KINDS = (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE)

    seminar = models.ForeignKey(Seminar, on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SHORT_TEXT)
    choices = models.TextField(
        _("options"), blank=True, help_text=_("For choice questions: one option per line.")
    )
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("registration question")
        verbose_name_plural = _("registration questions")

    def __str__(self) -> str:
        return self.label


class RegistrationQuerySet(models.QuerySet["Registration"]):
    def live(self) -> "RegistrationQuerySet":
        return self.exclude(status=Registration.Status.CANCELLED)

    def confirmed(self) -> "RegistrationQuerySet":
        return self.filter(status=Registration.Status.CONFIRMED)

    def waitlisted(self) -> "RegistrationQuerySet":
        return self.filter(status=Registration.Status.WAITLISTED)


class Registration(models.Model):
    """One person's place (or place in the queue) at one seminar."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("Waitlisted")
        CANCELLED = "cancelled", _("Cancelled")

    class Attendance(models.TextChoices):
        UNKNOWN = "unknown", _("Unknown")
        YES = "yes", _("Attended")
        NO = "no", _("Did not attend")

    seminar = models.ForeignKey(
        Seminar, verbose_name=_("seminar"), on_delete=models.PROTECT, related_name="registrations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="registrations",
    )
    # Stored lower-cased: the (seminar, email) uniqueness must ignore case.
    email = models.EmailField(_("email"), max_length=254)
    name = models.CharField(_("name"), max_length=150)
    organisation = models.CharField(_("organisation"), max_length=200, blank=True)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    country = CountryField(_("country"), blank=True)
    audience_type = models.ForeignKey(
        AudienceType, verbose_name=_("audience type"), on_delete=models.PROTECT, related_name="+"
    )
    answers = models.JSONField(
        _("answers"), default=dict, blank=True, help_text=_("Custom question id → answer.")
    )
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[validate_time_zone]
    )
    privacy_notice_version = models.CharField(_("privacy notice version"), max_length=20)
    privacy_consented_at = models.DateTimeField(_("privacy notice accepted at"))
    marketing_opt_in = models.BooleanField(_("news of future seminars"), default=False)
    recording_followup_opt_in = models.BooleanField(_("recording follow-up"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.CONFIRMED
    )
    attended = models.CharField(
        _("attended"), max_length=8, choices=Attendance.choices, default=Attendance.UNKNOWN
    )
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    promoted_at = models.DateTimeField(_("promoted from waitlist at"), null=True, blank=True)
    # Set when an organiser moves a confirmed place to the waiting list: it joins the end
    # of the queue, which is ordered by this or, for everyone else, by created_at.
    waitlisted_at = models.DateTimeField(_("moved to the waiting list at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Set when the person's details were erased (at their request or by retention): the
    # row stays for seat and audience counts, with nothing that identifies anyone.
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    # Where the registrant came from (webinars/sources.py): campaign names, not people.
    utm_source = models.CharField(_("source (utm_source)"), max_length=100, blank=True)
    utm_medium = models.CharField(_("medium (utm_medium)"), max_length=100, blank=True)
    utm_campaign = models.CharField(_("campaign (utm_campaign)"), max_length=100, blank=True)
    referrer_host = models.CharField(_("referring site"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        indexes = [
            models.Index(fields=["seminar", "status", "created_at"]),
            # By address across seminars: "returning attendee" in the insights, and a
            # person's records for an export or erasure.
            models.Index(fields=["email"], name="webinars_registration_email"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["seminar", "email"],
                condition=~Q(status="cancelled"),
                name="webinars_registration_one_live_per_email",
                violation_error_message=_("This email is already registered for this seminar."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=["confirmed", "waitlisted", "cancelled"]),
                name="webinars_registration_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(attended__in=["unknown", "yes", "no"]),
                name="webinars_registration_attended_valid",
            ),
            models.CheckConstraint(
                condition=Q(email=Lower("email")),
                name="webinars_registration_email_lowercase",
            ),
        ]

    def __str__(self) -> str:
        if self.anonymised_at:
            return f"{_('Erased registration')} #{self.pk} – {self.seminar}"
        return f"{self.name} <{self.email}> – {self.seminar}"

    @property
    def is_confirmed(self) -> bool:
        return self.status == self.Status.CONFIRMED

    @property
    def is_waitlisted(self) -> bool:
        return self.status == self.Status.WAITLISTED

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


def registration_token_hash(token: str) -> str:
    """What is stored of a link token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


class RegistrationTokenManager(models.Manager["RegistrationToken"]):
    """The one place link tokens are minted: for one registration, or for a batch of emails."""

    def issue(self, *, registration: Registration, scope: str) -> str:
        """A new ``scope`` link token for ``registration``; only its hash is stored."""
        token = secrets.token_urlsafe(32)
        self.create(
            registration=registration, scope=scope, token_hash=registration_token_hash(token)
        )
        return token

    def issue_many(self, *, links: Sequence[tuple[int, str]]) -> list[str]:
        """One new token per (registration id, scope), in order, written in one INSERT."""
        tokens = [secrets.token_urlsafe(32) for _ in links]
        self.bulk_create(
            self.model(
                registration_id=registration_id,
                scope=scope,
                token_hash=registration_token_hash(token),
            )
            for (registration_id, scope), token in zip(links, tokens, strict=True)
        )
        return tokens


class RegistrationToken(models.Model):
    """The secret behind a registration's manage (/r/…) or join (/j/…) link.

    Only the SHA-256 of each token is kept: the token itself exists only in the
    emails sent to the registrant. Every email that carries links gets fresh tokens,
    so earlier emails' links keep working without any being recoverable, until the
    person asks for new links (all earlier ones are then deleted).

    A link does one thing. A *manage* token (emails only) opens the manage page, where
    the place can be cancelled and the details changed; it also joins. A *join* token
    (emails and calendar invites, which people share with assistants and delegates)
    only joins, and after the end opens the recording the place may open.
    """

    class Scope(models.TextChoices):
        MANAGE = "manage", _("manage and join")
        JOIN = "join", _("join only")
        # Minted before links had scopes, when one token managed and joined and rode in
        # calendar invites: it still joins, and asks for fresh links; it manages nothing.
        EARLIER = "earlier", _("from an earlier email: joins, asks for fresh links")

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RegistrationTokenManager()

    class Meta:
        verbose_name = _("registration link")
        verbose_name_plural = _("registration links")

    def __str__(self) -> str:
        return f"{self.registration_id} ({self.scope}): {self.token_hash[:8]}…"


class ConsentRecordManager(models.Manager["ConsentRecord"]):
    """The one way rows enter the ledger: appended, under the privacy notice in force."""

    def append(
        self,
        *,
        registration_ids: Sequence[int],
        consents: dict[str, bool],
        source: str,
        at: datetime | None = None,
    ) -> list["ConsentRecord"]:
        """One row per registration and consent given (True) or withdrawn (False)."""
        at = at or dj_timezone.now()
        return self.bulk_create(
            self.model(
                registration_id=registration_id,
                consent=consent,
                given=given,
                notice_version=settings.PRIVACY_NOTICE_VERSION,
                source=source,
                created_at=at,
            )
            for registration_id in registration_ids
            for consent, given in consents.items()
        )


class ConsentRecord(models.Model):
    """One consent given or withdrawn: what, under which privacy notice, when and how.

    Append-only (nothing updates or deletes a row; the admin shows them read-only), so
    the registration's current flags can always be traced back to the person's acts.
    Names no one: it hangs on the registration, which erasure anonymises.
    """

    class Consent(models.TextChoices):
        PRIVACY_NOTICE = "privacy_notice", _("privacy notice")
        NEWS = "news", _("news of future seminars")
        RECORDING_FOLLOWUP = "recording_followup", _("recording follow-up")
        NON_TRANSACTIONAL_EMAIL = "non_transactional_email", _("announcements and follow-ups")

    class Source(models.TextChoices):
        REGISTRATION_FORM = "registration_form", _("registration form")
        ONE_CLICK = "one_click", _("one-click registration (signed in)")
        MANAGE_PAGE = "manage_page", _("manage page")
        UNSUBSCRIBE = "unsubscribe", _("unsubscribe link")
        RESUBSCRIBE = "resubscribe", _("subscribed again")
        ORGANISER = "organiser", _("added by an organiser")

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="consent_records"
    )
    consent = models.CharField(_("consent"), max_length=30, choices=Consent.choices)
    given = models.BooleanField(_("given"))
    notice_version = models.CharField(_("privacy notice version"), max_length=20)
    source = models.CharField(_("how"), max_length=30, choices=Source.choices)
    created_at = models.DateTimeField(_("when"), default=dj_timezone.now, db_index=True)

    objects = ConsentRecordManager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")

    def __str__(self) -> str:
        verb = _("given") if self.given else _("withdrawn")
        return f"{self.get_consent_display()} {verb} ({self.get_source_display()})"


class JoinClick(models.Model):
    """One use of a personal join link: organisers count who tried to join, and when."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="join_clicks"
    )
    clicked_at = models.DateTimeField(default=dj_timezone.now, db_index=True)
    redirected = models.BooleanField(
        default=False, help_text=_("False when the link was used outside the joining window.")
    )

    class Meta:
        ordering = ["clicked_at"]
        verbose_name = _("join click")
        verbose_name_plural = _("join clicks")

    def __str__(self) -> str:
        return f"{self.registration_id} @ {self.clicked_at:%Y-%m-%d %H:%M}"


class RegistrationAct(models.Model):
    """Something an organiser did for an attendee (who, when, what), shown on the
    registration: a place added for someone who phoned, a place cancelled for someone who
    wrote. Append-only; the note is the organiser's own words."""

    class Kind(models.TextChoices):
        ADDED = "added", _("added by an organiser")
        CANCELLED = "cancelled", _("cancelled by an organiser")
        MOVED_TO_WAITLIST = "moved_to_waitlist", _("moved to the waiting list by an organiser")

    registration = models.ForeignKey(Registration, on_delete=models.CASCADE, related_name="acts")
    kind = models.CharField(_("what"), max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("organiser's act")
        verbose_name_plural = _("organisers' acts")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"
