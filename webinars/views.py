"""Public catalogue pages: home, upcoming and past lists, seminar, series and speaker pages.

Each view reads its input through a form, asks a selector, and renders. Pages
are the same for every anonymous visitor, so they are served from the shared
cache (see ``webinars.cache``).
"""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from webinars import selectors
from webinars.cache import cache_public_page
from webinars.forms import SeminarFilterForm

PAGE_SIZE = 12
HOME_SEMINARS = 3
SERIES_PAST_SEMINARS = 6


@cache_public_page
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "webinars/home.html",
        {
            "next_seminars": selectors.seminars_next(limit=HOME_SEMINARS),
            "series_list": selectors.series_overview(),
            "topics": selectors.topics_in_use(upcoming_only=True),
        },
    )


def _listing(request: HttpRequest, *, past: bool) -> HttpResponse:
    form = SeminarFilterForm(request.GET)
    filters = form.filters()
    seminars = (selectors.seminars_past if past else selectors.seminars_upcoming)(**filters)
    page_obj = Paginator(seminars, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "webinars/seminar_list.html",
        {
            "form": form,
            "page_obj": page_obj,
            "page_range": page_obj.paginator.get_elided_page_range(page_obj.number),
            "seminars": page_obj.object_list,
            "is_past": past,
            "is_filtered": any(filters.values()),
            "filter_query": form.applied_query(),
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
    return render(
        request,
        "webinars/seminar_detail.html",
        {
            "seminar": seminar,
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
    return render(
        request,
        "webinars/series_detail.html",
        {
            "series": series,
            "upcoming_seminars": selectors.seminars_upcoming(series=series),
            "past_seminars": past_seminars[:SERIES_PAST_SEMINARS],
            "has_more_past": len(past_seminars) > SERIES_PAST_SEMINARS,
        },
    )


@cache_public_page
def speaker_detail(request: HttpRequest, slug: str) -> HttpResponse:
    speaker = selectors.speaker_for_page(slug)
    if speaker is None:
        raise Http404(_("No speaker found."))
    return render(
        request,
        "webinars/speaker_detail.html",
        {
            "speaker": speaker,
            "upcoming_seminars": selectors.speaker_seminars_upcoming(speaker),
            "past_seminars": selectors.speaker_seminars_past(speaker),
        },
    )
