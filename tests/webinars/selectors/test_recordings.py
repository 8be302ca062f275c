"""The recording selectors: who sees what, search over what was said, filters and order.

Runs on SQLite and on PostgreSQL (CI runs both): search must give the same answers on
both, with PostgreSQL's full-text vector or SQLite's substring matching.
"""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from tests.factories import (
    AudienceTypeFactory,
    RecordingFactory,
    SeminarFactory,
    SeminarSpeakerFactory,
    SeriesFactory,
    SpeakerFactory,
    TopicFactory,
)
from webinars import selectors
from webinars.models import Recording
from webinars.recording_access import ANONYMOUS, Viewer
from webinars.selectors.recordings import SearchTerm, search_terms
from webinars.services import recording_search_index, recording_transcript_attach
from webinars.vtt import parse_vtt

pytestmark = pytest.mark.django_db

KUMAMOTO_VTT = """WEBVTT

00:00:01.000 --> 00:00:05.000
<v Aiko Tanaka>Welcome, everyone, to our seminar about Kumamoto.

00:01:10.000 --> 00:01:16.000
Kumamoto Castle reopened its keep in 2021, one of the great local attractions.

00:02:00.000 --> 00:02:05.000
The prefectural museum closed for repairs last winter.

00:03:00.000 --> 00:03:04.000
熊本城の天守閣は2021年に復旧しました。
"""


def attach_transcript(recording: Recording, text: str) -> Recording:
    return recording_transcript_attach(
        recording=recording,
        upload=ContentFile(text.encode()),
        cues=parse_vtt(text),
        file_name="transcript.vtt",
    )


def recording(title: str, *, days_ago: float = 7, transcript: str = "", **kwargs) -> Recording:
    """A published public recording of a seminar ``days_ago`` days ago, indexed for search."""
    starts_at = (timezone.now() - timedelta(days=days_ago)).replace(microsecond=0)
    seminar_kwargs = {
        key.removeprefix("seminar__"): kwargs.pop(key)
        for key in list(kwargs)
        if key.startswith("seminar__")
    }
    seminar = SeminarFactory(
        title=f"Seminar of {title}",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        **seminar_kwargs,
    )
    made = RecordingFactory(seminar=seminar, title=title, **kwargs)
    if transcript:
        attach_transcript(made, transcript)
    else:
        recording_search_index(recording=made)
    return made


def full_width(text: str) -> str:
    """``text`` typed with a Japanese keyboard's full-width Latin letters (U+FF4B for "k")."""
    return "".join(chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char for char in text)


def titles(recordings) -> list[str]:
    return [item.title for item in recordings]


def archive(query=None, viewer=ANONYMOUS, **filters) -> list[str]:
    return titles(selectors.recordings_archive(viewer=viewer, query=query, **filters))


# --- Terms ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", []),
        (None, []),
        ("  onsen   Kyushu ", [SearchTerm("onsen"), SearchTerm("Kyushu")]),
        (
            '"local attractions" castle',
            [SearchTerm("local attractions", True), SearchTerm("castle")],
        ),
        ("“local attractions”", [SearchTerm("local attractions", True)]),
        ("「天守閣 復旧」", [SearchTerm("天守閣 復旧", True)]),
        ('"castle', [SearchTerm("castle")]),
        ('"one"', [SearchTerm("one")]),
        ("onsen ONSEN onsen", [SearchTerm("onsen")]),
        ("a\x00b", [SearchTerm("a"), SearchTerm("b")]),
        ("1 2 3 4 5 6 7 8 9 10", [SearchTerm(str(n)) for n in range(1, 9)]),
        ("x" * 10_000, [SearchTerm("x" * 60)]),
        # NFKC: full-width Latin is ASCII, an ideographic space splits, half-width kana widen.
        (
            full_width("KUMAMOTO") + "\u3000" + full_width("castle") + " ﾃｽﾄ",
            [SearchTerm("KUMAMOTO"), SearchTerm("castle"), SearchTerm("テスト")],
        ),
    ],
)
def test_search_terms_split_quote_dedupe_and_cap(query, expected):
    assert search_terms(query) == expected


def test_cjk_terms_are_recognised():
    assert [term.is_cjk for term in search_terms("熊本 onsen カステラ ﾃｽﾄ")] == [
        True,
        False,
        True,
        True,
    ]


# --- Visibility -----------------------------------------------------------------------------


