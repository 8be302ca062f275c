"""Template helpers of the public catalogue: Markdown, times, calendar links, structured data."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlencode, urlsplit

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from webinars import embeds, timezones
from webinars.markdown import render_markdown
from webinars.models import Recording, RecordingChapter, Seminar, SeminarSpeaker, Speaker
from webinars.regions import Place, place_for_prefecture

register = template.Library()

ORGANISER_NAME = "Japan Local Government Centre (JLGC), London"
_JSON_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


@register.filter(name="markdown")
def markdown_filter(text: str, top_heading: int = 2) -> SafeString:
    """``{{ seminar.description|markdown:3 }}``: sanitised HTML, biggest heading an h3."""
    return render_markdown(text or "", top_heading=int(top_heading))


@register.simple_tag
def seminar_spans(seminar: Seminar) -> list[timezones.ZonedSpan]:
    """``{% seminar_spans seminar as spans %}``: own zone, UK time, Japan time."""
    return timezones.seminar_spans(seminar.starts_at, seminar.ends_at, seminar.timezone)


@register.filter
def shown_zones(seminar: Seminar) -> str:
    """The zones the page already shows, for the viewer's-time script to compare with."""
    spans = timezones.seminar_spans(seminar.starts_at, seminar.ends_at, seminar.timezone)
    return " ".join(span.zone for span in spans)


@register.simple_tag
def uk_clock_note(seminar: Seminar) -> str | None:
    """``{% uk_clock_note seminar as note %}``: the UK clock-change note, if one is due."""
    return timezones.uk_clock_change_note(seminar.starts_at)


@register.filter
def utc_iso(value: datetime | None) -> str:
    return timezones.utc_iso(value) if value else ""


def _calendar_details(seminar: Seminar) -> str:
    return f"{seminar.summary}\n\n{seminar.public_url}"


def _compact_utc(value: datetime) -> str:
    return timezones.utc_iso(value).replace("-", "").replace(":", "")


@register.simple_tag
def google_calendar_url(seminar: Seminar) -> str:
    params = {
        "action": "TEMPLATE",
        "text": seminar.title,
        "dates": f"{_compact_utc(seminar.starts_at)}/{_compact_utc(seminar.ends_at)}",
        "details": _calendar_details(seminar),
        "location": seminar.public_url,
        "ctz": seminar.timezone,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(params, quote_via=quote)


@register.simple_tag
def outlook_calendar_url(seminar: Seminar) -> str:
    params = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": seminar.title,
        "startdt": timezones.utc_iso(seminar.starts_at),
        "enddt": timezones.utc_iso(seminar.ends_at),
        "body": _calendar_details(seminar),
        "location": seminar.public_url,
    }
    # Outlook shows "+" literally, so spaces must be %20.
    return "https://outlook.office.com/calendar/0/deeplink/compose?" + urlencode(
        params, quote_via=quote
    )


def _absolute(url: str) -> str:
    return url if urlsplit(url).scheme else settings.SITE_URL + url


def event_structured_data(seminar: Seminar) -> dict[str, object]:
    """schema.org Event for search engines. The location is the seminar page, never the meeting."""
    # Rescheduled only for a move of the start after it was announced (seminar_update
    # keeps the start it had); a new passcode or meeting URL is no reschedule.
    rescheduled = seminar.previous_starts_at and seminar.previous_starts_at != seminar.starts_at
    if seminar.is_cancelled:
        status = "EventCancelled"
    elif rescheduled:
        status = "EventRescheduled"
    else:
        status = "EventScheduled"
    locations: list[dict[str, object]] = [{"@type": "VirtualLocation", "url": seminar.public_url}]
    if seminar.venue:
        locations.append({"@type": "Place", "name": seminar.venue, "address": seminar.venue})
    mode = "MixedEventAttendanceMode" if seminar.venue else "OnlineEventAttendanceMode"
    tz = seminar.tzinfo
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": seminar.title,
        "description": seminar.summary,
        "url": seminar.public_url,
        "startDate": seminar.starts_at.astimezone(tz).isoformat(),
        "endDate": seminar.ends_at.astimezone(tz).isoformat(),
        "eventAttendanceMode": f"https://schema.org/{mode}",
        "eventStatus": f"https://schema.org/{status}",
        "location": locations if len(locations) > 1 else locations[0],
        "inLanguage": seminar.language,
        "organizer": {"@type": "Organization", "name": ORGANISER_NAME, "url": settings.SITE_URL},
        "performer": [
            {
                "@type": "Person",
                "name": link.speaker.name,
                "url": settings.SITE_URL + link.speaker.get_absolute_url(),
                **({"jobTitle": link.speaker.title} if link.speaker.title else {}),
                **(
                    {"affiliation": {"@type": "Organization", "name": link.speaker.organisation}}
                    if link.speaker.organisation
                    else {}
                ),
            }
            for link in seminar.speaker_links.all()
        ],
    }
    if status == "EventRescheduled":
        data["previousStartDate"] = seminar.previous_starts_at.astimezone(tz).isoformat()
    if seminar.cover_image:
        data["image"] = [_absolute(seminar.cover_image.url)]
    return data


@register.simple_tag
def seminar_json_ld(seminar: Seminar) -> SafeString:
    """``<script type="application/ld+json">`` with <, > and & escaped so text cannot end it."""
    return _json_ld(event_structured_data(seminar))


