import threading
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from icalendar import Calendar

from notifications.models import OutgoingEmail, PeriodicTaskRun, SeminarChangeNotice
from notifications.services import (
    JOIN_TOKEN_PLACEHOLDER,
    LINK_TOKEN_PLACEHOLDER,
    emails_deliver_due,
    reminders_dispatch,
    seminar_change_notices_send,
)
from notifications.services.reminders import reminder_dedupe_key
from notifications.services.seminar_changes import (
    NOT_SENT_CANCELLED,
    NOT_SENT_NO_CHANGE,
    NOT_SENT_OVER,
    seminar_change_compare,
    seminar_change_notices_run,
    seminar_changed_emails_queue,
)
from notifications.tasks import send_seminar_change_notices
from tests.factories import (
    OutgoingEmailFactory,
    RegistrationFactory,
    SeminarFactory,
    SeminarSpeakerFactory,
    SpeakerFactory,
)
from tests.utils import rendered, rendered_emails
from webinars.models import Seminar
from webinars.services import seminar_cancel, seminar_update

pytestmark = pytest.mark.django_db

Kind = OutgoingEmail.Kind
Status = OutgoingEmail.Status
LONDON = ZoneInfo("Europe/London")
# Friday 23 October 2026, 10:00 BST = 18:00 JST (UK clocks go back two days later).
START = datetime(2026, 10, 23, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)
# Edits happen a week ahead; the window is the default 3 minutes, capped at 15.
EDIT = START - timedelta(days=7)
DELAY = timedelta(seconds=180)
MAX_DELAY = timedelta(seconds=900)


@pytest.fixture(autouse=True)
def _notice_window(settings):
    settings.SEMINAR_CHANGE_NOTICE_DELAY_SECONDS = 180
    settings.SEMINAR_CHANGE_NOTICE_MAX_DELAY_SECONDS = 900


def _seminar(**kwargs) -> Seminar:
    defaults = {
        "title": "Tourism in Tottori",
        "starts_at": START,
        "ends_at": START + HOUR,
        "sequence": 2,
        "meeting_url": "https://zoom.example/j/987654321",
        "meeting_passcode": "s3cret-pass",
    }
    with time_machine.travel(START - timedelta(days=30), tick=False):
        return SeminarFactory(**(defaults | kwargs))


def _audience(seminar: Seminar):
    """2 confirmed (one in New York), 1 waitlisted, 1 cancelled; speakers with and without email."""
    with time_machine.travel(START - timedelta(days=20), tick=False):
        hanako = RegistrationFactory(seminar=seminar, email="hanako@example.org", name="Hanako")
        john = RegistrationFactory(
            seminar=seminar,
            email="john@example.org",
            name="John",
            time_zone="America/New_York",
        )
        RegistrationFactory(seminar=seminar, email="waiting@example.org", status="waitlisted")
        RegistrationFactory(seminar=seminar, email="gone@example.org", status="cancelled")
        taro = SpeakerFactory(name="Taro Suzuki", email="taro@example.jp")
        SeminarSpeakerFactory(
            seminar=seminar, speaker=taro, join_url="https://zoom.example/s/speaker-only-555"
        )
        SeminarSpeakerFactory(seminar=seminar, speaker=SpeakerFactory(name="No Mail", email=""))
    return hanako, john, taro


def _edit(seminar: Seminar, at: datetime, **changes) -> Seminar:
    with time_machine.travel(at, tick=False):
        return seminar_update(seminar=seminar, **changes)


def _move(seminar: Seminar, at: datetime, by: timedelta) -> Seminar:
    return _edit(seminar, at, starts_at=START + by, ends_at=START + by + HOUR)


def _send(at: datetime) -> int:
    with time_machine.travel(at, tick=False):
        return seminar_change_notices_send()


def _changed_emails() -> dict[str, OutgoingEmail]:
    """The change emails written, by address, with the messages the worker would send now."""
    return {
        email.to_email: email
        for email in rendered_emails(
            OutgoingEmail.objects.filter(kind__in=[Kind.SEMINAR_CHANGED, Kind.SPEAKER_UPDATE])
        )
    }


def _event(email: OutgoingEmail):
    calendar = Calendar.from_ical(email.calendar_body)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


