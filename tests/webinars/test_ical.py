from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from tests.factories import (
    SeminarFactory,
    SeminarSpeakerFactory,
    SeriesFactory,
    SpeakerFactory,
    london,
)
from tests.utils import event_by_uid, only_event, parse_ics, unfolded_lines, vtimezone_ids
from webinars import ical
from webinars.models import Seminar, SeminarSpeaker
from webinars.services import seminar_cancel, seminar_update

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")
NOW = datetime(2026, 9, 1, 9, 30, tzinfo=UTC)
MEETING_URL = "https://zoom.example/j/123456789"
PASSCODE = "kizuna-secret-passcode"
EVENT_PROPERTIES = sorted(
    [
        "CATEGORIES",
        "CREATED",
        "DESCRIPTION",
        "DTEND",
        "DTSTAMP",
        "DTSTART",
        "LAST-MODIFIED",
        "LOCATION",
        "SEQUENCE",
        "STATUS",
        "SUMMARY",
        "UID",
        "URL",
    ]
)
JOIN_URL = "https://seminars.example/j/personal-token-abc/"


@pytest.fixture(autouse=True)
def _frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield


# Helpers shared with test_feeds.py -------------------------------------------------------


# Time zones ------------------------------------------------------------------------------


def test_uk_clock_change_gives_tokyo_times_an_hour_apart():
    # UK clocks go back on Sunday 25 October 2026: BST (UTC+1) before, GMT after.
    before = SeminarFactory(starts_at=london(2026, 10, 23, 10), ends_at=london(2026, 10, 23, 11))
    after = SeminarFactory(starts_at=london(2026, 10, 26, 10), ends_at=london(2026, 10, 26, 11))

    calendar = parse_ics(ical.build_calendar(seminars=[before, after]), method="PUBLISH")

    friday = event_by_uid(calendar, before.calendar_uid)
    monday = event_by_uid(calendar, after.calendar_uid)
    assert friday["DTSTART"].params["TZID"] == "Europe/London"
    assert friday["DTEND"].params["TZID"] == "Europe/London"
    assert monday["DTSTART"].params["TZID"] == "Europe/London"
    assert friday.start.replace(tzinfo=None) == datetime(2026, 10, 23, 10, 0)
    assert monday.start.replace(tzinfo=None) == datetime(2026, 10, 26, 10, 0)
    assert friday.start.astimezone(TOKYO).replace(tzinfo=None) == datetime(2026, 10, 23, 18, 0)
    assert monday.start.astimezone(TOKYO).replace(tzinfo=None) == datetime(2026, 10, 26, 19, 0)
    assert friday.end.astimezone(TOKYO).replace(tzinfo=None) == datetime(2026, 10, 23, 19, 0)

    assert vtimezone_ids(calendar) == ["Europe/London"]
    friday_text = str(friday["DESCRIPTION"])
    monday_text = str(monday["DESCRIPTION"])
    assert "UK time: Friday 23 October 2026, 10:00\u201311:00 BST" in friday_text
    assert "Japan time: Friday 23 October 2026, 18:00\u201319:00 JST" in friday_text
    assert "UK time: Monday 26 October 2026, 10:00\u201311:00 GMT" in monday_text
    assert "Japan time: Monday 26 October 2026, 19:00\u201320:00 JST" in monday_text


def test_vtimezone_covers_the_clock_change_and_only_the_event_year():
    seminar = SeminarFactory(starts_at=london(2026, 10, 26, 10), ends_at=london(2026, 10, 26, 11))

    calendar = parse_ics(ical.build_calendar(seminars=[seminar]), method="PUBLISH")

    (zone,) = calendar.walk("VTIMEZONE")
    transitions = {
        (sub.name, sub["DTSTART"].dt.replace(tzinfo=None), str(sub["TZNAME"]))
        for sub in zone.subcomponents
    }
    assert ("DAYLIGHT", datetime(2026, 3, 29, 2, 0), "BST") in transitions
    assert ("STANDARD", datetime(2026, 10, 25, 2, 0), "GMT") in transitions
    assert {start.year for _, start, _ in transitions} == {2026}


