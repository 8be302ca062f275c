import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction
from icalendar import Calendar

from notifications.models import OutgoingEmail
from notifications.services import LINK_TOKEN_PLACEHOLDER, email_queue, registration_email_queue
from notifications.services.registrations import REGISTRATION_KINDS
from tests.factories import RegistrationFactory, SeminarFactory

pytestmark = pytest.mark.django_db

TOKEN = LINK_TOKEN_PLACEHOLDER
Kind = OutgoingEmail.Kind


def _seminar(**kwargs):
    defaults = {
        "title": "Tourism in Tottori",
        # Friday 23 October 2026, 10:00 BST = 18:00 JST.
        "starts_at": datetime(2026, 10, 23, 9, 0, tzinfo=UTC),
        "ends_at": datetime(2026, 10, 23, 10, 0, tzinfo=UTC),
        "sequence": 3,
        "meeting_url": "https://zoom.example/j/987654321",
        "meeting_passcode": "s3cret-pass",
    }
    return SeminarFactory(**(defaults | kwargs))


def _queue(kind, enqueued=None, **registration_kwargs):
    registration_kwargs.setdefault("seminar", _seminar())
    registration_kwargs.setdefault("name", "Hanako Yamada")
    registration_kwargs.setdefault("email", "hanako@example.org")
    registration = RegistrationFactory(**registration_kwargs)
    return registration_email_queue(registration=registration, kind=kind)


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
    assert f"https://kizuna.example/j/{TOKEN}/" in text
    assert "The link opens 30 minutes before the start." in text
    assert f"https://kizuna.example/r/{TOKEN}/" in text
    assert "invite.ics" in text
    assert "contact@kizuna.example" in text
    assert f"https://kizuna.example/j/{TOKEN}/" in email.body_html
    assert f"https://kizuna.example/r/{TOKEN}/" in email.body_html


def test_confirmed_email_shows_the_seminar_zone_and_the_registrants_own_zone(enqueued):
    seminar = _seminar(timezone="Europe/Paris")
    email = _queue(Kind.REGISTRATION_CONFIRMED, seminar=seminar, time_zone="America/New_York")

    lines = [line for line in email.body_text.splitlines() if " time: " in line]
    assert lines == [
        "Paris time: Friday 23 October 2026, 11:00–12:00 CEST (Paris)",
        "UK time: Friday 23 October 2026, 10:00–11:00 BST (London)",
        "Japan time: Friday 23 October 2026, 18:00–19:00 JST (Tokyo)",
        "Your time: Friday 23 October 2026, 05:00–06:00 EDT (New York)",
    ]


def test_no_email_ever_contains_the_meeting_url_or_passcode(enqueued):
    for kind in REGISTRATION_KINDS:
        email = _queue(kind, email=f"{kind}@example.org")
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
    assert str(event["LOCATION"]) == f"https://kizuna.example/j/{TOKEN}/"
    assert f"https://kizuna.example/j/{TOKEN}/" in str(event["DESCRIPTION"])


def test_promoted_email_says_the_place_is_yours_with_join_link_and_invite(enqueued):
    email = _queue(Kind.WAITLIST_PROMOTED)

    assert email.subject == "A place is yours: Tourism in Tottori"
    assert "a place has freed up" in email.body_text
    assert f"https://kizuna.example/j/{TOKEN}/" in email.body_text
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
    seminar = _seminar(status="cancelled", sequence=5)
    email = _queue(Kind.REGISTRATION_CANCELLED, seminar=seminar, status="cancelled")

    _calendar, event = _event(email)
    assert event["SEQUENCE"] == 5


def test_names_and_titles_are_escaped_in_html_and_kept_in_text(enqueued):
    seminar = _seminar(title="Tea & <b>Tottori</b>")
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


def test_delivery_is_enqueued_only_after_commit(django_capture_on_commit_callbacks, enqueued):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = _queue(Kind.REGISTRATION_CONFIRMED)
        assert enqueued == []

    assert len(callbacks) == 1
    assert enqueued == [(email.pk, None)]


def test_rolled_back_transaction_leaves_no_row_and_enqueues_nothing(
    django_capture_on_commit_callbacks, enqueued
):
    registration = RegistrationFactory()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        registration_email_queue(registration=registration, kind=Kind.REGISTRATION_CONFIRMED)
        raise RuntimeError("registration failed after the email was written")

    assert OutgoingEmail.objects.count() == 0
    assert callbacks == []
    assert enqueued == []


def _generic(**kwargs):
    fields = {
        "kind": Kind.REGISTRATION_CONFIRMED,
        "to_email": "a@example.org",
        "to_name": "A",
        "language": "en",
        "subject": "Hello",
        "body_text": "Body",
    }
    return email_queue(**(fields | kwargs))