HANAKO_TEXT = """\
Dear Hanako,

The organisers have changed "Tourism in Tottori", which you are registered for. Here is what is \
different.
It now starts at 12:00 BST (was 10:00 BST).

New time
UK time: Friday 23 October 2026, 12:00–13:00 BST (London)
Japan time: Friday 23 October 2026, 20:00–21:00 JST (Tokyo)
UK clocks go back one hour on Sunday 25 October 2026: the London–Tokyo gap is then 9 hours \
(8 hours before).

Previous time (no longer valid)
UK time: Friday 23 October 2026, 10:00–11:00 BST (London)
Japan time: Friday 23 October 2026, 18:00–19:00 JST (Tokyo)

Your personal join link
https://kizuna.example/j/kizuna-join-token-minted-when-sent/
The link opens 30 minutes before the start. Please do not share it: it is yours alone.

Your calendar
This email carries the updated calendar invite (invite.ics): accept or open it and the seminar \
in your calendar moves with it.

Can no longer attend? Manage or cancel your registration, so that someone on the waiting list \
can take your place
https://kizuna.example/r/kizuna-link-token-minted-when-sent/

Seminar page
https://kizuna.example/seminars/{slug}/

Questions? Write to the organisers at contact@kizuna.example.
"""


def test_several_edits_in_the_window_send_one_email_each_with_the_first_was_and_last_now(
    enqueued,
):
    seminar = _seminar()
    hanako, john, taro = _audience(seminar)
    _move(seminar, EDIT, HOUR)
    _move(seminar, EDIT + MINUTE, 2 * HOUR)

    assert _send(EDIT + MINUTE + DELAY - timedelta(seconds=1)) == 0
    assert _changed_emails() == {}
    assert _send(EDIT + MINUTE + DELAY) == 1

    seminar.refresh_from_db()
    assert seminar.sequence == 4
    emails = _changed_emails()
    assert sorted(emails) == ["hanako@example.org", "john@example.org", "taro@example.jp"]
    assert {address: (e.kind, e.language, e.dedupe_key) for address, e in emails.items()} == {
        "hanako@example.org": (
            Kind.SEMINAR_CHANGED,
            "en",
            f"seminar-changed:{seminar.pk}:4:registration:{hanako.pk}",
        ),
        "john@example.org": (
            Kind.SEMINAR_CHANGED,
            "en",
            f"seminar-changed:{seminar.pk}:4:registration:{john.pk}",
        ),
        "taro@example.jp": (
            Kind.SPEAKER_UPDATE,
            "en",
            f"seminar-changed:{seminar.pk}:4:speaker:{taro.pk}",
        ),
    }
    assert emails["hanako@example.org"].registration == hanako
    assert emails["taro@example.jp"].registration is None
    assert {e.subject for e in emails.values()} == {
        "Changed: Tourism in Tottori now starts Fri 23 Oct, 12:00 BST"
    }
    assert emails["hanako@example.org"].body_text == HANAKO_TEXT.format(slug=seminar.slug)
    john_text = emails["john@example.org"].body_text
    assert "Your time: Friday 23 October 2026, 07:00–08:00 EDT (New York)" in john_text
    assert "Your time: Friday 23 October 2026, 05:00–06:00 EDT (New York)" in john_text
    assert "Your time" not in emails["taro@example.jp"].body_text
    notice = SeminarChangeNotice.objects.get()
    assert (notice.sent_at, notice.outcome) == (EDIT + MINUTE + DELAY, "sent to 3 people")


def test_the_invite_updates_the_same_event_to_the_new_time(enqueued):
    seminar = _seminar()
    _audience(seminar)
    _move(seminar, EDIT, HOUR)
    _move(seminar, EDIT + MINUTE, 2 * HOUR)
    _send(EDIT + MINUTE + DELAY)

    for address, email in _changed_emails().items():
        calendar, event = _event(email)
        assert email.calendar_method == "REQUEST"
        assert calendar["METHOD"] == "REQUEST"
        assert str(event["UID"]) == seminar.calendar_uid
        assert event["SEQUENCE"] == 4
        assert event["STATUS"] == "CONFIRMED"
        assert event["DTSTART"].dt == datetime(2026, 10, 23, 12, 0, tzinfo=LONDON)
        assert event["DTSTART"].params["TZID"] == "Europe/London"
        assert event["DTEND"].dt == datetime(2026, 10, 23, 13, 0, tzinfo=LONDON)
        assert str(event["ATTENDEE"]) == f"mailto:{address}"
        assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/London"]
    _calendar, registrant = _event(_changed_emails()["hanako@example.org"])
    assert str(registrant["LOCATION"]) == (f"https://kizuna.example/j/{JOIN_TOKEN_PLACEHOLDER}/")
    _calendar, speaker = _event(_changed_emails()["taro@example.jp"])
    assert str(speaker["LOCATION"]) == "https://zoom.example/s/speaker-only-555"


