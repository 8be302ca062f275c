"""Forms of the organiser admin: model forms that name the field at fault, and action forms.

The model forms carry no ``Meta``: the ModelAdmin that uses one supplies model and fields.
"""

from typing import Any

from django import forms
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from webinars.models import RegistrationQuestion

# The same wording as the models' CheckConstraints, so one translation covers both.
ENDS_BEFORE_START = _("The seminar must end after it starts.")
REGISTRATION_CLOSES_BEFORE_OPENING = _("Registration must close after it opens.")
JET_YEARS_REVERSED = _("The JET end year cannot be before the start year.")


class SeminarAdminForm(forms.ModelForm):
    """Checks the database constraints field by field.

    Django would report a violated CheckConstraint at the top of the form; naming the
    field lets the organiser see at once which date to fix (and the constraint check is
    then skipped for that field, so the message is not shown twice).
    """

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        starts_at, ends_at = cleaned_data.get("starts_at"), cleaned_data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", ENDS_BEFORE_START)
        opens_at = cleaned_data.get("registration_opens_at")
        closes_at = cleaned_data.get("registration_closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("registration_closes_at", REGISTRATION_CLOSES_BEFORE_OPENING)
        return cleaned_data


class SpeakerAdminForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        year_from, year_to = cleaned_data.get("jet_year_from"), cleaned_data.get("jet_year_to")
        if year_from and year_to and year_to < year_from:
            self.add_error("jet_year_to", JET_YEARS_REVERSED)
        return cleaned_data


class AudienceQuotaFormSet(forms.BaseInlineFormSet):
    """Quotas that fit the seminar: each one, and all of them together, within its capacity.

    ``self.instance`` is the seminar as the main form has just cleaned it, so a capacity
    changed in the same save is the one checked. No capacity means no limit.
    """

    def clean(self) -> None:
        super().clean()  # Duplicate audience types, see get_unique_error_message().
        capacity = self.instance.capacity
        if capacity is None:
            return
        total, row_over_capacity = 0, False
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            seats = form.cleaned_data.get("seats")
            if seats is None:  # A blank extra row, or a row with its own error.
                continue
            total += seats
            if seats > capacity:
                row_over_capacity = True
                form.add_error(
                    "seats",
                    gettext("More seats than the seminar's capacity (%(capacity)d).")
                    % {"capacity": capacity},
                )
        # A row over capacity already says what to fix; the sum would repeat it.
        if total > capacity and not row_over_capacity:
            raise forms.ValidationError(
                ngettext(
                    "The quotas add up to %(total)d seat, more than the seminar's capacity "
                    "of %(capacity)d.",
                    "The quotas add up to %(total)d seats, more than the seminar's capacity "
                    "of %(capacity)d.",
                    total,
                )
                % {"total": total, "capacity": capacity},
                code="quotas_over_capacity",
            )

    def get_unique_error_message(self, unique_check: list[str]) -> str:
        # Django would name the field by its attribute name ("audience_type").
        if [name for name in unique_check if name != self.fk.name] == ["audience_type"]:
            return gettext("Each audience type can have only one quota.")
        return super().get_unique_error_message(unique_check)


class CancelSeminarsForm(forms.Form):
    """The message that goes with a cancellation (seminar page, emails to registrants)."""

    message = forms.CharField(
        label=_("Message to registrants"),
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        max_length=2000,
        help_text=_(
            "Say why the seminar is cancelled and what happens next (a new date, the "
            "recording of an earlier session…). Attendees see it with the cancellation notice."
        ),
    )


class RegistrationQuestionForm(forms.ModelForm):
    """A question row of the seminar's inline; the model's clean() checks choice options."""

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        # Options of a text or yes/no question would be silently ignored: say so instead.
        kind, choices = cleaned_data.get("kind"), cleaned_data.get("choices", "")
        if kind and kind not in RegistrationQuestion.CHOICE_KINDS and choices.strip():
            self.add_error(
                "choices", gettext("Only single and multiple choice questions have options.")
            )
        return cleaned_data


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
        from webinars.attendance_import import MAX_REPORT_BYTES

        report = self.cleaned_data["report"]
        if report.size > MAX_REPORT_BYTES:
            raise forms.ValidationError(
                gettext("The file is larger than %(size)d MB: it is not a participant report.")
                % {"size": MAX_REPORT_BYTES // (1024 * 1024)}
            )
        return report
