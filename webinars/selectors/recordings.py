"""Read queries for recordings: the archive and its search, the watch page, and the
recordings other pages list.

Every list starts from ``recording_access.recordings_watchable(viewer)``, so nothing a
viewer may not watch is ever listed, searched or counted. Each selector brings the joins
and prefetches its page needs, so a page's query count never grows with its items.

Search: the query is split into terms (a "quoted phrase" is one term) and every term
must match somewhere: the titles, the descriptions, the speakers and the transcript.
On PostgreSQL a term is matched against what ``services.recording_search_index`` built:
English words against ``Recording.search_vector`` (stemmed), a term with Japanese script
against the tokens of ``Recording.search_text_japanese``, rechecked by substring when they
cannot decide alone (``webinars.search_tokens``). On SQLite every term is matched by
substring.
"""

import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import StrIndex
from django.db.models.lookups import Exact, GreaterThan

from webinars import search_tokens
from webinars.content_languages import contains_in_any_language, shown_order
from webinars.models import (
    Recording,
    RecordingChapter,
    Seminar,
    SeminarSpeaker,
    Series,
    Speaker,
    Topic,
    TranscriptCue,
)
from webinars.models.recordings import SEARCH_CONFIG
from webinars.recording_access import Viewer, recordings_watchable
from webinars.selectors.catalogue import (
    MAX_QUERY_TERMS,
    search_text_normalised,
    seminar_filtered,
    speaker_links_prefetch,
    speaker_matches,
    visible_seminars,
)

# A term longer than this is cut: no word or phrase anyone searches for is longer.
MAX_TERM_LENGTH = 60
# The whole query is cut first, so a 10,000-character paste costs nothing to split.
MAX_QUERY_LENGTH = 500

# "a phrase", “a phrase” or 「a phrase」 is one term; anything else splits on spaces.
_TERM = re.compile(r'"([^"]*)"|“([^”]*)”|「([^」]*)」|(\S+)')
_QUOTES = '"“”「」'
# Columns only search reads: pages never load them (a transcript is long).
_SEARCH_ONLY = ("transcript_text", "search_vector", "search_text_japanese")


@dataclass(frozen=True)
class SearchTerm:
    text: str
    is_phrase: bool = False

    @property
    def is_cjk(self) -> bool:
        """The term has Japanese script (kana, kanji), which PostgreSQL's parser cannot split."""
        return search_tokens.has_japanese(self.text)


def search_terms(query: str | None) -> list[SearchTerm]:
    """The terms of a search, cleaned and capped; safe for any input (NUL, 10,000 chars…)."""
    text = search_text_normalised((query or "")[:MAX_QUERY_LENGTH])
    terms: list[SearchTerm] = []
    seen: set[str] = set()
    for match in _TERM.finditer(text):
        phrase = next((group for group in match.groups()[:3] if group is not None), None)
        raw = phrase if phrase is not None else match.group(4).strip(_QUOTES)
        words = " ".join(raw.split())[:MAX_TERM_LENGTH].strip()
        if not words or words.casefold() in seen:
            continue
        seen.add(words.casefold())
        terms.append(SearchTerm(text=words, is_phrase=phrase is not None and " " in words))
        if len(terms) == MAX_QUERY_TERMS:
            break
    return terms


def _substring_condition(term: str) -> Q:
    return (
        contains_in_any_language("title", term)
        | contains_in_any_language("description", term)
        | contains_in_any_language("seminar__title", term)
        | contains_in_any_language("seminar__summary", term)
        | contains_in_any_language("seminar__description", term)
        | Q(transcript_text__icontains=term)
        | Q(speaker_matches(term, seminar_path="seminar"))
    )


def _full_text_condition(term: SearchTerm) -> Q:
    """PostgreSQL: the stemmed vector, or the speakers by substring (names stem badly).

    A term PostgreSQL finds no words in ("the", "%", "<br>") would match nothing at all,
    which would empty every search containing one: such a term is matched by substring.
    """
    from django.contrib.postgres.search import SearchQuery, SearchVectorExact

    tsquery = SearchQuery(
        term.text, search_type="phrase" if term.is_phrase else "plain", config=SEARCH_CONFIG
    )
    words = Func(tsquery, function="numnode", output_field=IntegerField())
    return (
        Q(GreaterThan(words, 0)) & Q(SearchVectorExact(F("search_vector"), tsquery))
        | Q(Exact(words, 0)) & _substring_condition(term.text)
        | Q(speaker_matches(term.text, seminar_path="seminar"))
    )