def test_seminar_planned_in_tokyo_time_gets_a_tokyo_vtimezone():
    starts_at = datetime(2026, 11, 5, 17, 0, tzinfo=TOKYO)
    seminar = SeminarFactory(
        timezone="Asia/Tokyo", starts_at=starts_at, ends_at=starts_at + timedelta(hours=1)
    )

    calendar = parse_ics(ical.build_calendar(seminars=[seminar]), method="PUBLISH")

    event = only_event(calendar)
    assert vtimezone_ids(calendar) == ["Asia/Tokyo"]
    assert event["DTSTART"].params["TZID"] == "Asia/Tokyo"
    assert event.start == starts_at
    description = str(event["DESCRIPTION"])
    assert "UK time: Thursday 5 November 2026, 08:00\u201309:00 GMT" in description
    assert "Japan time: Thursday 5 November 2026, 17:00\u201318:00 JST" in description
    assert "Local time" not in description


def test_feed_with_three_zones_has_one_vtimezone_each():
    paris_start = datetime(2026, 11, 10, 14, 0, tzinfo=ZoneInfo("Europe/Paris"))
    seminars = [
        SeminarFactory(starts_at=london(2026, 10, 23, 10), ends_at=london(2026, 10, 23, 11)),
        SeminarFactory(starts_at=london(2026, 10, 30, 10), ends_at=london(2026, 10, 30, 11)),
        SeminarFactory(
            timezone="Asia/Tokyo",
            starts_at=datetime(2027, 1, 8, 18, 0, tzinfo=TOKYO),
            ends_at=datetime(2027, 1, 8, 19, 0, tzinfo=TOKYO),
        ),
        SeminarFactory(
            timezone="Europe/Paris",
            starts_at=paris_start,
            ends_at=paris_start + timedelta(hours=2),
        ),
    ]

    calendar = parse_ics(ical.build_calendar(seminars=seminars), method="PUBLISH")

    assert sorted(vtimezone_ids(calendar)) == ["Asia/Tokyo", "Europe/London", "Europe/Paris"]
    assert len(calendar.events) == 4
    paris = event_by_uid(calendar, seminars[3].calendar_uid)
    assert "Local time (Europe/Paris): Tuesday 10 November 2026, 14:00\u201316:00 CET" in str(
        paris["DESCRIPTION"]
    )


def test_seminar_crossing_midnight_in_japan_shows_both_dates():
    seminar = SeminarFactory(starts_at=london(2026, 11, 20, 14), ends_at=london(2026, 11, 20, 16))

    event = only_event(parse_ics(ical.build_calendar(seminars=[seminar]), method="PUBLISH"))

    assert "Japan time: Friday 20 November 2026, 23:00 \u2013 Sat 21 Nov, 01:00 JST" in str(
        event["DESCRIPTION"]
    )


def test_description_follows_the_active_language():
    seminar = SeminarFactory(starts_at=london(2026, 10, 23, 10), ends_at=london(2026, 10, 23, 11))

    with translation.override("ja"):
        event = only_event(parse_ics(ical.build_calendar(seminars=[seminar]), method="PUBLISH"))

    # Django ships Japanese month names; the weekday and month must not stay English.
    description = str(event["DESCRIPTION"])
    assert "10月" in description
    assert "October" not in description
    assert "18:00\u201319:00 JST" in description


# Identity and change tracking ------------------------------------------------------------


def test_uid_is_the_seminar_calendar_uid_and_stable_across_builds():
    seminar = SeminarFactory()

    first = only_event(parse_ics(ical.build_calendar(seminars=[seminar]), method="PUBLISH"))
    with time_machine.travel(NOW + timedelta(days=3), tick=False):
        second = only_event(parse_ics(ical.build_calendar(seminars=[seminar]), method="PUBLISH"))

    assert str(first["UID"]) == seminar.calendar_uid == f"seminar-{seminar.uid}@kizuna"
    assert str(second["UID"]) == seminar.calendar_uid


