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
from webinars.recording_selectors import search_terms

register = template.Library()

# Stands for the start second in a player address; longer than any video id or Vimeo hash
# can be, so replacing it can never touch anything else in the address.
_START_SENTINEL = 10**24 + 7
START_PLACEHOLDER = "{seconds}"


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


@register.filter
def highlight(text: str, query: str | None) -> SafeString:
    """``text`` escaped, with each search term in it wrapped in ``<mark>``."""
    terms = sorted({term.text for term in search_terms(query)}, key=len, reverse=True)
    if not terms:
        return escape(text or "")
    pattern = re.compile("(" + "|".join(re.escape(term) for term in terms) + ")", re.IGNORECASE)
    # split() with a group alternates text and matches: odd pieces are the matches.
    pieces = pattern.split(text or "")
    return mark_safe(
        "".join(
            f"<mark>{escape(piece)}</mark>" if index % 2 else escape(piece)
            for index, piece in enumerate(pieces)
        )
    )
