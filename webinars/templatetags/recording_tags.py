"""Template helpers of recordings: the player address, times into a video, who may watch."""

import posixpath
import re
from datetime import timedelta

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from webinars import embeds, vtt
from webinars.models import Recording, RecordingMaterial
from webinars.selectors.recordings import search_terms

register = template.Library()

# Stands for the start second in a player address; longer than any video id or Vimeo hash
# can be, so replacing it can never touch anything else in the address.
_START_SENTINEL = 10**24 + 7
START_PLACEHOLDER = "{seconds}"
# A search result's snippet: this many characters of a transcript line, the match
# starting about a third of the way in (a term is at most 60 characters long).
SNIPPET_LENGTH = 220
SNIPPET_LEAD = 70
# How far from a cut end to look for a space to cut at instead.
SNIPPET_WORD_SLACK = 25


@register.simple_tag
def recording_embed_src(recording: Recording, start_seconds: int = 0) -> str:
    """The privacy-enhanced player address, optionally from ``start_seconds``."""
    return embeds.embed_src(
        provider=recording.video_provider, video_id=recording.video_id, start_seconds=start_seconds
    )


@register.simple_tag
def recording_embed_template(recording: Recording) -> str:
    """The player address with ``{seconds}`` where the start goes, for recording.js to fill.

    The script reuses ``embeds.embed_src``'s own rules this way instead of copying them.
    """
    address = recording_embed_src(recording, _START_SENTINEL)
    return address.replace(str(_START_SENTINEL), START_PLACEHOLDER)


@register.filter
def video_time(value: timedelta | int | None) -> str:
    """``12:05`` or ``1:02:05`` for a time into a video (a timedelta or seconds)."""
    if value is None:
        return ""
    if not isinstance(value, timedelta):
        value = timedelta(seconds=int(value))
    return vtt.format_offset(value)


@register.filter
def duration_text(value: timedelta | None) -> str:
    """ "58 min" or "1 h 5 min": a recording's length as people say it."""
    if not value:
        return ""
    minutes = max(round(value.total_seconds() / 60), 1)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return ngettext("%(minutes)d min", "%(minutes)d min", minutes) % {"minutes": minutes}
    if not minutes:
        return ngettext("%(hours)d h", "%(hours)d h", hours) % {"hours": hours}
    return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}


@register.filter
def iso_duration(value: timedelta | None) -> str:
    """ "PT58M12S": what ``<time datetime>`` expects for a length."""
    if not value:
        return ""
    total = int(value.total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{seconds}S"


@register.filter
def recording_audience(recording: Recording) -> str:
    """Who may watch, in words: "Everyone", "Registrants of the seminar", "Media, Academic"…

    Reads the recording's ``audience_types`` (prefetch them on list pages).
    """
    if recording.access == Recording.Access.AUDIENCE_TYPES:
        names = [audience_type.name for audience_type in recording.audience_types.all()]
        if names:
            return ", ".join(names)
    return str(recording.get_access_display())


@register.filter
def material_kind(material: RecordingMaterial) -> str:
    """ "PDF", "PPTX": the file's type as its extension says, for the download link."""
    extension = posixpath.splitext(material.original_name or material.file.name)[1]
    return extension.lstrip(".").upper()[:10]


def _terms_pattern(query: str | None) -> re.Pattern | None:
    # Longest first, so "local attractions" wins over "local" where both match.
    terms = sorted({term.text for term in search_terms(query)}, key=len, reverse=True)
    if not terms:
        return None
    return re.compile("(" + "|".join(re.escape(term) for term in terms) + ")", re.IGNORECASE)


@register.filter
def highlight(text: str, query: str | None) -> SafeString:
    """``text`` escaped, with each search term in it wrapped in ``<mark>``."""
    pattern = _terms_pattern(query)
    if pattern is None:
        return escape(text or "")
    # split() with a group alternates text and matches: odd pieces are the matches.
    pieces = pattern.split(text or "")
    return mark_safe(
        "".join(
            f"<mark>{escape(piece)}</mark>" if index % 2 else escape(piece)
            for index, piece in enumerate(pieces)
        )
    )


def _window(text: str, match_start: int) -> str:
    """About ``SNIPPET_LENGTH`` characters of ``text`` around ``match_start``, cut between
    words where there are any, with "…" where it was cut."""
    if len(text) <= SNIPPET_LENGTH:
        return text
    start = min(max(match_start - SNIPPET_LEAD, 0), len(text) - SNIPPET_LENGTH)
    end = start + SNIPPET_LENGTH
    window = text[start:end]
    if start > 0:
        space = window.find(" ", 0, SNIPPET_WORD_SLACK)
        # The lead is longer than the slack, so this never cuts into the match.
        window = "…" + (window[space + 1 :] if space != -1 else window)
    if end < len(text):
        space = window.rfind(" ", len(window) - SNIPPET_WORD_SLACK)
        window = (window[:space] if space != -1 else window) + "…"
    return window


@register.filter
def snippet(text: str, query: str | None) -> SafeString:
    """A short, escaped piece of ``text`` around the first search term it contains, the
    terms highlighted: a long transcript line shows where it matched, not only its start."""
    text = text or ""
    pattern = _terms_pattern(query)
    found = pattern.search(text) if pattern is not None else None
    return highlight(_window(text, found.start() if found else 0), query)