def test_archive_lists_only_published_recordings_the_viewer_may_watch():
    media = AudienceTypeFactory(name="Media", slug="media")
    recording("Public one", days_ago=1)
    recording("Signed-in one", days_ago=2, access=Recording.Access.SIGNED_IN)
    for_registrants = recording("Registrants one", days_ago=3, access=Recording.Access.REGISTRANTS)
    recording(
        "Media one", days_ago=4, access=Recording.Access.AUDIENCE_TYPES, audience_types=[media]
    )
    recording("Hidden one", days_ago=5, unpublished=True)

    assert archive() == ["Public one"]
    assert archive(viewer=Viewer(user_id=1)) == ["Public one", "Signed-in one"]
    registrant = Viewer(user_id=1, seminar_ids=frozenset({for_registrants.seminar_id}))
    assert archive(viewer=registrant) == ["Public one", "Signed-in one", "Registrants one"]
    guest = Viewer(seminar_ids=frozenset({for_registrants.seminar_id}))
    assert archive(viewer=guest) == ["Public one", "Registrants one"]
    journalist = Viewer(user_id=2, confirmed_audience_type_ids=frozenset({media.pk}))
    assert archive(viewer=journalist) == ["Public one", "Signed-in one", "Media one"]
    # Organisers preview unpublished recordings on their page; the archive is what is out.
    organiser = Viewer(user_id=3, is_organiser=True)
    assert archive(viewer=organiser) == [
        "Public one",
        "Signed-in one",
        "Registrants one",
        "Media one",
    ]


def test_archive_is_newest_seminar_first_whatever_the_publication_order():
    recording("Older seminar", days_ago=30)
    recording("Newer seminar", days_ago=3, published_at=timezone.now() - timedelta(days=20))
    recording("Middle seminar", days_ago=10)

    assert archive() == ["Newer seminar", "Middle seminar", "Older seminar"]


# --- Search -----------------------------------------------------------------------------------


@pytest.fixture
def kumamoto():
    made = recording("Kumamoto castles and caldera", transcript=KUMAMOTO_VTT, days_ago=2)
    recording(
        "Onsen towns of Kyushu",
        days_ago=3,
        description="Beppu and Yufuin: hot springs by the sea.",
        transcript=(
            "WEBVTT\n\n00:00:01.000 --> 00:00:04.000\nThe baths of Beppu are open all year.\n"
        ),
    )
    return made


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('"local attractions"', ["Kumamoto castles and caldera"]),
        ('"castle reopened"', ["Kumamoto castles and caldera"]),
        # Both words were said, but never one after the other.
        ('"castle closed"', []),
        ("castle closed", ["Kumamoto castles and caldera"]),
        ('"local cuisine"', []),
        ("repairs", ["Kumamoto castles and caldera"]),
        ("baths", ["Onsen towns of Kyushu"]),
        ("BEPPU", ["Onsen towns of Kyushu"]),
        ("hot springs", ["Onsen towns of Kyushu"]),
        ("Beppu castle", []),
        ("天守閣", ["Kumamoto castles and caldera"]),
        ("「天守閣」", ["Kumamoto castles and caldera"]),
        ("天守閣 castle", ["Kumamoto castles and caldera"]),
        ("温泉", []),
        ("seminar", ["Kumamoto castles and caldera", "Onsen towns of Kyushu"]),
        # A word PostgreSQL ignores ("the") cannot empty the results.
        ("the castle", ["Kumamoto castles and caldera"]),
        ("nothing-like-this", []),
    ],
)
def test_search_finds_what_was_said(kumamoto, query, expected):
    assert archive(query) == expected


def test_full_width_latin_finds_what_was_said(kumamoto):
    assert archive(full_width("kumamoto")) == [KUMAMOTO]
    assert archive(f"“{full_width('local')}\u3000{full_width('attractions')}”") == [KUMAMOTO]


def test_postgresql_search_matches_other_forms_of_a_word(kumamoto):
    # English stemming on PostgreSQL ("reopening" finds "reopened"); SQLite reads substrings.
    expected = ["Kumamoto castles and caldera"] if connection.vendor == "postgresql" else []

    assert archive("reopening") == expected
    assert archive('"castles reopen"') == expected


