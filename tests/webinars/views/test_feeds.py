from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    SeminarFactory,
    SeminarSpeakerFactory,
    SeriesFactory,
    TopicFactory,
    london,
)
from tests.utils import event_by_uid, only_event, parse_ics, vtimezone_ids
from webinars.models import Seminar
from webinars.services import seminar_cancel

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 9, 1, 9, 30, tzinfo=UTC)
ICS_CONTENT_TYPE = "text/calendar; charset=utf-8"


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _uids(calendar) -> set[str]:
    return {str(event["UID"]) for event in calendar.events}


def _seminar_ending(ago: timedelta, **fields) -> Seminar:
    ends_at = timezone.now() - ago
    return SeminarFactory(starts_at=ends_at - timedelta(hours=1), ends_at=ends_at, **fields)


# One seminar -----------------------------------------------------------------------------


def test_seminar_download_is_an_ics_attachment(client):
    seminar = SeminarFactory(
        slug="onsen-towns", starts_at=london(2026, 10, 23, 10), ends_at=london(2026, 10, 23, 11)
    )

    response = client.get(reverse("webinars:seminar_calendar", kwargs={"slug": "onsen-towns"}))

    assert response.status_code == 200
    assert response["Content-Type"] == ICS_CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="onsen-towns.ics"'
    assert response["Cache-Control"] == "public, max-age=300"
    calendar = parse_ics(response.content, method="PUBLISH")
    event = only_event(calendar)
    assert str(event["UID"]) == seminar.calendar_uid
    assert event["SEQUENCE"] == 0
    assert event.start.replace(tzinfo=None) == datetime(2026, 10, 23, 10, 0)
    assert vtimezone_ids(calendar) == ["Europe/London"]
    assert "X-WR-CALNAME" not in calendar


def test_seminar_download_uid_is_stable_across_downloads(client):
    seminar = SeminarFactory()
    url = reverse("webinars:seminar_calendar", kwargs={"slug": seminar.slug})

    first = only_event(parse_ics(client.get(url).content, method="PUBLISH"))
    caches["pages"].clear()
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        second = only_event(parse_ics(client.get(url).content, method="PUBLISH"))

    assert str(first["UID"]) == str(second["UID"]) == seminar.calendar_uid
    assert second.stamp == NOW + timedelta(hours=2)


def test_cached_download_keeps_its_headers(client):
    seminar = SeminarFactory()
    url = reverse("webinars:seminar_calendar", kwargs={"slug": seminar.slug})

    first = client.get(url)
    second = client.get(url)

    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert second["Content-Type"] == ICS_CONTENT_TYPE
    assert second["Content-Disposition"] == f'attachment; filename="{seminar.slug}.ics"'
    assert second["Cache-Control"] == "public, max-age=300"


def test_draft_seminar_download_is_404(client):
    seminar = SeminarFactory(draft=True)

    response = client.get(reverse("webinars:seminar_calendar", kwargs={"slug": seminar.slug}))

    assert response.status_code == 404


def test_draft_cancelled_before_publishing_stays_404(client):
    seminar = SeminarFactory(draft=True)
    seminar_cancel(seminar=seminar)

    response = client.get(reverse("webinars:seminar_calendar", kwargs={"slug": seminar.slug}))

    assert response.status_code == 404


def test_unknown_seminar_download_is_404(client):
    response = client.get(reverse("webinars:seminar_calendar", kwargs={"slug": "no-such-thing"}))

    assert response.status_code == 404


def test_cancelled_seminar_download_says_cancelled(client):
    seminar = SeminarFactory()
    seminar_cancel(seminar=seminar, message="Postponed to the spring.")

    response = client.get(reverse("webinars:seminar_calendar", kwargs={"slug": seminar.slug}))

    event = only_event(parse_ics(response.content, method="PUBLISH"))
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1


def test_download_never_shows_meeting_url_or_passcode(client):
    seminar = SeminarFactory(
        meeting_url="https://zoom.example/j/987654321?pwd=abc", meeting_passcode="s3cret-pass"
    )

    response = client.get(reverse("webinars:seminar_calendar", kwargs={"slug": seminar.slug}))

    assert response.status_code == 200
    assert b"zoom.example" not in response.content
    assert b"s3cret-pass" not in response.content


