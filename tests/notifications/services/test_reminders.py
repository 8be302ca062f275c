import re
import warnings
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from notifications.models import OutgoingEmail
from notifications.services import (
    JOIN_TOKEN_PLACEHOLDER,
    LINK_TOKEN_PLACEHOLDER,
    NotSent,
    emails_deliver,
    reminders_dispatch,
)
from notifications.services.outbox import emails_write
from notifications.services.reminders import (
    MISSED_AFTER_START,
    _missed_row,
    reminder_dedupe_key,
    starts_in_text,
)
from notifications.tasks import dispatch_reminders
from tests.factories import RegistrationFactory, SeminarFactory
from tests.utils import rendered_emails
from webinars.models import Registration, Seminar

pytestmark = pytest.mark.django_db


def _key(registration, offset: int) -> str:
    """The dedupe key of ``registration``'s reminder ``offset`` minutes before its seminar's
    start as it stands now."""
    seminar = type(registration.seminar).objects.get(pk=registration.seminar_id)
    return reminder_dedupe_key(
        registration_id=registration.pk, offset=offset, starts_at=seminar.starts_at
    )


# Friday 23 October 2026, 10:00 BST = 18:00 JST.
START = datetime(2026, 10, 23, 9, 0, tzinfo=UTC)
DAY_MOMENT = START - timedelta(days=1)
HOUR_MOMENT = START - timedelta(hours=1)
MINUTE = timedelta(minutes=1)


def _seminar(**kwargs) -> Seminar:
    defaults = {
        "title": "Tourism in Tottori",
        "starts_at": START,
        "ends_at": START + timedelta(hours=1),
        "sequence": 2,
        "meeting_url": "https://zoom.example/j/987654321",
        "meeting_passcode": "s3cret-pass",
    }
    with time_machine.travel(START - timedelta(days=30), tick=False):
        return SeminarFactory(**(defaults | kwargs))


def _register(seminar: Seminar, *, at: datetime, **kwargs) -> Registration:
    with time_machine.travel(at, tick=False):
        return RegistrationFactory(seminar=seminar, **kwargs)


def _scan(at: datetime, django_capture_on_commit_callbacks=None):
    with time_machine.travel(at, tick=False):
        if django_capture_on_commit_callbacks is None:
            return reminders_dispatch()
        with django_capture_on_commit_callbacks(execute=True):
            return reminders_dispatch()


def _sent_at(at: datetime, emails) -> list[OutgoingEmail]:
    """The reminders' messages as the worker renders them at ``at`` (the time left is
    reckoned then)."""
    with time_machine.travel(at, tick=False):
        return rendered_emails(emails)


def _event(calendar_body: str):
    (event,) = Calendar.from_ical(calendar_body).walk("VEVENT")
    return event


def _keys() -> list[tuple[str, str]]:
    return sorted(OutgoingEmail.objects.values_list("dedupe_key", "status"))


def _reminder_row(registration, key: str) -> OutgoingEmail:
    """A reminder row as written under ``key`` (by an earlier version, or by hand)."""
    return OutgoingEmail.objects.create(
        kind=OutgoingEmail.Kind.REMINDER,
        to_email=registration.email,
        registration=registration,
        seminar=registration.seminar,
        subject="Reminder",
        dedupe_key=key,
    )


def test_day_and_hour_reminders_are_each_written_once_across_repeated_scans(
    enqueued, django_capture_on_commit_callbacks
):
    seminar = _seminar()
    registration = _register(seminar, at=START - timedelta(days=5))
    capture = django_capture_on_commit_callbacks

    assert _scan(DAY_MOMENT - MINUTE, capture).queued == 0
    assert _scan(DAY_MOMENT, capture).queued == 1
    assert _scan(DAY_MOMENT + MINUTE, capture).queued == 0
    assert _scan(HOUR_MOMENT - MINUTE, capture).queued == 0
    assert _scan(HOUR_MOMENT + MINUTE, capture).queued == 1
    assert _scan(HOUR_MOMENT + 2 * MINUTE, capture).queued == 0

    day, hour = OutgoingEmail.objects.order_by("pk")
    assert day.dedupe_key == _key(registration, 1440)
    assert hour.dedupe_key == _key(registration, 60)
    assert (day.status, hour.status) == ("queued", "queued")
    # Each sent as soon as its scan queued it.
    (day,) = _sent_at(DAY_MOMENT, [day])
    (hour,) = _sent_at(HOUR_MOMENT + MINUTE, [hour])
    assert day.subject == "Reminder: Tourism in Tottori starts in 1 day"
    assert hour.subject == "Reminder: Tourism in Tottori starts in 1 hour"
    assert enqueued == [(day.pk, None), (hour.pk, None)]


