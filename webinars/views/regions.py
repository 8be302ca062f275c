"""Region and prefecture pages: ``/regions/`` and ``/regions/<slug>/`` (:mod:`webinars.regions`).

A tour operator who sells Kyushu, or someone who follows Tohoku, finds here every seminar,
recording and speaker of that place. Served from the shared cache like the catalogue.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from webinars import selectors
from webinars.cache import cache_public_page
from webinars.recording_access import viewer_for
from webinars.regions import place_for_slug, regions

PLACE_PAST_SEMINARS = 6
PLACE_RECORDINGS = 6


@cache_public_page
def region_index(request: HttpRequest) -> HttpResponse:
    counts = selectors.upcoming_counts_by_place()
    return render(
        request,
        "webinars/region_index.html",
        {
            "regions": [
                {
                    "place": region,
                    "upcoming": counts[region.slug],
                    "parts": [
                        {"place": part, "upcoming": counts[part.slug]} for part in region.parts
                    ],
                }
                for region in regions()
            ]
        },
    )


@cache_public_page
def region_detail(request: HttpRequest, slug: str) -> HttpResponse:
    place = place_for_slug(slug)
    if place is None:
        raise Http404(_("No region or prefecture found."))
    # One more than shown tells whether there is more to see.
    past = list(selectors.place_seminars_past(place)[: PLACE_PAST_SEMINARS + 1])
    recordings = list(
        selectors.prefecture_recordings(place.prefectures, viewer=viewer_for(request))[
            : PLACE_RECORDINGS + 1
        ]
    )
    upcoming = list(selectors.place_seminars_upcoming(place))
    return render(
        request,
        "webinars/region_detail.html",
        {
            "place": place,
            "upcoming_seminars": upcoming,
            "past_seminars": past[:PLACE_PAST_SEMINARS],
            "has_more_past": len(past) > PLACE_PAST_SEMINARS,
            "recordings": recordings[:PLACE_RECORDINGS],
            "has_more_recordings": len(recordings) > PLACE_RECORDINGS,
            "speakers": list(selectors.place_speakers(place)),
        },
    )
