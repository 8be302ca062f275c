"""iCalendar downloads and subscribable feeds (``METHOD:PUBLISH``).

The body is cached for anonymous visitors with the public pages (it changes with the
catalogue); the download and caching headers are set outside the cache, which keeps
only the body and its content type.
"""

import re
from datetime import timedelta

from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from webinars import ical
from webinars.cache import cache_public_page
from webinars.models import Seminar, SeminarQuerySet, SeminarSpeaker, Series, Topic
from webinars.regions import place_for_slug

# Feeds keep recent seminars so a subscriber sees what just happened (or was cancelled).
FEED_HISTORY = timedelta(days=90)
FEED_REFRESH_INTERVAL = timedelta(hours=1)
DOWNLOAD_MAX_AGE_SECONDS = 5 * 60
FEED_MAX_AGE_SECONDS = 15 * 60
SLUG_PATTERN = re.compile(r"[-a-zA-Z0-9_]{1,80}")


def _public_seminars() -> SeminarQuerySet:
    """Seminars the public may see, with what the calendar text needs in two queries."""
    return (
        Seminar.objects.visible()
        .select_related("series")
        .prefetch_related(
            Prefetch("speaker_links", queryset=SeminarSpeaker.objects.select_related("speaker"))
        )
    )


def _feed_seminars() -> SeminarQuerySet:
    return _public_seminars().filter(ends_at__gte=timezone.now() - FEED_HISTORY)


def _calendar_response(body: bytes) -> HttpResponse:
    return HttpResponse(body, content_type=ical.ICALENDAR_CONTENT_TYPE)


@cache_public_page
def _seminar_calendar_body(request: HttpRequest, slug: str) -> HttpResponse:
    seminar = get_object_or_404(_public_seminars(), slug=slug)
    return _calendar_response(ical.build_calendar(seminars=[seminar]))


@cache_public_page
def _series_calendar_body(request: HttpRequest, slug: str) -> HttpResponse:
    series = get_object_or_404(Series, slug=slug)
    seminars = _feed_seminars().filter(series=series)
    return _calendar_response(
        ical.build_calendar(
            seminars=seminars, name=series.name, refresh_interval=FEED_REFRESH_INTERVAL
        )
    )


@cache_public_page
def _region_calendar_body(request: HttpRequest, slug: str) -> HttpResponse:
    place = place_for_slug(slug)
    if place is None:
        raise Http404(_("No region or prefecture found."))
    seminars = _feed_seminars().filter(prefecture__in=place.prefectures)
    name = _("JLGC seminars: %(place)s") % {"place": place.name}
    return _calendar_response(
        ical.build_calendar(seminars=seminars, name=name, refresh_interval=FEED_REFRESH_INTERVAL)
    )


@cache_public_page
def _all_calendar_body(request: HttpRequest) -> HttpResponse:
    seminars = _feed_seminars()
    name = _("JLGC seminars")
    topic_slug = request.GET.get("topic", "").strip()
    if topic_slug:
        # An unknown or malformed topic gives an empty, valid calendar: a subscription
        # must not break, and junk (a NUL byte) must never reach the database.
        topic = None
        if SLUG_PATTERN.fullmatch(topic_slug):
            topic = Topic.objects.filter(slug=topic_slug).first()
        if topic is None:
            seminars = seminars.none()
        else:
            seminars = seminars.filter(topics=topic)
            name = _("JLGC seminars: %(topic)s") % {"topic": topic.name}
    return _calendar_response(
        ical.build_calendar(seminars=seminars, name=name, refresh_interval=FEED_REFRESH_INTERVAL)
    )


@require_safe
def seminar_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    """One seminar as an ``.ics`` file to add to a calendar."""
    response = _seminar_calendar_body(request, slug)
    response["Content-Disposition"] = f'attachment; filename="{slug}.ics"'
    patch_cache_control(response, public=True, max_age=DOWNLOAD_MAX_AGE_SECONDS)
    return response


@require_safe
def series_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    """Subscribable feed of one series' recent and upcoming seminars."""
    response = _series_calendar_body(request, slug)
    response["Content-Disposition"] = f'inline; filename="{slug}.ics"'
    patch_cache_control(response, public=True, max_age=FEED_MAX_AGE_SECONDS)
    return response


@require_safe
def region_calendar(request: HttpRequest, slug: str) -> HttpResponse:
    """Subscribable feed of a region's or prefecture's recent and upcoming seminars."""
    response = _region_calendar_body(request, slug)
    response["Content-Disposition"] = f'inline; filename="{slug}.ics"'
    patch_cache_control(response, public=True, max_age=FEED_MAX_AGE_SECONDS)
    return response


@require_safe
def all_calendar(request: HttpRequest) -> HttpResponse:
    """Subscribable feed of all recent and upcoming seminars, ``?topic=<slug>`` to filter."""
    response = _all_calendar_body(request)
    response["Content-Disposition"] = 'inline; filename="seminars.ics"'
    patch_cache_control(response, public=True, max_age=FEED_MAX_AGE_SECONDS)
    return response