def _japanese_condition(term: SearchTerm) -> Q:
    """PostgreSQL: the recording's Japanese lines hold every token of the term (the GIN
    index over their tokens answers) and, unless the tokens decide alone, the term itself.

    Lines and term are normalised alike, so the recheck is exact and cheap: it reads only
    the Japanese lines of the recordings the index found, and never normalises a
    transcript while the searcher waits. The lines hold the titles, descriptions, speakers
    and transcript, so nothing else is read.
    """
    tokens = search_tokens.japanese_tokens_of_columns(["search_text_japanese"])
    condition = search_tokens.japanese_match(tokens, term.text)
    if not search_tokens.tokens_decide(term.text):
        # strpos, not LIKE: both sides are folded already, and it is twice as fast.
        position = StrIndex("search_text_japanese", Value(search_tokens.folded(term.text)))
        condition &= Q(GreaterThan(position, 0))
    return condition


def _term_condition(term: SearchTerm) -> Q:
    if connection.vendor != "postgresql":
        return _substring_condition(term.text)
    if term.is_cjk:
        return _japanese_condition(term)
    return _full_text_condition(term)


def _for_cards(recordings: QuerySet[Recording]) -> QuerySet[Recording]:
    """What a recording card shows: seminar, series, speakers in order, topics; newest first.

    The transcript and the search vector stay in the database: cards never read them.
    """
    return (
        recordings.select_related("seminar__series")
        .prefetch_related(speaker_links_prefetch("seminar"), "seminar__topics")
        .defer(*_SEARCH_ONLY)
        .order_by("-seminar__starts_at", "-pk")
    )


def recordings_archive(
    *,
    viewer: Viewer,
    query: str | None = None,
    series: Series | str | None = None,
    topic: Topic | str | None = None,
    prefecture: str | None = None,
) -> QuerySet[Recording]:
    """Recordings ``viewer`` may watch, filtered and searched, newest seminar first."""
    recordings = seminar_filtered(
        recordings_watchable(viewer),
        seminar_path="seminar",
        series=series,
        topic=topic,
        prefecture=prefecture,
    )
    for term in search_terms(query):
        recordings = recordings.filter(_term_condition(term))
    return _for_cards(recordings)


def _cue_contains(text: str) -> Q:
    """A cue holds ``text``, whatever the case; a term without case (Japanese) skips the
    upper-casing of every cue, which cost five times the match itself."""
    if text.upper() == text == text.lower():
        return Q(text__contains=text)
    return Q(text__icontains=text)


def transcript_matches(recordings: list[Recording], query: str | None) -> dict[int, TranscriptCue]:
    """For each recording, the first transcript cue that contains every search term (one query).

    Pages show it as a snippet linking to that moment. Substring matching: a stemmed match
    on PostgreSQL ("attraction" for "attractions") may have no cue to show, which is fine.
    """
    terms = search_terms(query)
    if not recordings or not terms:
        return {}
    condition = Q()
    for term in terms:
        condition &= _cue_contains(term.text)
    # The subquery runs once per recording of the page, walking its cues in order (the
    # (recording, position) index) until one matches. Correlating it with every matching
    # cue instead made it quadratic: 2 s for a common word over 12 one-hour transcripts.
    first = (
        TranscriptCue.objects.filter(condition, recording=OuterRef("pk"))
        .order_by("position")
        .values("pk")[:1]
    )
    first_cues = Recording.objects.filter(pk__in=[recording.pk for recording in recordings])
    # Two queries: nested in one, PostgreSQL hashes every cue of every recording to join them.
    cue_ids = [
        cue_id
        for cue_id in first_cues.annotate(first_cue=Subquery(first)).values_list(
            "first_cue", flat=True
        )
        if cue_id is not None
    ]
    if not cue_ids:
        return {}
    return {cue.recording_id: cue for cue in TranscriptCue.objects.filter(pk__in=cue_ids)}


