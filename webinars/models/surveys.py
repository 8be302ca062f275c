"""Post-seminar surveys: questions per series, one response per registrant and round.

After a seminar, its registrants (those who came and those who did not) are emailed a
link to the series' questions. The outcome question ("Will you include this region in
a product or itinerary in the next 12 months?") is asked again three and six months
later of those who answered yes or maybe and agreed to be asked.
"""

from datetime import timedelta

from django.db import models
from django.utils.translation import gettext_lazy as _

from webinars.models.catalogue import Series
from webinars.models.registrations import ChoiceQuestion, Registration

RATING_SCALE = (1, 2, 3, 4, 5)
# When the outcome question is asked again, after the seminar's end.
FOLLOWUP_AFTER = {"3m": timedelta(days=91), "6m": timedelta(days=182)}
# What an outcome answer can be, in the order pages and reports show them.
OUTCOMES = ("yes", "maybe", "no")


class SurveyQuestion(ChoiceQuestion):
    class Kind(models.TextChoices):
        RATING = "rating", _("Rating from 1 to 5")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        TEXT = "text", _("Text")
        OUTCOME = "outcome", _("Outcome: will you include this region in a product?")

    CHOICE_KINDS = (Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE)

    series = models.ForeignKey(
        Series, on_delete=models.CASCADE, related_name="survey_questions", verbose_name=_("series")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.RATING)
    label = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("help text"), max_length=300, blank=True)
    choices = models.TextField(
        _("options"), blank=True, help_text=_("For choice questions: one option per line.")
    )
    required = models.BooleanField(_("required"), default=False)
    position = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("survey question")
        verbose_name_plural = _("survey questions")
        constraints = [
            # One outcome question per series: it is the one asked again months later.
            models.UniqueConstraint(
                fields=["series"],
                condition=models.Q(kind="outcome"),
                name="webinars_surveyquestion_one_outcome_per_series",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class SurveyResponse(models.Model):
    class Round(models.TextChoices):
        AFTER = "after", _("After the seminar")
        THREE_MONTHS = "3m", _("Three months later")
        SIX_MONTHS = "6m", _("Six months later")

    registration = models.ForeignKey(
        Registration,
        on_delete=models.CASCADE,
        related_name="survey_responses",
        verbose_name=_("registration"),
    )
    round = models.CharField(_("round"), max_length=5, choices=Round.choices)
    # {str(question id): value}: a number for ratings, text, an option (list for several).
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    outcome = models.CharField(_("outcome"), max_length=5, blank=True)
    followup_opt_in = models.BooleanField(_("may be asked again"), default=False)
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "round"], name="webinars_surveyresponse_once_per_round"
            ),
            models.CheckConstraint(
                condition=models.Q(outcome__in=["", *OUTCOMES]),
                name="webinars_surveyresponse_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.registration_id} {self.round}"