def test_sequence_and_times_follow_a_seminar_update():
    seminar = SeminarFactory(starts_at=london(2026, 10, 23, 10), ends_at=london(2026, 10, 23, 11))
    seminar_update(
        seminar=seminar, starts_at=london(2026, 10, 23, 11), ends_at=london(2026, 10, 23, 12)
    )
    seminar = Seminar.objects.get(pk=seminar.pk)
    assert seminar.sequence == 1

    event = only_event(parse_ics(ical.build_calendar(seminars=[seminar]), method="PUBLISH"))

    assert event["SEQUENCE"] == 1
    assert event.start.replace(tzinfo=None) == datetime(2026, 10, 23, 11, 0)


def test_dtstamp_is_now_in_utc():
    seminar = SeminarFactory()

    raw = ical.build_calendar(seminars=[seminar])
    event = only_event(parse_ics(raw, method="PUBLISH"))

    assert b"DTSTAMP:20260901T093000Z\r\n" in raw
    assert event.stamp == NOW
    assert event.stamp.utcoffset() == timedelta(0)


# PUBLISH content -------------------------------------------------------------------------


def test_publish_event_has_public_properties_and_no_meeting_details(settings):
    settings.SITE_URL = "https://seminars.example"
    series = SeriesFactory(name="Japan Local Attraction Seminar")
    seminar = SeminarFactory(
        series=series,
        slug="onsen-towns-of-kyushu",
        title="Onsen towns of Kyushu",
        summary="Hot springs, food and how to sell them to UK travellers.",
        meeting_url=MEETING_URL,
        meeting_passcode=PASSCODE,
    )

    raw = ical.build_calendar(seminars=[seminar])
    calendar = parse_ics(raw, method="PUBLISH")

    event = only_event(calendar)
    assert str(event["SUMMARY"]) == "Onsen towns of Kyushu"
    assert str(event["URL"]) == "https://seminars.example/seminars/onsen-towns-of-kyushu/"
    assert str(event["LOCATION"]) == "Online (Zoom)"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert event.categories == ["Japan Local Attraction Seminar"]
    assert "ATTENDEE" not in event
    assert "ORGANIZER" not in event
    description = str(event["DESCRIPTION"])
    assert description.startswith("Hot springs, food and how to sell them to UK travellers.\n")
    assert "Where: Online (Zoom)" in description
    assert description.endswith(
        "Seminar page: https://seminars.example/seminars/onsen-towns-of-kyushu/"
    )
    assert MEETING_URL.encode() not in raw
    assert b"zoom.example" not in raw
    assert PASSCODE.encode() not in raw
    assert b"X-WR-CALNAME" not in raw
    assert b"REFRESH-INTERVAL" not in raw


def test_hybrid_seminar_location_is_the_venue():
    seminar = SeminarFactory(
        venue="Japan House London, 101-111 Kensington High St", platform=Seminar.Platform.TEAMS
    )

    event = only_event(parse_ics(ical.build_calendar(seminars=[seminar]), method="PUBLISH"))

    assert str(event["LOCATION"]) == "Japan House London, 101-111 Kensington High St"
    assert (
        "Where: Japan House London, 101-111 Kensington High St and Online (Microsoft Teams)"
        in str(event["DESCRIPTION"])
    )


def test_other_platform_location_is_online():
    seminar = SeminarFactory(platform=Seminar.Platform.OTHER)

    event = only_event(parse_ics(ical.build_calendar(seminars=[seminar]), method="PUBLISH"))

    assert str(event["LOCATION"]) == "Online"


