"""Seminar times as people read them: in the seminar's own zone, in UK time and in Japan time.

Pure helpers (no database): pages, emails and calendar descriptions all show times
the same way. Speakers are often in Japan and audiences in the UK, so the
London–Tokyo gap (8 hours in BST, 9 hours in GMT) changes twice a year; a note
warns when a UK clock change falls near a seminar.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import dateformat
from django.utils.translation import gettext, pgettext

# How far either side of a seminar a UK clock change is worth a note.
CLOCK_CHANGE_WINDOW = timedelta(days=21)
# Clock changes are found by sampling the offset this often, then bisecting.
_SAMPLE_STEP = timedelta(hours=6)


def uk_zone_name() -> str:
    return settings.UK_TIME_ZONE


def japan_zone_name() -> str:
    return settings.JAPAN_TIME_ZONE


def long_date_format() -> str:
    # Translators: Django date format for a day with its weekday, e.g. "Friday 23 October 2026".
    # See https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date
    return pgettext("date format", "l j F Y")


def short_date_format() -> str:
    # Translators: Django date format for a short day with weekday, e.g. "Fri 23 Oct".
    return pgettext("date format", "D j M")


def time_format() -> str:
    # Translators: Django time format, e.g. "18:00".
    return pgettext("time format", "H:i")


def city_name(zone: str) -> str:
    """A readable place for an IANA zone: "London", "Tokyo", "New York"."""
    if zone == uk_zone_name():
        return pgettext("city", "London")
    if zone == japan_zone_name():
        # "city": the prefecture of the same English name is 東京都, the city 東京.
        return pgettext("city", "Tokyo")
    return zone.rsplit("/", 1)[-1].replace("_", " ")


@dataclass(frozen=True)
class ZonedSpan:
    """A seminar's start and end as wall-clock times in one zone."""

    zone: str
    starts: datetime
    ends: datetime

    @property
    def city(self) -> str:
        return city_name(self.zone)

    @property
    def is_uk(self) -> bool:
        return self.zone == uk_zone_name()

    @property
    def is_japan(self) -> bool:
        return self.zone == japan_zone_name()

    @property
    def abbreviation(self) -> str:
        """The zone's abbreviation at the start, e.g. GMT, BST or JST."""
        return self.starts.tzname() or self.zone

    @property
    def crosses_midnight(self) -> bool:
        return self.starts.date() != self.ends.date()

    def date_text(self, date_format: str | None = None) -> str:
        return dateformat.format(self.starts, date_format or long_date_format())

    @property
    def long_date_text(self) -> str:
        """ "Friday 23 October 2026"."""
        return self.date_text()

    @property
    def short_date_text(self) -> str:
        """ "Fri 23 Oct"."""
        return self.date_text(short_date_format())

    def times_text(self) -> str:
        """ "10:00–11:00 BST", or "23:30 – Sat 24 Oct, 00:30 JST" across midnight."""
        start = dateformat.format(self.starts, time_format())
        end = dateformat.format(self.ends, time_format())
        end_abbreviation = self.ends.tzname() or self.zone
        if self.crosses_midnight:
            end = gettext("%(date)s, %(time)s") % {
                "date": dateformat.format(self.ends, short_date_format()),
                "time": end,
            }
            return f"{start} – {end} {end_abbreviation}"
        if end_abbreviation != self.abbreviation:
            # A clock change during the seminar itself: say which side each time is on.
            return f"{start} {self.abbreviation} – {end} {end_abbreviation}"
        return f"{start}–{end} {self.abbreviation}"

    def text(self, *, with_date: bool = True, with_city: bool = True) -> str:
        """ "Friday 23 October 2026, 10:00–11:00 BST (London)"."""
        text = self.times_text()
        if with_date:
            text = gettext("%(date)s, %(times)s") % {"date": self.date_text(), "times": text}
        if with_city:
            text = gettext("%(times)s (%(city)s)") % {"times": text, "city": self.city}
        return text


def zoned_span(starts_at: datetime, ends_at: datetime, zone: str) -> ZonedSpan:
    tz = zoneinfo.ZoneInfo(zone)
    return ZonedSpan(zone=zone, starts=starts_at.astimezone(tz), ends=ends_at.astimezone(tz))


def seminar_spans(starts_at: datetime, ends_at: datetime, zone: str) -> list[ZonedSpan]:
    """The seminar's own zone first, then UK time, then Japan time, each zone once."""
    zones = [zone]
    for other in (uk_zone_name(), japan_zone_name()):
        if other not in zones:
            zones.append(other)
    return [zoned_span(starts_at, ends_at, name) for name in zones]


def spans_line(spans: list[ZonedSpan]) -> str:
    """One line for lists and emails.

    "Friday 23 October 2026, 10:00–11:00 BST (London) · 18:00–19:00 JST (Tokyo)": a later
    zone repeats the date only when its day differs from the first zone's.
    """
    if not spans:
        return ""
    first_day = spans[0].starts.date()
    parts = [spans[0].text()]
    for span in spans[1:]:
        parts.append(span.text(with_date=span.starts.date() != first_day))
    return " · ".join(parts)


