"""WebVTT transcripts: parse an uploaded file into cues, or say which line is wrong.

Deliberately stricter than browsers, which skip what they cannot read: an organiser
uploading a broken file should hear about it, not find half a transcript later.
"""

import html
import re
from dataclasses import dataclass
from datetime import timedelta

# A long seminar has a few thousand cues; far more means the file is not a transcript.
MAX_CUES = 50_000
MAX_CUE_TEXT_LENGTH = 5_000

# Hours are bounded (99999 h is 11 years) so that building the time cannot overflow;
# ASCII digits only, as WebVTT says (\d would also take other scripts' digits).
_TIMESTAMP = r"(?:(\d{2,5}):)?([0-5]\d):([0-5]\d)\.(\d{3})"
_TIMING = re.compile(rf"^{_TIMESTAMP}[ \t]+-->[ \t]+{_TIMESTAMP}(?:[ \t].*)?$", re.ASCII)
_VOICE = re.compile(r"<v(?:\.[^ \t>]*)?[ \t]+([^>]*)>")
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Cue:
    starts_at: timedelta
    ends_at: timedelta
    text: str
    voice: str = ""


class VttError(ValueError):
    """A malformed WebVTT file; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"Line {line}: {message}")
        self.line = line
        self.message = message


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise VttError(line, "the file is not UTF-8 text.") from None


def _timestamp(groups: tuple[str | None, ...]) -> timedelta:
    hours, minutes, seconds, millis = groups
    return timedelta(
        hours=int(hours or 0), minutes=int(minutes), seconds=int(seconds), milliseconds=int(millis)
    )


def _cue_text(lines: list[str]) -> tuple[str, str]:
    joined = " ".join(lines)
    voice_match = _VOICE.search(joined)
    voice = html.unescape(voice_match.group(1)).strip()[:100] if voice_match else ""
    text = _SPACE.sub(" ", html.unescape(_TAG.sub("", joined))).strip()
    return text[:MAX_CUE_TEXT_LENGTH], voice


def _blocks(lines: list[str], first: int) -> list[tuple[int, list[str]]]:
    """Runs of non-blank lines from index ``first``, each with its 1-based line number."""
    blocks, current, start = [], [], 0
    for index in range(first, len(lines)):
        if lines[index].strip():
            if not current:
                start = index + 1
            current.append(lines[index])
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def parse_vtt(data: bytes | str) -> list[Cue]:
    """The cues of a WebVTT file, in order; raises :class:`VttError` naming the bad line."""
    text = _decode(data).removeprefix("\ufeff")
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise VttError(line, "the file contains a NUL character; it is not a text file.")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    header = lines[0]
    if not (header == "WEBVTT" or header.startswith(("WEBVTT ", "WEBVTT\t"))):
        raise VttError(1, "a WebVTT file must start with the line “WEBVTT”.")
    # Header metadata runs until the first blank line.
    first = 1
    while first < len(lines) and lines[first].strip():
        if "-->" in lines[first]:
            raise VttError(first + 1, "a blank line must separate the header from the first cue.")
        first += 1

    cues: list[Cue] = []
    previous_start = timedelta(0)
    for line_number, block in _blocks(lines, first):
        if block[0].startswith(("NOTE", "STYLE", "REGION")) and "-->" not in block[0]:
            continue
        timing_index = 0 if "-->" in block[0] else 1
        if timing_index >= len(block) or "-->" not in block[timing_index]:
            raise VttError(
                line_number + timing_index,
                "expected a cue timing line such as “00:01:02.000 --> 00:01:05.500”.",
            )
        timing_line = line_number + timing_index
        match = _TIMING.match(block[timing_index].strip())
        if match is None:
            raise VttError(
                timing_line,
                "the cue timing is not valid; write it as “00:01:02.000 --> 00:01:05.500” "
                "(hours optional, three digits of milliseconds).",
            )
        try:
            starts_at, ends_at = _timestamp(match.groups()[:4]), _timestamp(match.groups()[4:])
        except (OverflowError, ValueError):
            raise VttError(
                timing_line, "the cue time is too large to be a time in a video."
            ) from None
        if ends_at <= starts_at:
            raise VttError(timing_line, "the cue ends before it starts.")
        if starts_at < previous_start:
            raise VttError(timing_line, "cues must be in time order; this one starts earlier.")
        payload = block[timing_index + 1 :]
        for offset, payload_line in enumerate(payload, start=timing_line + 1):
            if "-->" in payload_line:
                raise VttError(offset, "cue text cannot contain “-->”; is a blank line missing?")
        cue_text, voice = _cue_text(payload)
        previous_start = starts_at
        if not cue_text:
            continue
        if len(cues) >= MAX_CUES:
            raise VttError(timing_line, f"the file has more than {MAX_CUES} cues.")
        cues.append(Cue(starts_at=starts_at, ends_at=ends_at, text=cue_text, voice=voice))
    if not cues:
        raise VttError(len(lines), "the file has no cues with text.")
    return cues


def format_offset(offset: timedelta) -> str:
    """``12:05`` or ``1:02:05``: a time into a video as people read it."""
    total = max(int(offset.total_seconds()), 0)
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