def test_description_lists_speakers_in_order_with_non_presenter_roles():
    seminar = SeminarFactory()
    SeminarSpeakerFactory(
        seminar=seminar,
        position=2,
        role=SeminarSpeaker.Role.MODERATOR,
        speaker=SpeakerFactory(name="Emma Clarke", title="Director", organisation="JLGC London"),
    )
    SeminarSpeakerFactory(
        seminar=seminar,
        position=1,
        speaker=SpeakerFactory(
            name="Tom Baker",
            title="Coordinator for International Relations",
            organisation="Oita Prefecture",
        ),
    )

    event = only_event(parse_ics(ical.build_calendar(seminars=[seminar]), method="PUBLISH"))

    assert (
        "Speakers:\n"
        "- Tom Baker, Coordinator for International Relations, Oita Prefecture\n"
        "- Emma Clarke, Director, JLGC London (Moderator)\n"
    ) in str(event["DESCRIPTION"])


def test_cancelled_seminar_is_published_as_cancelled_with_the_message():
    seminar = SeminarFactory()
    seminar_cancel(seminar=seminar, message="The speaker is unwell.\nWe will reschedule.")

    event = only_event(parse_ics(ical.build_calendar(seminars=[seminar]), method="PUBLISH"))

    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert str(event["DESCRIPTION"]).startswith(
        "This seminar has been cancelled.\nThe speaker is unwell.\nWe will reschedule.\n\n"
    )


def test_personal_feed_join_links_go_only_to_their_seminar():
    with_link = SeminarFactory()
    without_link = SeminarFactory()

    calendar = parse_ics(
        ical.build_calendar(seminars=[with_link, without_link], join_urls={with_link.pk: JOIN_URL}),
        method="PUBLISH",
    )

    linked = event_by_uid(calendar, with_link.calendar_uid)
    unlinked = event_by_uid(calendar, without_link.calendar_uid)
    assert str(linked["LOCATION"]) == JOIN_URL
    assert f"Join with your personal link: {JOIN_URL}" in str(linked["DESCRIPTION"])
    assert str(unlinked["LOCATION"]) == "Online (Zoom)"
    assert "personal link" not in str(unlinked["DESCRIPTION"])


def test_feed_name_and_refresh_properties():
    seminar = SeminarFactory()

    raw = ical.build_calendar(
        seminars=[seminar], name="JLGC seminars", refresh_interval=timedelta(hours=1)
    )
    calendar = parse_ics(raw, method="PUBLISH")

    assert str(calendar["X-WR-CALNAME"]) == "JLGC seminars"
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in raw
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in raw


def test_empty_calendar_is_still_valid():
    raw = ical.build_calendar(seminars=[], name="JLGC seminars")

    calendar = parse_ics(raw, method="PUBLISH")

    assert calendar.events == []
    assert vtimezone_ids(calendar) == ["Europe/London"]


def test_build_calendar_refuses_invite_methods():
    with pytest.raises(ValueError, match="PUBLISH"):
        ical.build_calendar(seminars=[], method="REQUEST")


# Injection and escaping ------------------------------------------------------------------


def test_title_with_crlf_cannot_inject_a_property():
    seminar = SeminarFactory(title="Kyushu\r\nATTENDEE:mailto:evil@example.com")

    raw = ical.build_calendar(seminars=[seminar])
    calendar = parse_ics(raw, method="PUBLISH")

    event = only_event(calendar)
    assert "ATTENDEE" not in event
    assert str(event["SUMMARY"]) == "Kyushu ATTENDEE:mailto:evil@example.com"
    assert not any(line.startswith("ATTENDEE") for line in unfolded_lines(raw))