def test_search_reads_speakers_in_english_and_japanese_and_their_organisation(kumamoto):
    speaker = SpeakerFactory(
        name="Hiroshi Matsumoto", name_ja="松本 宏", organisation="Aso City Tourism Office"
    )
    SeminarSpeakerFactory(seminar=kumamoto.seminar, speaker=speaker)
    recording_search_index(recording=kumamoto)

    assert archive("Matsumoto") == ["Kumamoto castles and caldera"]
    assert archive("matsu") == ["Kumamoto castles and caldera"]
    assert archive("松本") == ["Kumamoto castles and caldera"]
    assert archive("Aso City") == ["Kumamoto castles and caldera"]


def test_search_reads_seminar_title_summary_and_description():
    recording(
        "A recording",
        seminar__summary="Snow festivals of Hokkaido",
        seminar__description="## Programme\n\nSapporo's ice sculptures.",
    )

    assert archive("Hokkaido") == ["A recording"]
    assert archive("sculptures") == ["A recording"]
    assert archive("Seminar of A recording") == ["A recording"]


KUMAMOTO = "Kumamoto castles and caldera"
BOTH = [KUMAMOTO, "Onsen towns of Kyushu"]
# PostgreSQL's parser reads the words of "castle:*" or "(castle" and drops the rest;
# substring matching (SQLite) looks for the characters as typed.
CASTLE_WORD = [KUMAMOTO] if connection.vendor == "postgresql" else []


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("%", []),
        ("_", []),
        ("%%%", []),
        # The factories' seminar summaries have an apostrophe ("Japan's").
        ("'", BOTH),
        # Only a quote: no term at all, so everything is listed.
        ('"', BOTH),
        ("\"'\\", []),
        ("<script>alert(1)</script>", []),
        ("\x00", BOTH),
        ("castle\x00", [KUMAMOTO]),
        ("x" * 10_000, []),
        ("a & b | !c", []),
        ("castle:*", CASTLE_WORD),
        ("(castle", CASTLE_WORD),
        ("-castle", CASTLE_WORD),
        ("熊本　温泉", []),
        ("🍣", []),
    ],
)
def test_any_search_input_is_safe(kumamoto, query, expected):
    assert archive(query) == expected


def test_wildcards_are_matched_literally():
    recording("Growth of 50% in visitors")
    recording("Plain title")

    assert archive("50%") == ["Growth of 50% in visitors"]
    assert archive("%") == ["Growth of 50% in visitors"]
    assert archive("_") == []


def test_search_never_lists_what_the_searcher_cannot_watch(kumamoto):
    recording(
        "Kumamoto for members",
        transcript=KUMAMOTO_VTT,
        access=Recording.Access.SIGNED_IN,
    )

    assert archive('"local attractions"') == ["Kumamoto castles and caldera"]
    assert archive('"local attractions"', viewer=Viewer(user_id=1)) == [
        "Kumamoto castles and caldera",
        "Kumamoto for members",
    ]


def test_transcript_matches_give_the_first_cue_with_every_term(kumamoto):
    found = selectors.transcript_matches([kumamoto], '"local attractions" keep')

    cue = found[kumamoto.pk]
    assert (cue.seconds, cue.text) == (
        70,
        "Kumamoto Castle reopened its keep in 2021, one of the great local attractions.",
    )
    assert selectors.transcript_matches([kumamoto], "kumamoto")[kumamoto.pk].seconds == 1
    assert selectors.transcript_matches([kumamoto], "Beppu") == {}
    assert selectors.transcript_matches([kumamoto], "") == {}


# --- Filters ----------------------------------------------------------------------------------


def test_filters_by_series_topic_and_prefecture():
    attractions = SeriesFactory(name="Attractions", slug="attractions")
    food, onsen = TopicFactory(name="Food", slug="food"), TopicFactory(name="Onsen", slug="onsen")
    first = recording("Kyushu onsen", seminar__series=attractions, seminar__prefecture="JP-44")
    first.seminar.topics.set([onsen, food])
    second = recording("Hokkaido food", days_ago=9, seminar__prefecture="JP-01")
    second.seminar.topics.set([food])

    assert archive(series="attractions") == ["Kyushu onsen"]
    assert archive(series=attractions) == ["Kyushu onsen"]
    assert archive(topic="food") == ["Kyushu onsen", "Hokkaido food"]
    assert archive(topic=onsen) == ["Kyushu onsen"]
    assert archive(prefecture="JP-01") == ["Hokkaido food"]
    assert archive(series="nope") == []
    assert archive(topic="food", prefecture="JP-44", query="Kyushu") == ["Kyushu onsen"]


