"""Forms of registering: the registration form, the attendee's details, and the organisers'
questions and attendance import.

Every text field is length-limited. A person's details (name, organisation, job title)
follow the one rule of every form where people give them
(:class:`accounts.forms.SingleLineTextField`): line breaks and control characters are
refused with a message that says which. Answers to the seminar's questions keep line
breaks where they may (long answers), refuse them where not, and lose other control
characters. So nothing typed here can start a new email header or calendar property.
Markup is left as typed and escaped wherever it is shown.
"""

import re
from collections.abc import Iterator
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.choices import BaseChoiceIterator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.forms import HumanCheckMixin, audience_type_field, person_field
from accounts.human_check import HumanCheck
from accounts.models import AudienceType, Language, User
from accounts.validators import CONTROL_CHARACTERS, LINE_BREAKS, validate_time_zone
from webinars.attendance_import import MAX_REPORT_BYTES
from webinars.content_languages import fallback_language, in_its_language, language_columns
from webinars.models import Registration, RegistrationQuestion, Seminar

SHORT_ANSWER_MAX_LENGTH = 300


LONG_ANSWER_MAX_LENGTH = 3000


QUESTION_FIELD_PREFIX = "question_"


YES, NO = "yes", "no"


def clean_single_line(value: str) -> str:
    """An answer's one line: refuse line breaks; drop other control characters; tabs to spaces."""
    if LINE_BREAKS.search(value):
        raise forms.ValidationError(_("Please keep this on one line."), code="line_break")
    return CONTROL_CHARACTERS.sub("", value.replace("\t", " ")).strip()


