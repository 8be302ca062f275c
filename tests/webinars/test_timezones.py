from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from tests.factories import london
from webinars import timezones


def _hour(start: datetime, hours: float = 1) -> tuple[datetime, datetime]:
    return start, start + timedelta(hours=hours)


def test_friday_before_clocks_go_back_is_eight_hours_behind_tokyo():
    spans = timezones.seminar_spans(*_hour(london(2026, 10, 23, 10)), "Europe/London")

    assert [(span.zone, span.starts.hour, span.abbreviation) for span in spans] == [
        ("Europe/London", 10, "BST"),
        ("Asia/Tokyo", 18, "JST"),
    ]


def test_monday_after_clocks_go_back_is_nine_hours_behind_tokyo():
    spans = timezones.seminar_spans(*_hour(london(2026, 10, 26, 10)), "Europe/London")

    assert [(span.zone, span.starts.hour, span.abbreviation) for span in spans] == [
        ("Europe/London", 10, "GMT"),
        ("Asia/Tokyo", 19, "JST"),
    ]


def test_times_line_reads_naturally():
    line = timezones.seminar_times_line(*_hour(london(2026, 10, 23, 10)), "Europe/London")

    assert line == "Friday 23 October 2026, 10:00–11:00 BST (London) · 18:00–19:00 JST (Tokyo)"


def test_times_line_repeats_the_date_when_tokyo_is_already_on_the_next_day():
    line = timezones.seminar_times_line(*_hour(london(2026, 11, 6, 17), 1.5), "Europe/London")

    assert line == (
        "Friday 6 November 2026, 17:00–18:30 GMT (London) · "
        "Saturday 7 November 2026, 02:00–03:30 JST (Tokyo)"
    )


def test_seminar_zone_comes_first_then_uk_then_japan():
    line = timezones.seminar_times_line(*_hour(london(2026, 6, 12, 9)), "Europe/Paris")

    assert line == (
        "Friday 12 June 2026, 10:00–11:00 CEST (Paris) · 09:00–10:00 BST (London) · "
        "17:00–18:00 JST (Tokyo)"
    )


def test_seminar_planned_in_tokyo_time_is_not_listed_twice():
    spans = timezones.seminar_spans(*_hour(london(2026, 6, 12, 9)), "Asia/Tokyo")

    assert [span.zone for span in spans] == ["Asia/Tokyo", "Europe/London"]


def test_span_across_midnight_names_the_end_day():
    span = timezones.zoned_span(*_hour(london(2026, 6, 12, 15), 2), "Asia/Tokyo")

    assert span.crosses_midnight is True
    assert span.times_text() == "23:00 – Sat 13 Jun, 01:00 JST"


def test_span_during_the_clock_change_labels_both_ends():
    span = timezones.zoned_span(*_hour(london(2026, 10, 25, 0), 3), "Europe/London")

    assert span.times_text() == "00:00 BST – 02:00 GMT"


def test_city_names():
    assert timezones.city_name("Europe/London") == "London"
    assert timezones.city_name("Asia/Tokyo") == "Tokyo"
    assert timezones.city_name("America/New_York") == "New York"


def test_utc_iso():
    assert timezones.utc_iso(london(2026, 10, 23, 10)) == "2026-10-23T09:00:00Z"


def test_finds_both_uk_clock_changes_of_2026():
    changes = timezones.clock_changes(
        "Europe/London", datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    )

    assert [(c.at, c.goes_forward, c.local_date_text) for c in changes] == [
        (datetime(2026, 3, 29, 1, tzinfo=UTC), True, "Sunday 29 March 2026"),
        (datetime(2026, 10, 25, 1, tzinfo=UTC), False, "Sunday 25 October 2026"),
    ]
    # Given in UTC, whatever the server's own zone (London is in BST from 29 March).
    assert [c.at.utcoffset() for c in changes] == [timedelta(0), timedelta(0)]


def test_japan_has_no_clock_changes():
    assert (
        timezones.clock_changes(
            "Asia/Tokyo", datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
        )
        == []
    )


@pytest.mark.parametrize(
    "start",
    [london(2026, 10, 23, 10), london(2026, 10, 26, 10), london(2026, 10, 4, 10)],
)
def test_note_when_uk_clocks_go_back_near_the_seminar(start):
    assert timezones.uk_clock_change_note(start) == (
        "UK clocks go back one hour on Sunday 25 October 2026: "
        "the London–Tokyo gap is then 9 hours (8 hours before)."
    )


@pytest.mark.parametrize("start", [london(2026, 3, 27, 10), london(2026, 4, 14, 10)])
def test_note_when_uk_clocks_go_forward_near_the_seminar(start):
    assert timezones.uk_clock_change_note(start) == (
        "UK clocks go forward one hour on Sunday 29 March 2026: "
        "the London–Tokyo gap is then 8 hours (9 hours before)."
    )


@pytest.mark.parametrize(
    "start",
    [london(2026, 6, 12, 10), london(2026, 9, 30, 10), london(2026, 11, 20, 10)],
)
def test_no_note_more_than_three_weeks_from_a_change(start):
    assert timezones.uk_clock_change_note(start) is None


