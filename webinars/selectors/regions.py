"""What a region's or prefecture's page shows (:mod:`webinars.regions`)."""

from collections import Counter
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from webinars.models import Seminar, SeminarSpeaker, Speaker
from webinars.regions import Place, place_for_prefecture
from webinars.selectors.catalogue import seminars_past, seminars_upcoming, visible_seminars


def place_seminars_upcoming(place: Place, *, now: datetime | None = None) -> QuerySet[Seminar]:
    """Public seminars featuring one of the place's prefectures, still to come, soonest first."""
    return seminars_upcoming(now=now).filter(prefecture__in=place.prefectures)


def place_seminars_past(place: Place, *, now: datetime | None = None) -> QuerySet[Seminar]:
    return seminars_past(now=now).filter(prefecture__in=place.prefectures)


def place_speakers(place: Place) -> QuerySet[Speaker]:
    """Speakers whose JET placement is in the place and who speak at a public seminar."""
    public_links = SeminarSpeaker.objects.filter(
        speaker=OuterRef("pk"), seminar__in=visible_seminars()
    )
    placed = Speaker.objects.filter(Exists(public_links), jet_prefecture__in=place.prefectures)
    return placed.order_by("name", "pk")


def upcoming_counts_by_place(*, now: datetime | None = None) -> Counter[str]:
    """How many public seminars still to come (not cancelled) feature each place, by slug:
    a prefecture's under its own slug and again under its region's (one query)."""
    taking_place = (
        visible_seminars()
        .upcoming(now or timezone.now())
        .exclude(status=Seminar.Status.CANCELLED)
        .exclude(prefecture="")
    )
    counts: Counter[str] = Counter()
    for row in taking_place.values("prefecture").annotate(seminars=Count("pk")).order_by():
        place = place_for_prefecture(row["prefecture"])
        if place is None:
            continue
        counts[place.slug] += row["seminars"]
        if place.region_slug != place.slug:
            counts[place.region_slug] += row["seminars"]
    return counts