def test_registering_three_hours_before_gets_only_the_hour_reminder():
    seminar = _seminar()
    registration = _register(seminar, at=START - timedelta(hours=3))

    just_after_registering = _scan(START - timedelta(hours=3) + MINUTE)
    at_hour_moment = _scan(HOUR_MOMENT)

    assert (just_after_registering.queued, just_after_registering.skipped_registered_late) == (
        0,
        1,
    )
    assert (at_hour_moment.queued, at_hour_moment.skipped_registered_late) == (1, 1)
    assert _keys() == [(_key(registration, 60), "queued")]


def test_promotion_from_the_waitlist_counts_as_taking_the_place():
    seminar = _seminar()
    registration = _register(
        seminar, at=START - timedelta(days=5), promoted_at=START - timedelta(hours=3)
    )

    scan = _scan(HOUR_MOMENT)

    assert (scan.queued, scan.skipped_registered_late) == (1, 1)
    assert _keys() == [(_key(registration, 60), "queued")]


def test_waitlisted_cancelled_registrations_and_cancelled_seminars_get_none():
    seminar = _seminar()
    _register(seminar, at=START - timedelta(days=5), status=Registration.Status.WAITLISTED)
    _register(seminar, at=START - timedelta(days=5), status=Registration.Status.CANCELLED)
    cancelled = _seminar(status=Seminar.Status.CANCELLED)
    _register(cancelled, at=START - timedelta(days=5))
    draft = _seminar(status=Seminar.Status.DRAFT, published_at=None)
    _register(draft, at=START - timedelta(days=5))

    scans = [_scan(DAY_MOMENT), _scan(HOUR_MOMENT), _scan(START + MINUTE)]

    assert [(s.queued, s.skipped_registered_late, s.missed) for s in scans] == [(0, 0, 0)] * 3
    assert OutgoingEmail.objects.count() == 0


def test_a_late_scan_still_sends_a_reminder_before_the_start_and_names_the_time_left():
    seminar = _seminar(reminder_offsets_minutes=[1440])
    registration = _register(seminar, at=START - timedelta(days=5))

    scan = _scan(START - timedelta(minutes=30))

    assert (scan.queued, scan.missed) == (1, 0)
    (email,) = _sent_at(START - timedelta(minutes=30), OutgoingEmail.objects.all())
    assert email.dedupe_key == _key(registration, 1440)
    assert email.status == "queued"
    assert email.subject == "Reminder: Tourism in Tottori starts in 30 minutes"


def test_a_late_scan_with_two_due_offsets_sends_only_the_nearest(enqueued):
    seminar = _seminar()
    registration = _register(seminar, at=START - timedelta(days=5))

    scan = _scan(START - timedelta(minutes=30))

    assert (scan.queued, scan.missed) == (1, 1)
    day = OutgoingEmail.objects.get(dedupe_key=_key(registration, 1440))
    hour = OutgoingEmail.objects.get(dedupe_key=_key(registration, 60))
    assert (day.status, day.last_error) == (
        "cancelled",
        "missed: superseded by the 60-minute reminder due in the same scan",
    )
    assert hour.status == "queued"
    (hour,) = _sent_at(START - timedelta(minutes=30), [hour])
    assert hour.subject == "Reminder: Tourism in Tottori starts in 30 minutes"