def test_organiser_text_round_trips_escaped():
    summary = 'Food, drink; and "onsen" \\ more'
    seminar = SeminarFactory(
        summary=summary,
        title="A; B, C",
        venue="Room 1\r\nLOCATION:elsewhere",
        series=SeriesFactory(name="Seminars, talks; more"),
    )
    seminar_cancel(seminar=seminar, message="Line one\r\nDTSTART:20300101T000000Z\rLine three")

    raw = ical.build_calendar(seminars=[seminar])
    event = only_event(parse_ics(raw, method="PUBLISH"))

    assert str(event["SUMMARY"]) == "A; B, C"
    assert str(event["LOCATION"]) == "Room 1 LOCATION:elsewhere"
    assert [str(category) for category in event.categories] == ["Seminars, talks; more"]
    assert event.start.replace(tzinfo=None) != datetime(2030, 1, 1)
    description = str(event["DESCRIPTION"])
    assert "Line one\nDTSTART:20300101T000000Z\nLine three\n" in description
    assert f"\n{summary}\n" in description
    assert "DTSTART:20300101T000000Z" not in unfolded_lines(raw)
    assert sorted(event.keys()) == EVENT_PROPERTIES
    assert all(not isinstance(value, list) for value in event.values())


def test_long_japanese_title_is_folded_and_round_trips():
    title = "大分県の温泉地と地域の魅力、英国の旅行会社向けの特別セミナー" * 6
    seminar = SeminarFactory(title=title[:200])

    raw = ical.build_calendar(seminars=[seminar])
    event = only_event(parse_ics(raw, method="PUBLISH"))  # checks every line <= 75 octets

    assert str(event["SUMMARY"]) == title[:200]


def test_control_characters_are_dropped():
    seminar = SeminarFactory()
    # In memory only: PostgreSQL refuses NUL in text, and forms reject it before saving.
    seminar.title, seminar.summary = "Bell\x07 and\x00 null", "Tab\there\x1b[31m"

    event = only_event(parse_ics(ical.build_calendar(seminars=[seminar]), method="PUBLISH"))

    assert str(event["SUMMARY"]) == "Bell and null"
    assert str(event["DESCRIPTION"]).startswith("Tab\there[31m\n")


def test_feed_name_with_line_break_stays_one_line():
    raw = ical.build_calendar(seminars=[], name="Kyushu\r\nMETHOD:REQUEST")

    calendar = parse_ics(raw, method="PUBLISH")

    assert str(calendar["X-WR-CALNAME"]) == "Kyushu METHOD:REQUEST"


# Invites ---------------------------------------------------------------------------------


def _request(seminar: Seminar, **overrides) -> bytes:
    arguments = {
        "seminar": seminar,
        "method": "REQUEST",
        "organizer_email": "seminars@jlgc.example",
        "organizer_name": "JLGC Seminars",
        "attendee_email": "hanako@example.co.uk",
        "attendee_name": "Hanako Smith",
        "join_url": JOIN_URL,
    } | overrides
    return ical.build_invite(**arguments)


def test_request_invite_has_organizer_attendee_and_personal_join_link():
    seminar = SeminarFactory(meeting_url=MEETING_URL, meeting_passcode=PASSCODE)

    raw = _request(seminar)
    calendar = parse_ics(raw, method="REQUEST")

    event = only_event(calendar)
    assert str(event["UID"]) == seminar.calendar_uid
    assert event["SEQUENCE"] == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:seminars@jlgc.example"
    assert event["ORGANIZER"].params["CN"] == "JLGC Seminars"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:hanako@example.co.uk"
    assert dict(attendee.params) == {
        "CN": "Hanako Smith",
        "CUTYPE": "INDIVIDUAL",
        "ROLE": "REQ-PARTICIPANT",
        "PARTSTAT": "ACCEPTED",
        "RSVP": "FALSE",
    }
    assert str(event["LOCATION"]) == JOIN_URL
    description = str(event["DESCRIPTION"])
    assert f"Join with your personal link: {JOIN_URL}" in description
    # Calendars are shared with delegates: the invite can join, never manage.
    assert "/r/" not in description
    assert "Manage your registration" not in description
    assert f"Seminar page: {seminar.public_url}" in description
    assert MEETING_URL.encode() not in raw
    assert PASSCODE.encode() not in raw
    assert vtimezone_ids(calendar) == ["Europe/London"]


