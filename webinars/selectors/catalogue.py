"""Read queries for the public catalogue: seminars, series, speakers, topics.

Each selector returns what one page shows with the joins and prefetches it
needs, so that a page's query count never grows with the number of items.
Filters use subqueries (``Exists``) rather than joins, so a seminar matching
twice (two speakers, two topics) is still listed once.
"""

from datetime import datetime

from django.db import connection
from django.db.models import Count, Exists, F, Func, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.lookups import IContains
from django.utils import timezone

from accounts.models import AudienceType
from webinars import search_tokens
from webinars.content_languages import contains_in_any_language, language_columns, shown_order
from webinars.models import (
    Registration,
    Seminar,
    SeminarQuerySet,
    SeminarSpeaker,
    Series,
    Speaker,
    Topic,
)
from webinars.prefectures import Prefecture

# Longer searches are cut here; a few words are all anyone types.
MAX_QUERY_TERMS = 8

# A seminar's own text, as the GIN index of its Japanese tokens reads it: migration 0020
# indexes exactly these columns in this order, or the planner would not use the index.
SEMINAR_JAPANESE_COLUMNS = (
    *language_columns("title"),
    *language_columns("summary"),
    *language_columns("description"),
)

# Annotations a page's selector may add so that ``seminar_seats`` needs no query of its own.
SEAT_COUNT_ANNOTATIONS = {
    "confirmed_count": Count(
        "registrations", filter=Q(registrations__status=Registration.Status.CONFIRMED)
    ),
    "waitlisted_count": Count(
        "registrations", filter=Q(registrations__status=Registration.Status.WAITLISTED)
    ),
}


def search_text_normalised(text: str) -> str:
    """Search input as it is matched: NFKC (full-width Latin letters and digits as ASCII,
    half-width katakana as full-width) and control characters as spaces.

    NUL and other control characters cannot be sent to PostgreSQL and mean nothing in a search.
    """
    return search_tokens.normalised(text)


def speaker_links_prefetch(seminar_path: str = "") -> Prefetch:
    """A seminar's speakers in order; ``seminar_path="seminar"`` for rows of one seminar."""
    prefix = f"{seminar_path}__" if seminar_path else ""
    return Prefetch(
        f"{prefix}speaker_links",
        queryset=SeminarSpeaker.objects.select_related("speaker").order_by("position", "pk"),
    )


def _for_cards(seminars: QuerySet[Seminar]) -> QuerySet[Seminar]:
    """What a seminar card shows: series, speakers in order, topics."""
    return seminars.select_related("series").prefetch_related(speaker_links_prefetch(), "topics")


def speaker_matches(term: str, *, seminar_path: str = "") -> Exists:
    """The seminar (or the seminar at ``seminar_path``) has a speaker whose name, Japanese
    name or organisation contains ``term``."""
    return Exists(
        SeminarSpeaker.objects.filter(seminar=OuterRef(seminar_path or "pk")).filter(
            Q(speaker__name__icontains=term)
            | Q(speaker__name_ja__icontains=term)
            | contains_in_any_language("speaker__organisation", term)
        )
    )


def _japanese_matches(term: str) -> Q:
    """PostgreSQL: the seminars whose own text holds ``term``, found through the GIN index of
    its Japanese tokens (migration 0020) and, unless the tokens decide alone, rechecked by
    substring on the rows found, as stored and NFKC-normalised (``search_tokens``)."""
    condition = search_tokens.japanese_match(
        search_tokens.japanese_tokens_of_columns(SEMINAR_JAPANESE_COLUMNS), term
    )
    if not search_tokens.tokens_decide(term):
        # As stored first: normalising is slower and rarely needed (half-width kana…).
        recheck = Q()
        for column in SEMINAR_JAPANESE_COLUMNS:
            recheck |= Q(**{f"{column}__icontains": term})
        for column in SEMINAR_JAPANESE_COLUMNS:
            recheck |= Q(
                IContains(Func(F(column), template="normalize(%(expressions)s, NFKC)"), term)
            )
        condition &= recheck
    # A subquery, so that the other tables' conditions beside it (speakers, topics) do not
    # keep the index from answering this one.
    return Q(pk__in=Seminar.objects.filter(condition).values("pk"))


