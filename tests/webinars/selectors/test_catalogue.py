from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    AudienceTypeFactory,
    SeminarFactory,
    SeminarSpeakerFactory,
    SeriesFactory,
    SpeakerFactory,
    TopicFactory,
)
from webinars import selectors
from webinars.models import Seminar

pytestmark = pytest.mark.django_db


def _at(hours_from_now: float, **kwargs) -> Seminar:
    starts_at = (timezone.now() + timedelta(hours=hours_from_now)).replace(microsecond=0)
    return SeminarFactory(starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), **kwargs)


def _titles(seminars) -> list[str]:
    return [seminar.title for seminar in seminars]


def test_upcoming_includes_cancelled_but_never_drafts_soonest_first():
    _at(48, title="Later")
    _at(24, title="Sooner")
    _at(30, title="Cancelled", status=Seminar.Status.CANCELLED)
    _at(12, title="Draft", draft=True)
    _at(36, title="Cancelled draft", status=Seminar.Status.CANCELLED, published_at=None)

    assert _titles(selectors.seminars_upcoming()) == ["Sooner", "Cancelled", "Later"]


def test_seminar_moves_to_past_at_its_end_not_its_start():
    seminar = _at(-0.5, title="Running")
    now = timezone.now()

    assert _titles(selectors.seminars_upcoming(now=now)) == ["Running"]
    assert _titles(selectors.seminars_past(now=seminar.ends_at)) == ["Running"]
    assert _titles(selectors.seminars_upcoming(now=seminar.ends_at)) == []


def test_past_is_newest_first_without_drafts():
    _at(-100, title="Old")
    _at(-10, title="Recent")
    _at(-20, title="Draft", draft=True)

    assert _titles(selectors.seminars_past()) == ["Recent", "Old"]


def test_series_filter_accepts_a_series_or_its_slug():
    series = SeriesFactory(slug="jlgc")
    _at(1, title="In series", series=series)
    _at(2, title="Elsewhere")

    assert _titles(selectors.seminars_upcoming(series=series)) == ["In series"]
    assert _titles(selectors.seminars_upcoming(series="jlgc")) == ["In series"]
    assert _titles(selectors.seminars_upcoming(series="unknown")) == []


def test_audience_filter_treats_no_allowed_types_as_everyone_welcome():
    agents = AudienceTypeFactory(slug="agents")
    media = AudienceTypeFactory(slug="press")
    _at(1, title="Agents only").allowed_audience_types.set([agents])
    _at(2, title="Agents and media").allowed_audience_types.set([agents, media])
    _at(3, title="Media only").allowed_audience_types.set([media])
    _at(4, title="Everyone")

    assert _titles(selectors.seminars_upcoming(audience_type="agents")) == [
        "Agents only",
        "Agents and media",
        "Everyone",
    ]
    assert _titles(selectors.seminars_upcoming(audience_type=media)) == [
        "Agents and media",
        "Media only",
        "Everyone",
    ]


def test_topic_filter_lists_a_seminar_once_whatever_its_other_topics():
    onsen, food, castles = (TopicFactory(slug=slug) for slug in ("onsen", "food", "castles"))
    _at(1, title="Both").topics.set([onsen, food])
    _at(2, title="Castles").topics.set([castles])

    assert _titles(selectors.seminars_upcoming(topic="onsen")) == ["Both"]
    assert _titles(selectors.seminars_upcoming(topic=castles)) == ["Castles"]


def test_prefecture_and_language_filters():
    _at(1, title="Kumamoto in Japanese", prefecture="JP-43", language="ja")
    _at(2, title="Kumamoto in English", prefecture="JP-43", language="en")
    _at(3, title="Hokkaido in English", prefecture="JP-01", language="en")

    assert _titles(selectors.seminars_upcoming(prefecture="JP-43")) == [
        "Kumamoto in Japanese",
        "Kumamoto in English",
    ]
    assert _titles(selectors.seminars_upcoming(prefecture="JP-43", language="en")) == [
        "Kumamoto in English"
    ]


def test_search_matches_each_field_case_insensitively_without_duplicates():
    by_title = _at(1, title="Onsen etiquette")
    by_speakers = _at(2, title="Two Tanakas")
    SeminarSpeakerFactory(seminar=by_speakers, speaker=SpeakerFactory(name="Ken Tanaka"))
    SeminarSpeakerFactory(seminar=by_speakers, speaker=SpeakerFactory(name="Yumi Tanaka"))
    by_name_ja = _at(3, title="Japanese name")
    SeminarSpeakerFactory(
        seminar=by_name_ja, speaker=SpeakerFactory(name="Sato", name_ja="佐藤 花子")
    )
    by_partner = _at(4, title="Partnered", partner_organisations="Visit Kyushu\nJNTO")
    by_topic = _at(5, title="Tagged")
    by_topic.topics.set([TopicFactory(name="Sake breweries")])

    assert _titles(selectors.seminars_upcoming(query="ONSEN")) == [by_title.title]
    assert _titles(selectors.seminars_upcoming(query="tanaka")) == [by_speakers.title]
    assert _titles(selectors.seminars_upcoming(query="花子")) == [by_name_ja.title]
    assert _titles(selectors.seminars_upcoming(query="jnto")) == [by_partner.title]
    assert _titles(selectors.seminars_upcoming(query="sake")) == [by_topic.title]


