"""The recording archive, the watch page, and a registrant's emailed link to the recording.

Who may watch is decided by ``webinars.recording_access`` alone: the archive lists only
what the viewer may watch, and the watch page answers 403 with what to do otherwise.
The archive is the same for every anonymous visitor (public recordings only), so it is
served from the page cache; the watch page depends on the viewer and counts views, so
it never is.
"""

import functools
import hashlib
import hmac
from datetime import date
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from accounts.ratelimit import client_ip
from config.http import personal_page
from webinars import selectors
from webinars.cache import cache_public_page
from webinars.forms.recordings import RecordingFilterForm
from webinars.models import Recording
from webinars.recording_access import Viewer, access_denial, viewer_for
from webinars.services import recording_progress_record, recording_view_record
from webinars.services.recordings import WATCH_SEGMENT_SECONDS, recording_segment_count
from webinars.views.access import EMAILED_LINK_SCOPES, access_by_token, token_route
from webinars.views.attendee import grant_recording_link
from webinars.views.catalogue import listing_page

RELATED_RECORDINGS = 4
# ?t= beyond a day is not a time into any seminar's recording.
MAX_START_SECONDS = 24 * 60 * 60
# Request headers by which browsers announce a speculative fetch: Chromium's Speculation
# Rules send "Sec-Purpose: prefetch" (";prerender"), Firefox "Purpose: prefetch" or
# "X-Moz: prefetch", Safari "X-Purpose: preview".
SPECULATIVE_HEADERS = ("Sec-Purpose", "Purpose", "X-Purpose", "X-Moz")


@cache_public_page
def recording_list(request: HttpRequest) -> HttpResponse:
    """``/recordings/``: the archive, searchable and filtered, newest seminar first."""
    viewer = viewer_for(request)
    form = RecordingFilterForm(request.GET, viewer=viewer)

    def extra_context(filters: dict, page_recordings: list[Recording]) -> dict:
        matches = selectors.transcript_matches(page_recordings, filters["query"])
        applied = form.applied_query()
        # Built from what the form applied, never from the raw address: the page is
        # cached under the parameters it reads, so anything else must not reach it.
        here = request.path + (f"?{applied.urlencode()}" if applied else "")
        return {
            "results": [(recording, matches.get(recording.pk)) for recording in page_recordings],
            "query": filters["query"] or "",
            "login_url": _with_next("account_login", here),
        }

    return listing_page(
        request,
        form=form,
        selector=functools.partial(selectors.recordings_archive, viewer=viewer),
        template="webinars/recording_list.html",
        items_name="recordings",
        extra_context=extra_context,
    )


def _start_seconds(request: HttpRequest, recording: Recording) -> int:
    """The ``?t=`` of a chapter or transcript link, as whole seconds into the video."""
    value = request.GET.get("t", "")
    if not value.isascii() or not value.isdigit() or len(value) > 6:
        return 0
    seconds = min(int(value), MAX_START_SECONDS)
    if recording.duration:
        seconds = min(seconds, int(recording.duration.total_seconds()))
    return seconds


def _viewer_key(request: HttpRequest, viewer: Viewer, day: date) -> str:
    """Who is watching, for counting views: the account, else a keyed hash of the address,
    browser and day, so no address is stored and the hash cannot be linked across days."""
    if viewer.user_id is not None:
        return f"user:{viewer.user_id}"
    message = "\n".join(
        [client_ip(request), request.META.get("HTTP_USER_AGENT", "")[:500], day.isoformat()]
    )
    digest = hmac.new(settings.SECRET_KEY.encode(), message.encode(), hashlib.sha256).hexdigest()
    return f"anon:{digest}"


def _is_speculative(request: HttpRequest) -> bool:
    """A browser fetching the page ahead of a click (prefetch, prerender, link preview)."""
    return any(
        word in request.headers.get(header, "").lower()
        for header in SPECULATIVE_HEADERS
        for word in ("prefetch", "prerender", "preview")
    )


def _counts_as_a_view(request: HttpRequest, recording: Recording, viewer: Viewer) -> bool:
    """Views count people watching: not organisers checking (or previewing) a recording,
    not link checkers (they send HEAD), not a browser fetching the page ahead of a click."""
    return (
        recording.is_published
        and not viewer.is_organiser
        and request.method == "GET"
        and not _is_speculative(request)
    )


def _with_next(url_name: str, next_path: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_path})}"


def _denied(request: HttpRequest, recording: Recording, reason: str) -> HttpResponse:
    """403 saying why, and what would let this person watch. Names the seminar (its page is
    public) and nothing of the recording: not even its title, which may not be."""
    seminar = recording.seminar
    next_seminar = None
    if recording.access == Recording.Access.REGISTRANTS:
        next_seminar = selectors.next_seminar_in_series(seminar.series)
    return render(
        request,
        "webinars/recording_denied.html",
        {
            "recording": recording,
            "seminar": seminar,
            "reason": reason,
            "login_url": _with_next("account_login", request.get_full_path()),
            "signup_url": _with_next("account_signup", request.get_full_path()),
            "next_seminar": next_seminar,
        },
        status=403,
    )