def place_structured_data(place: Place, seminars: Iterable[Seminar]) -> dict[str, object]:
    """schema.org for a region's or prefecture's page: a tourist destination in Japan, with
    its upcoming seminars as events (each as on its own page, without its own context)."""
    return {
        "@context": "https://schema.org",
        "@type": ["Place", "TouristDestination"],
        "name": str(place.name),
        "url": settings.SITE_URL + reverse("webinars:region_detail", args=[place.slug]),
        "containedInPlace": (
            {"@type": "Country", "name": str(_("Japan"))}
            if place.is_region
            else {
                "@type": ["Place", "TouristDestination"],
                "name": str(place.region.name),
                "url": settings.SITE_URL
                + reverse("webinars:region_detail", args=[place.region.slug]),
            }
        ),
        "event": [
            {key: value for key, value in event.items() if key != "@context"}
            for event in map(event_structured_data, seminars)
        ],
    }


def video_structured_data(
    recording: Recording, chapters: Iterable[RecordingChapter]
) -> dict[str, object]:
    """schema.org VideoObject of a recording: its transcript, and its chapters as Clips
    (``hasPart``) that start the video at their second (``?t=``, as the page's links do)."""
    seminar = recording.seminar
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "VideoObject",
        "name": recording.title,
        "description": seminar.summary or recording.title,
        "url": recording.public_url,
        "inLanguage": seminar.language,
        "uploadDate": (recording.published_at or recording.created_at).isoformat(),
        "isAccessibleForFree": recording.access == Recording.Access.PUBLIC,
    }
    total = int(recording.duration.total_seconds()) if recording.duration else None
    if total:
        data["duration"] = f"PT{total // 3600}H{total % 3600 // 60}M{total % 60}S"
    if recording.video_provider in ("youtube", "vimeo") and recording.video_id:
        data["embedUrl"] = embeds.embed_src(
            provider=recording.video_provider, video_id=recording.video_id
        )
    if recording.video_provider == "youtube" and recording.video_id:
        data["thumbnailUrl"] = [f"https://i.ytimg.com/vi/{recording.video_id}/hqdefault.jpg"]
    elif seminar.cover_image:
        data["thumbnailUrl"] = [_absolute(seminar.cover_image.url)]
    if recording.transcript_text:
        data["transcript"] = recording.transcript_text
    chapters = list(chapters)
    clips = []
    for index, chapter in enumerate(chapters):
        end = chapters[index + 1].seconds if index + 1 < len(chapters) else total
        clip: dict[str, object] = {
            "@type": "Clip",
            "name": chapter.title,
            "startOffset": chapter.seconds,
            "url": f"{recording.public_url}?t={chapter.seconds}",
        }
        if end:
            clip["endOffset"] = end
        clips.append(clip)
    if clips:
        data["hasPart"] = clips
    return data


@register.simple_tag
def recording_json_ld(recording: Recording, chapters: Iterable[RecordingChapter]) -> SafeString:
    return _json_ld(video_structured_data(recording, chapters))


@register.filter
def prefecture_page_url(prefecture_code: str) -> str:
    """``/regions/oita/`` for ``JP-44``: the page of a prefecture, or "" for none."""
    place = place_for_prefecture(prefecture_code) if prefecture_code else None
    return reverse("webinars:region_detail", args=[place.slug]) if place else ""


@register.simple_tag
def place_json_ld(place: Place, seminars: Iterable[Seminar]) -> SafeString:
    return _json_ld(place_structured_data(place, seminars))


def _json_ld(data: dict[str, object]) -> SafeString:
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)
    return format_html(
        '<script type="application/ld+json">{}</script>',
        mark_safe(payload.translate(_JSON_SCRIPT_ESCAPES)),
    )


@register.filter
def web_links(speaker: Speaker) -> list[dict[str, str]]:
    """The speaker's website and other links, http(s) only, labelled by their host."""
    links = []
    for url in [speaker.website, *speaker.link_list]:
        parts = urlsplit(url)
        if (
            parts.scheme in ("http", "https")
            and parts.netloc
            and url not in {link["url"] for link in links}
        ):
            host = parts.netloc.removeprefix("www.")
            links.append({"url": url, "label": host})
    return links


@dataclass(frozen=True)
class SpeakerNames:
    """A speaker's names in the reader's order: in Japanese the Japanese name first (as
    Japanese readers expect, family name first as written), in English the English one.
    Each with its language, so that screen readers pronounce it right (WCAG 3.1.2)."""

    first: str
    first_lang: str
    second: str
    second_lang: str


@register.simple_tag
def speaker_names(speaker: Speaker) -> SpeakerNames:
    japanese = speaker.name_ja.strip()
    if japanese and (translation.get_language() or "").startswith("ja"):
        return SpeakerNames(japanese, "ja", speaker.name, "en")
    return SpeakerNames(speaker.name, "en", japanese, "ja")


@register.filter
def jet_placement(speaker: Speaker) -> str:
    """ "Aso, Kumamoto (2015–2018)": where and when the speaker was on the JET Programme."""
    place = ", ".join(
        part for part in (speaker.jet_municipality, speaker.get_jet_prefecture_display()) if part
    )
    years = speaker.jet_years
    if place and years:
        return _("%(place)s (%(years)s)") % {"place": place, "years": years}
    return place or years


@register.filter
def speaker_role_label(role: str) -> str:
    """ "Moderator" for ``moderator``: the readable name of a speaker's role."""
    try:
        return SeminarSpeaker.Role(role).label
    except ValueError:
        return ""


@register.filter
def absolute_url(url: str) -> str:
    """Prefix the site's address to a path, e.g. for social media previews."""
    return _absolute(url) if url else ""