def test_cancel_invite_keeps_uid_with_the_bumped_sequence():
    seminar = SeminarFactory()
    request_event = only_event(parse_ics(_request(seminar), method="REQUEST"))
    seminar_cancel(seminar=seminar, message="Postponed.")

    raw = _request(seminar, method="CANCEL", join_url=None)
    event = only_event(parse_ics(raw, method="CANCEL"))

    assert str(event["UID"]) == str(request_event["UID"]) == seminar.calendar_uid
    assert event["SEQUENCE"] == seminar.sequence == 1
    assert event["SEQUENCE"] > request_event["SEQUENCE"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["ATTENDEE"]) == "mailto:hanako@example.co.uk"
    assert str(event["ORGANIZER"]) == "mailto:seminars@jlgc.example"
    assert str(event["LOCATION"]) == "Online (Zoom)"


def test_cancel_of_one_registration_can_raise_the_sequence():
    seminar = SeminarFactory(sequence=4)

    event = only_event(
        parse_ics(
            _request(seminar, method="CANCEL", sequence=seminar.sequence + 1), method="CANCEL"
        )
    )

    assert event["SEQUENCE"] == 5
    assert str(event["STATUS"]) == "CANCELLED"


def test_request_for_a_cancelled_seminar_is_refused():
    seminar = SeminarFactory(status=Seminar.Status.CANCELLED)

    with pytest.raises(ValueError, match="CANCEL"):
        _request(seminar)


def test_invite_refuses_publish_method():
    with pytest.raises(ValueError, match="REQUEST or METHOD:CANCEL"):
        _request(SeminarFactory(), method="PUBLISH")


def test_invite_without_join_link_uses_the_public_location():
    seminar = SeminarFactory()

    event = only_event(parse_ics(_request(seminar, join_url=None), method="REQUEST"))

    assert str(event["LOCATION"]) == "Online (Zoom)"
    assert "personal link" not in str(event["DESCRIPTION"])


def test_speaker_invite_can_ask_for_a_reply_status():
    seminar = SeminarFactory()

    event = only_event(parse_ics(_request(seminar, partstat="NEEDS-ACTION"), method="REQUEST"))

    assert event["ATTENDEE"].params["PARTSTAT"] == "NEEDS-ACTION"
    assert event["ATTENDEE"].params["RSVP"] == "FALSE"


def test_attendee_name_cannot_inject_parameters_or_properties():
    seminar = SeminarFactory()

    raw = _request(seminar, attendee_name='Eve "X"\r\nATTENDEE:mailto:evil@example.com')
    event = only_event(parse_ics(raw, method="REQUEST"))

    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:hanako@example.co.uk"
    assert attendee.params["CN"] == "Eve 'X' ATTENDEE:mailto:evil@example.com"
    assert not any(line.startswith("ATTENDEE:") for line in unfolded_lines(raw))


def test_email_address_with_line_break_is_refused():
    with pytest.raises(ValueError, match="Not an email address"):
        _request(SeminarFactory(), attendee_email="a@example.com\r\nX-EVIL:1")


def test_invite_content_type_carries_the_same_method():
    assert ical.calendar_content_type("REQUEST") == "text/calendar; method=REQUEST; charset=utf-8"
    assert ical.calendar_content_type("CANCEL") == "text/calendar; method=CANCEL; charset=utf-8"


# Exact output (what mutation testing showed a looser assertion would let change) -------


