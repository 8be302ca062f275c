"""Forms for people: the extra sign-up questions and the profile page.

Both ask the same profile questions, so the fields are built by the same
helpers and keep the model's limits (max lengths, choices) in one place.
"""

from typing import Any

from allauth.core import context as allauth_context
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from accounts.human_check import FIELD_NAME as HUMAN_CHECK_FIELD
from accounts.human_check import HumanCheck
from accounts.models import AudienceType, Language, User
from accounts.validators import (
    time_zone_choices,
    validate_name_without_link,
    validate_single_line,
)

DEFAULT_TIME_ZONE = "Europe/London"

# Shown above the full IANA list: where our speakers and audiences are.
COMMON_TIME_ZONES: list[tuple[str, str]] = [
    ("Europe/London", _("London (United Kingdom)")),
    ("Asia/Tokyo", _("Tokyo (Japan)")),
    ("Europe/Dublin", _("Dublin (Ireland)")),
    ("Europe/Paris", _("Paris (France)")),
    ("Europe/Berlin", _("Berlin (Germany)")),
    ("Europe/Amsterdam", _("Amsterdam (Netherlands)")),
    ("Europe/Brussels", _("Brussels (Belgium)")),
    ("Europe/Madrid", _("Madrid (Spain)")),
    ("Europe/Rome", _("Rome (Italy)")),
    ("Europe/Stockholm", _("Stockholm (Sweden)")),
    ("UTC", _("Coordinated Universal Time (UTC)")),
]

PROFILE_FIELDS = (
    "full_name",
    "audience_type",
    "organisation",
    "job_title",
    "country",
    "preferred_language",
    "time_zone",
)