def test_a_scan_after_the_start_records_missed_reminders_that_are_never_sent(
    enqueued, django_capture_on_commit_callbacks
):
    seminar = _seminar()
    registration = _register(seminar, at=START - timedelta(days=5))

    scan = _scan(START + MINUTE, django_capture_on_commit_callbacks)
    again = _scan(START + 2 * MINUTE, django_capture_on_commit_callbacks)

    assert (scan.queued, scan.missed) == (0, 2)
    assert (again.queued, again.missed) == (0, 0)
    assert _keys() == [
        (_key(registration, 1440), "cancelled"),
        (_key(registration, 60), "cancelled"),
    ]
    assert set(OutgoingEmail.objects.values_list("last_error", flat=True)) == {MISSED_AFTER_START}
    assert enqueued == []


def test_a_seminar_moved_later_carries_its_reminders_with_it():
    seminar = _seminar()
    registration = _register(seminar, at=START - timedelta(days=5))
    moved_start = START + timedelta(days=2)
    Seminar.objects.filter(pk=seminar.pk).update(
        starts_at=moved_start, ends_at=moved_start + timedelta(hours=1)
    )

    at_old_day_moment = _scan(DAY_MOMENT + MINUTE)
    at_old_hour_moment = _scan(HOUR_MOMENT + MINUTE)
    at_new_day_moment = _scan(moved_start - timedelta(days=1))

    assert (at_old_day_moment.queued, at_old_hour_moment.queued) == (0, 0)
    assert at_new_day_moment.queued == 1
    (email,) = _sent_at(moved_start - timedelta(days=1), OutgoingEmail.objects.all())
    assert email.dedupe_key == _key(registration, 1440)
    assert "UK time: Sunday 25 October 2026, 09:00–10:00 GMT (London)" in email.body_text


def _move(seminar: Seminar, starts_at: datetime) -> None:
    Seminar.objects.filter(pk=seminar.pk).update(
        starts_at=starts_at, ends_at=starts_at + timedelta(hours=1)
    )


def test_a_seminar_moved_days_later_after_its_reminders_reminds_again_once_per_offset():
    seminar = _seminar()
    registration = _register(seminar, at=START - timedelta(days=5))
    _scan(DAY_MOMENT + MINUTE)
    _scan(HOUR_MOMENT + MINUTE)
    new_start = START + timedelta(days=7)
    _move(seminar, new_start)

    for moment in (new_start - timedelta(days=1), new_start - timedelta(hours=1)):
        assert _scan(moment + MINUTE).queued == 1
        assert _scan(moment + 2 * MINUTE).queued == 0

    assert sorted(OutgoingEmail.objects.values_list("dedupe_key", flat=True)) == sorted(
        [
            reminder_dedupe_key(registration_id=registration.pk, offset=offset, starts_at=start)
            for start in (START, new_start)
            for offset in (1440, 60)
        ]
    )


def test_a_seminar_moved_half_an_hour_after_its_day_reminder_sends_no_second_one():
    seminar = _seminar()
    _register(seminar, at=START - timedelta(days=5))
    assert _scan(DAY_MOMENT + MINUTE).queued == 1
    _move(seminar, START + timedelta(minutes=30))

    # The day reminder still reads right ("tomorrow"): only the hour one is new.
    assert _scan(DAY_MOMENT + timedelta(hours=2)).queued == 0
    assert _scan(HOUR_MOMENT + timedelta(minutes=31)).queued == 1
    assert OutgoingEmail.objects.count() == 2


def test_a_reminder_written_before_keys_held_the_start_still_counts():
    seminar = _seminar()
    registration = _register(seminar, at=START - timedelta(days=5))
    # A row as an earlier version wrote it, at the day reminder's moment.
    with time_machine.travel(DAY_MOMENT + MINUTE, tick=False):
        OutgoingEmail.objects.create(
            kind=OutgoingEmail.Kind.REMINDER,
            to_email=registration.email,
            registration=registration,
            seminar=seminar,
            subject="Reminder",
            body_text="",
            dedupe_key=f"reminder:{registration.pk}:1440",
        )

    assert _scan(DAY_MOMENT + 2 * MINUTE).queued == 0


def test_a_seminar_moved_earlier_sends_a_reminder_whose_moment_has_now_passed():
    seminar = _seminar()
    registration = _register(seminar, at=START - timedelta(days=5))
    earlier = START - timedelta(hours=12)
    Seminar.objects.filter(pk=seminar.pk).update(
        starts_at=earlier, ends_at=earlier + timedelta(hours=1)
    )

    scan = _scan(earlier - timedelta(hours=2))

    assert (scan.queued, scan.missed) == (1, 0)
    assert _keys() == [(_key(registration, 1440), "queued")]