def test_emails_are_in_the_registrants_language_and_the_seminars_for_speakers(enqueued):
    seminar = _seminar(language="ja")
    RegistrationFactory(seminar=seminar, email="hanako@example.org", language="ja")
    RegistrationFactory(seminar=seminar, email="john@example.org", language="en")
    SeminarSpeakerFactory(seminar=seminar, speaker=SpeakerFactory(email="taro@example.jp"))
    _move(seminar, EDIT, HOUR)

    _send(EDIT + DELAY)

    emails = _changed_emails()
    assert {address: e.language for address, e in emails.items()} == {
        "hanako@example.org": "ja",
        "john@example.org": "en",
        "taro@example.jp": "ja",
    }
    # Django's Japanese weekday and month names (the catalogue has no sentence translations yet).
    assert emails["hanako@example.org"].subject.endswith("10月23日(金) 11:00 BSTになりました")
    assert emails["taro@example.jp"].subject.endswith("10月23日(金) 11:00 BSTになりました")
    assert emails["john@example.org"].subject.endswith("Fri 23 Oct, 11:00 BST")


def test_an_edit_undone_within_the_window_sends_nothing(enqueued):
    seminar = _seminar()
    _audience(seminar)
    _move(seminar, EDIT, HOUR)
    _move(seminar, EDIT + MINUTE, timedelta(0))

    assert _send(EDIT + MINUTE + DELAY) == 1

    assert _changed_emails() == {}
    notice = SeminarChangeNotice.objects.get()
    assert (notice.sent_at, notice.outcome) == (EDIT + MINUTE + DELAY, NOT_SENT_NO_CHANGE)


def test_cosmetic_edits_open_no_notice(enqueued):
    seminar = _seminar()
    _audience(seminar)

    _edit(seminar, EDIT, title="Tourism in Tottori Prefecture", description="New words.")

    seminar.refresh_from_db()
    assert (seminar.title, seminar.sequence) == ("Tourism in Tottori Prefecture", 2)
    assert SeminarChangeNotice.objects.count() == 0
    assert _send(EDIT + MAX_DELAY) == 0
    assert OutgoingEmail.objects.count() == 0


def test_editing_a_draft_opens_no_notice(enqueued):
    seminar = _seminar(status=Seminar.Status.DRAFT, published_at=None)
    _audience(seminar)

    _move(seminar, EDIT, HOUR)

    assert SeminarChangeNotice.objects.count() == 0
    assert _send(EDIT + MAX_DELAY) == 0
    assert OutgoingEmail.objects.count() == 0


def test_a_rolled_back_edit_leaves_no_notice(enqueued):
    seminar = _seminar()

    with pytest.raises(RuntimeError), transaction.atomic():
        _move(seminar, EDIT, HOUR)
        assert SeminarChangeNotice.objects.count() == 1
        raise RuntimeError("The admin request failed after the save.")

    assert SeminarChangeNotice.objects.count() == 0


def test_each_edit_pushes_the_notice_back_but_never_past_the_max_delay(enqueued):
    seminar = _seminar()
    due_ats = []
    for minutes in (0, 2, 4, 13):
        _move(seminar, EDIT + minutes * MINUTE, (minutes + 1) * MINUTE)
        due_ats.append(SeminarChangeNotice.objects.get().due_at)

    assert due_ats == [
        EDIT + DELAY,
        EDIT + 2 * MINUTE + DELAY,
        EDIT + 4 * MINUTE + DELAY,
        EDIT + MAX_DELAY,
    ]
    notice = SeminarChangeNotice.objects.get()
    assert (notice.first_change_at, notice.last_change_at) == (EDIT, EDIT + 13 * MINUTE)
    # The start attendees last heard of, not any of the intermediate ones.
    assert notice.before["starts_at"] == "2026-10-23T09:00:00+00:00"
    assert notice.before["meeting_passcode"] == "s3cret-pass"
    assert _send(EDIT + MAX_DELAY - timedelta(seconds=1)) == 0
    assert _send(EDIT + MAX_DELAY) == 1