def test_post_to_a_calendar_is_not_allowed(client):
    seminar = SeminarFactory()

    response = client.post(reverse("webinars:seminar_calendar", kwargs={"slug": seminar.slug}))

    assert response.status_code == 405


# Series feed -----------------------------------------------------------------------------


def test_series_feed_has_recent_and_upcoming_public_seminars_of_the_series(client):
    series = SeriesFactory(slug="japan-local-attraction", name="Japan Local Attraction Seminar")
    upcoming = SeminarFactory(series=series)
    cancelled = SeminarFactory(series=series)
    seminar_cancel(seminar=cancelled)
    recent = _seminar_ending(timedelta(days=89), series=series)
    SeminarFactory(series=series, draft=True)
    _seminar_ending(timedelta(days=91), series=series)
    SeminarFactory()  # another series

    response = client.get(
        reverse("webinars:series_calendar", kwargs={"slug": "japan-local-attraction"})
    )

    assert response.status_code == 200
    assert response["Content-Type"] == ICS_CONTENT_TYPE
    assert response["Content-Disposition"] == 'inline; filename="japan-local-attraction.ics"'
    assert response["Cache-Control"] == "public, max-age=900"
    calendar = parse_ics(response.content, method="PUBLISH")
    assert str(calendar["X-WR-CALNAME"]) == "Japan Local Attraction Seminar"
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in response.content
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in response.content
    assert _uids(calendar) == {
        upcoming.calendar_uid,
        cancelled.calendar_uid,
        recent.calendar_uid,
    }
    assert str(event_by_uid(calendar, cancelled.calendar_uid)["STATUS"]) == "CANCELLED"
    assert str(event_by_uid(calendar, upcoming.calendar_uid)["STATUS"]) == "CONFIRMED"


def test_unknown_series_feed_is_404(client):
    response = client.get(reverse("webinars:series_calendar", kwargs={"slug": "no-such-series"}))

    assert response.status_code == 404


def test_empty_series_feed_is_a_valid_calendar(client):
    series = SeriesFactory()

    response = client.get(reverse("webinars:series_calendar", kwargs={"slug": series.slug}))

    calendar = parse_ics(response.content, method="PUBLISH")
    assert calendar.events == []


# All seminars and topics -----------------------------------------------------------------