def test_per_seminar_offsets_override_the_series_defaults():
    seminar = _seminar(reminder_offsets_minutes=[180])
    registration = _register(seminar, at=START - timedelta(days=5))

    before = _scan(START - timedelta(minutes=181))
    at_moment = _scan(START - timedelta(minutes=180))
    at_hour = _scan(HOUR_MOMENT)

    assert (before.queued, at_moment.queued, at_hour.queued) == (0, 1, 0)
    (email,) = _sent_at(START - timedelta(minutes=180), OutgoingEmail.objects.all())
    assert email.dedupe_key == _key(registration, 180)
    assert email.subject == "Reminder: Tourism in Tottori starts in 3 hours"


def test_series_offsets_apply_when_the_seminar_has_none():
    seminar = _seminar()
    seminar.series.reminder_offsets_minutes = [30]
    seminar.series.save()
    registration = _register(seminar, at=START - timedelta(days=5))

    scans = [_scan(HOUR_MOMENT), _scan(START - timedelta(minutes=30))]

    assert [scan.queued for scan in scans] == [0, 1]
    assert _keys() == [(_key(registration, 30), "queued")]


def test_two_scans_in_a_row_write_one_row_per_registration_and_offset():
    seminar = _seminar()
    first = _register(seminar, at=START - timedelta(days=5))
    second = _register(seminar, at=START - timedelta(days=4))

    scans = [_scan(HOUR_MOMENT + MINUTE), _scan(HOUR_MOMENT + MINUTE)]

    assert [(s.queued, s.missed) for s in scans] == [(2, 2), (0, 0)]
    assert _keys() == [
        (_key(first, 1440), "cancelled"),
        (_key(first, 60), "queued"),
        (_key(second, 1440), "cancelled"),
        (_key(second, 60), "queued"),
    ]


def test_rows_another_scan_wrote_first_are_kept_once_and_the_rest_written():
    seminar = _seminar()
    first = _register(seminar, at=START - timedelta(days=5))
    second = _register(seminar, at=START - timedelta(days=5))
    first.seminar = second.seminar = seminar
    emails_write([_missed_row(first, 60, "written by the other scan")])

    written = emails_write([_missed_row(first, 60, "mine"), _missed_row(second, 60, "mine")])

    assert [row.dedupe_key for row in written] == [_key(second, 60)]
    assert sorted(OutgoingEmail.objects.values_list("dedupe_key", "last_error")) == [
        (_key(first, 60), "written by the other scan"),
        (_key(second, 60), "mine"),
    ]


def test_reminder_email_has_times_links_and_a_current_invite_without_the_meeting_url():
    seminar = _seminar(sequence=4)
    _register(
        seminar,
        at=START - timedelta(days=5),
        name="Hanako Yamada",
        email="hanako@example.org",
        time_zone="America/New_York",
    )

    _scan(HOUR_MOMENT)

    (email,) = _sent_at(HOUR_MOMENT, OutgoingEmail.objects.filter(status="queued"))
    assert email.kind == OutgoingEmail.Kind.REMINDER
    assert (email.to_email, email.to_name) == ("hanako@example.org", "Hanako Yamada")
    assert email.headers == {}
    text = email.body_text
    assert "Dear Hanako Yamada," in text
    assert 'A reminder: "Tourism in Tottori" starts in 1 hour.' in text
    assert [line for line in text.splitlines() if " time: " in line] == [
        "UK time: Friday 23 October 2026, 10:00–11:00 BST (London)",
        "Japan time: Friday 23 October 2026, 18:00–19:00 JST (Tokyo)",
        "Your time: Friday 23 October 2026, 05:00–06:00 EDT (New York)",
    ]
    assert f"https://kizuna.example/j/{JOIN_TOKEN_PLACEHOLDER}/" in text
    assert f"https://kizuna.example/r/{LINK_TOKEN_PLACEHOLDER}/" in text
    assert f"https://kizuna.example/j/{JOIN_TOKEN_PLACEHOLDER}/" in email.body_html
    for body in (email.body_text, email.body_html, email.calendar_body):
        assert "zoom.example" not in body
        assert "s3cret-pass" not in body
    assert email.calendar_method == "REQUEST"
    calendar = Calendar.from_ical(email.calendar_body)
    (event,) = calendar.walk("VEVENT")
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == seminar.calendar_uid
    assert int(event["SEQUENCE"]) == 4
    assert event.decoded("DTSTART") == START
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ATTENDEE"]) == "mailto:hanako@example.org"