def test_the_whole_description_of_a_hybrid_seminar_in_a_third_zone():
    seminar = SeminarFactory(
        summary="  Bread and sake from Kyushu.  ",
        starts_at=datetime(2026, 10, 20, 8, tzinfo=UTC),
        ends_at=datetime(2026, 10, 20, 9, 30, tzinfo=UTC),
        timezone="Europe/Paris",
        venue="JLGC, 15 Whitehall ",
        platform=Seminar.Platform.ZOOM,
    )
    SeminarSpeakerFactory(
        seminar=seminar,
        role=SeminarSpeaker.Role.MODERATOR,
        speaker=SpeakerFactory(name="Emma Clarke", title="", organisation="JLGC London"),
    )

    event = only_event(parse_ics(_request(seminar), method="REQUEST"))

    assert str(event["DESCRIPTION"]) == "\n".join(
        [
            "Bread and sake from Kyushu.",
            "",
            "UK time: Tuesday 20 October 2026, 09:00–10:30 BST",
            "Japan time: Tuesday 20 October 2026, 17:00–18:30 JST",
            "Local time (Europe/Paris): Tuesday 20 October 2026, 10:00–11:30 CEST",
            "Where: JLGC, 15 Whitehall and Online (Zoom)",
            "",
            "Speakers:",
            "- Emma Clarke, JLGC London (Moderator)",
            "",
            f"Join with your personal link: {JOIN_URL}",
            f"Seminar page: {seminar.public_url}",
        ]
    )


def test_the_whole_description_of_an_online_seminar_without_a_personal_link():
    seminar = SeminarFactory(
        summary="Onsen towns.",
        starts_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, 11, tzinfo=UTC),
        venue="",
        platform=Seminar.Platform.OTHER,
    )

    event = only_event(parse_ics(_request(seminar, join_url=None), method="REQUEST"))

    assert str(event["DESCRIPTION"]) == "\n".join(
        [
            "Onsen towns.",
            "",
            "UK time: Tuesday 1 December 2026, 10:00–11:00 GMT",
            "Japan time: Tuesday 1 December 2026, 19:00–20:00 JST",
            "Where: Online",
            "",
            f"Seminar page: {seminar.public_url}",
        ]
    )


def test_an_invite_without_a_name_has_no_common_name():
    event = only_event(parse_ics(_request(SeminarFactory(), attendee_name=""), method="REQUEST"))
    default = only_event(
        parse_ics(
            ical.build_invite(
                seminar=SeminarFactory(),
                method="REQUEST",
                organizer_email="seminars@jlgc.example",
                organizer_name="JLGC Seminars",
                attendee_email="hanako@example.co.uk",
            ),
            method="REQUEST",
        )
    )

    assert "CN" not in event["ATTENDEE"].params
    assert "CN" not in default["ATTENDEE"].params


def test_a_request_for_a_cancelled_seminar_says_why_it_is_refused():
    seminar = SeminarFactory()
    seminar_cancel(seminar=seminar, message="")

    with pytest.raises(
        ValueError, match=r"^A cancelled seminar can only be sent as METHOD:CANCEL\.$"
    ):
        _request(seminar)


def _vtimezone_text(raw: bytes) -> str:
    text = raw.decode().replace("\r\n", "\n")
    return text[text.index("BEGIN:VTIMEZONE") : text.index("END:VTIMEZONE")]


def test_an_invites_time_zone_covers_exactly_the_year_of_the_seminar_in_its_zone():
    # 22:00 on New Year's Eve in New York is already the next year in London.
    seminar = SeminarFactory(
        starts_at=datetime(2027, 1, 1, 3, tzinfo=UTC),
        ends_at=datetime(2027, 1, 1, 4, tzinfo=UTC),
        timezone="America/New_York",
    )

    assert _vtimezone_text(_request(seminar)) == "\n".join(
        [
            "BEGIN:VTIMEZONE",
            "TZID:America/New_York",
            "COMMENT:This timezone only works from 2026-01-01 to 2027-01-01.",
            "BEGIN:STANDARD",
            "DTSTART:20260101T000000",
            "TZNAME:EST",
            "TZOFFSETFROM:-0500",
            "TZOFFSETTO:-0500",
            "END:STANDARD",
            "BEGIN:DAYLIGHT",
            "DTSTART:20260308T030000",
            "TZNAME:EDT",
            "TZOFFSETFROM:-0500",
            "TZOFFSETTO:-0400",
            "END:DAYLIGHT",
            "BEGIN:STANDARD",
            "DTSTART:20261101T020000",
            "TZNAME:EST",
            "TZOFFSETFROM:-0400",
            "TZOFFSETTO:-0500",
            "END:STANDARD",
            "",
        ]
    )