def test_all_feed_has_every_series_and_no_drafts(client):
    first = SeminarFactory(starts_at=london(2026, 10, 23, 10), ends_at=london(2026, 10, 23, 11))
    second = SeminarFactory(
        timezone="Asia/Tokyo",
        starts_at=london(2026, 10, 26, 10),
        ends_at=london(2026, 10, 26, 11),
    )
    recent = _seminar_ending(timedelta(days=2))
    SeminarFactory(draft=True)
    _seminar_ending(timedelta(days=120))

    response = client.get(reverse("webinars:all_calendar"))

    assert response.status_code == 200
    assert response["Content-Type"] == ICS_CONTENT_TYPE
    assert response["Content-Disposition"] == 'inline; filename="seminars.ics"'
    calendar = parse_ics(response.content, method="PUBLISH")
    assert str(calendar["X-WR-CALNAME"]) == "JLGC seminars"
    assert _uids(calendar) == {first.calendar_uid, second.calendar_uid, recent.calendar_uid}
    assert sorted(vtimezone_ids(calendar)) == ["Asia/Tokyo", "Europe/London"]
    tokyo = event_by_uid(calendar, second.calendar_uid)
    assert tokyo["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert tokyo.start.replace(tzinfo=None) == datetime(2026, 10, 26, 19, 0)


def test_topic_feed_has_only_that_topic(client):
    onsen = TopicFactory(slug="onsen", name="Onsen")
    food = TopicFactory(slug="food", name="Food")
    with_onsen = SeminarFactory()
    with_onsen.topics.set([onsen, food])
    with_food = SeminarFactory()
    with_food.topics.set([food])
    SeminarFactory()

    response = client.get(reverse("webinars:all_calendar"), {"topic": "onsen"})

    calendar = parse_ics(response.content, method="PUBLISH")
    assert str(calendar["X-WR-CALNAME"]) == "JLGC seminars: Onsen"
    assert _uids(calendar) == {with_onsen.calendar_uid}


@pytest.mark.parametrize("topic", ["no-such-topic", "\x00", "onsen'; --", "x" * 5000])
def test_unknown_topic_gives_an_empty_valid_calendar(client, topic):
    SeminarFactory().topics.set([TopicFactory(slug="onsen")])

    response = client.get(reverse("webinars:all_calendar"), {"topic": topic})

    assert response.status_code == 200
    assert response["Content-Type"] == ICS_CONTENT_TYPE
    calendar = parse_ics(response.content, method="PUBLISH")
    assert calendar.events == []
    assert str(calendar["X-WR-CALNAME"]) == "JLGC seminars"


def test_topic_filter_is_cached_apart_from_the_full_feed(client):
    onsen = TopicFactory(slug="onsen")
    with_onsen = SeminarFactory()
    with_onsen.topics.set([onsen])
    other = SeminarFactory()

    everything = parse_ics(client.get(reverse("webinars:all_calendar")).content, method="PUBLISH")
    filtered = parse_ics(
        client.get(reverse("webinars:all_calendar"), {"topic": "onsen"}).content,
        method="PUBLISH",
    )

    assert _uids(everything) == {with_onsen.calendar_uid, other.calendar_uid}
    assert _uids(filtered) == {with_onsen.calendar_uid}


def test_feeds_never_show_meeting_urls_or_passcodes(client):
    topic = TopicFactory(slug="kyushu")
    seminar = SeminarFactory(
        meeting_url="https://teams.example/meet/42", meeting_passcode="hidden-passcode"
    )
    seminar.topics.set([topic])

    for url, params in [
        (reverse("webinars:all_calendar"), {}),
        (reverse("webinars:all_calendar"), {"topic": "kyushu"}),
        (reverse("webinars:series_calendar", kwargs={"slug": seminar.series.slug}), {}),
    ]:
        content = client.get(url, params).content
        assert seminar.calendar_uid.encode() in content
        assert b"teams.example" not in content
        assert b"hidden-passcode" not in content


# Query counts ----------------------------------------------------------------------------


def _seminars_with_speakers(count: int, **fields) -> list[Seminar]:
    seminars = SeminarFactory.create_batch(count, **fields)
    for seminar in seminars:
        SeminarSpeakerFactory.create_batch(2, seminar=seminar)
    return seminars


@pytest.mark.parametrize("count", [1, 20])
def test_all_feed_query_count_does_not_grow(client, django_assert_max_num_queries, count):
    _seminars_with_speakers(count)

    with django_assert_max_num_queries(2):
        response = client.get(reverse("webinars:all_calendar"))

    assert len(parse_ics(response.content, method="PUBLISH").events) == count


@pytest.mark.parametrize("count", [1, 20])
def test_topic_feed_query_count_does_not_grow(client, django_assert_max_num_queries, count):
    topic = TopicFactory(slug="food")
    for seminar in _seminars_with_speakers(count):
        seminar.topics.set([topic])

    with django_assert_max_num_queries(3):
        response = client.get(reverse("webinars:all_calendar"), {"topic": "food"})

    assert len(parse_ics(response.content, method="PUBLISH").events) == count


@pytest.mark.parametrize("count", [1, 20])
def test_series_feed_query_count_does_not_grow(client, django_assert_max_num_queries, count):
    series = SeriesFactory()
    _seminars_with_speakers(count, series=series)

    with django_assert_max_num_queries(3):
        response = client.get(reverse("webinars:series_calendar", kwargs={"slug": series.slug}))

    assert len(parse_ics(response.content, method="PUBLISH").events) == count


def test_cached_feed_makes_no_queries(client, django_assert_num_queries):
    _seminars_with_speakers(3)
    client.get(reverse("webinars:all_calendar"))

    with django_assert_num_queries(0):
        response = client.get(reverse("webinars:all_calendar"))

    assert response["X-Page-Cache"] == "hit"
    assert response["Cache-Control"] == "public, max-age=900"