def test_reminder_email_in_the_registrants_language():
    seminar = _seminar()
    _register(seminar, at=START - timedelta(days=5), language="ja")

    _scan(HOUR_MOMENT)

    (email,) = _sent_at(HOUR_MOMENT, OutgoingEmail.objects.filter(status="queued"))
    assert email.language == "ja"
    assert "英国時間: 2026年10月23日(金) 10:00–11:00 BST（ロンドン）" in email.body_text
    assert email.calendar_method == "REQUEST"


def test_the_scan_makes_as_many_queries_for_twenty_registrations_as_for_one(
    django_assert_max_num_queries,
):
    one = _seminar()
    _register(one, at=START - timedelta(days=5))
    twenty_start = START + timedelta(days=3)
    twenty = _seminar(starts_at=twenty_start, ends_at=twenty_start + timedelta(hours=1))
    for _ in range(20):
        _register(twenty, at=START - timedelta(days=5))

    with CaptureQueriesContext(connection) as for_one:
        assert _scan(HOUR_MOMENT).queued == 1
    with django_assert_max_num_queries(len(for_one.captured_queries)):
        assert _scan(twenty_start - timedelta(hours=1)).queued == 20
    assert OutgoingEmail.objects.filter(seminar=twenty).count() == 40


def test_command_prints_the_counts(capsys):
    seminar = _seminar()
    _register(seminar, at=START - timedelta(days=5))
    _register(seminar, at=START - timedelta(hours=3))

    with time_machine.travel(HOUR_MOMENT + MINUTE, tick=False):
        call_command("dispatch_reminders")

    assert capsys.readouterr().out == (
        "Queued 2 reminders (1 skipped: registered after the moment; 1 missed)\n"
    )


def test_task_runs_one_scan_and_reports_its_counts():
    from tests.factories import SeminarSpeakerFactory

    seminar = _seminar()
    _register(seminar, at=START - timedelta(days=5))
    SeminarSpeakerFactory(seminar=seminar, speaker__email="speaker@example.org")

    with time_machine.travel(DAY_MOMENT, tick=False):
        first = dispatch_reminders()
        second = dispatch_reminders()

    # The speakers' reminder the day before comes from the same scan, once.
    assert first == {"queued": 1, "skipped_registered_late": 0, "missed": 0, "speakers": 1}
    assert second == {"queued": 0, "skipped_registered_late": 0, "missed": 0, "speakers": 0}


def test_cancelling_the_seminar_withdraws_reminders_queued_but_not_yet_sent(enqueued):
    from webinars.services import seminar_cancel

    seminar = _seminar()
    _register(seminar, at=START - timedelta(days=5))
    _scan(DAY_MOMENT)
    reminder = OutgoingEmail.objects.get(kind=OutgoingEmail.Kind.REMINDER)
    assert reminder.status == OutgoingEmail.Status.QUEUED

    with time_machine.travel(DAY_MOMENT + MINUTE, tick=False):
        seminar_cancel(seminar=seminar, message="Typhoon warning.")

    reminder.refresh_from_db()
    assert (reminder.status, reminder.last_error) == ("cancelled", "the seminar was cancelled")
    assert _scan(HOUR_MOMENT + MINUTE).queued == 0