def test_existing_dedupe_key_returns_the_row_and_queues_nothing(
    django_capture_on_commit_callbacks, enqueued
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _generic(dedupe_key="reminder:1:1440")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = _generic(dedupe_key="reminder:1:1440", subject="Other")

    assert second.pk == first.pk
    assert second.subject == "Hello"
    assert OutgoingEmail.objects.count() == 1
    assert callbacks == []
    assert enqueued == [(first.pk, None)]


def test_email_queue_flattens_subject_and_name_and_rejects_unknown_calendar_method(enqueued):
    email = _generic(subject="Hi\r\nBcc: x@example.org", to_name="N\na")
    assert email.subject == "Hi Bcc: x@example.org"
    assert email.to_name == "N a"
    with pytest.raises(ValueError):
        _generic(calendar_method="REPLY", calendar_body="BEGIN:VCALENDAR")


def test_broker_outage_at_commit_leaves_the_row_for_the_periodic_pass(
    django_capture_on_commit_callbacks, monkeypatch
):
    from notifications import tasks

    def broker_down(email_id):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.deliver_email, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        email = _generic()

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.QUEUED


def test_outbox_keeps_no_working_link_and_each_sent_email_gets_its_own(enqueued, mailoutbox):
    from notifications.services import email_deliver
    from webinars.selectors import registration_by_token

    email = _queue(Kind.REGISTRATION_CONFIRMED)
    stored = OutgoingEmail.objects.get(pk=email.pk)
    assert email.registration.tokens.count() == 0
    assert f"/j/{LINK_TOKEN_PLACEHOLDER}/" in stored.body_text + stored.calendar_body

    assert email_deliver(email_id=email.pk).status == "sent"

    (message,) = mailoutbox
    text = message.body
    (token,) = re.findall(r"https://kizuna\.example/j/([A-Za-z0-9_-]{40,})/", text)
    assert f"https://kizuna.example/r/{token}/" in text
    assert registration_by_token(token) == email.registration
    calendar_part = next(
        part for part in message.message().walk() if part.get_content_type() == "text/calendar"
    )
    (event,) = Calendar.from_ical(calendar_part.get_payload(decode=True)).walk("VEVENT")
    assert str(event["LOCATION"]) == f"https://kizuna.example/j/{token}/"
    stored.refresh_from_db()
    assert token not in stored.body_text + stored.body_html + stored.calendar_body


# --- Batched enqueueing -----------------------------------------------------------------


@pytest.fixture
def batches(enqueued, monkeypatch):
    """Each ``deliver_email_batch`` task enqueued, as its list of ids (batches of 2 here)."""
    from notifications import tasks
    from notifications.services import outbox

    calls: list[list[int]] = []
    monkeypatch.setattr(outbox, "DELIVERY_BATCH_SIZE", 2)
    monkeypatch.setattr(tasks.deliver_email_batch, "delay", calls.append)
    return calls


def test_emails_of_one_transaction_go_out_in_batches_from_one_callback(
    django_capture_on_commit_callbacks, enqueued, batches
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        ids = [_generic(to_email=f"b{n}@example.org").pk for n in range(5)]
        assert batches == []

    assert len(callbacks) == 1
    assert batches == [ids[0:2], ids[2:4], ids[4:5]]
    assert enqueued == []


def test_a_rolled_back_transaction_leaks_no_ids_into_the_next(
    django_capture_on_commit_callbacks, enqueued, batches
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            _generic(to_email="lost1@example.org")
            _generic(to_email="lost2@example.org")
            raise RuntimeError("the change failed")
        with transaction.atomic():
            kept = [_generic(to_email=f"kept{n}@example.org").pk for n in range(2)]

    assert len(callbacks) == 1
    assert batches == [kept]
    assert list(OutgoingEmail.objects.values_list("pk", flat=True).order_by("pk")) == kept


def test_a_rolled_back_savepoint_drops_only_its_own_emails(
    django_capture_on_commit_callbacks, enqueued, batches, monkeypatch
):
    from notifications.services import outbox

    monkeypatch.setattr(outbox, "DELIVERY_BATCH_SIZE", 100)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        before = _generic(to_email="before@example.org").pk
        with pytest.raises(RuntimeError), transaction.atomic():
            _generic(to_email="inner1@example.org")
            _generic(to_email="inner2@example.org")
            raise RuntimeError("one step failed")
        with transaction.atomic():
            released = _generic(to_email="released@example.org").pk
        after = _generic(to_email="after@example.org").pk

    # Each id once; the emails written in the rolled-back savepoint are in no task.
    handed_over = [pk for pk, _countdown in enqueued] + [pk for batch in batches for pk in batch]
    assert sorted(handed_over) == [before, released, after]
    assert OutgoingEmail.objects.count() == 3


def test_broker_outage_for_a_batch_leaves_the_rows_for_the_periodic_pass(
    django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from notifications import tasks

    def broker_down(email_ids):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.deliver_email_batch, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ids = [_generic(to_email=f"o{n}@example.org").pk for n in range(3)]

    assert list(OutgoingEmail.objects.values_list("status", flat=True)) == ["queued"] * 3
    assert f"Could not enqueue 3 outbox emails (ids {ids[0]} to {ids[2]})" in caplog.text


def test_confirmation_and_sent_link_survive_the_calendar_refold(enqueued, mailoutbox):
    from notifications.services import with_link_token

    email = _queue(Kind.REGISTRATION_CONFIRMED, name="Hanako " + "Y" * 80)
    token = "T" * 43

    sent = with_link_token(email, token=token)

    assert (
        sent.calendar_body
        == Calendar.from_ical(re.sub(r"\r?\n[ \t]", "", email.calendar_body).replace(TOKEN, token))
        .to_ical()
        .decode()
    )
    assert email.registration.tokens.count() == 0


@pytest.mark.parametrize(
    "line",
    [
        "",
        "X" * 74,
        "X" * 75,
        "DESCRIPTION:" + "a\\, b\\n" * 40,
        "LOCATION:https://kizuna.example/j/" + "T" * 60 + "/",
        "SUMMARY:" + "x" * 65 + "^n" + "y" * 80,
        "SUMMARY:鳥取の観光 " * 12,
    ],
    ids=["empty", "74", "75", "escapes", "link", "caret", "japanese"],
)
def test_calendar_lines_are_folded_exactly_as_icalendar_folds_them(line):
    from icalendar.parser import Contentline

    from notifications.services.links import _ical_fold

    assert _ical_fold(line) == Contentline(line).to_ical().decode()
