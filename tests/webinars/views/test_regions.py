import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    RecordingFactory,
    SeminarFactory,
    SeminarSpeakerFactory,
    SpeakerFactory,
)
from webinars.models import Seminar
from webinars.prefectures import Prefecture

pytestmark = pytest.mark.django_db


def _seminar(days: float, **kwargs) -> Seminar:
    starts_at = (timezone.now() + timedelta(days=days)).replace(microsecond=0)
    return SeminarFactory(starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), **kwargs)


def _json_ld(response) -> dict:
    match = re.search(
        r'<script type="application/ld\+json">(.*?)</script>', response.content.decode(), re.DOTALL
    )
    assert match is not None
    return json.loads(match.group(1))


def test_a_region_page_gathers_its_prefectures_seminars_recordings_and_speakers(client):
    oita = _seminar(7, title="Oita: onsen capital", prefecture=Prefecture.OITA)
    _seminar(8, title="Kumamoto castle", prefecture=Prefecture.KUMAMOTO)
    _seminar(9, title="Hokkaido snow", prefecture=Prefecture.HOKKAIDO)
    _seminar(10, title="Draft in Kyushu", prefecture=Prefecture.SAGA, status=Seminar.Status.DRAFT)
    past = _seminar(-30, title="Fukuoka food", prefecture=Prefecture.FUKUOKA)
    RecordingFactory(seminar=past, title="Fukuoka food, recorded")
    placed = SpeakerFactory(name="Amy Jet", is_jet_participant=True, jet_prefecture=Prefecture.OITA)
    SeminarSpeakerFactory(seminar=oita, speaker=placed)
    SpeakerFactory(name="Never spoke", jet_prefecture=Prefecture.OITA)

    response = client.get("/regions/kyushu/")

    assert response.status_code == 200
    assert [s.title for s in response.context["upcoming_seminars"]] == [
        "Oita: onsen capital",
        "Kumamoto castle",
    ]
    assert [s.title for s in response.context["past_seminars"]] == ["Fukuoka food"]
    assert [r.title for r in response.context["recordings"]] == ["Fukuoka food, recorded"]
    assert [s.name for s in response.context["speakers"]] == ["Amy Jet"]
    text = response.content.decode()
    assert 'href="/regions/oita/"' in text
    assert 'href="/regions/kyushu/calendar.ics"' in text


def test_a_prefecture_page_shows_only_its_own_and_links_to_its_region(client):
    _seminar(7, title="Oita: onsen capital", prefecture=Prefecture.OITA)
    _seminar(8, title="Kumamoto castle", prefecture=Prefecture.KUMAMOTO)

    response = client.get("/regions/oita/")

    assert [s.title for s in response.context["upcoming_seminars"]] == ["Oita: onsen capital"]
    assert 'href="/regions/kyushu/"' in response.content.decode()


def test_an_unknown_place_is_a_404(client):
    assert client.get("/regions/atlantis/").status_code == 404
    assert client.get("/regions/atlantis/calendar.ics").status_code == 404


def test_the_index_lists_every_region_with_its_prefectures_and_upcoming_counts(client):
    _seminar(7, prefecture=Prefecture.OITA)
    _seminar(8, prefecture=Prefecture.OITA)
    _seminar(9, prefecture=Prefecture.KUMAMOTO, status=Seminar.Status.CANCELLED)
    _seminar(-9, prefecture=Prefecture.OITA)

    response = client.get("/regions/")

    regions = {item["place"].slug: item for item in response.context["regions"]}
    assert list(regions) == [
        "hokkaido", "tohoku", "kanto", "chubu", "kansai", "chugoku", "shikoku", "kyushu", "okinawa"
    ]  # fmt: skip
    assert regions["kyushu"]["upcoming"] == 2
    parts = {part["place"].slug: part["upcoming"] for part in regions["kyushu"]["parts"]}
    assert parts["oita"] == 2
    assert parts["kumamoto"] == 0
    assert regions["tohoku"]["upcoming"] == 0
    assert 'href="/regions/oita/"' in response.content.decode()


def test_the_region_page_describes_a_tourist_destination_with_its_seminars_as_events(client):
    _seminar(7, title="Oita: onsen capital", prefecture=Prefecture.OITA)
    _seminar(8, title="Cancelled", prefecture=Prefecture.OITA, status=Seminar.Status.CANCELLED)

    data = _json_ld(client.get("/regions/oita/"))

    assert data["@context"] == "https://schema.org"
    assert data["@type"] == ["Place", "TouristDestination"]
    assert data["name"] == "Oita"
    assert data["url"].endswith("/regions/oita/")
    assert data["containedInPlace"]["name"] == "Kyushu"
    assert [event["@type"] for event in data["event"]] == ["Event", "Event"]
    assert [event["eventStatus"] for event in data["event"]] == [
        "https://schema.org/EventScheduled",
        "https://schema.org/EventCancelled",
    ]
    assert all("@context" not in event for event in data["event"])


def test_the_region_feed_holds_its_seminars_only(client):
    _seminar(7, title="Oita: onsen capital", prefecture=Prefecture.OITA)
    _seminar(8, title="Tokyo by night", prefecture=Prefecture.TOKYO)

    response = client.get("/regions/kyushu/calendar.ics")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Oita: onsen capital" in body
    assert "Tokyo by night" not in body


def test_seminar_and_speaker_pages_link_to_the_prefecture(client):
    seminar = _seminar(7, prefecture=Prefecture.OITA)
    speaker = SpeakerFactory(is_jet_participant=True, jet_prefecture=Prefecture.IWATE)
    SeminarSpeakerFactory(seminar=seminar, speaker=speaker)

    assert 'href="/regions/oita/"' in client.get(seminar.get_absolute_url()).content.decode()
    assert 'href="/regions/iwate/"' in client.get(speaker.get_absolute_url()).content.decode()


def test_the_pages_read_in_japanese(client):
    _seminar(7, prefecture=Prefecture.OITA)
    client.cookies["django_language"] = "ja"

    response = client.get("/regions/kyushu/")

    text = response.content.decode()
    assert "九州" in text
    assert "大分県" in text


@pytest.mark.parametrize("count", [1, 20])
def test_query_count_does_not_grow_with_seminars(client, django_assert_max_num_queries, count):
    for index in range(count):
        upcoming = _seminar(index + 1, prefecture=Prefecture.OITA)
        past = _seminar(-index - 1, prefecture=Prefecture.KUMAMOTO)
        RecordingFactory(seminar=past)
        SeminarSpeakerFactory(seminar=upcoming)
        SeminarSpeakerFactory(
            seminar=upcoming,
            speaker=SpeakerFactory(is_jet_participant=True, jet_prefecture=Prefecture.SAGA),
        )

    with django_assert_max_num_queries(10):
        response = client.get("/regions/kyushu/")
    with django_assert_max_num_queries(3):
        index = client.get("/regions/")

    assert response.status_code == index.status_code == 200
    assert len(response.context["upcoming_seminars"]) == count
    assert len(response.context["speakers"]) == count