def test_a_scans_reminders_go_in_one_batch_that_builds_each_invite_once_per_language(
    enqueued, django_capture_on_commit_callbacks, monkeypatch
):
    from notifications import invites

    built = []
    build_invite = invites.build_invite

    def counting_build_invite(**kwargs):
        built.append(kwargs["seminar"].pk)
        return build_invite(**kwargs)

    monkeypatch.setattr(invites, "build_invite", counting_build_invite)
    seminar = _seminar()
    people = [
        _register(seminar, at=START - timedelta(days=5), email=f"p{n}@example.org", name=f"P {n}")
        for n in range(4)
    ]
    _register(seminar, at=START - timedelta(days=5), email="ja@example.org", language="ja")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert _scan(HOUR_MOMENT).queued == 5

    # The scan writes lean rows: the worker sending the batch builds the invites.
    assert built == []
    emails = list(OutgoingEmail.objects.filter(status="queued").order_by("pk"))
    assert len(callbacks) == 1
    assert enqueued == [(email.pk, None) for email in emails]

    with time_machine.travel(HOUR_MOMENT, tick=False):
        assert emails_deliver(email_ids=[email.pk for email in emails]).delivered == 5

    assert built == [seminar.pk, seminar.pk]  # English and Japanese
    for email in emails:
        email.refresh_from_db()
    attendees = [_event(email.calendar_body)["ATTENDEE"] for email in emails]
    assert attendees == [f"mailto:{person.email}" for person in people] + ["mailto:ja@example.org"]


# --- What mutation testing found untested (make mutate) ----------------------------------


def test_one_scan_serves_several_seminars_whatever_the_first_place_needs():
    first = _seminar(title="First")
    second = _seminar(title="Second", slug="second")
    # The first place in the scan's order has nothing due (taken after the moment)...
    late = _register(first, at=DAY_MOMENT + MINUTE)
    # ...which must not stop the scan before the places after it.
    on_time = _register(second, at=START - timedelta(days=5))
    assert late.pk < on_time.pk
    scan = _scan(DAY_MOMENT + 2 * MINUTE)
    assert (scan.queued, scan.skipped_registered_late) == (1, 1)
    assert _keys() == [(_key(on_time, 1440), "queued")]


def test_a_seminar_with_reminders_turned_off_neither_reminds_nor_stops_the_scan():
    silent = _seminar(title="Silent", reminder_offsets_minutes=[])
    reminded = _seminar(title="Reminded", slug="reminded")
    _register(silent, at=START - timedelta(days=5))
    registration = _register(reminded, at=START - timedelta(days=5))
    assert _scan(HOUR_MOMENT + MINUTE).queued == 1
    # The day reminder is superseded by the hour one (a scan that ran late); nothing of
    # the silent seminar.
    assert _keys() == [
        (_key(registration, 1440), "cancelled"),
        (_key(registration, 60), "queued"),
    ]


def test_a_seminar_already_over_gets_no_rows_at_all():
    _register(_seminar(), at=START - timedelta(days=5))
    assert _scan(START + timedelta(hours=1)) == _scan(START + timedelta(hours=2))
    assert not OutgoingEmail.objects.exists()


def test_each_reminder_row_carries_its_registration_and_seminar():
    seminar = _seminar()
    registration = _register(seminar, at=START - timedelta(days=5))
    _scan(DAY_MOMENT)
    (row,) = OutgoingEmail.objects.all()
    assert (row.registration_id, row.seminar_id) == (registration.pk, seminar.pk)
    assert row.snapshot == {"offset": 1440}
    assert row.calendar_sequence == 2


def test_a_repeated_scan_reads_no_more_than_the_first():
    seminar = _seminar()
    for day in range(5):
        _register(seminar, at=START - timedelta(days=5 + day))
    with CaptureQueriesContext(connection) as first:
        _scan(DAY_MOMENT)
    with CaptureQueriesContext(connection) as second:
        assert _scan(DAY_MOMENT + MINUTE).queued == 0
    assert len(second) <= len(first)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (1, "in 1 minute"),
        (45, "in 45 minutes"),
        (60, "in 1 hour"),
        (90, "in 90 minutes"),
        (120, "in 2 hours"),
        (180, "in 3 hours"),
        (179, "in 179 minutes"),
        (181, "in 3 hours"),
        (239, "in 3 hours"),
        (240, "in 4 hours"),
        (1440, "in 1 day"),
        (2880, "in 2 days"),
        (1500, "in 25 hours"),
    ],
)
def test_the_time_left_in_words_at_every_boundary(minutes, text):
    assert starts_in_text(minutes) == text