def test_search_needs_every_word_and_ignores_words_past_the_limit():
    _at(1, title="Kyushu rail pass")
    _at(2, title="Kyushu food")
    words = ["kyushu", "rail"] + ["pass"] * (selectors.MAX_QUERY_TERMS - 2) + ["absent"]

    assert _titles(selectors.seminars_upcoming(query="kyushu rail")) == ["Kyushu rail pass"]
    assert _titles(selectors.seminars_upcoming(query=" ".join(words))) == ["Kyushu rail pass"]


def test_search_treats_like_wildcards_literally():
    _at(1, title="100% Hokkaido")
    _at(2, title="Plain")

    assert _titles(selectors.seminars_upcoming(query="%")) == ["100% Hokkaido"]
    assert _titles(selectors.seminars_upcoming(query="_")) == []


def test_seminar_for_page_hides_drafts():
    published = _at(1, slug="published")
    _at(2, slug="draft", draft=True)

    assert selectors.seminar_for_page("published") == published
    assert selectors.seminar_for_page("draft") is None
    assert selectors.seminar_for_page("missing") is None


def test_seminar_for_page_prefetches_speakers_in_order(django_assert_num_queries):
    seminar = _at(1, slug="ordered")
    second = SeminarSpeakerFactory(seminar=seminar, position=2)
    first = SeminarSpeakerFactory(seminar=seminar, position=1)

    with django_assert_num_queries(4):
        loaded = selectors.seminar_for_page("ordered")
        names = [link.speaker.name for link in loaded.speaker_links.all()]
        list(loaded.topics.all())
        list(loaded.allowed_audience_types.all())
        series_name = loaded.series.name

    assert names == [first.speaker.name, second.speaker.name]
    assert series_name == seminar.series.name


def test_series_overview_counts_upcoming_public_seminars_not_cancelled():
    series = SeriesFactory(name="Counted")
    _at(1, series=series)
    _at(2, series=series, status=Seminar.Status.CANCELLED)
    _at(3, series=series, draft=True)
    _at(4, series=series, status=Seminar.Status.CANCELLED, published_at=None)
    _at(-30, series=series)
    SeriesFactory(name="Empty")

    assert [(s.name, s.upcoming_count) for s in selectors.series_overview()] == [
        ("Counted", 1),
        ("Empty", 0),
    ]


def test_seminars_next_leaves_out_cancelled_and_stops_at_the_limit():
    _at(1, title="Cancelled", status=Seminar.Status.CANCELLED)
    _at(2, title="First")
    _at(3, title="Draft", draft=True)
    _at(4, title="Second")
    _at(5, title="Third")
    _at(-30, title="Over")

    assert _titles(selectors.seminars_next(limit=2)) == ["First", "Second"]


def test_speaker_seminars_carry_the_speakers_role():
    speaker = SpeakerFactory()
    SeminarSpeakerFactory(seminar=_at(1, title="Moderating"), speaker=speaker, role="moderator")
    SeminarSpeakerFactory(seminar=_at(-10, title="Presented"), speaker=speaker, role="presenter")
    SeminarSpeakerFactory(seminar=_at(2, title="Draft", draft=True), speaker=speaker)
    _at(3, title="Someone else's")

    upcoming = list(selectors.speaker_seminars_upcoming(speaker))
    past = list(selectors.speaker_seminars_past(speaker))

    assert [(s.title, s.speaker_role) for s in upcoming] == [("Moderating", "moderator")]
    assert [(s.title, s.speaker_role) for s in past] == [("Presented", "presenter")]


def test_speaker_for_page_needs_a_public_seminar():
    public = SpeakerFactory(slug="public")
    SeminarSpeakerFactory(seminar=_at(-10, status=Seminar.Status.CANCELLED), speaker=public)
    drafts_only = SpeakerFactory(slug="drafts-only")
    SeminarSpeakerFactory(seminar=_at(1, draft=True), speaker=drafts_only)
    never_announced = _at(2, status=Seminar.Status.CANCELLED, published_at=None)
    SeminarSpeakerFactory(seminar=never_announced, speaker=drafts_only)
    SpeakerFactory(slug="unused")

    assert selectors.speaker_for_page("public") == public
    assert selectors.speaker_for_page("drafts-only") is None
    assert selectors.speaker_for_page("unused") is None


def test_topics_in_use_leave_out_topics_of_drafts_only():
    used = TopicFactory(name="Used")
    hidden = TopicFactory(name="Hidden")
    past = TopicFactory(name="Past")
    _at(1).topics.set([used])
    _at(2, draft=True).topics.set([hidden, used])
    _at(3, status=Seminar.Status.CANCELLED, published_at=None).topics.set([hidden])
    _at(-10).topics.set([past])

    assert [t.name for t in selectors.topics_in_use()] == ["Past", "Used"]
    assert [t.name for t in selectors.topics_in_use(upcoming_only=True)] == ["Used"]
