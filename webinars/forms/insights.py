"""The insights page's filter: a date range and, optionally, one series (from the query
string, so a report's address can be bookmarked and shared with colleagues)."""

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from webinars.models import Series
from webinars.selectors.insights import Scope

DEFAULT_DAYS_BACK = 365
DEFAULT_DAYS_AHEAD = 183
LONGEST_RANGE_DAYS = 10 * 366
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


def default_range(today: date | None = None) -> tuple[date, date]:
    """The last twelve months and the next six: past seminars' figures and the
    registrations of those coming."""
    today = today or timezone.localdate(timezone=ZoneInfo(settings.UK_TIME_ZONE))
    return today - timedelta(days=DEFAULT_DAYS_BACK), today + timedelta(days=DEFAULT_DAYS_AHEAD)


class SeriesBySlugField(forms.ModelChoiceField):
    def to_python(self, value: object) -> Series | None:
        try:
            return super().to_python(value)
        except forms.ValidationError:
            raise forms.ValidationError(
                _("There is no series called “%(slug)s”. Choose one from the list."),
                code="invalid_choice",
                params={"slug": str(value)[:60]},
            ) from None


class InsightsFilterForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the start date as YYYY-MM-DD, e.g. 2026-01-31.")},
    )
    end = forms.DateField(
        label=_("To"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Enter the end date as YYYY-MM-DD, e.g. 2026-12-31.")},
    )
    series = SeriesBySlugField(
        label=_("Series"),
        queryset=Series.objects.order_by("position", "name"),
        to_field_name="slug",
        required=False,
        empty_label=_("All series"),
    )

    def __init__(self, data: object = None, **kwargs: object) -> None:
        # The dates default to the standard range when the query string leaves them out.
        start, end = default_range()
        values = {"start": start.isoformat(), "end": end.isoformat(), "series": ""}
        if data:
            values.update({name: data.get(name) or values[name] for name in values})
        super().__init__(values, **kwargs)

    def clean(self) -> dict:
        cleaned_data = super().clean()
        start, end = cleaned_data.get("start"), cleaned_data.get("end")
        for name, day in (("start", start), ("end", end)):
            if day and not EARLIEST <= day <= LATEST:
                self.add_error(name, _("Choose a date between 2000 and 2099."))
                return cleaned_data
        if start and end:
            if end < start:
                raise forms.ValidationError(
                    _("The end date (%(end)s) is before the start date (%(start)s)."),
                    code="reversed",
                    params={"start": start.isoformat(), "end": end.isoformat()},
                )
            if (end - start).days > LONGEST_RANGE_DAYS:
                raise forms.ValidationError(
                    _("Choose a range of at most ten years."), code="too_long"
                )
        return cleaned_data

    def scope(self) -> Scope:
        """The seminars the valid form chose."""
        data = self.cleaned_data
        return Scope(start=data["start"], end=data["end"], series=data["series"])
