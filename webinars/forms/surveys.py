"""The survey form: the series' questions (or, months later, the outcome question)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from webinars.forms.registrations import ChoiceQuestionForm, MultiLineField
from webinars.models import SurveyQuestion
from webinars.models.surveys import RATING_SCALE

# A text answer: room for a paragraph, not for a pasted document.
TEXT_ANSWER_MAX_LENGTH = 2000
FIELD_PREFIX = "q_"


def outcome_choices() -> list[tuple[str, str]]:
    return [("yes", _("Yes")), ("maybe", _("Maybe")), ("no", _("No"))]


def _field(question: SurveyQuestion) -> forms.Field:
    common = {
        "label": question.label,
        "required": question.required,
        "help_text": question.help_text,
    }
    kind = question.kind
    if kind == SurveyQuestion.Kind.RATING:
        common["help_text"] = common["help_text"] or _("1 is not at all, 5 is very much.")
        return forms.TypedChoiceField(
            choices=[(str(value), str(value)) for value in RATING_SCALE],
            coerce=int,
            widget=forms.RadioSelect(attrs={"class": "rating"}),
            **common,
        )
    if kind == SurveyQuestion.Kind.OUTCOME:
        return forms.ChoiceField(choices=outcome_choices(), widget=forms.RadioSelect, **common)
    if kind in SurveyQuestion.CHOICE_KINDS:
        # Shown in the reader's language, stored as the first language's option.
        options = question.choice_options
        field_class = (
            forms.MultipleChoiceField
            if kind == SurveyQuestion.Kind.MULTIPLE_CHOICE
            else forms.ChoiceField
        )
        widget = (
            forms.CheckboxSelectMultiple
            if kind == SurveyQuestion.Kind.MULTIPLE_CHOICE
            else forms.RadioSelect
        )
        return field_class(choices=options, widget=widget, **common)
    return MultiLineField(max_length=TEXT_ANSWER_MAX_LENGTH, **common)


class SurveyForm(forms.Form):
    """One field per question; ``followup_opt_in`` when an outcome question is asked first."""

    followup_opt_in = forms.BooleanField(
        label=_("You may ask me this question again in three and six months."),
        required=False,
    )

    def __init__(self, *args, questions: list[SurveyQuestion], followup: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            self.fields[f"{FIELD_PREFIX}{question.pk}"] = _field(question)
        asks_outcome = any(q.kind == SurveyQuestion.Kind.OUTCOME for q in questions)
        if followup or not asks_outcome:
            del self.fields["followup_opt_in"]

    @property
    def question_fields(self) -> list[forms.BoundField]:
        return [self[f"{FIELD_PREFIX}{question.pk}"] for question in self.questions]

    def answers(self) -> dict[str, object]:
        """Answered questions as ``{str(question id): value}``; unanswered ones left out."""
        answers: dict[str, object] = {}
        for question in self.questions:
            value = self.cleaned_data.get(f"{FIELD_PREFIX}{question.pk}")
            if value in (None, "", []):
                continue
            answers[str(question.pk)] = value
        return answers

    def outcome(self) -> str:
        for question in self.questions:
            if question.kind == SurveyQuestion.Kind.OUTCOME:
                return self.cleaned_data.get(f"{FIELD_PREFIX}{question.pk}") or ""
        return ""


class SurveyQuestionForm(ChoiceQuestionForm):
    """A question row of the series' survey inline (options checked as the registration
    form's questions are)."""