def test_recording_topics_are_those_of_published_recordings():
    shown, hidden = TopicFactory(name="Shown", slug="shown"), TopicFactory(slug="hidden")
    recording("Published").seminar.topics.set([shown])
    recording("Unpublished", unpublished=True).seminar.topics.set([hidden])
    SeminarFactory().topics.set([hidden])

    assert list(selectors.recording_topics(ANONYMOUS)) == [shown]


def test_recording_topics_are_those_of_recordings_the_viewer_may_watch():
    public, members = TopicFactory(name="Onsen"), TopicFactory(name="Embargoed plans")
    recording("Public").seminar.topics.set([public])
    recording("Members", access=Recording.Access.SIGNED_IN).seminar.topics.set([members])

    assert list(selectors.recording_topics(ANONYMOUS)) == [public]
    assert list(selectors.recording_topics(Viewer(user_id=1))) == [members, public]


# --- Other pages' lists -------------------------------------------------------------------------


def test_related_are_same_series_or_shared_topic_watchable_newest_first():
    series = SeriesFactory()
    topic = TopicFactory()
    main = recording("Main", seminar__series=series)
    main.seminar.topics.set([topic])
    recording("Same series", days_ago=10, seminar__series=series)
    recording("Shared topic", days_ago=5).seminar.topics.set([topic])
    recording("Unrelated", days_ago=1)
    recording("Same series, members", days_ago=2, seminar__series=series, access="signed_in")
    recording("Same series, hidden", days_ago=2, seminar__series=series, unpublished=True)

    assert titles(selectors.recordings_related(main, viewer=ANONYMOUS)) == [
        "Shared topic",
        "Same series",
    ]
    assert titles(selectors.recordings_related(main, viewer=ANONYMOUS, limit=1)) == ["Shared topic"]


def test_latest_series_and_speaker_recordings_are_watchable_only():
    series = SeriesFactory()
    speaker = SpeakerFactory()
    for title, access, days in [
        ("Open", "public", 3),
        ("Members", "signed_in", 2),
        ("Newest open", "public", 1),
    ]:
        made = recording(title, days_ago=days, access=access, seminar__series=series)
        SeminarSpeakerFactory(seminar=made.seminar, speaker=speaker)
    recording("Elsewhere", days_ago=0.5)

    assert titles(selectors.recordings_latest(viewer=ANONYMOUS, limit=2)) == [
        "Elsewhere",
        "Newest open",
    ]
    assert titles(selectors.series_recordings(series, viewer=ANONYMOUS)) == [
        "Newest open",
        "Open",
    ]
    member = Viewer(user_id=1)
    assert titles(selectors.speaker_recordings(speaker, viewer=member)) == [
        "Newest open",
        "Members",
        "Open",
    ]


def test_recordings_of_seminars_and_published_recording_of_seminar():
    members = recording("Members", access="signed_in")
    hidden = recording("Hidden", unpublished=True)
    seminar_ids = [members.seminar_id, hidden.seminar_id]

    assert list(selectors.recordings_of_seminars(seminar_ids, viewer=ANONYMOUS)) == []
    assert list(selectors.recordings_of_seminars(seminar_ids, viewer=Viewer(user_id=1))) == [
        members
    ]
    assert selectors.published_recording_of_seminar(members.seminar) == members
    assert selectors.published_recording_of_seminar(hidden.seminar) is None


def test_next_seminar_in_series_skips_past_cancelled_and_draft_seminars():
    series = SeriesFactory()
    now = timezone.now()
    SeminarFactory(series=series, past=True)
    SeminarFactory(series=series, starts_at=now + timedelta(days=2), status="cancelled")
    SeminarFactory(series=series, starts_at=now + timedelta(days=1), draft=True)
    expected = SeminarFactory(series=series, title="Next", starts_at=now + timedelta(days=5))
    SeminarFactory(series=series, starts_at=now + timedelta(days=9))
    SeminarFactory(starts_at=now + timedelta(days=3))

    assert selectors.next_seminar_in_series(series) == expected
    assert selectors.next_seminar_in_series(SeriesFactory()) is None


def test_recordings_of_seminars_lists_those_seminars_watchable_newest_first():
    mine = [recording(f"Mine {n}", days_ago=n + 1) for n in range(2)]
    members = recording("Mine, members only", access="signed_in")
    recording("Not mine")

    found = selectors.recordings_of_seminars(
        [made.seminar_id for made in [*mine, members]], viewer=ANONYMOUS
    )

    assert titles(found) == ["Mine 0", "Mine 1"]