def _own_text_matches(term: str) -> Q:
    """The seminar's title, summary or description, in either language, holds ``term``."""
    if connection.vendor == "postgresql" and search_tokens.has_japanese(term):
        return _japanese_matches(term)
    return (
        contains_in_any_language("title", term)
        | contains_in_any_language("summary", term)
        | contains_in_any_language("description", term)
    )


def _matching_term(term: str) -> Q:
    term = search_text_normalised(term).strip()
    topics = Seminar.topics.through.objects.filter(
        contains_in_any_language("topic__name", term), seminar=OuterRef("pk")
    )
    lowered = term.casefold()
    prefectures = [code for code, label in Prefecture.choices if lowered in str(label).casefold()]
    condition = (
        _own_text_matches(term)
        | Q(partner_organisations__icontains=term)
        | Q(speaker_matches(term))
        | Q(Exists(topics))
    )
    if prefectures:
        condition |= Q(prefecture__in=prefectures)
    return condition


def seminar_filtered(
    items: QuerySet,
    *,
    seminar_path: str = "",
    series: Series | str | None = None,
    audience_type: AudienceType | str | None = None,
    topic: Topic | str | None = None,
    prefecture: str | None = None,
    language: str | None = None,
) -> QuerySet:
    """The catalogue's filters, on seminars or (``seminar_path="seminar"``) on rows of one.

    Subqueries rather than joins, so an item matching twice is still listed once.
    """
    prefix = f"{seminar_path}__" if seminar_path else ""
    seminar_ref = OuterRef(seminar_path or "pk")
    if isinstance(series, Series):
        items = items.filter(**{f"{prefix}series": series})
    elif series:
        items = items.filter(**{f"{prefix}series__slug": series})
    if audience_type:
        allowed = Seminar.allowed_audience_types.through.objects.filter(seminar=seminar_ref)
        if isinstance(audience_type, AudienceType):
            wanted = allowed.filter(audiencetype=audience_type)
        else:
            wanted = allowed.filter(audiencetype__slug=audience_type)
        # No allowed types listed means every type is welcome.
        items = items.filter(Q(Exists(wanted)) | ~Q(Exists(allowed)))
    if topic:
        tagged = Seminar.topics.through.objects.filter(seminar=seminar_ref)
        if isinstance(topic, Topic):
            tagged = tagged.filter(topic=topic)
        else:
            tagged = tagged.filter(topic__slug=topic)
        items = items.filter(Exists(tagged))
    if prefecture:
        items = items.filter(**{f"{prefix}prefecture": prefecture})
    if language:
        items = items.filter(**{f"{prefix}language": language})
    return items


def _filtered(
    seminars: QuerySet[Seminar],
    *,
    series: Series | str | None = None,
    audience_type: AudienceType | str | None = None,
    topic: Topic | str | None = None,
    prefecture: str | None = None,
    language: str | None = None,
    query: str | None = None,
) -> QuerySet[Seminar]:
    seminars = seminar_filtered(
        seminars,
        series=series,
        audience_type=audience_type,
        topic=topic,
        prefecture=prefecture,
        language=language,
    )
    if query:
        for term in query.split()[:MAX_QUERY_TERMS]:
            seminars = seminars.filter(_matching_term(term))
    return seminars


def visible_seminars() -> SeminarQuerySet:
    """What the public may see: never drafts (the model's ``visible()`` holds the rule)."""
    return Seminar.objects.visible()


def seminars_upcoming(
    *,
    series: Series | str | None = None,
    audience_type: AudienceType | str | None = None,
    topic: Topic | str | None = None,
    prefecture: str | None = None,
    language: str | None = None,
    query: str | None = None,
    now: datetime | None = None,
) -> QuerySet[Seminar]:
    """Seminars that have not ended yet (cancelled ones included), soonest first."""
    seminars = _filtered(
        visible_seminars().upcoming(now or timezone.now()),
        series=series,
        audience_type=audience_type,
        topic=topic,
        prefecture=prefecture,
        language=language,
        query=query,
    )
    return _for_cards(seminars).order_by("starts_at", "pk")