def test_an_empty_feeds_time_zone_covers_exactly_this_year_in_the_uk():
    raw = ical.build_calendar(seminars=[])

    assert _vtimezone_text(raw) == "\n".join(
        [
            "BEGIN:VTIMEZONE",
            "TZID:Europe/London",
            "COMMENT:This timezone only works from 2026-01-01 to 2027-01-01.",
            "BEGIN:STANDARD",
            "DTSTART:20260101T000000",
            "TZNAME:GMT",
            "TZOFFSETFROM:+0000",
            "TZOFFSETTO:+0000",
            "END:STANDARD",
            "BEGIN:DAYLIGHT",
            "DTSTART:20260329T020000",
            "TZNAME:BST",
            "TZOFFSETFROM:+0000",
            "TZOFFSETTO:+0100",
            "END:DAYLIGHT",
            "BEGIN:STANDARD",
            "DTSTART:20261025T020000",
            "TZNAME:GMT",
            "TZOFFSETFROM:+0100",
            "TZOFFSETTO:+0000",
            "END:STANDARD",
            "",
        ]
    )


def test_an_invite_carries_its_own_seminars_zone():
    seminar = SeminarFactory(timezone="Asia/Tokyo")

    assert vtimezone_ids(parse_ics(_request(seminar), method="REQUEST")) == ["Asia/Tokyo"]


def test_a_zone_the_calendar_library_does_not_know_is_refused_by_name():
    from icalendar import Calendar, Event

    calendar = Calendar.new(prodid=ical.PRODID)
    event = Event.new(uid="x")
    event.add("DTSTART", datetime(2026, 1, 1, 10), parameters={"TZID": "Nowhere/Atlantis"})
    calendar.add_component(event)

    with pytest.raises(ValueError, match=r"^No time zone data for \['Nowhere/Atlantis'\]\.$"):
        ical._add_timezones(calendar, [])


@pytest.mark.parametrize(
    "address", ["", "   ", "hanako smith@example.co.uk", "hanako\x01@example.co.uk"]
)
def test_an_address_that_is_empty_or_holds_spaces_or_controls_is_refused(address):
    with pytest.raises(ValueError, match=r"^Not an email address: "):
        _request(SeminarFactory(), attendee_email=address)


def test_the_attendee_line_alone_is_the_one_the_whole_invite_carries():
    seminar = SeminarFactory()
    name = "Hanako 'Hana' Yamada-Smith of the Tottori Prefectural Office, London"

    line = ical.invite_attendee_line(
        attendee_email="hanako@example.co.uk", attendee_name=name, partstat="NEEDS-ACTION"
    )
    raw = _request(seminar, attendee_name=name, partstat="NEEDS-ACTION")

    assert line.endswith(b"\r\n") and line in raw
    default = ical.invite_attendee_line(attendee_email="a@example.org")
    assert default.replace(b"\r\n ", b"") == (
        b"ATTENDEE;CUTYPE=INDIVIDUAL;PARTSTAT=ACCEPTED;ROLE=REQ-PARTICIPANT;RSVP=FALSE:"
        b"mailto:a@example.org\r\n"
    )


@pytest.mark.parametrize(
    ("from_email", "expected"),
    [
        ('"JLGC Seminars" <seminars@jlgc.example>', "JLGC Seminars"),
        ("JLGC\nLondon <seminars@jlgc.example>", "JLGC London"),
        ("seminars@jlgc.example", "Japan Local Attraction Seminars"),
    ],
)
def test_the_organiser_is_the_from_name_else_the_series(settings, from_email, expected):
    settings.DEFAULT_FROM_EMAIL = from_email
    seminar = SeminarFactory(series=SeriesFactory(name="Japan Local Attraction Seminars"))

    assert ical.organizer_name(seminar) == expected
