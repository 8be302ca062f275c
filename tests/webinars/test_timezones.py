from datetime import UTC, datetime, timedelta

import pytest

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
