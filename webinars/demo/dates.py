"""When the demo seminars happen, computed from "now" so the demo always has upcoming events.

Each schedule resolves to an aware UTC datetime from a wall-clock time in a named zone,
so a seminar planned for 10:00 London stays at 10:00 London on both sides of a clock change.
"""

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = "Europe/London"
TOKYO = "Asia/Tokyo"

SATURDAY = 5


def last_sunday(year: int, month: int) -> date:
    """The last Sunday of a month: when UK clocks change (March forward, October back)."""
    last_day = date(year, month, calendar.monthrange(year, month)[1])
    return last_day - timedelta(days=(last_day.weekday() - calendar.SUNDAY) % 7)


def wall_clock(day: date, at: time, zone: str) -> datetime:
    """The UTC instant of a wall-clock time in a zone (what organisers type in the admin)."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def next_weekday(day: date) -> date:
    """The day itself, or the Monday after it when it falls on a weekend."""
    while day.weekday() >= SATURDAY:
        day += timedelta(days=1)
    return day


@dataclass(frozen=True)
class DaysFromToday:
    """A weekday ``days`` after (or, if negative, before) today in London, at a local time."""

    days: int
    at: time
    zone: str = LONDON

    def starts_at(self, now: datetime) -> datetime:
        today = now.astimezone(ZoneInfo(LONDON)).date()
        return wall_clock(next_weekday(today + timedelta(days=self.days)), self.at, self.zone)


@dataclass(frozen=True)
class AroundUkClockChange:
    """10:00 London on the Friday before or the Monday after a UK clock change.

    ``season="autumn"`` is the latest October change whose Monday seminar is already over
    (both seminars in the past); ``season="spring"`` is the next March change whose Friday
    seminar is still ahead (both upcoming). The Tokyo time of the pair differs by an hour.
    """

    season: str  # "autumn" or "spring"
    side: str  # "friday" (before the change) or "monday" (after it)
    at: time = time(10, 0)
    duration: timedelta = timedelta(hours=2)

    def change_day(self, now: datetime) -> date:
        year = now.astimezone(ZoneInfo(LONDON)).year
        if self.season == "autumn":
            for candidate_year in (year, year - 1):
                sunday = last_sunday(candidate_year, 10)
                if wall_clock(sunday + timedelta(days=1), self.at, LONDON) + self.duration <= now:
                    return sunday
            raise AssertionError("unreachable: last year's change is always over")
        for candidate_year in (year, year + 1):
            sunday = last_sunday(candidate_year, 3)
            if wall_clock(sunday - timedelta(days=2), self.at, LONDON) > now:
                return sunday
        raise AssertionError("unreachable: next year's change is always ahead")

    def starts_at(self, now: datetime) -> datetime:
        sunday = self.change_day(now)
        offset = timedelta(days=-2 if self.side == "friday" else 1)
        return wall_clock(sunday + offset, self.at, LONDON)


Schedule = DaysFromToday | AroundUkClockChange
