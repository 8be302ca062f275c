"""A signed-in person's own pages: My seminars and their private calendar feed.

Personal pages (``config.http.personal_page``): never cached, never indexed.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import User, calendar_token_hash
from config.http import personal_page
from webinars import ical, selectors
from webinars.models import Registration, Seminar, SeminarSpeaker
from webinars.recording_access import viewer_for
from webinars.selectors import MAX_TOKEN_LENGTH
from webinars.services.registrations import (
    calendar_token_renew,
)
from webinars.views.access import registrations_of_user
from webinars.views.attendee import absolute_url

# The private feed keeps recent seminars, as the public feeds do.
FEED_HISTORY = timedelta(days=90)


FEED_REFRESH_INTERVAL = timedelta(hours=1)


@dataclass(frozen=True)
class MySeminars:
    upcoming: list[Registration]
    waitlisted: list[Registration]
    past: list[Registration]


def my_seminars_grouped(user: User, *, now: datetime | None = None) -> MySeminars:
    """A person's live registrations in one query, grouped as the page lists them.

    Waitlisted places at seminars that have ended are left out: they lead nowhere.
    """
    now = now or timezone.now()
    registrations = (
        registrations_of_user(user)
        .live()
        .exclude(seminar__status=Seminar.Status.DRAFT)
        .select_related("seminar__series", "audience_type")
        .order_by("seminar__starts_at", "pk")
    )
    upcoming, waitlisted, past = [], [], []
    for registration in registrations:
        if registration.seminar.ends_at <= now:
            if registration.is_confirmed:
                past.append(registration)
        elif registration.is_confirmed:
            upcoming.append(registration)
        else:
            waitlisted.append(registration)
    past.reverse()  # most recent first
    return MySeminars(upcoming=upcoming, waitlisted=waitlisted, past=past)


# The feed's secret is kept only hashed: the address is shown once, on the page that
# follows creating or renewing it, carried there in the session and removed on display.
NEW_FEED_TOKEN_SESSION_KEY = "calendar_feed_token_to_show"


def _feed_url(token: str) -> str:
    return absolute_url(reverse("webinars:my_calendar", args=[token]))


@personal_page
@login_required
@require_safe
def my_seminars(request: HttpRequest) -> HttpResponse:
    """``/me/``: the signed-in person's seminars, and their private calendar feed."""
    new_token = request.session.pop(NEW_FEED_TOKEN_SESSION_KEY, "")
    feed_url = _feed_url(new_token) if new_token else ""
    groups = my_seminars_grouped(request.user)
    recordings = selectors.recordings_of_seminars(
        [registration.seminar_id for registration in groups.past], viewer=viewer_for(request)
    )
    _mark_certificates(groups.past)
    speaking = selectors.speaker_links_presented(email=request.user.email)
    return render(
        request,
        "webinars/my_seminars.html",
        {
            "groups": groups,
            "recordings": recordings,
            "speaking": speaking,
            "has_feed": bool(request.user.calendar_token_hash),
            "feed_url": feed_url,
            "webcal_url": feed_url.replace("https://", "webcal://", 1).replace(
                "http://", "webcal://", 1
            ),
        },
    )


def _mark_certificates(past: list[Registration]) -> None:
    """``certificate_ready`` on each past registration with a certificate to download:
    attended live, or watched enough of the recording (one query for all)."""
    watched = selectors.registrations_watched_enough([registration.pk for registration in past])
    for registration in past:
        registration.certificate_ready = (
            registration.attended == Registration.Attendance.YES or registration.pk in watched
        )


@personal_page
@login_required
@require_POST
def my_calendar_renew(request: HttpRequest) -> HttpResponse:
    """Create the private feed's address, or replace it so the old one stops working."""
    had_feed = bool(request.user.calendar_token_hash)
    request.session[NEW_FEED_TOKEN_SESSION_KEY] = calendar_token_renew(user=request.user)
    if had_feed:
        messages.success(
            request,
            _(
                "Your calendar feed has a new address. The old one no longer works: "
                "subscribe again with the new one."
            ),
        )
    else:
        messages.success(request, _("Your private calendar feed is ready."))
    return redirect("webinars:my_seminars")


@personal_page
@require_safe
def my_calendar(request: HttpRequest, token: str) -> HttpResponse:
    """``/me/calendar/<token>.ics``: a private feed of the person's confirmed seminars.

    Calendar apps fetch it without a session, so the token in the address is the key.
    Events link to the account join route (``/me/registrations/<id>/join/``), never to
    a ``/j/<token>/`` link: those tokens are stored only as hashes, and minting new ones
    would write on every GET. The account route asks for a sign-in, so a leaked feed
    address shows someone's seminars but never lets anyone into a meeting. Cancelled
    seminars stay (``STATUS:CANCELLED``) so subscribed calendars drop them.
    """
    user = (
        User.objects.filter(calendar_token_hash=calendar_token_hash(token)).first()
        if token and len(token) <= MAX_TOKEN_LENGTH
        else None
    )
    if user is None or not user.is_active:
        raise Http404(_("This calendar feed address is not valid."))
    registrations = (
        registrations_of_user(user)
        .confirmed()
        .filter(
            seminar__status__in=[Seminar.Status.PUBLISHED, Seminar.Status.CANCELLED],
            seminar__ends_at__gte=timezone.now() - FEED_HISTORY,
        )
        .select_related("seminar__series")
        .prefetch_related(
            Prefetch(
                "seminar__speaker_links",
                queryset=SeminarSpeaker.objects.select_related("speaker"),
            )
        )
        .order_by("seminar__starts_at", "pk")
    )
    seminars: dict[int, Seminar] = {}
    join_urls: dict[int, str] = {}
    for registration in registrations:
        seminar = registration.seminar
        if seminar.pk in seminars:
            continue
        seminars[seminar.pk] = seminar
        join_urls[seminar.pk] = absolute_url(
            reverse("webinars:my_registration_join", args=[registration.pk])
        )
    with translation.override(user.preferred_language or settings.LANGUAGE_CODE):
        body = ical.build_calendar(
            seminars=seminars.values(),
            name=_("My JLGC seminars"),
            refresh_interval=FEED_REFRESH_INTERVAL,
            join_urls=join_urls,
        )
    response = HttpResponse(body, content_type=ical.ICALENDAR_CONTENT_TYPE)
    response["Content-Disposition"] = 'inline; filename="my-seminars.ics"'
    return response
