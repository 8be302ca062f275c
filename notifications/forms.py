"""Organiser forms for announcements and opt-outs (the admin uses them)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import AudienceType
from notifications.models import Announcement, EmailOptOut
from notifications.services import (
    ANNOUNCEMENT_STATUSES,
    DEFAULT_STATUSES,
    AnnouncementSeminarNotPublished,
    AnnouncementWithoutStatuses,
    seminar_announceable,
)
from webinars.content_languages import language_columns


class AnnouncementForm(forms.ModelForm):
    """A draft announcement: the seminar, the message, and who receives it."""

    statuses = forms.TypedMultipleChoiceField(
        label=_("Send to registrations that are"),
        choices=[(status.value, status.label) for status in ANNOUNCEMENT_STATUSES],
        widget=forms.CheckboxSelectMultiple,
        initial=DEFAULT_STATUSES,
        required=False,
        help_text=_(
            "Cancelled: people who gave up their place (e.g. to offer them a new date). "
            "Someone registered twice (a cancelled and a new place) gets one email."
        ),
    )
    audience_types = forms.ModelMultipleChoiceField(
        label=_("Audience types"),
        queryset=AudienceType.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Leave all unticked to write to every audience type."),
    )

    class Meta:
        model = Announcement
        fields = [
            "seminar",
            *language_columns("subject"),
            *language_columns("body"),
            "statuses",
            "audience_types",
        ]

    def clean_statuses(self) -> list[str]:
        statuses = self.cleaned_data["statuses"]
        if not statuses:
            raise forms.ValidationError(str(AnnouncementWithoutStatuses.message))
        # Stored in the order the choices list them, whatever order the browser sent.
        return [status.value for status in ANNOUNCEMENT_STATUSES if status.value in statuses]

    def clean_seminar(self):
        seminar = self.cleaned_data["seminar"]
        if seminar is not None and not seminar_announceable(seminar):
            raise forms.ValidationError(str(AnnouncementSeminarNotPublished.message))
        return seminar


class EmailOptOutForm(forms.ModelForm):
    """An organiser records an unsubscription (e.g. someone who asked by email)."""

    class Meta:
        model = EmailOptOut
        fields = ["email"]

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if EmailOptOut.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(_("This address has already unsubscribed."))
        return email