@never_cache
@require_safe
def recording_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """``/recordings/<slug>/``: the watch page, or 403 explaining how to get access.

    Unpublished recordings are 404 except for organisers, who preview them (uncounted).
    """
    recording = selectors.recording_for_page(slug)
    viewer = viewer_for(request)
    if recording is None or not (recording.is_published or viewer.is_organiser):
        raise Http404(_("No recording found."))
    reason = access_denial(recording, viewer)
    if reason is not None:
        return _denied(request, recording, reason)
    selectors.recording_with_contents(recording)
    if _counts_as_a_view(request, recording, viewer):
        today = timezone.localdate()
        recording_view_record(
            recording=recording,
            viewer_key=_viewer_key(request, viewer, today),
            day=today,
            registration_id=viewer.registration_for(recording.seminar_id),
        )
    registration_id = viewer.registration_for(recording.seminar_id)
    return render(
        request,
        "webinars/recording_detail.html",
        {
            # A registrant's page reports what they watch (their certificate reads it).
            "progress_url": (
                reverse("webinars:recording_progress", args=[recording.slug])
                if registration_id and recording.is_published and recording.duration
                else ""
            ),
            "segment_seconds": WATCH_SEGMENT_SECONDS,
            "recording": recording,
            "seminar": recording.seminar,
            "speaker_links": recording.seminar.speaker_links.all(),
            "chapters": recording.chapters.all(),
            "materials": recording.materials.all(),
            "cues": recording.cues.all(),
            "start_seconds": _start_seconds(request, recording),
            "related": selectors.recordings_related(
                recording, viewer=viewer, limit=RELATED_RECORDINGS
            ),
        },
    )


@personal_page
@require_safe
@token_route
def registration_recording(request: HttpRequest, token: str) -> HttpResponse:
    """``/r/<token>/recording/``: the emailed link to a seminar's recording.

    The link proves its holder registered: a confirmed registration is remembered in this
    browser's session (guests have no account), then the link leads to the watch page,
    which explains itself when the recording is not for this person.
    """
    # Follow-ups sent before links had scopes carry an "earlier" link: it still opens this.
    access = access_by_token(token, scopes=EMAILED_LINK_SCOPES)
    registration = access.registration
    grant_recording_link(request, registration)
    recording = selectors.published_recording_of_seminar(registration.seminar)
    if recording is None:
        messages.info(request, _("The recording of this seminar is not published yet."))
        return redirect(access.manage_url or registration.seminar.get_absolute_url())
    if (
        not registration.is_confirmed
        and recording.access == Recording.Access.REGISTRANTS
        and access_denial(recording, viewer_for(request))
    ):
        messages.info(
            request,
            _(
                "This recording is for people who had a confirmed place at the seminar. "
                "Your registration was not confirmed (it is %(status)s), so this link "
                "cannot open it."
            )
            % {"status": registration.get_status_display().lower()},
        )
    return redirect(recording.get_absolute_url())


# Segments one report may carry: ten minutes of a page left open, many times over.
MAX_SEGMENTS_PER_REPORT = 720


@personal_page
@require_POST
def recording_progress(request: HttpRequest, slug: str) -> JsonResponse:
    """``POST /recordings/<slug>/progress/``: the watch page reports the segments it played.

    Form field ``segments``: segment numbers separated by commas (``0,1,2``). Only a
    registrant of the seminar who may watch the recording is recorded; the answer is
    the share of the recording they have now watched.
    """
    recording = selectors.recording_for_page(slug)
    viewer = viewer_for(request)
    if recording is None or not recording.is_published:
        return JsonResponse({"error": _("No recording found.")}, status=404)
    registration_id = viewer.registration_for(recording.seminar_id)
    if registration_id is None or access_denial(recording, viewer) is not None:
        return JsonResponse(
            {"error": _("Progress is kept for the seminar's registrants only.")}, status=403
        )
    total = recording_segment_count(recording)
    if total is None:
        return JsonResponse({"error": _("This recording's length is not known.")}, status=409)
    segments = _segments(request.POST.get("segments", ""), total=total)
    if segments is None:
        return JsonResponse(
            {
                "error": _("segments must be up to %(most)s whole numbers, separated by commas.")
                % {"most": MAX_SEGMENTS_PER_REPORT}
            },
            status=400,
        )
    progress = recording_progress_record(
        recording=recording, registration_id=registration_id, segments=segments
    )
    return JsonResponse({"percent": progress.percent})


def _segments(text: str, *, total: int) -> set[int] | None:
    parts = [part.strip() for part in text.split(",")] if text.strip() else []
    if not parts or len(parts) > MAX_SEGMENTS_PER_REPORT:
        return None
    if not all(part.isascii() and part.isdigit() and len(part) <= 6 for part in parts):
        return None
    # Past the end: the duration typed in the admin may be a little short of the video's.
    # Those segments are dropped, not refused, so the last minute still counts.
    return {segment for segment in map(int, parts) if segment < total}
