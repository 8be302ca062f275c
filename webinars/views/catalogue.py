"""Public catalogue pages: home, upcoming and past lists, seminar, series and speaker pages.

Each view reads its input through a form, asks a selector, and renders. Pages
are the same for every anonymous visitor, so they are served from the shared
cache (see ``webinars.cache``). Recordings listed here are those the viewer may
watch: for anonymous visitors the public ones only, so cached pages stay right.
"""

from collections.abc import Callable

from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from webinars import selectors
from webinars.cache import cache_public_page
from webinars.forms.catalogue import CatalogueFilterForm, SeminarFilterForm
from webinars.recording_access import viewer_for

PAGE_SIZE = 12
HOME_SEMINARS = 3
SERIES_PAST_SEMINARS = 6
HOME_RECORDINGS = 3
SERIES_RECORDINGS = 6
SPEAKER_RECORDINGS = 6


@cache_public_page
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "webinars/home.html",
        {
            "next_seminars": selectors.seminars_next(limit=HOME_SEMINARS),
            "series_list": selectors.series_overview(),
            "topics": selectors.topics_in_use(upcoming_only=True),
            "latest_recordings": selectors.recordings_latest(
                viewer=viewer_for(request), limit=HOME_RECORDINGS
            ),
        },
    )


def listing_page(
    request: HttpRequest,
    *,
    form: CatalogueFilterForm,
    selector: Callable[..., QuerySet],
    template: str,
    items_name: str,
    extra_context: Callable[[dict, list], dict] | None = None,
) -> HttpResponse:
    """A filtered, paginated list: ``form`` reads the query, ``selector(**form.filters())``
    finds the items, one page of them is rendered as ``items_name``.

    ``extra_context(filters, page_items)`` adds what the page shows beside the items.
    """
    filters = form.filters()
    page_obj = Paginator(selector(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page_obj.object_list)
    context = {
        "form": form,
        "page_obj": page_obj,
        "page_range": page_obj.paginator.get_elided_page_range(page_obj.number),
        items_name: items,
        "is_filtered": any(filters.values()),
        "filter_query": form.applied_query(),
    }
    if extra_context is not None:
        context.update(extra_context(filters, items))
    return render(request, template, context)


def _listing(request: HttpRequest, *, past: bool) -> HttpResponse:
    return listing_page(
        request,
        form=SeminarFilterForm(request.GET),
        selector=selectors.seminars_past if past else selectors.seminars_upcoming,
        template="webinars/seminar_list.html",
        items_name="seminars",
        extra_context=lambda filters, _items: {
            "is_past": past,
            "calendar_topic": filters["topic"],
            "page_title": _("Past seminars") if past else _("Upcoming seminars"),
        },
    )


@cache_public_page
def seminar_list(request: HttpRequest) -> HttpResponse:
    return _listing(request, past=False)


@cache_public_page
def seminar_past(request: HttpRequest) -> HttpResponse:
    return _listing(request, past=True)


@cache_public_page
def seminar_detail(request: HttpRequest, slug: str) -> HttpResponse:
    seminar = selectors.seminar_for_page(slug)
    if seminar is None:
        raise Http404(_("No seminar found."))
    # The same for every visitor (the page is cached): whether a recording exists and who
    # may watch it; the watch page decides for each viewer.
    recording = selectors.published_recording_of_seminar(seminar) if seminar.is_past else None
    return render(
        request,
        "webinars/seminar_detail.html",
        {
            "seminar": seminar,
            "recording": recording,
            "speaker_links": seminar.speaker_links.all(),
            "topics": seminar.topics.all(),
            "audience_types": seminar.allowed_audience_types.all(),
        },
    )


@cache_public_page
def series_detail(request: HttpRequest, slug: str) -> HttpResponse:
    series = selectors.series_for_page(slug)
    if series is None:
        raise Http404(_("No series found."))
    # One more than shown tells whether to link to the full past list.
    past_seminars = list(selectors.seminars_past(series=series)[: SERIES_PAST_SEMINARS + 1])
    recordings = list(
        selectors.series_recordings(series, viewer=viewer_for(request))[: SERIES_RECORDINGS + 1]
    )
    return render(
        request,
        "webinars/series_detail.html",
        {
            "series": series,
            "upcoming_seminars": selectors.seminars_upcoming(series=series),
            "past_seminars": past_seminars[:SERIES_PAST_SEMINARS],
            "has_more_past": len(past_seminars) > SERIES_PAST_SEMINARS,
            "recordings": recordings[:SERIES_RECORDINGS],
            "has_more_recordings": len(recordings) > SERIES_RECORDINGS,
        },
    )


@cache_public_page
def speaker_detail(request: HttpRequest, slug: str) -> HttpResponse:
    speaker = selectors.speaker_for_page(slug)
    if speaker is None:
        raise Http404(_("No speaker found."))
    # One more than shown tells whether to link to the archive, searched for the speaker.
    recordings = list(
        selectors.speaker_recordings(speaker, viewer=viewer_for(request))[: SPEAKER_RECORDINGS + 1]
    )
    return render(
        request,
        "webinars/speaker_detail.html",
        {
            "speaker": speaker,
            "upcoming_seminars": selectors.speaker_seminars_upcoming(speaker),
            "past_seminars": selectors.speaker_seminars_past(speaker),
            "recordings": recordings[:SPEAKER_RECORDINGS],
            "has_more_recordings": len(recordings) > SPEAKER_RECORDINGS,
        },
    )
