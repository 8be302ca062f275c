"""Putting a token into a folded calendar, against iCalendar's definition of folding."""

import re

from hypothesis import assume, example, given
from hypothesis import strategies as st

from notifications.services.links import (
    JOIN_TOKEN_PLACEHOLDER,
    _calendar_with_token,
    _ical_unfold,
)

# RFC 5545 3.1: a fold is a line break (CRLF; LF accepted) followed by one space or tab.
RFC_FOLD = re.compile(r"\r?\n[ \t]")
TOKEN = "t" * 43

# Text made of what matters to folding: line ends of every kind, spaces and tabs after
# them, escapes, multibyte characters, and the placeholder itself.
calendar_text = st.lists(
    st.sampled_from(
        [
            *["a", "é", "日", "\\", "^", " ", "\t", ";", ":", "\r", "\n", "\r\n", "\r\n ", "\n\t"],
            *[JOIN_TOKEN_PLACEHOLDER, JOIN_TOKEN_PLACEHOLDER[:10], JOIN_TOKEN_PLACEHOLDER[10:]],
        ]
    ),
    max_size=60,
).map("".join)


@given(calendar_text)
# Removing one fold must not make another: a stray CR before a folded line stays.
@example("\r\r\n \n\tX")
def test_unfolding_removes_exactly_the_folds_the_rfc_defines(text):
    assert _ical_unfold(text) == RFC_FOLD.sub("", text)


@given(calendar_text)
def test_the_token_takes_the_placeholders_place_and_nothing_else_changes(text):
    # A content line never begins with a space or tab (that would be a fold): unfolded
    # once, a calendar has no folds left.
    assume(_ical_unfold(_ical_unfold(text)) == _ical_unfold(text))
    result = _calendar_with_token(text, JOIN_TOKEN_PLACEHOLDER, TOKEN)

    assert _ical_unfold(result) == _ical_unfold(text).replace(JOIN_TOKEN_PLACEHOLDER, TOKEN)


def test_a_long_line_with_the_token_is_folded_again_within_75_octets():
    line = "DESCRIPTION:Join at https://seminars.example.org/j/" + JOIN_TOKEN_PLACEHOLDER + "/\r\n"
    calendar = "BEGIN:VEVENT\r\n" + line + "END:VEVENT\r\n"

    result = _calendar_with_token(calendar, JOIN_TOKEN_PLACEHOLDER, TOKEN)

    assert TOKEN in _ical_unfold(result)
    assert result.startswith("BEGIN:VEVENT\r\n") and result.endswith("\r\nEND:VEVENT\r\n")
    assert max(len(physical.encode()) for physical in result.split("\r\n")) <= 75
