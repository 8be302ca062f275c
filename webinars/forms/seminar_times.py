"""A seminar's times as its organiser plans them: the clock in the seminar's own zone.

A seminar at 19:00 in Tokyo is typed as 19:00 with the zone Asia/Tokyo, whatever the UK
clocks are doing; it is stored in UTC as ever. The date-time fields clean to naive
wall-clock times, and :func:`localize_seminar_times` turns them into aware UTC times in
the zone chosen on the same form, refusing a time the clocks skip or repeat there.
"""

import zoneinfo
from datetime import UTC, datetime
from typing import Any

from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.utils import formats
from django.utils.translation import gettext, gettext_lazy

from accounts.validators import available_time_zones

SEMINAR_TIME_FIELDS = (
    "starts_at",
    "ends_at",
    "rehearsal_starts_at",
    "registration_opens_at",
    "registration_closes_at",
)


class WallClockDateTimeField(forms.SplitDateTimeField):
    """A date and a time as typed, with no zone yet (the form knows which zone)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", AdminSplitDateTime)
        kwargs.setdefault("help_text", gettext_lazy("In the seminar's time zone."))
        super().__init__(**kwargs)

    def compress(self, data_list: list[Any]) -> datetime | None:
        if data_list and data_list[0] is not None and data_list[1] is not None:
            # Unlike Django's field, no conversion from the admin's zone here.
            return datetime.combine(*data_list)
        return super().compress(data_list)

    def prepare_value(self, value: Any) -> Any:
        # Initial values are already the seminar zone's wall clock (see wall_clock_initial).
        return value


def wall_clock_initial(moment: datetime | None, zone_name: str) -> datetime | None:
    """A stored (UTC) time as the seminar zone's clock reads it, for the form's fields."""
    if moment is None or zone_name not in available_time_zones():
        return moment
    return moment.astimezone(zoneinfo.ZoneInfo(zone_name)).replace(tzinfo=None)


def _in_zone(wall_clock: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """``wall_clock`` in ``zone`` as UTC; ValidationError if the clocks skip or repeat it."""
    earlier = wall_clock.replace(tzinfo=zone, fold=0)
    later = wall_clock.replace(tzinfo=zone, fold=1)
    shown = formats.date_format(wall_clock, "j F Y, H:i")
    if earlier.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != wall_clock:
        raise forms.ValidationError(
            gettext(
                "%(time)s does not exist in %(zone)s: the clocks go forward then. "
                "Choose a time outside the skipped hour."
            )
            % {"time": shown, "zone": zone.key},
            code="nonexistent_time",
        )
    if earlier.utcoffset() != later.utcoffset():
        raise forms.ValidationError(
            gettext(
                "%(time)s happens twice in %(zone)s: the clocks go back then. "
                "Choose a time outside the repeated hour."
            )
            % {"time": shown, "zone": zone.key},
            code="ambiguous_time",
        )
    return earlier.astimezone(UTC)


def localize_seminar_times(form: forms.BaseForm, cleaned_data: dict[str, Any]) -> None:
    """Turn the form's wall-clock times into UTC in its ``timezone``; errors on the field."""
    zone_name = cleaned_data.get("timezone")
    if zone_name not in available_time_zones():
        # The zone's own error says what to fix, and the form is not saved; UTC only keeps
        # the model's checks from adding errors about naive times.
        zone_name = "UTC"
    zone = zoneinfo.ZoneInfo(zone_name)
    for name in SEMINAR_TIME_FIELDS:
        value = cleaned_data.get(name)
        if isinstance(value, datetime) and value.tzinfo is None:
            try:
                cleaned_data[name] = _in_zone(value, zone)
            except forms.ValidationError as error:
                form.add_error(name, error)