def clean_multi_line(value: str) -> str:
    """An answer's text: keep line breaks (as \\n) and tabs; drop other control characters."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    value = re.sub("[\x85\u2028\u2029]", "\n", value)
    return CONTROL_CHARACTERS.sub("", value).strip()


class SingleLineField(forms.CharField):
    def to_python(self, value: object) -> str:
        return clean_single_line(super().to_python(value))


class MultiLineField(forms.CharField):
    widget = forms.Textarea

    def to_python(self, value: object) -> str:
        return clean_multi_line(super().to_python(value))


def _model_max_length(name: str) -> int:
    return Registration._meta.get_field(name).max_length


def question_field_name(question: RegistrationQuestion) -> str:
    return f"{QUESTION_FIELD_PREFIX}{question.pk}"


def question_field(question: RegistrationQuestion) -> forms.Field:
    """The form field for one custom question, of its kind."""
    # Texts in the other language than the page's are marked with theirs (WCAG 3.1.2);
    # help text is rendered unescaped by our field template, so it is escaped here.
    common = {
        "label": in_its_language(question.label, fallback_language(question, "label")),
        "required": question.required,
        "help_text": in_its_language(question.help_text, fallback_language(question, "help_text")),
    }
    options_language = fallback_language(question, "choices")
    choice_options = [
        (value, in_its_language(label, options_language) if options_language else label)
        for value, label in question.choice_options
    ]
    kind = question.kind
    if kind == RegistrationQuestion.Kind.LONG_TEXT:
        return MultiLineField(max_length=LONG_ANSWER_MAX_LENGTH, **common)
    if kind == RegistrationQuestion.Kind.SINGLE_CHOICE:
        return forms.ChoiceField(
            choices=choice_options,
            widget=forms.RadioSelect,
            **common,
        )
    if kind == RegistrationQuestion.Kind.MULTIPLE_CHOICE:
        return forms.MultipleChoiceField(
            choices=choice_options,
            widget=forms.CheckboxSelectMultiple,
            **common,
        )
    if kind == RegistrationQuestion.Kind.YES_NO:
        return forms.ChoiceField(
            choices=[(YES, _("Yes")), (NO, _("No"))], widget=forms.RadioSelect, **common
        )
    return SingleLineField(max_length=SHORT_ANSWER_MAX_LENGTH, **common)


class CountryChoices(BaseChoiceIterator):
    """The country options, "Choose a country…" first, in the active language.

    Iterated where it is used, with no per-form copy: Django would normalise a list of
    some 250 options on every form built, and django-countries already keeps its sorted
    names per language.
    """

    def __iter__(self) -> Iterator[tuple[str, str]]:
        yield ("", _("Choose a country…"))
        yield from countries


def _answer_value(question: RegistrationQuestion, value: object) -> object:
    if question.kind == RegistrationQuestion.Kind.YES_NO:
        return value == YES
    return value


class RegistrationForm(HumanCheckMixin, forms.Form):
    """Registration for one seminar; ``user`` (signed in) fixes the email to the account's.

    ``human_check`` asks a guest's browser for a proof of work when their network or
    address is busy (:class:`accounts.forms.HumanCheckMixin`).
    """

    name = person_field(Registration, "name", label=_("Full name"))
    email = forms.EmailField(
        label=_("Email"),
        max_length=_model_max_length("email"),
        help_text=_("Your confirmation, calendar invite and joining link are sent here."),
    )
    organisation = person_field(Registration, "organisation", label=_("Organisation"))
    job_title = person_field(Registration, "job_title", label=_("Job title"))
    country = forms.ChoiceField(label=_("Country"), choices=CountryChoices(), required=False)
    # The queryset is replaced per seminar in __init__.
    audience_type = audience_type_field(queryset=AudienceType.objects.none())
    privacy_consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree to my details being used as it says."),
        error_messages={"required": _("Please accept the privacy notice to register.")},
    )
    marketing_opt_in = forms.BooleanField(
        label=_("Email me about future seminars."), required=False
    )
    recording_followup_opt_in = forms.BooleanField(
        label=_("Email me when the recording is available."), required=False
    )
    # The honeypot: hidden from people by CSS, filled in by naive bots.
    website = forms.CharField(label=_("Leave this empty"), required=False, max_length=200)
    # The browser's IANA zone, filled in by site.js (progressive enhancement), so that
    # emails and the manage page also show the seminar in the person's own time.
    # No max_length: an over-long value must be ignored like any unknown one, not refused.
    time_zone = forms.CharField(
        required=False,
        widget=forms.HiddenInput(attrs={"data-browser-time-zone": ""}),
    )

    def __init__(
        self,
        *args,
        seminar: Seminar,
        audience_types: QuerySet[AudienceType],
        questions: list[RegistrationQuestion],
        user: User | None = None,
        human_check: HumanCheck | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.human_check = human_check
        self.seminar = seminar
        self.questions = questions
        self.user = user if user is not None and user.is_authenticated else None
        self.fields["audience_type"].queryset = audience_types
        honeypot = self.fields["website"].widget.attrs
        honeypot.update({"autocomplete": "off", "tabindex": "-1"})
        for name, token in {
            "name": "name",
            "email": "email",
            "organisation": "organization",
            "job_title": "organization-title",
            "country": "country",
        }.items():
            self.fields[name].widget.attrs["autocomplete"] = token
        for question in questions:
            self.fields[question_field_name(question)] = question_field(question)
        if self.user is not None:
            self._prefill_from(self.user, audience_types)

    def _prefill_from(self, user: User, audience_types: QuerySet[AudienceType]) -> None:
        email = self.fields["email"]
        email.disabled = True  # the account's address, whatever is posted
        email.help_text = _("Your account's email address.")
        self.initial.setdefault("email", user.email)
        self.initial.setdefault("name", user.full_name)
        self.initial.setdefault("organisation", user.organisation)
        self.initial.setdefault("job_title", user.job_title)
        self.initial.setdefault("country", str(user.country or ""))
        if user.audience_type_id and audience_types.filter(pk=user.audience_type_id).exists():
            self.initial.setdefault("audience_type", user.audience_type_id)

    @property
    def honeypot_filled(self) -> bool:
        return bool(self.data.get("website", "").strip())

    @property
    def question_fields(self) -> list[forms.BoundField]:
        return [self[question_field_name(question)] for question in self.questions]

    @property
    def profile_fields(self) -> list[forms.BoundField]:
        names = ("name", "email", "organisation", "job_title", "country", "audience_type")
        return [self[name] for name in names]

    @property
    def consent_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("marketing_opt_in", "recording_followup_opt_in")]

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_time_zone(self) -> str:
        """The posted zone when it is a known one, else the account's zone, else "".

        Never an error: the field is a hint from the browser that people cannot see
        or correct, so a missing or unknown value is silently ignored.
        """
        value = (self.cleaned_data.get("time_zone") or "").strip()
        try:
            validate_time_zone(value)
        except forms.ValidationError:
            value = ""
        if not value and self.user is not None:
            value = self.user.time_zone or ""
        return value

    def answers(self) -> dict[str, object]:
        """Answered questions as ``{str(question.id): value}``; unanswered ones are left out."""
        answers: dict[str, object] = {}
        for question in self.questions:
            value = self.cleaned_data.get(question_field_name(question))
            if value in (None, "", []):
                continue
            answers[str(question.pk)] = _answer_value(question, value)
        return answers


class OrganiserRegistrationForm(RegistrationForm):
    """An organiser registers someone who phoned or wrote: the seminar's own questions,
    the person's email choices as they gave them, and a note; no consent box or honeypot
    (the consent ledger records the place as added by an organiser)."""

    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("Why, e.g. “Phoned on 3 December”. Shown on the registration."),
    )
    language = forms.ChoiceField(
        label=_("Language of their emails"), choices=Language.choices, initial=Language.ENGLISH
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["user"] = None
        kwargs["human_check"] = None
        super().__init__(*args, **kwargs)
        for name in ("privacy_consent", "website", "time_zone"):
            del self.fields[name]

    @property
    def profile_fields(self) -> list[forms.BoundField]:
        return [*super().profile_fields, self["language"]]


def profile_ready_for_one_click(
    *, user: User, audience_types: QuerySet[AudienceType], questions: list[RegistrationQuestion]
) -> bool:
    """True when a signed-in user's profile answers everything the form requires."""
    return bool(
        user.full_name
        and user.audience_type_id
        and audience_types.filter(pk=user.audience_type_id).exists()
        and not any(question.required for question in questions)
    )