def recording_topics(viewer: Viewer) -> QuerySet[Topic]:
    """Topics of seminars with a recording ``viewer`` may watch, for the archive's filter."""
    watchable = recordings_watchable(viewer).values("seminar_id")
    recorded = Seminar.topics.through.objects.filter(topic=OuterRef("pk"), seminar_id__in=watchable)
    return Topic.objects.filter(Exists(recorded)).order_by(shown_order("name"), "pk")


def recording_for_page(slug: str) -> Recording | None:
    """One recording (published or not: the view decides) with what the access check reads.

    The watch page's contents come from :func:`recording_with_contents` once access is known.
    """
    return (
        Recording.objects.select_related("seminar__series")
        .prefetch_related("audience_types")
        .defer(*_SEARCH_ONLY)
        .filter(slug=slug)
        .first()
    )


def recording_with_contents(recording: Recording) -> Recording:
    """Load what the watch page shows: chapters, materials and speakers.

    Not the transcript's cues: the page renders them once per transcript and caches that.
    """
    from django.db.models import prefetch_related_objects

    prefetch_related_objects(
        [recording],
        Prefetch("chapters", queryset=RecordingChapter.objects.order_by("starts_at", "pk")),
        "materials",
        speaker_links_prefetch("seminar"),
    )
    return recording


def recordings_related(
    recording: Recording, *, viewer: Viewer, limit: int = 4
) -> QuerySet[Recording]:
    """Other watchable recordings of the same series or sharing a topic, newest first."""
    own_topics = Seminar.topics.through.objects.filter(seminar_id=recording.seminar_id).values(
        "topic_id"
    )
    shared = Seminar.topics.through.objects.filter(
        seminar=OuterRef("seminar"), topic_id__in=own_topics
    )
    related = (
        recordings_watchable(viewer)
        .exclude(pk=recording.pk)
        .filter(Q(seminar__series_id=recording.seminar.series_id) | Q(Exists(shared)))
    )
    return _for_cards(related)[:limit]


def recordings_latest(*, viewer: Viewer, limit: int) -> QuerySet[Recording]:
    return _for_cards(recordings_watchable(viewer))[:limit]


def series_recordings(series: Series, *, viewer: Viewer) -> QuerySet[Recording]:
    return _for_cards(recordings_watchable(viewer).filter(seminar__series=series))


def prefecture_recordings(prefectures: tuple[str, ...], *, viewer: Viewer) -> QuerySet[Recording]:
    """Watchable recordings of seminars featuring one of ``prefectures`` (a region's page)."""
    return _for_cards(recordings_watchable(viewer).filter(seminar__prefecture__in=prefectures))


def speaker_recordings(speaker: Speaker, *, viewer: Viewer) -> QuerySet[Recording]:
    spoke = SeminarSpeaker.objects.filter(seminar=OuterRef("seminar"), speaker=speaker)
    return _for_cards(recordings_watchable(viewer).filter(Exists(spoke)))


def recordings_of_seminars(seminar_ids: list[int], *, viewer: Viewer) -> QuerySet[Recording]:
    """Watchable recordings of these seminars, for short lists (title, series, date; one query)."""
    return (
        recordings_watchable(viewer)
        .filter(seminar_id__in=seminar_ids)
        .select_related("seminar__series")
        .defer(*_SEARCH_ONLY)
        .order_by("-seminar__starts_at", "-pk")
    )


def published_recording_of_seminar(seminar: Seminar) -> Recording | None:
    """The seminar's published recording whoever asks, with its audience types (to name them).

    For pages that are the same for everyone (the cached seminar page, emailed links): they
    say that a recording exists and who may watch it; the watch page checks the viewer.
    """
    return (
        Recording.objects.published()
        .filter(seminar=seminar)
        .prefetch_related("audience_types")
        .only("pk", "slug", "title", "access", "seminar_id", "published_at", "duration")
        .first()
    )


def next_seminar_in_series(series: Series) -> Seminar | None:
    """The series' next seminar still to take place (not cancelled), or None."""
    return (
        visible_seminars()
        .upcoming()
        .filter(series=series)
        .exclude(status=Seminar.Status.CANCELLED)
        .order_by("starts_at", "pk")
        .first()
    )
