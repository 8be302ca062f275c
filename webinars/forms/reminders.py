"""Reminder offsets as organisers think of them: "1 day", "1 hour", not ``[1440, 60]``.

The field shows the usual moments as boxes to tick and takes any other as text ("90
minutes, 4 days"); it cleans to the model's list of whole minutes before the start,
longest first. On a seminar, ticking nothing and typing nothing means "the series'
reminders" (None); on a series it means no reminders at all ([]).
"""

import re
import unicodedata
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

MINUTE, HOUR, DAY, WEEK = 1, 60, 24 * 60, 7 * 24 * 60
# The longest a reminder may come before the start (the model's validator agrees).
MAX_OFFSET_MINUTES = 60 * DAY
MAX_REMINDERS = 6
PRESET_MINUTES = (WEEK, 3 * DAY, DAY, 3 * HOUR, HOUR, 15 * MINUTE)
UNITS = {
    "m": MINUTE,
    "min": MINUTE,
    "mins": MINUTE,
    "minute": MINUTE,
    "minutes": MINUTE,
    "h": HOUR,
    "hr": HOUR,
    "hrs": HOUR,
    "hour": HOUR,
    "hours": HOUR,
    "d": DAY,
    "day": DAY,
    "days": DAY,
    "w": WEEK,
    "week": WEEK,
    "weeks": WEEK,
    # As the Japanese admin shows them ("2日", "3時間"): the box is filled in the
    # organiser's language and must take back what it shows.
    "分": MINUTE,
    "時間": HOUR,
    "日": DAY,
    "週": WEEK,
    "週間": WEEK,
}
# A number and a unit; a trailing "前" ("before", as in 2日前) is allowed.
DURATION = re.compile(r"^(\d{1,4})\s*([a-z]+|[分時間日週]+)\s*前?$")


def offset_text(minutes: int) -> str:
    """``1440`` → "1 day", ``90`` → "90 minutes": the largest unit that divides it."""
    if minutes % WEEK == 0:
        weeks = minutes // WEEK
        return ngettext("%(count)d week", "%(count)d weeks", weeks) % {"count": weeks}
    if minutes % DAY == 0:
        days = minutes // DAY
        return ngettext("%(count)d day", "%(count)d days", days) % {"count": days}
    if minutes % HOUR == 0:
        hours = minutes // HOUR
        return ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
    return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}


def parse_offsets(text: str) -> list[int]:
    """ "90 minutes, 4 days" → ``[90, 5760]``; raises ValidationError naming the bad part."""
    offsets = []
    # NFKC first: full-width digits, letters, commas and semicolons, as a Japanese
    # keyboard types them.
    for part in re.split(r"[,;\n、]+", unicodedata.normalize("NFKC", text)):
        part = part.strip().lower()
        if not part:
            continue
        match = DURATION.match(part)
        if match is None or match.group(2) not in UNITS:
            raise forms.ValidationError(
                _(
                    "“%(part)s” is not a time before the start. "
                    "Write it like “2 hours” or “4 days”."
                ),
                code="invalid_offset",
                params={"part": part},
            )
        offsets.append(int(match.group(1)) * UNITS[match.group(2)])
    return offsets


class ReminderOffsetsWidget(forms.MultiWidget):
    """Boxes for the usual moments, and a text box for any other."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        presets = [(str(minutes), offset_text(minutes)) for minutes in PRESET_MINUTES]
        super().__init__(
            [
                forms.CheckboxSelectMultiple(choices=presets),
                forms.TextInput(
                    attrs={
                        "size": 40,
                        "placeholder": _("Other times, e.g. 2 days, 30 minutes"),
                        "aria-label": _("Other times before the start"),
                    }
                ),
            ],
            attrs,
        )

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        # MultiWidget decompresses only values that are not lists, but the model's value is
        # itself a list (of minutes); what the browser posted is [ticked, typed].
        if value is None or all(type(minutes) is int for minutes in value):
            value = self.decompress(value)
        return super().get_context(name, value, attrs)

    def decompress(self, value: Any) -> list[Any]:
        if not value:
            return [[], ""]
        presets = [str(minutes) for minutes in value if minutes in PRESET_MINUTES]
        others = ", ".join(
            offset_text(minutes) for minutes in value if minutes not in PRESET_MINUTES
        )
        return [presets, others]


class ReminderOffsetsField(forms.MultiValueField):
    """Cleans ticked boxes and typed durations to whole minutes before the start.

    ``empty_means`` is what ticking and typing nothing stands for: None on a seminar (the
    series' reminders), [] on a series (none).
    """

    widget = ReminderOffsetsWidget

    def __init__(self, *, empty_means: list[int] | None, **kwargs: Any) -> None:
        self.empty_means = empty_means
        kwargs.setdefault("require_all_fields", False)
        kwargs["required"] = False
        super().__init__(
            fields=[
                forms.MultipleChoiceField(
                    choices=[(str(minutes), str(minutes)) for minutes in PRESET_MINUTES],
                    required=False,
                ),
                forms.CharField(required=False, max_length=200),
            ],
            **kwargs,
        )

    def compress(self, data_list: list[Any]) -> list[int] | None:
        data_list = data_list or []
        ticked = data_list[0] if data_list else []
        typed = data_list[1] if len(data_list) > 1 else ""
        offsets = {int(minutes) for minutes in ticked or []}
        offsets.update(parse_offsets(typed or ""))
        if not offsets:
            return None if self.empty_means is None else list(self.empty_means)
        too_far = [minutes for minutes in offsets if not 0 < minutes <= MAX_OFFSET_MINUTES]
        if too_far:
            raise forms.ValidationError(
                _("A reminder can come at most 60 days before the start, and not at the start."),
                code="offset_out_of_range",
            )
        if len(offsets) > MAX_REMINDERS:
            raise forms.ValidationError(
                _("Choose at most %(count)d reminders."),
                code="too_many_offsets",
                params={"count": MAX_REMINDERS},
            )
        return sorted(offsets, reverse=True)
