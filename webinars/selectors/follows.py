"""Reads about follows: what a follow link points at, whose follows a seminar reaches."""

import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from webinars.models import Follow, Seminar, Series, Topic
from webinars.regions import Place, place_for_prefecture, place_for_slug

# What a slug can be (Django's slug converter); anything else (a NUL byte) names nothing
# and never reaches the database.
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,150}")


@dataclass(frozen=True)
class FollowTarget:
    """What a person asks to follow: a place, a topic, a series, or every seminar."""

    kind: str
    place: Place | None = None
    topic: Topic | None = None
    series: Series | None = None

    @property
    def name(self) -> str:
        if self.place is not None:
            return str(self.place.name)
        if self.topic is not None:
            return str(self.topic.name)
        if self.series is not None:
            return str(self.series.name)
        return str(Follow(kind=Follow.Kind.ALL).target_name)

    @property
    def query(self) -> str:
        """The query string of the follow page for this target (``place=kyushu``)."""
        if self.place is not None:
            return f"place={self.place.slug}"
        if self.topic is not None:
            return f"topic={self.topic.slug}"
        if self.series is not None:
            return f"series={self.series.slug}"
        return "all=1"

    def fields(self) -> dict[str, object]:
        """The follow's columns for this target."""
        return {
            "kind": self.kind,
            "place": self.place.slug if self.place is not None else "",
            "topic": self.topic,
            "series": self.series,
        }

    def follows(self) -> QuerySet[Follow]:
        """Follows of exactly this target (any address)."""
        return Follow.objects.filter(
            kind=self.kind,
            place=self.place.slug if self.place is not None else "",
            topic=self.topic,
            series=self.series,
        )


def follow_target(
    *, place: str = "", topic: str = "", series: str = "", every: bool = False
) -> FollowTarget | None:
    """The target one of ``place``/``topic``/``series`` slugs (or ``every``) names, if it exists.

    Exactly one must be given; None for none, several, or a slug that names nothing.
    """
    given = [bool(place), bool(topic), bool(series), every]
    if sum(given) != 1:
        return None
    if not all(_SLUG.fullmatch(slug) for slug in (place, topic, series) if slug):
        return None
    if place:
        found = place_for_slug(place)
        return FollowTarget(kind=Follow.Kind.PLACE, place=found) if found else None
    if topic:
        found_topic = Topic.objects.filter(slug=topic).first()
        return FollowTarget(kind=Follow.Kind.TOPIC, topic=found_topic) if found_topic else None
    if series:
        found_series = Series.objects.filter(slug=series).first()
        return FollowTarget(kind=Follow.Kind.SERIES, series=found_series) if found_series else None
    return FollowTarget(kind=Follow.Kind.ALL)


def seminar_place_slugs(seminar: Seminar) -> set[str]:
    """The places a seminar is about: its prefecture and the prefecture's region."""
    place = place_for_prefecture(seminar.prefecture) if seminar.prefecture else None
    if place is None:
        return set()
    return {place.slug, place.region_slug}


def seminar_followers(seminar: Seminar) -> QuerySet[Follow]:
    """Confirmed follows that reach ``seminar``: its place, a topic, its series, or every seminar.

    One query (the topics are a subquery); an address may appear once per matching follow.
    """
    reach = Q(kind=Follow.Kind.ALL) | Q(kind=Follow.Kind.SERIES, series_id=seminar.series_id)
    reach |= Q(kind=Follow.Kind.TOPIC, topic__in=seminar.topics.values("pk"))
    places = seminar_place_slugs(seminar)
    if places:
        reach |= Q(kind=Follow.Kind.PLACE, place__in=places)
    return Follow.objects.confirmed().filter(reach)


def follows_of(*, email: str) -> list[Follow]:
    """An address's follows (confirmed or waiting), with their topic and series, by kind."""
    order = {kind: position for position, kind in enumerate(Follow.Kind.values)}
    follows = list(Follow.objects.of_address(email).select_related("topic", "series"))
    return sorted(follows, key=lambda follow: (order[follow.kind], follow.target_name, follow.pk))


def follow_reaches(follow: Follow, seminar: Seminar, *, topic_ids: set[int]) -> bool:
    """Whether ``follow`` reaches ``seminar`` (whose topics' ids are ``topic_ids``)."""
    if follow.kind == Follow.Kind.ALL:
        return True
    if follow.kind == Follow.Kind.SERIES:
        return follow.series_id == seminar.series_id
    if follow.kind == Follow.Kind.TOPIC:
        return follow.topic_id in topic_ids
    return follow.place in seminar_place_slugs(seminar)