@pytest.mark.parametrize(("moved_hours", "second_day_reminder"), [(11, False), (12, True)])
def test_a_move_of_half_the_offset_or_more_reminds_again(moved_hours, second_day_reminder):
    seminar = _seminar(reminder_offsets_minutes=[1440])
    _register(seminar, at=START - timedelta(days=5))
    assert _scan(DAY_MOMENT).queued == 1
    moved = START + timedelta(hours=moved_hours)
    _move(seminar, moved)
    assert _scan(moved - timedelta(days=1)).queued == int(second_day_reminder)


def test_a_place_taken_exactly_at_the_moment_is_reminded():
    seminar = _seminar(reminder_offsets_minutes=[60])
    registration = _register(seminar, at=HOUR_MOMENT)
    assert _scan(HOUR_MOMENT).queued == 1
    assert _keys() == [(_key(registration, 60), "queued")]


def test_a_scan_at_the_very_start_records_the_reminder_as_missed():
    seminar = _seminar(reminder_offsets_minutes=[60])
    _register(seminar, at=START - timedelta(days=5))
    scan = _scan(START)
    assert (scan.queued, scan.missed) == (0, 1)
    (row,) = OutgoingEmail.objects.all()
    assert (row.status, row.last_error, row.rendered) == ("cancelled", MISSED_AFTER_START, True)
    assert row.subject == "Reminder: Tourism in Tottori"


def test_every_late_registrant_is_counted():
    seminar = _seminar(reminder_offsets_minutes=[1440])
    for minutes in (1, 2):
        _register(seminar, at=DAY_MOMENT + minutes * MINUTE)
    assert _scan(DAY_MOMENT + 3 * MINUTE).skipped_registered_late == 2


def test_a_malformed_key_is_logged_and_the_keys_after_it_still_count(caplog):
    seminar = _seminar()
    registration = _register(seminar, at=START - timedelta(days=5))
    # Whether read in the order written or in key order, a malformed key comes first.
    for key in ("reminder:0x:1440", _key(registration, 1440), "reminder:zz:1440"):
        _reminder_row(registration, key)
    assert _scan(DAY_MOMENT + MINUTE).queued == 0
    logged = [r for r in caplog.records if r.name == "notifications.services.reminders"]
    assert sorted(record.getMessage() for record in logged) == [
        "Ignoring the malformed reminder key 'reminder:0x:1440'.",
        "Ignoring the malformed reminder key 'reminder:zz:1440'.",
    ]


def _queued_day_reminder():
    seminar = _seminar()
    registration = _register(seminar, at=START - timedelta(days=5))
    _scan(DAY_MOMENT)
    return seminar, registration, OutgoingEmail.objects.get()


def test_a_reminder_for_a_place_cancelled_since_is_not_sent_and_says_why():
    _, registration, row = _queued_day_reminder()
    Registration.objects.filter(pk=registration.pk).update(status="cancelled")
    with pytest.raises(NotSent, match=r"^not sent: the place was cancelled before the reminder"):
        _sent_at(DAY_MOMENT + MINUTE, [row])


def test_a_reminder_for_a_seminar_unpublished_since_is_not_sent_and_says_why():
    seminar, _registration, row = _queued_day_reminder()
    Seminar.objects.filter(pk=seminar.pk).update(status="draft")
    with pytest.raises(NotSent, match=r"^not sent: the seminar is no longer published$"):
        _sent_at(DAY_MOMENT + MINUTE, [row])


def test_a_reminder_rendered_at_the_very_start_is_not_sent():
    *_, row = _queued_day_reminder()
    with pytest.raises(NotSent, match=f"^{re.escape(MISSED_AFTER_START)}$"):
        _sent_at(START, [row])


def test_a_reminder_five_minutes_late_still_names_its_offset_and_later_the_time_left():
    *_, row = _queued_day_reminder()
    (on_time,) = _sent_at(DAY_MOMENT + timedelta(minutes=5), [row])
    assert on_time.subject == "Reminder: Tourism in Tottori starts in 1 day"
    # Rendered afresh from the stored (lean) row, as a retry would be.
    (late,) = _sent_at(DAY_MOMENT + timedelta(minutes=6), [OutgoingEmail.objects.get(pk=row.pk)])
    assert late.subject == "Reminder: Tourism in Tottori starts in 23 hours"


