import re
from datetime import timedelta

import pytest
from icalendar import Calendar

from notifications.models import OutgoingEmail
from notifications.services import (
    JOIN_TOKEN_PLACEHOLDER,
    LINK_TOKEN_PLACEHOLDER,
    registration_email_queue,
)
from notifications.services.registrations import REGISTRATION_KINDS
from tests.factories import RegistrationFactory
from tests.utils import rendered, tottori_seminar

pytestmark = pytest.mark.django_db

TOKEN = LINK_TOKEN_PLACEHOLDER
JOIN_TOKEN = JOIN_TOKEN_PLACEHOLDER

Kind = OutgoingEmail.Kind


def _queue(kind, enqueued=None, **registration_kwargs):
    registration_kwargs.setdefault("seminar", tottori_seminar())
    registration_kwargs.setdefault("name", "Hanako Yamada")
    registration_kwargs.setdefault("email", "hanako@example.org")
    registration = RegistrationFactory(**registration_kwargs)
    return rendered(registration_email_queue(registration=registration, kind=kind))


def _event(email):
    calendar = Calendar.from_ical(email.calendar_body)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def test_confirmed_email_subject_times_links_and_contact(enqueued):
    email = _queue(Kind.REGISTRATION_CONFIRMED)

    assert email.subject == "You're registered: Tourism in Tottori"
    assert email.to_email == "hanako@example.org"
    assert email.to_name == "Hanako Yamada"
    assert email.status == OutgoingEmail.Status.QUEUED
    text = email.body_text
    assert "Dear Hanako Yamada," in text
    assert 'You\'re registered for "Tourism in Tottori".' in text
    assert "UK time: Friday 23 October 2026, 10:00–11:00 BST (London)" in text
    assert "Japan time: Friday 23 October 2026, 18:00–19:00 JST (Tokyo)" in text
    assert f"https://kizuna.example/j/{JOIN_TOKEN}/" in text
    assert "The link opens 30 minutes before the start." in text
    assert f"https://kizuna.example/r/{TOKEN}/" in text
    assert "invite.ics" in text
    assert "contact@kizuna.example" in text
    assert f"https://kizuna.example/j/{JOIN_TOKEN}/" in email.body_html
    assert f"https://kizuna.example/r/{TOKEN}/" in email.body_html


def test_confirmed_email_shows_the_seminar_zone_and_the_registrants_own_zone(enqueued):
    seminar = tottori_seminar(timezone="Europe/Paris")
    email = _queue(Kind.REGISTRATION_CONFIRMED, seminar=seminar, time_zone="America/New_York")

    lines = [line for line in email.body_text.splitlines() if " time: " in line]
    assert lines == [
        "Paris time: Friday 23 October 2026, 11:00–12:00 CEST (Paris)",
        "UK time: Friday 23 October 2026, 10:00–11:00 BST (London)",
        "Japan time: Friday 23 October 2026, 18:00–19:00 JST (Tokyo)",
        "Your time: Friday 23 October 2026, 05:00–06:00 EDT (New York)",
    ]


# The status a place has when each kind of email goes out (a lean email to a place that
# has moved on since is not sent at all).
STATUS_OF_KIND = {
    Kind.REGISTRATION_CONFIRMED: "confirmed",
    Kind.REGISTRATION_WAITLISTED: "waitlisted",
    Kind.WAITLIST_PROMOTED: "confirmed",
    Kind.REGISTRATION_CANCELLED: "cancelled",
    Kind.MOVED_TO_WAITLIST: "waitlisted",
}


def test_no_email_ever_contains_the_meeting_url_or_passcode(enqueued):
    assert set(STATUS_OF_KIND) == set(REGISTRATION_KINDS)
    for kind in REGISTRATION_KINDS:
        email = _queue(kind, email=f"{kind}@example.org", status=STATUS_OF_KIND[kind])
        for part in (email.body_text, email.body_html, email.calendar_body, email.subject):
            assert "987654321" not in part
            assert "s3cret-pass" not in part


def test_confirmed_invite_is_a_request_for_the_registrant(enqueued):
    email = _queue(Kind.REGISTRATION_CONFIRMED)
    seminar = email.seminar

    calendar, event = _event(email)
    assert email.calendar_method == "REQUEST"
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == seminar.calendar_uid
    assert event["SEQUENCE"] == 3
    assert str(event["ORGANIZER"]) == "mailto:contact@kizuna.example"
    assert event["ORGANIZER"].params["CN"] == "JLGC Seminars"
    assert str(event["ATTENDEE"]) == "mailto:hanako@example.org"
    assert event["ATTENDEE"].params["CN"] == "Hanako Yamada"
    assert event["STATUS"] == "CONFIRMED"
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert event["DTSTAMP"].dt.utcoffset() == timedelta(0)
    assert re.search(r"^DTSTAMP:\d{8}T\d{6}Z\r?$", email.calendar_body, re.MULTILINE)
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    assert calendar.get_missing_tzids() == set()
    assert str(event["LOCATION"]) == f"https://kizuna.example/j/{JOIN_TOKEN}/"
    assert f"https://kizuna.example/j/{JOIN_TOKEN}/" in str(event["DESCRIPTION"])