def test_an_edit_after_a_notice_went_out_opens_a_new_one_from_what_was_sent(enqueued):
    seminar = _seminar()
    RegistrationFactory(seminar=seminar, email="hanako@example.org")
    _move(seminar, EDIT, HOUR)
    _send(EDIT + DELAY)
    # The first notice goes out (is rendered) before the next edit.
    (first,) = _changed_emails().values()

    _move(seminar, EDIT + 10 * MINUTE, 2 * HOUR)
    _send(EDIT + 10 * MINUTE + DELAY)

    notices = SeminarChangeNotice.objects.order_by("pk")
    assert [n.before["starts_at"] for n in notices] == [
        "2026-10-23T09:00:00+00:00",
        "2026-10-23T10:00:00+00:00",
    ]
    assert [n.outcome for n in notices] == ["sent to 1 person", "sent to 1 person"]
    emails = OutgoingEmail.objects.filter(kind=Kind.SEMINAR_CHANGED).order_by("pk")
    assert emails[0].pk == first.pk
    second = rendered(emails[1])
    assert [first.subject, second.subject] == [
        "Changed: Tourism in Tottori now starts Fri 23 Oct, 11:00 BST",
        "Changed: Tourism in Tottori now starts Fri 23 Oct, 12:00 BST",
    ]
    assert "It now starts at 12:00 BST (was 11:00 BST)." in second.body_text


def test_a_seminar_cancelled_before_the_notice_is_due_gets_only_the_cancellation(enqueued):
    seminar = _seminar()
    _audience(seminar)
    _move(seminar, EDIT, HOUR)
    with time_machine.travel(EDIT + MINUTE, tick=False):
        seminar_cancel(seminar=seminar, message="Sorry.")

    assert _send(EDIT + DELAY) == 1

    assert _changed_emails() == {}
    assert sorted(OutgoingEmail.objects.values_list("kind", flat=True)) == [
        Kind.SEMINAR_CANCELLED,
        Kind.SEMINAR_CANCELLED,
        Kind.SEMINAR_CANCELLED,
        Kind.SPEAKER_CANCEL,
    ]
    assert SeminarChangeNotice.objects.get().outcome == NOT_SENT_CANCELLED


def test_a_seminar_moved_into_the_past_sends_nothing(enqueued):
    seminar = _seminar()
    _audience(seminar)
    now = START - 10 * MINUTE
    _edit(seminar, now, starts_at=START - 3 * HOUR, ends_at=START - 2 * HOUR)

    assert _send(now + DELAY) == 1

    assert _changed_emails() == {}
    assert SeminarChangeNotice.objects.get().outcome == NOT_SENT_OVER


def test_running_the_send_twice_adds_no_duplicates(enqueued):
    seminar = _seminar()
    _audience(seminar)
    _move(seminar, EDIT, HOUR)
    assert _send(EDIT + DELAY) == 1
    first = sorted(OutgoingEmail.objects.values_list("pk", flat=True))

    assert _send(EDIT + DELAY + MINUTE) == 0
    seminar.refresh_from_db()
    change = seminar_change_compare(
        seminar=seminar, before=SeminarChangeNotice.objects.get().before
    )
    again = seminar_changed_emails_queue(seminar=seminar, change=change)

    assert len(first) == 3
    # Registrants' rows are written in bulk and only the rows written are returned: a
    # second pass returns no new row, at most the speaker's existing one.
    assert {email.pk for email in again} <= set(first)
    assert sorted(OutgoingEmail.objects.values_list("pk", flat=True)) == first