def grouped_time_zone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The common zones first, then every IANA zone, as two option groups."""
    return [
        (_("Common time zones"), COMMON_TIME_ZONES),
        (_("All time zones"), time_zone_choices()),
    ]


def time_zone_field() -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Time zone"),
        choices=grouped_time_zone_choices,
        initial=DEFAULT_TIME_ZONE,
        help_text=_("Seminar times are shown to you in this time zone."),
        error_messages={
            "invalid_choice": _(
                "“%(value)s” is not a known time zone. Choose one from the list, "
                "such as Europe/London."
            ),
        },
    )


def audience_type_field(*, queryset: QuerySet[AudienceType]) -> forms.ModelChoiceField:
    return forms.ModelChoiceField(
        label=_("Which describes you best?"),
        queryset=queryset,
        empty_label=_("Choose one…"),
        error_messages={
            "required": _("Please choose the description that fits you best."),
            "invalid_choice": _("Please choose one of the listed descriptions."),
        },
    )


# A person's name on every model that holds one: no web addresses in it.
NAME_FIELDS = ("name", "full_name")


class SingleLineTextField(forms.CharField):
    """One line of text about a person (a name, an organisation, a job title).

    The one rule for every form where people give their details (sign-up, profile,
    registration, a registration's details): tabs become spaces and the ends are trimmed;
    line breaks and other control characters are refused (``validate_single_line``).
    """

    def to_python(self, value: object) -> str:
        return super().to_python(value).replace("\t", " ").strip()

    def validate(self, value: str) -> None:
        # Before the validators: what is on more than one line gets that one message,
        # not also those about its content (a link in a name, say).
        super().validate(value)
        validate_single_line(value)


def person_field(model: type[models.Model], name: str, **kwargs: object) -> forms.Field:
    """The form field for a person detail of ``model``: its length and choices, one rule.

    Text details get :class:`SingleLineTextField`; ``kwargs`` (a label, say) override.
    """
    model_field = model._meta.get_field(name)
    if isinstance(model_field, models.CharField) and not model_field.choices:
        kwargs.setdefault("form_class", SingleLineTextField)
    field = model_field.formfield(**kwargs)
    assert field is not None  # only editable model fields are person details
    if name in NAME_FIELDS:
        field.validators.append(validate_name_without_link)
    return field


def model_form_field(name: str) -> forms.Field:
    """The form field of the ``User`` model's profile detail ``name`` (see :func:`person_field`)."""
    return person_field(User, name)


# Lets browsers and password managers fill in what they already know.
AUTOCOMPLETE = {
    "full_name": "name",
    "organisation": "organization",
    "job_title": "organization-title",
    "country": "country",
}


def polish_profile_fields(form: forms.BaseForm) -> None:
    """Autocomplete hints and a readable empty choice, shared by sign-up and profile."""
    for name, token in AUTOCOMPLETE.items():
        form.fields[name].widget.attrs["autocomplete"] = token
    form.fields["country"].choices = [("", _("Choose a country…")), *countries]


class HumanCheckMixin:
    """The human check (:mod:`accounts.human_check`) on a form with an ``email`` field.

    ``human_check`` is None for forms that need none (a signed-in person). Once the rest
    of the form is valid, clean() requires the proof if the client or the address is over
    its threshold, then counts the submission towards both; the template shows the check
    with ``{% include "accounts/includes/human_check.html" with check=form.human_check %}``
    whenever ``form.human_check.required``.
    """

    human_check: HumanCheck | None = None

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()  # type: ignore[misc]
        check = self.human_check
        if check is None or self.errors:  # type: ignore[attr-defined]
            return cleaned_data
        email = cleaned_data.get("email") or ""
        check.require_for_address(email)
        try:
            check.verify(self.data.get(HUMAN_CHECK_FIELD, ""))  # type: ignore[attr-defined]
        except ValidationError as error:
            self.add_error(None, error)  # type: ignore[attr-defined]
            return cleaned_data
        check.count(email=email)
        return cleaned_data


class SignupProfileForm(HumanCheckMixin, forms.Form):
    """The profile questions asked on sign-up, on top of allauth's email and passwords.

    allauth builds its sign-up form on this class (``ACCOUNT_SIGNUP_FORM_CLASS``)
    and calls :meth:`signup` once the user row exists.
    """

    field_order = [
        "full_name",
        "email",
        "password1",
        "password2",
        "audience_type",
        "organisation",
        "job_title",
        "country",
        "preferred_language",
        "time_zone",
    ]

    full_name = model_form_field("full_name")
    audience_type = audience_type_field(queryset=AudienceType.objects.filter(is_active=True))
    organisation = model_form_field("organisation")
    job_title = model_form_field("job_title")
    country = model_form_field("country")
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"),
        choices=Language.choices,
        help_text=_("Emails from us will be in this language."),
    )
    time_zone = time_zone_field()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        polish_profile_fields(self)
        # allauth builds this form without the request; it keeps the current one here.
        request = allauth_context.request
        if request is not None:
            self.human_check = HumanCheck.for_request(request, scope="signup")
        # Offer the language the visitor is reading the site in.
        current_language = (get_language() or "").split("-")[0]
        if current_language in Language.values:
            self.fields["preferred_language"].initial = current_language
        else:
            self.fields["preferred_language"].initial = Language.ENGLISH

    def signup(self, request: HttpRequest, user: User) -> None:
        """Store the profile answers on the account allauth has just created."""
        for name in PROFILE_FIELDS:
            setattr(user, name, self.cleaned_data[name])
        user.save(update_fields=list(PROFILE_FIELDS))


class ProfileForm(forms.ModelForm):
    """What a signed-in person may change about themselves (email is managed by allauth)."""

    class Meta:
        model = User
        fields = PROFILE_FIELDS
        field_classes = {
            "full_name": SingleLineTextField,
            "organisation": SingleLineTextField,
            "job_title": SingleLineTextField,
        }
        help_texts = {
            "preferred_language": _("Emails from us will be in this language."),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # An audience type retired by organisers stays selectable for whoever already has it.
        offered = Q(is_active=True)
        if self.instance.audience_type_id:
            offered |= Q(pk=self.instance.audience_type_id)
        self.fields["audience_type"] = audience_type_field(
            queryset=AudienceType.objects.filter(offered)
        )
        self.fields["time_zone"] = time_zone_field()
        self.fields["full_name"].validators.append(validate_name_without_link)
        polish_profile_fields(self)