def test_a_reminder_in_the_last_minute_says_one_minute():
    seminar = _seminar(reminder_offsets_minutes=[60])
    _register(seminar, at=START - timedelta(days=5))
    _scan(HOUR_MOMENT)
    (row,) = _sent_at(START - timedelta(seconds=30), [OutgoingEmail.objects.get()])
    assert row.subject == "Reminder: Tourism in Tottori starts in 1 minute"


def test_a_scan_after_the_start_records_every_places_miss():
    seminar = _seminar(reminder_offsets_minutes=[60])
    for n in range(3):
        _register(seminar, at=START - timedelta(days=5), email=f"p{n}@example.org")

    scan = _scan(START + MINUTE)

    assert (scan.queued, scan.missed) == (0, 3)
    assert sorted(OutgoingEmail.objects.values_list("to_email", "last_error")) == [
        (f"p{n}@example.org", MISSED_AFTER_START) for n in range(3)
    ]


def test_a_scan_over_three_seminars_makes_as_many_queries_as_over_one(
    django_assert_num_queries,
):
    _register(_seminar(), at=START - timedelta(days=5))
    with CaptureQueriesContext(connection) as for_one:
        assert _scan(HOUR_MOMENT).queued == 1
    later = START + timedelta(days=3)
    for n in range(3):
        seminar = _seminar(
            title=f"Seminar {n}", starts_at=later, ends_at=later + timedelta(hours=1)
        )
        _register(seminar, at=START - timedelta(days=5))

    # The seminars' series (their default offsets) come with them: no query per seminar.
    with django_assert_num_queries(len(for_one.captured_queries)):
        assert _scan(later - timedelta(hours=1)).queued == 3


def test_reminders_of_two_seminars_in_two_languages_sent_together_each_read_their_own():
    tottori = _seminar()
    oita = _seminar(title="Onsen in Oita")
    _register(tottori, at=START - timedelta(days=5), email="en@example.org")
    _register(tottori, at=START - timedelta(days=5), email="ja@example.org", language="ja")
    _register(oita, at=START - timedelta(days=5), email="oita@example.org")
    _scan(HOUR_MOMENT)

    queued = list(OutgoingEmail.objects.filter(status="queued").order_by("pk"))
    # Sent in one batch, as the worker sends a scan's rows: rendered once per seminar,
    # language, zone and time left, never one seminar's text for another's reader.
    with time_machine.travel(HOUR_MOMENT, tick=False):
        assert emails_deliver(email_ids=[email.pk for email in queued]).delivered == 3
    sent = [OutgoingEmail.objects.get(pk=email.pk) for email in queued]

    assert [(email.to_email, email.subject) for email in sent] == [
        ("en@example.org", "Reminder: Tourism in Tottori starts in 1 hour"),
        ("ja@example.org", "リマインダー：Tourism in Tottoriは1時間後に開始します"),
        ("oita@example.org", "Reminder: Onsen in Oita starts in 1 hour"),
    ]
    for email in sent:
        # The invite's place is the registrant's own join link, as in every invite.
        assert str(_event(email.calendar_body)["LOCATION"]) == (
            f"https://kizuna.example/j/{JOIN_TOKEN_PLACEHOLDER}/"
        )
    assert "This email carries the seminar's current calendar invite (invite.ics)" in (
        sent[0].body_html
    )


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(59, "in 59 minutes"), (181, "in 3 hours"), (239, "in 3 hours"), (2880, "in 2 days")],
)
def test_the_time_left_is_counted_in_whole_numbers(minutes, text):
    # gettext's plural forms take whole numbers: a float is deprecated there.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert starts_in_text(minutes) == text


def test_a_scan_reads_only_the_keys_of_the_seminars_it_serves(caplog):
    due = _seminar()
    _register(due, at=START - timedelta(days=5))
    later = START + timedelta(days=30)
    elsewhere = _seminar(title="Later", starts_at=later, ends_at=later + timedelta(hours=1))
    registration = _register(elsewhere, at=START - timedelta(days=5))
    _reminder_row(registration, "reminder:0x:1440")

    assert _scan(DAY_MOMENT).queued == 1
    assert [r for r in caplog.records if r.name == "notifications.services.reminders"] == []