def seminar_times_line(starts_at: datetime, ends_at: datetime, zone: str) -> str:
    return spans_line(seminar_spans(starts_at, ends_at, zone))


def moment_line(moment: datetime, zones: list[str]) -> str:
    """One moment in several zones, each once: "Friday 23 October 2026, 17:30 JST (Tokyo) ·
    09:30 BST (London)"; a later zone repeats the date only when its day differs."""
    parts, first_day, seen = [], None, []
    for zone in zones:
        if not zone or zone in seen:
            continue
        seen.append(zone)
        local = moment.astimezone(zoneinfo.ZoneInfo(zone))
        text = gettext("%(time)s %(zone)s (%(city)s)") % {
            "time": dateformat.format(local, time_format()),
            "zone": local.tzname() or zone,
            "city": city_name(zone),
        }
        if first_day is None or local.date() != first_day:
            text = gettext("%(date)s, %(times)s") % {
                "date": dateformat.format(local, long_date_format()),
                "times": text,
            }
        first_day = first_day or local.date()
        parts.append(text)
    return " · ".join(parts)


def utc_iso(value: datetime) -> str:
    """ "2026-10-23T09:00:00Z": what `<time datetime>` and the viewer's-time script read."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- Clock changes ----------------------------------------------------------


@dataclass(frozen=True)
class ClockChange:
    """A moment when a zone's UTC offset changes (a daylight saving transition)."""

    zone: str
    at: datetime  # the first instant (UTC) with the new offset
    offset_before: timedelta
    offset_after: timedelta

    @property
    def goes_forward(self) -> bool:
        return self.offset_after > self.offset_before

    @property
    def local_date_text(self) -> str:
        """The day of the change in the zone itself, e.g. "Sunday 25 October 2026"."""
        local = self.at.astimezone(zoneinfo.ZoneInfo(self.zone))
        return dateformat.format(local, long_date_format())


def _offset(tz: zoneinfo.ZoneInfo, moment: datetime) -> timedelta:
    return moment.astimezone(tz).utcoffset() or timedelta(0)


def clock_changes(zone: str, start: datetime, end: datetime) -> list[ClockChange]:
    """Every offset change of ``zone`` between two instants, in order."""
    # In UTC: arithmetic on datetimes of one zoneinfo zone is wall-clock arithmetic,
    # which would step and bisect across the very changes sought.
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    tz = zoneinfo.ZoneInfo(zone)
    changes = []
    moment, offset = start, _offset(tz, start)
    while moment < end:
        following = min(moment + _SAMPLE_STEP, end)
        following_offset = _offset(tz, following)
        if following_offset != offset:
            low, high = moment, following
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                if _offset(tz, middle) == offset:
                    low = middle
                else:
                    high = middle
            # Transitions fall on whole seconds: with low < change <= high <= low + 1 s,
            # high is less than a second past the change, whose whole second it is in.
            changes.append(
                ClockChange(
                    zone=zone,
                    at=high.replace(microsecond=0).astimezone(UTC),
                    offset_before=offset,
                    offset_after=following_offset,
                )
            )
        moment, offset = following, following_offset
    return changes


def uk_clock_change_near(
    moment: datetime, *, window: timedelta = CLOCK_CHANGE_WINDOW
) -> ClockChange | None:
    """The UK clock change closest to ``moment`` within ``window`` either side, if any."""
    changes = clock_changes(uk_zone_name(), moment - window, moment + window)
    return min(changes, key=lambda change: abs(change.at - moment), default=None)


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g}"


def uk_clock_change_note(
    moment: datetime, *, window: timedelta = CLOCK_CHANGE_WINDOW
) -> str | None:
    """Warn that the London–Tokyo gap changes near ``moment``, or None when it does not.

    "UK clocks go back one hour on Sunday 25 October 2026: the London–Tokyo gap is then
    9 hours (8 hours before)."
    """
    change = uk_clock_change_near(moment, window=window)
    if change is None:
        return None
    tokyo = zoneinfo.ZoneInfo(japan_zone_name())
    tokyo_offset = _offset(tokyo, change.at)
    values = {
        "date": change.local_date_text,
        "after": _hours(tokyo_offset - change.offset_after),
        "before": _hours(tokyo_offset - change.offset_before),
    }
    if change.goes_forward:
        return (
            gettext(
                "UK clocks go forward one hour on %(date)s: the London–Tokyo gap is then "
                "%(after)s hours (%(before)s hours before)."
            )
            % values
        )
    return (
        gettext(
            "UK clocks go back one hour on %(date)s: the London–Tokyo gap is then "
            "%(after)s hours (%(before)s hours before)."
        )
        % values
    )