def one_click_data(user: User) -> dict[str, object]:
    """Form data for a one-click registration: the profile, consent given by the button."""
    return {
        "name": user.full_name,
        "email": user.email,
        "organisation": user.organisation,
        "job_title": user.job_title,
        "country": str(user.country or ""),
        "audience_type": str(user.audience_type_id),
        "privacy_consent": "on",
    }


DETAIL_FIELDS = ("name", "organisation", "job_title", "country")


# Lets browsers fill in what they already know.
AUTOCOMPLETE = {
    "name": "name",
    "organisation": "organization",
    "job_title": "organization-title",
    "country": "country",
}


def _model_field(name: str) -> forms.Field:
    """The ``Registration`` model's field, so lengths stay in one place (one rule for text)."""
    return person_field(Registration, name)


class RegistrationDetailsForm(forms.Form):
    name = _model_field("name")
    organisation = _model_field("organisation")
    job_title = _model_field("job_title")
    country = _model_field("country")
    marketing_opt_in = forms.BooleanField(
        label=_("Email me about future seminars"),
        required=False,
    )
    recording_followup_opt_in = forms.BooleanField(
        label=_("Email me when the recording of this seminar is published"),
        required=False,
    )

    def __init__(self, *args: Any, registration: Registration, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "name": registration.name,
                "organisation": registration.organisation,
                "job_title": registration.job_title,
                "country": registration.country.code or "",
                "marketing_opt_in": registration.marketing_opt_in,
                "recording_followup_opt_in": registration.recording_followup_opt_in,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Your name")
        self.fields["country"].choices = CountryChoices()
        for name, token in AUTOCOMPLETE.items():
            self.fields[name].widget.attrs["autocomplete"] = token


class ChoiceQuestionForm(forms.ModelForm):
    """A question row of an inline; the model's clean() checks choice options.

    Options are given per language, line by line: the n-th Japanese option is the n-th
    English one, and answers are stored as the first language's option
    (``ChoiceQuestion.choice_options``), so counts never split by language.
    """

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        kind = cleaned_data.get("kind")
        options = {
            column: [line for line in (cleaned_data.get(column) or "").splitlines() if line.strip()]
            for column in language_columns("choices")
            if column in self.fields
        }
        # Options of a text or yes/no question would be silently ignored: say so instead.
        if kind and kind not in self._meta.model.CHOICE_KINDS:
            for column, lines in options.items():
                if lines:
                    self.add_error(
                        column, gettext("Only single and multiple choice questions have options.")
                    )
        given = {column: lines for column, lines in options.items() if lines}
        if len(given) > 1 and len({len(lines) for lines in given.values()}) > 1:
            self.add_error(
                list(given)[-1],
                gettext(
                    "Give the same options in each language, as many and in the same order: "
                    "the options in English and in Japanese are read line by line."
                ),
            )
        return cleaned_data


class RegistrationQuestionForm(ChoiceQuestionForm):
    """A question row of the seminar's registration questions inline."""


class AttendanceImportForm(forms.Form):
    """A Zoom or Teams participant report to mark a seminar's attendance from."""

    report = forms.FileField(
        label=_("Participant report (CSV)"),
        help_text=_(
            "Zoom: Reports, Usage, Participants, Export (with or without meeting data). "
            "Microsoft Teams: the meeting's Attendance tab, Download (CSV)."
        ),
    )
    mark_absent = forms.BooleanField(
        label=_(
            "Mark confirmed registrants who are not in the report as “did not attend” "
            "(anyone already marked as attended keeps that mark)"
        ),
        required=False,
        initial=True,
    )

    def clean_report(self) -> Any:
        report = self.cleaned_data["report"]
        if report.size > MAX_REPORT_BYTES:
            raise forms.ValidationError(
                gettext("The file is larger than %(size)d MB: it is not a participant report.")
                % {"size": MAX_REPORT_BYTES // (1024 * 1024)}
            )
        return report


class ActForAttendeesForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        max_length=300,
        required=False,
        help_text=_("Why, e.g. “Asked by email on 3 December”. Shown on each registration."),
    )