def test_delivery_changes_say_was_and_now_without_the_meeting_details(enqueued):
    seminar = _seminar()
    _audience(seminar)
    SeminarSpeakerFactory(
        seminar=seminar, speaker=SpeakerFactory(name="Mari Sato", email="mari@example.jp")
    )
    _edit(
        seminar,
        EDIT,
        platform=Seminar.Platform.TEAMS,
        venue="Japan House London",
        meeting_url="https://teams.example/meet/new-room-777",
        meeting_passcode="n3w-pass",
    )

    _send(EDIT + DELAY)

    emails = _changed_emails()
    assert {e.subject for e in emails.values()} == {"Changed: Tourism in Tottori"}
    registrant = emails["hanako@example.org"]
    for text in (registrant.body_text, registrant.body_html):
        assert "Platform: was Zoom, now Microsoft Teams." in text
        assert "Venue: was none (online only), now Japan House London." in text
        assert (
            "The meeting link has changed. Your personal join link still works: "
            "it takes you to the new meeting."
        ) in text
        assert "The meeting passcode has changed: your registration page (link below)" in text
        assert "New time" not in text
        assert "It now starts" not in text
    assert "When\nUK time: Friday 23 October 2026, 10:00–11:00 BST (London)\n" in (
        registrant.body_text
    )
    for part in (registrant.subject, registrant.body_text, registrant.body_html):
        for secret in ("new-room-777", "n3w-pass", "987654321", "s3cret-pass", "speaker-only"):
            assert secret not in part
    assert "new-room-777" not in registrant.calendar_body
    taro, mari = emails["taro@example.jp"], emails["mari@example.jp"]
    assert "The meeting passcode is now: n3w-pass" in taro.body_text
    assert "Your speaker join link\nhttps://zoom.example/s/speaker-only-555\n" in taro.body_text
    assert "new-room-777" not in taro.body_text
    # A speaker without a link of their own joins through the meeting's.
    assert "Your speaker join link\nhttps://teams.example/meet/new-room-777\n" in mari.body_text
    assert str(_event(mari)[1]["LOCATION"]) == "https://teams.example/meet/new-room-777"


def test_a_removed_passcode_is_said_to_be_no_longer_needed(enqueued):
    seminar = _seminar()
    _audience(seminar)
    _edit(seminar, EDIT, meeting_passcode="")

    _send(EDIT + DELAY)

    for email in _changed_emails().values():
        assert "The meeting no longer needs a passcode." in email.body_text
        assert "The meeting no longer needs a passcode." in email.body_html


def test_titles_and_names_are_escaped_in_html(enqueued):
    seminar = _seminar(title="Tea & <b>Tottori</b>")
    RegistrationFactory(seminar=seminar, name="<i>Hanako</i>")
    _move(seminar, EDIT, HOUR)

    _send(EDIT + DELAY)

    email = rendered(OutgoingEmail.objects.get())
    assert "Tea &amp; &lt;b&gt;Tottori&lt;/b&gt;" in email.body_html
    assert "&lt;i&gt;Hanako&lt;/i&gt;" in email.body_html
    assert "<b>Tottori</b>" not in email.body_html
    assert email.subject == "Changed: Tea & <b>Tottori</b> now starts Fri 23 Oct, 11:00 BST"


def test_a_move_to_another_day_names_both_days(enqueued):
    seminar = _seminar()
    RegistrationFactory(seminar=seminar)
    # A week later is after the UK clock change: 10:00 GMT.
    _edit(
        seminar,
        EDIT,
        starts_at=START + timedelta(days=7, hours=1),
        ends_at=START + timedelta(days=7, hours=2),
    )

    _send(EDIT + DELAY)

    email = rendered(OutgoingEmail.objects.get())
    assert email.subject == "Changed: Tourism in Tottori now starts Fri 30 Oct, 10:00 GMT"
    assert "It now starts at Fri 30 Oct, 10:00 GMT (was Fri 23 Oct, 10:00 BST)." in (
        email.body_text
    )
    assert "Japan time: Friday 30 October 2026, 19:00–20:00 JST (Tokyo)" in email.body_text


def _reminder(seminar: Seminar, *, email: str, status: str) -> OutgoingEmail:
    registration = RegistrationFactory(seminar=seminar, email=email)
    with time_machine.travel(START - timedelta(days=1), tick=False):
        reminders_dispatch()
    row = OutgoingEmail.objects.get(registration=registration)
    OutgoingEmail.objects.filter(pk=row.pk).update(status=status)
    return row


