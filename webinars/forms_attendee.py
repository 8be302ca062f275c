"""The form a registrant uses to correct their details from the manage page.

Email and audience type are not here: the email is who the registration belongs to,
and the audience type decided the seat (quotas), so changing either means
cancelling and registering again.
"""

import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from webinars.forms_registration import CONTROL_CHARACTERS
from webinars.models import Registration

DETAIL_FIELDS = ("name", "organisation", "job_title", "country")

# Lets browsers fill in what they already know.
AUTOCOMPLETE = {
    "name": "name",
    "organisation": "organization",
    "job_title": "organization-title",
    "country": "country",
}


def reject_control_characters(value: str) -> None:
    """Line breaks and other control characters have no place in a name or a job title.

    These values go into email headers and calendar parameters; refusing them here is
    clearer to the person than silently changing what they typed.
    """
    if any(unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in value) or (
        CONTROL_CHARACTERS.search(value)
    ):
        raise ValidationError(
            _("Please remove line breaks and other control characters."),
            code="control_characters",
        )


def _model_field(name: str) -> forms.Field:
    """The form field the ``Registration`` model gives, so lengths stay in one place."""
    field = Registration._meta.get_field(name).formfield()
    assert field is not None  # every DETAIL_FIELDS entry is an editable model field
    if isinstance(field, forms.CharField) and name != "country":
        field.validators.append(reject_control_characters)
    return field


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
        self.fields["country"].choices = [("", _("Choose a country…")), *countries]
        for name, token in AUTOCOMPLETE.items():
            self.fields[name].widget.attrs["autocomplete"] = token
