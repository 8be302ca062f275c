import pytest
from django import forms

from webinars.forms.reminders import ReminderOffsetsField, offset_text, parse_offsets


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (15, "15 minutes"),
        (1, "1 minute"),
        (90, "90 minutes"),
        (60, "1 hour"),
        (180, "3 hours"),
        (1440, "1 day"),
        (2880, "2 days"),
        (10080, "1 week"),
        (20160, "2 weeks"),
        (1500, "25 hours"),
    ],
)
def test_offsets_read_as_the_largest_whole_unit(minutes, text):
    assert offset_text(minutes) == text
    assert parse_offsets(text) == [minutes]


def test_typed_offsets_take_commas_semicolons_lines_and_japanese_commas():
    assert parse_offsets("2 h; 30 mins\n1 W、 3d") == [120, 30, 10080, 4320]


def test_a_seminar_with_nothing_chosen_uses_its_series_reminders_and_a_series_has_none():
    seminar_field = ReminderOffsetsField(empty_means=None)
    series_field = ReminderOffsetsField(empty_means=[])

    assert seminar_field.clean([[], ""]) is None
    assert series_field.clean([[], "  "]) == []


def test_ticked_and_typed_offsets_merge_longest_first_without_repeats():
    field = ReminderOffsetsField(empty_means=None)

    assert field.clean([["60", "1440"], "1 day, 45 minutes"]) == [1440, 60, 45]


def test_a_tampered_box_value_is_refused():
    field = ReminderOffsetsField(empty_means=None)

    with pytest.raises(forms.ValidationError):
        field.clean([["999999"], ""])


def test_what_the_japanese_admin_shows_is_read_back():
    # The box is filled in the organiser's language: "2日" must save as it came.
    full_width_one_week, full_width_two_h = "\uff11週間", "\uff12\uff48"
    typed = f"2日、90分; 3時間前, {full_width_one_week}, {full_width_two_h}"
    assert parse_offsets(typed) == [2880, 90, 180, 10080, 120]


def test_shown_in_japanese_and_typed_back_round_trips():
    from django.utils import translation

    with translation.override("ja"):
        shown = ", ".join(offset_text(minutes) for minutes in (2 * 1440, 90, 3 * 60, 10080))

    assert parse_offsets(shown) == [2880, 90, 180, 10080]