def test_city_names_read_in_japanese_name_the_city_not_the_prefecture():
    with translation.override("ja"):
        # "Tokyo" alone is the prefecture (東京都); the city needs its context.
        assert timezones.city_name("Asia/Tokyo") == "東京"
        assert timezones.city_name("Europe/London") == "ロンドン"


def test_city_name_of_a_zone_with_a_region_or_none():
    assert timezones.city_name("America/Argentina/Buenos_Aires") == "Buenos Aires"
    assert timezones.city_name("UTC") == "UTC"


def test_dates_in_japanese():
    span = timezones.zoned_span(*_hour(london(2026, 6, 12, 15), 2), "Asia/Tokyo")

    with translation.override("ja"):
        assert span.short_date_text == "6月12日(金)"
        assert span.long_date_text == "2026年6月12日(金)"


def test_no_spans_make_an_empty_line():
    assert timezones.spans_line([]) == ""


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 0, 300_000, tzinfo=UTC),
        datetime(2026, 2, 28, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 3, 7, 13, 17, 41, 123_456, tzinfo=UTC),
        datetime(2026, 3, 8, 6, 59, 59, tzinfo=UTC),
    ],
)
def test_clock_changes_of_another_zone_are_found_to_the_second(start):
    # New York's own rules (not the UK's, nor the server's zone), from starts that are
    # not on the hour: the bisection must land on the change itself, every time.
    changes = timezones.clock_changes("America/New_York", start, datetime(2027, 1, 1, tzinfo=UTC))

    assert [(c.at, c.offset_before, c.offset_after) for c in changes] == [
        (datetime(2026, 3, 8, 7, tzinfo=UTC), timedelta(hours=-5), timedelta(hours=-4)),
        (datetime(2026, 11, 1, 6, tzinfo=UTC), timedelta(hours=-4), timedelta(hours=-5)),
    ]


def test_the_nearest_of_several_clock_changes_is_the_one_noted():
    moment = london(2026, 10, 1, 10)

    change = timezones.uk_clock_change_near(moment, window=timedelta(days=200))

    # Within 200 days: 29 March 2026, 25 October 2026 and 28 March 2027.
    assert change.at == datetime(2026, 10, 25, 1, tzinfo=UTC)
    assert timezones.uk_clock_change_near(
        london(2026, 4, 10, 10), window=timedelta(days=200)
    ).at == (datetime(2026, 3, 29, 1, tzinfo=UTC))


def test_the_note_looks_as_far_as_it_is_asked():
    five_weeks_before = london(2026, 9, 20, 10)

    assert timezones.uk_clock_change_note(five_weeks_before) is None
    assert timezones.uk_clock_change_note(five_weeks_before, window=timedelta(days=40)) == (
        "UK clocks go back one hour on Sunday 25 October 2026: "
        "the London–Tokyo gap is then 9 hours (8 hours before)."
    )


def test_a_moment_in_several_zones_names_each_once_and_repeats_the_date_only_when_it_differs():
    moment = datetime(2026, 10, 23, 8, 30, tzinfo=UTC)  # a speakers' rehearsal

    line = timezones.moment_line(moment, ["Asia/Tokyo", "", "Europe/London", "Asia/Tokyo"])

    assert line == ("Friday 23 October 2026, 17:30 JST (Tokyo) · 09:30 BST (London)")


def test_a_moment_on_another_day_in_a_later_zone_names_that_day():
    moment = datetime(2026, 11, 6, 17, tzinfo=UTC)

    line = timezones.moment_line(moment, ["Europe/London", "Asia/Tokyo", "America/New_York"])

    assert line == (
        "Friday 6 November 2026, 17:00 GMT (London) · "
        "Saturday 7 November 2026, 02:00 JST (Tokyo) · 12:00 EST (New York)"
    )


def test_a_moment_in_japanese():
    moment = datetime(2026, 10, 23, 8, 30, tzinfo=UTC)

    with translation.override("ja"):
        line = timezones.moment_line(moment, ["Asia/Tokyo", "Europe/London"])

    assert line == "2026年10月23日(金) 17:30 JST（東京） · 09:30 BST（ロンドン）"


def test_no_zones_make_an_empty_moment_line():
    assert timezones.moment_line(datetime(2026, 10, 23, 8, 30, tzinfo=UTC), []) == ""


def test_clock_changes_are_the_same_whatever_zone_the_bounds_are_given_in():
    # Bounds from a form are aware in London time: wall-clock arithmetic on them would
    # put the autumn change an hour late.
    in_london = ZoneInfo("Europe/London")
    london_bounds = (
        datetime(2026, 3, 1, tzinfo=in_london),
        datetime(2026, 12, 1, tzinfo=in_london),
    )
    utc_bounds = tuple(bound.astimezone(UTC) for bound in london_bounds)

    changes = timezones.clock_changes("Europe/London", *london_bounds)

    assert changes == timezones.clock_changes("Europe/London", *utc_bounds)
    assert [c.at for c in changes] == [
        datetime(2026, 3, 29, 1, tzinfo=UTC),
        datetime(2026, 10, 25, 1, tzinfo=UTC),
    ]