def test_promoted_email_says_the_place_is_yours_with_join_link_and_invite(enqueued):
    email = _queue(Kind.WAITLIST_PROMOTED)

    assert email.subject == "A place is yours: Tourism in Tottori"
    assert "a place has freed up" in email.body_text
    assert f"https://kizuna.example/j/{JOIN_TOKEN}/" in email.body_text
    assert email.calendar_method == "REQUEST"
    _calendar, event = _event(email)
    assert event["SEQUENCE"] == 3
    assert str(event["ATTENDEE"]) == "mailto:hanako@example.org"


def test_waitlisted_email_has_no_join_link_and_no_invite(enqueued):
    email = _queue(Kind.REGISTRATION_WAITLISTED, status="waitlisted")

    assert email.subject == "You're on the waiting list: Tourism in Tottori"
    assert "If a place frees up" in email.body_text
    assert f"https://kizuna.example/r/{TOKEN}/" in email.body_text
    assert "/j/" not in email.body_text
    assert "/j/" not in email.body_html
    assert email.calendar_method == ""
    assert email.calendar_body == ""


def test_cancelled_email_carries_the_sequence_the_cancel_service_raised(enqueued):
    email = _queue(Kind.REGISTRATION_CANCELLED, status="cancelled")

    assert email.subject == "Registration cancelled: Tourism in Tottori"
    assert "is cancelled" in email.body_text
    assert email.seminar.public_url in email.body_text
    assert "/j/" not in email.body_text + email.calendar_body
    calendar, event = _event(email)
    assert email.calendar_method == "CANCEL"
    assert calendar["METHOD"] == "CANCEL"
    assert str(event["UID"]) == email.seminar.calendar_uid
    assert event["SEQUENCE"] == 3
    assert event["STATUS"] == "CANCELLED"
    assert str(event["ATTENDEE"]) == "mailto:hanako@example.org"


def test_cancelled_email_for_a_cancelled_seminar_keeps_its_sequence(enqueued):
    seminar = tottori_seminar(status="cancelled", sequence=5)
    email = _queue(Kind.REGISTRATION_CANCELLED, seminar=seminar, status="cancelled")

    _calendar, event = _event(email)
    assert event["SEQUENCE"] == 5


def test_names_and_titles_are_escaped_in_html_and_kept_in_text(enqueued):
    seminar = tottori_seminar(title="Tea & <b>Tottori</b>")
    email = _queue(Kind.REGISTRATION_CONFIRMED, seminar=seminar, name="<script>alert(1)</script>")

    assert "<script>" not in email.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.body_html
    assert "<b>Tottori</b>" not in email.body_html
    assert "Tea &amp; &lt;b&gt;Tottori&lt;/b&gt;" in email.body_html
    assert "Dear <script>alert(1)</script>," in email.body_text
    assert email.subject == "You're registered: Tea & <b>Tottori</b>"


def test_line_breaks_in_a_name_reach_neither_subject_nor_calendar_properties(enqueued):
    email = _queue(Kind.REGISTRATION_CONFIRMED, name="Eve\r\nBcc: victim@example.org")

    assert email.to_name == "Eve Bcc: victim@example.org"
    _calendar, event = _event(email)
    assert event["ATTENDEE"].params["CN"] == "Eve Bcc: victim@example.org"
    assert "\nBcc" not in email.calendar_body


def test_unknown_kind_is_refused(enqueued):
    registration = RegistrationFactory()
    with pytest.raises(ValueError):
        registration_email_queue(registration=registration, kind="reminder")
    assert OutgoingEmail.objects.count() == 0


# --- Fresh links ---------------------------------------------------------------------------


def _links_email(reason, **registration_kwargs):
    from notifications.services import registration_links_email_queue

    registration_kwargs.setdefault("seminar", tottori_seminar())
    registration_kwargs.setdefault("name", "Hanako Yamada")
    registration = RegistrationFactory(**registration_kwargs)
    return rendered(registration_links_email_queue(registration=registration, reason=reason))


def test_renewed_links_email_has_both_links_and_the_invite_with_the_join_link_only(enqueued):
    email = _links_email("renewed")

    text = " ".join(email.body_text.split())
    assert email.kind == Kind.REGISTRATION_LINKS
    assert email.subject == "Your links for Tourism in Tottori"
    assert "As you asked, here are new links for your registration" in text
    assert f"https://kizuna.example/r/{TOKEN}/" in text
    assert f"https://kizuna.example/j/{JOIN_TOKEN}/" in text
    assert "anyone who has it can change or cancel your registration" in text
    assert "If you did not ask for new links, someone else may have had your old ones" in text
    _calendar, event = _event(email)
    assert str(event["LOCATION"]) == f"https://kizuna.example/j/{JOIN_TOKEN}/"
    assert TOKEN not in re.sub(r"\r?\n[ \t]", "", email.calendar_body)


def test_repeat_registration_links_email_tells_only_the_owner(enqueued):
    email = _links_email("repeat")

    text = " ".join(email.body_text.split())
    assert "Someone, probably you, tried to register for" in text
    assert "You already have a registration, so nothing has changed" in text
    assert "nobody else has been told anything about your registration" in text


def test_links_email_of_a_waiting_list_place_has_no_join_link_or_invite(enqueued):
    from webinars.models import Registration

    email = _links_email("renewed", status=Registration.Status.WAITLISTED)

    assert JOIN_TOKEN not in email.body_text + email.body_html
    assert f"https://kizuna.example/r/{TOKEN}/" in email.body_text
    assert (email.calendar_method, email.calendar_body) == ("", "")


def test_links_email_refuses_an_unknown_reason(enqueued):
    with pytest.raises(ValueError, match="Not a reason for a links email"):
        _links_email("because")