def test_moving_the_start_withdraws_queued_reminders_and_the_scan_writes_them_anew(enqueued):
    seminar = _seminar()
    with time_machine.travel(START - timedelta(days=20), tick=False):
        queued = _reminder(seminar, email="queued@example.org", status=Status.QUEUED)
        sent = _reminder(seminar, email="sent@example.org", status=Status.SENT)
        sending = _reminder(seminar, email="sending@example.org", status=Status.SENDING)
    missed = OutgoingEmailFactory(
        kind=Kind.REMINDER,
        to_email="missed@example.org",
        seminar=seminar,
        subject="Reminder",
        body_text="",
        status=Status.CANCELLED,
        dedupe_key="reminder:missed",
    )
    with time_machine.travel(START - timedelta(days=1), tick=False):
        assert "10:00–11:00 BST" in rendered(queued).body_text

    moved_at = START - timedelta(days=1) + MINUTE
    _move(seminar, moved_at, 2 * HOUR)

    assert not OutgoingEmail.objects.filter(pk=queued.pk).exists()
    assert sorted(
        OutgoingEmail.objects.filter(kind=Kind.REMINDER).values_list("pk", "status")
    ) == sorted([(sent.pk, Status.SENT), (sending.pk, Status.SENDING), (missed.pk, "cancelled")])
    # The day-before moment moved two hours later: nothing is due yet.
    with time_machine.travel(moved_at, tick=False):
        assert reminders_dispatch().queued == 0
    with time_machine.travel(START - timedelta(days=1) + 2 * HOUR, tick=False):
        assert reminders_dispatch().queued == 1
    # For the new start; the sent one covers its person, two hours being well within a day.
    rewritten = OutgoingEmail.objects.get(
        dedupe_key=reminder_dedupe_key(
            registration_id=queued.registration_id, offset=1440, starts_at=START + 2 * HOUR
        )
    )
    assert rewritten.status == Status.QUEUED
    with time_machine.travel(START - timedelta(days=1) + 2 * HOUR, tick=False):
        rewritten = rendered(rewritten)
    assert "UK time: Friday 23 October 2026, 12:00–13:00 BST (London)" in rewritten.body_text
    assert _event(rewritten)[1]["SEQUENCE"] == 3


def test_a_delivery_change_keeps_queued_reminders(enqueued):
    seminar = _seminar()
    with time_machine.travel(START - timedelta(days=20), tick=False):
        queued = _reminder(seminar, email="queued@example.org", status=Status.QUEUED)

    _edit(seminar, START - timedelta(days=1) + MINUTE, venue="Japan House London")

    assert OutgoingEmail.objects.get(pk=queued.pk).status == Status.QUEUED


def test_sent_change_emails_carry_a_request_calendar_part_and_real_links(
    django_capture_on_commit_callbacks, enqueued, mailoutbox
):
    seminar = _seminar()
    _audience(seminar)
    _move(seminar, EDIT, HOUR)
    with django_capture_on_commit_callbacks(execute=True):
        _send(EDIT + DELAY)
    ids = sorted(OutgoingEmail.objects.values_list("pk", flat=True))
    assert sorted(enqueued) == [(pk, None) for pk in ids]

    with time_machine.travel(EDIT + DELAY, tick=False):
        assert emails_deliver_due().delivered == 3

    assert sorted(parseaddr(message.to[0])[1] for message in mailoutbox) == [
        "hanako@example.org",
        "john@example.org",
        "taro@example.jp",
    ]
    for message in mailoutbox:
        parts = {part.get_content_type(): part for part in message.message().walk()}
        assert parts["text/calendar"].get_param("method") == "REQUEST"
        assert LINK_TOKEN_PLACEHOLDER not in message.body
    hanako = next(m for m in mailoutbox if "hanako@example.org" in m.to[0])
    assert "https://kizuna.example/j/" in hanako.body


def _reads_and_total(registrations: int) -> tuple[list[str], int]:
    """The queries one send makes besides outbox writes, and its total count."""
    seminar = _seminar()
    for n in range(registrations):
        RegistrationFactory(seminar=seminar, language="ja" if n % 2 else "en")
    SeminarSpeakerFactory(seminar=seminar, speaker=SpeakerFactory(email="s@example.jp"))
    _move(seminar, EDIT, HOUR)
    with CaptureQueriesContext(connection) as captured:
        assert _send(EDIT + DELAY) == 1
    # The registrants' read names the outbox too (who was told already): skip by statement.
    outbox = (
        'SELECT "notifications_outgoingemail"',
        'INSERT INTO "notifications_outgoingemail"',
        "SAVEPOINT",
        "RELEASE SAVEPOINT",
    )
    reads = [q["sql"] for q in captured if not q["sql"].startswith(outbox)]
    return reads, len(captured)


