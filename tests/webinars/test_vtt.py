import re
from datetime import timedelta

import pytest

from webinars.vtt import Cue, VttError, format_offset, parse_vtt

GOOD = """WEBVTT - Kyushu onsen seminar
Kind: captions

NOTE Exported from Zoom, tidied by hand.

intro
00:00.000 --> 00:04.250 align:start
<v Aiko Tanaka>Welcome to Kumamoto &amp; Aso,
everyone.</v>

00:04.500 --> 00:09.000
<v.loud Tom O&#39;Brien>Onsen towns are <i>busy</i> in winter &lt;really&gt;.

01:02:03.004 --> 01:02:05.000
An hour in: questions.
"""


def error_of(text: str | bytes) -> tuple[int, str]:
    with pytest.raises(VttError) as caught:
        parse_vtt(text)
    return caught.value.line, str(caught.value)


def test_good_file_with_voices_entities_and_short_timestamps():
    assert parse_vtt(GOOD) == [
        Cue(
            starts_at=timedelta(0),
            ends_at=timedelta(seconds=4, milliseconds=250),
            text="Welcome to Kumamoto & Aso, everyone.",
            voice="Aiko Tanaka",
        ),
        Cue(
            starts_at=timedelta(seconds=4, milliseconds=500),
            ends_at=timedelta(seconds=9),
            text="Onsen towns are busy in winter <really>.",
            voice="Tom O'Brien",
        ),
        Cue(
            starts_at=timedelta(hours=1, minutes=2, seconds=3, milliseconds=4),
            ends_at=timedelta(hours=1, minutes=2, seconds=5),
            text="An hour in: questions.",
        ),
    ]


def test_bytes_with_bom_and_windows_line_endings():
    data = "\ufeffWEBVTT\r\n\r\n00:01.000 --> 00:02.000\r\nこんにちは\r\n".encode()

    assert parse_vtt(data) == [
        Cue(starts_at=timedelta(seconds=1), ends_at=timedelta(seconds=2), text="こんにちは")
    ]


def test_missing_header():
    assert error_of("00:01.000 --> 00:02.000\nHello\n") == (
        1,
        "Line 1: a WebVTT file must start with the line “WEBVTT”.",
    )


def test_header_must_be_followed_by_a_blank_line():
    assert error_of("WEBVTT\n00:01.000 --> 00:02.000\nHello\n") == (
        2,
        "Line 2: a blank line must separate the header from the first cue.",
    )


@pytest.mark.parametrize(
    "timing", ["00:01.000 --> 00:02", "00:01,000 --> 00:02,000", "1:01.000 --> 00:02.000"]
)
def test_bad_timing(timing):
    assert error_of(f"WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n\n{timing}\nThere\n") == (
        6,
        "Line 6: the cue timing is not valid; write it as “00:01:02.000 --> 00:01:05.500” "
        "(hours optional, three digits of milliseconds).",
    )


INVALID_TIMING = (
    "Line 3: the cue timing is not valid; write it as “00:01:02.000 --> 00:01:05.500” "
    "(hours optional, three digits of milliseconds)."
)


@pytest.mark.parametrize(
    "hours",
    ["99999999999999", "9" * 5000, "100000"],
    ids=["overflows-timedelta", "too-many-digits-for-int", "six-digits"],
)
def test_absurd_hours_are_a_timing_error_not_a_crash(hours):
    text = f"WEBVTT\n\n{hours}:00:00.000 --> {hours}:00:01.000\nLate\n"

    assert error_of(text) == (3, INVALID_TIMING)


def test_hours_up_to_five_digits_are_read():
    assert parse_vtt("WEBVTT\n\n99999:59:59.000 --> 99999:59:59.500\nLate\n") == [
        Cue(
            starts_at=timedelta(hours=99999, minutes=59, seconds=59),
            ends_at=timedelta(hours=99999, minutes=59, seconds=59, milliseconds=500),
            text="Late",
        )
    ]


def test_only_ascii_digits_are_digits():
    # U+0662 is an Arabic-Indic two: \d and int() accept it, WebVTT does not.
    assert error_of("WEBVTT\n\n00:1\u0662.000 --> 00:13.000\nHi\n") == (3, INVALID_TIMING)


def test_a_time_too_large_to_build_is_a_vtt_error(monkeypatch):
    # Should the pattern ever let a huge hour through again, it is still the file's fault.
    monkeypatch.setattr(
        "webinars.vtt._TIMING",
        re.compile(r"^(\d+):(\d\d):(\d\d)\.(\d{3}) --> (\d+):(\d\d):(\d\d)\.(\d{3})$"),
    )
    hours = "9" * 20

    assert error_of(f"WEBVTT\n\n{hours}:00:00.000 --> {hours}:00:01.000\nLate\n") == (
        3,
        "Line 3: the cue time is too large to be a time in a video.",
    )


def test_a_cue_without_timing_line():
    assert error_of("WEBVTT\n\nidentifier\nHello there\n") == (
        4,
        "Line 4: expected a cue timing line such as “00:01:02.000 --> 00:01:05.500”.",
    )


def test_end_before_start():
    assert error_of("WEBVTT\n\n00:05.000 --> 00:04.000\nBackwards\n") == (
        3,
        "Line 3: the cue ends before it starts.",
    )


def test_out_of_order():
    text = "WEBVTT\n\n00:05.000 --> 00:06.000\nSecond\n\n00:01.000 --> 00:02.000\nFirst\n"

    assert error_of(text) == (
        6,
        "Line 6: cues must be in time order; this one starts earlier.",
    )


def test_arrow_in_cue_text():
    text = "WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n00:02.000 --> 00:03.000\nThere\n"

    assert error_of(text) == (
        5,
        "Line 5: cue text cannot contain “-->”; is a blank line missing?",
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [("WEBVTT\n", 2), ("WEBVTT\n\nNOTE only a note\n", 4), ("WEBVTT", 1)],
)
def test_no_cues(text, line):
    assert error_of(text) == (line, f"Line {line}: the file has no cues with text.")


def test_not_utf8_names_the_line_of_the_bad_byte():
    data = b"WEBVTT\n\n00:01.000 --> 00:02.000\nCaf\xe9\n"

    assert error_of(data) == (4, "Line 4: the file is not UTF-8 text.")


def test_nul_character():
    assert error_of("WEBVTT\n\n00:01.000 --> 00:02.000\nA\x00B\n") == (
        4,
        "Line 4: the file contains a NUL character; it is not a text file.",
    )


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (timedelta(0), "0:00"),
        (timedelta(minutes=12, seconds=5), "12:05"),
        (timedelta(hours=1, minutes=2, seconds=5, milliseconds=900), "1:02:05"),
        (timedelta(seconds=-3), "0:00"),
    ],
)
def test_format_offset(offset, text):
    assert format_offset(offset) == text