def seminars_past(
    *,
    series: Series | str | None = None,
    audience_type: AudienceType | str | None = None,
    topic: Topic | str | None = None,
    prefecture: str | None = None,
    language: str | None = None,
    query: str | None = None,
    now: datetime | None = None,
) -> QuerySet[Seminar]:
    """Seminars that have ended, newest first."""
    seminars = _filtered(
        visible_seminars().past(now or timezone.now()),
        series=series,
        audience_type=audience_type,
        topic=topic,
        prefecture=prefecture,
        language=language,
        query=query,
    )
    return _for_cards(seminars).order_by("-starts_at", "-pk")


def seminar_for_page(slug: str) -> Seminar | None:
    """One public seminar with everything its page shows, or None (drafts included)."""
    return (
        visible_seminars()
        .select_related("series")
        .prefetch_related(speaker_links_prefetch(), "topics", "allowed_audience_types")
        .annotate(**SEAT_COUNT_ANNOTATIONS)
        .filter(slug=slug)
        .first()
    )


def series_for_page(slug: str) -> Series | None:
    return Series.objects.filter(slug=slug).first()


def seminars_next(*, limit: int, now: datetime | None = None) -> QuerySet[Seminar]:
    """The next ``limit`` seminars still taking place (not cancelled), soonest first."""
    return seminars_upcoming(now=now).exclude(status=Seminar.Status.CANCELLED)[:limit]


def series_overview(*, now: datetime | None = None) -> QuerySet[Series]:
    """Every series with its number of upcoming public seminars that are not cancelled."""
    taking_place = visible_seminars().upcoming(now or timezone.now())
    taking_place = taking_place.exclude(status=Seminar.Status.CANCELLED)
    upcoming = Q(seminars__in=taking_place)
    return Series.objects.annotate(upcoming_count=Count("seminars", filter=upcoming)).order_by(
        "position", "name"
    )


def speaker_for_page(slug: str) -> Speaker | None:
    """A speaker's public profile exists once they speak at a public (non-draft) seminar."""
    public_links = SeminarSpeaker.objects.filter(
        speaker=OuterRef("pk"), seminar__in=visible_seminars()
    )
    return Speaker.objects.filter(Exists(public_links), slug=slug).first()


def _with_speaker_role(seminars: QuerySet[Seminar], speaker: Speaker) -> QuerySet[Seminar]:
    links = SeminarSpeaker.objects.filter(seminar=OuterRef("pk"), speaker=speaker)
    return seminars.filter(Exists(links)).annotate(speaker_role=Subquery(links.values("role")[:1]))


def speaker_seminars_upcoming(
    speaker: Speaker, *, now: datetime | None = None
) -> QuerySet[Seminar]:
    """The speaker's public seminars still to come, annotated with their ``speaker_role``."""
    return _with_speaker_role(seminars_upcoming(now=now), speaker)


def speaker_seminars_past(speaker: Speaker, *, now: datetime | None = None) -> QuerySet[Seminar]:
    return _with_speaker_role(seminars_past(now=now), speaker)


def topics_in_use(*, upcoming_only: bool = False, now: datetime | None = None) -> QuerySet[Topic]:
    """Topics of public seminars (a draft's topics stay private until it is published)."""
    public = visible_seminars()
    if upcoming_only:
        public = public.upcoming(now or timezone.now())
    seminars = Seminar.topics.through.objects.filter(topic=OuterRef("pk"), seminar__in=public)
    return Topic.objects.filter(Exists(seminars)).order_by(shown_order("name"), "pk")


def audience_types_offered() -> QuerySet[AudienceType]:
    return AudienceType.objects.filter(is_active=True).order_by("position", "name")