def test_queries_besides_outbox_writes_do_not_grow_with_registrants(enqueued):
    reads_for_1, total_for_1 = _reads_and_total(1)
    OutgoingEmail.objects.all().delete()
    reads_for_30, total_for_30 = _reads_and_total(30)

    assert len(reads_for_30) == len(reads_for_1)
    registration_reads = [sql for sql in reads_for_30 if 'FROM "webinars_registration"' in sql]
    speaker_reads = [sql for sql in reads_for_30 if 'FROM "webinars_seminarspeaker"' in sql]
    assert (len(registration_reads), len(speaker_reads)) == (1, 1)
    # Registrants' rows are lean and go in one bulk INSERT: an extra one costs no query.
    assert total_for_30 == total_for_1


def test_command_prints_a_one_line_summary(enqueued):
    seminar = _seminar()
    _audience(seminar)
    _move(seminar, EDIT, HOUR)
    reverted = _seminar(slug="reverted")
    _move(reverted, EDIT, HOUR)
    _move(reverted, EDIT + MINUTE, timedelta(0))
    out = StringIO()

    with time_machine.travel(EDIT + MINUTE + DELAY, tick=False):
        call_command("send_change_notices", stdout=out)

    assert out.getvalue() == ("Handled 2 seminar change notices (1 sent as 3 emails, 1 not sent)\n")


def test_task_sends_due_notices_and_records_its_run(enqueued):
    seminar = _seminar()
    _audience(seminar)
    _move(seminar, EDIT, HOUR)

    with time_machine.travel(EDIT + DELAY, tick=False):
        assert send_seminar_change_notices() == 1
        assert send_seminar_change_notices() == 0

    assert len(_changed_emails()) == 3
    run = PeriodicTaskRun.objects.get(name="send-seminar-change-notices")
    assert (run.last_started_at, run.last_finished_at) == (EDIT + DELAY, EDIT + DELAY)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_notice_locked_by_a_concurrent_pass_is_skipped_not_waited_for(enqueued):
    seminar = _seminar()
    RegistrationFactory(seminar=seminar, email="hanako@example.org")
    _move(seminar, EDIT, HOUR)
    locked, release = threading.Event(), threading.Event()

    def hold_the_notice() -> None:
        try:
            with transaction.atomic():
                SeminarChangeNotice.objects.select_for_update().get()
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_notice)
    holder.start()
    try:
        assert locked.wait(10)
        with time_machine.travel(EDIT + DELAY, tick=False):
            run = seminar_change_notices_run()
        # Skipped at once: neither handled nor waited for until the lock timeout failed it.
        assert (run.handled, run.errors) == (0, 0)
        assert SeminarChangeNotice.objects.get().sent_at is None
    finally:
        release.set()
        holder.join(10)

    assert _send(EDIT + DELAY) == 1
    assert list(OutgoingEmail.objects.values_list("to_email", flat=True)) == ["hanako@example.org"]


def test_a_failing_notice_does_not_block_the_others(monkeypatch, caplog):
    from notifications.services import seminar_changes

    broken = SeminarFactory(title="Broken")
    fine = SeminarFactory(title="Fine")
    RegistrationFactory(seminar=fine)
    for seminar in (broken, fine):
        seminar_update(
            seminar=seminar,
            starts_at=seminar.starts_at + timedelta(hours=1),
            ends_at=seminar.ends_at + timedelta(hours=1),
        )
    handle = seminar_changes._notice_handle

    def failing_for_broken(*, notice, now):
        if notice.seminar_id == broken.pk:
            raise ValueError("a template broke")
        return handle(notice=notice, now=now)

    monkeypatch.setattr(seminar_changes, "_notice_handle", failing_for_broken)
    later = timezone.now() + timedelta(hours=1)

    run = seminar_changes.seminar_change_notices_run(now=later)

    assert (run.sent, run.errors) == (1, 1)
    assert SeminarChangeNotice.objects.get(seminar=broken).sent_at is None
    assert SeminarChangeNotice.objects.get(seminar=fine).sent_at == later
    assert "failed and stay pending" in seminar_changes.seminar_change_notices_summary(run)
