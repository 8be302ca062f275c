"""'Seminar changed' notices at their exact edges.

Written for what mutation testing (``make mutate MODULE=change-notices``) showed no test
would notice: another seminar's reminders, notices due in turn and re-checked under the
lock, exact counts and log lines, who counts as told already, the order of rows and
speakers, each email read with its own change, and the wording of what was.
"""

import logging
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import OutgoingEmail, SeminarChangeNotice
from notifications.services import NotSent, emails_deliver
from notifications.services import seminar_changes as changes
from notifications.services.seminar_changes import (
    NOT_SENT_CANCELLED,
    NOT_SENT_NO_CHANGE,
    NOT_SENT_OVER,
    seminar_change_compare,
    seminar_change_notices_run,
    seminar_change_notices_send,
    seminar_change_notices_summary,
)
from tests.factories import (
    OutgoingEmailFactory,
    RegistrationFactory,
    SeminarSpeakerFactory,
    SpeakerFactory,
)
from tests.notifications.services.test_seminar_changes import (
    DELAY,
    EDIT,
    HOUR,
    START,
    _edit,
    _event,
    _move,
    _reminder,
    _seminar,
    _send,
)
from tests.utils import rendered_emails
from webinars.models import Seminar

pytestmark = pytest.mark.django_db

Kind = OutgoingEmail.Kind
Status = OutgoingEmail.Status


@pytest.fixture(autouse=True)
def _notice_window(settings):
    settings.SEMINAR_CHANGE_NOTICE_DELAY_SECONDS = 180
    settings.SEMINAR_CHANGE_NOTICE_MAX_DELAY_SECONDS = 900


def _registrant(seminar: Seminar, email: str, **kwargs):
    with time_machine.travel(START - timedelta(days=20), tick=False):
        return RegistrationFactory(seminar=seminar, email=email, **kwargs)


def _changed_rows() -> list[OutgoingEmail]:
    return list(OutgoingEmail.objects.filter(kind=Kind.SEMINAR_CHANGED).order_by("pk"))


# --- Recording and comparing -----------------------------------------------------------


def test_moving_one_seminar_keeps_another_seminars_queued_reminders():
    moved, other = _seminar(), _seminar(title="Onsen in Oita")
    with time_machine.travel(START - timedelta(days=20), tick=False):
        _reminder(moved, email="moved@example.org", status=Status.QUEUED)
        kept = _reminder(other, email="kept@example.org", status=Status.QUEUED)

    _move(moved, EDIT, by=HOUR)

    assert list(OutgoingEmail.objects.filter(kind=Kind.REMINDER)) == [kept]


def test_a_field_the_stored_before_lacks_counts_as_unchanged():
    seminar = _seminar(venue="Japan House London")
    before = {"starts_at": seminar.starts_at.isoformat()}  # written before venue was kept

    assert seminar_change_compare(seminar=seminar, before=before).changed == frozenset()


# --- Running the due notices ----------------------------------------------------------


def test_sending_at_a_given_moment_handles_what_is_due_then():
    seminar = _seminar()
    _registrant(seminar, "hanako@example.org")
    _move(seminar, EDIT, by=HOUR)

    # No clock travel: the moment passed is the one that counts.
    assert seminar_change_notices_send(now=EDIT + DELAY - timedelta(seconds=1)) == 0
    assert seminar_change_notices_send(now=EDIT + DELAY) == 1


def test_notices_are_handled_in_the_order_they_fell_due():
    first, second = _seminar(title="First"), _seminar(title="Second")
    _registrant(first, "first@example.org")
    _registrant(second, "second@example.org")
    _move(first, EDIT, by=HOUR)
    _move(second, EDIT - timedelta(minutes=1), by=HOUR)  # opened later, due earlier
    assert SeminarChangeNotice.objects.get(seminar=first).pk < (
        SeminarChangeNotice.objects.get(seminar=second).pk
    )

    _send(EDIT + DELAY)

    assert [row.to_email for row in _changed_rows()] == ["second@example.org", "first@example.org"]


def test_a_notice_is_checked_again_under_its_lock_and_the_next_ones_still_go(monkeypatch):
    stale, fine = _seminar(title="Stale"), _seminar(title="Fine")
    _registrant(fine, "fine@example.org")
    _move(stale, EDIT - timedelta(minutes=1), by=HOUR)
    _move(fine, EDIT, by=HOUR)
    stale_notice = SeminarChangeNotice.objects.get(seminar=stale)
    timeouts = []

    def extended_meanwhile(timeout):
        # Between listing the due notices and locking the first, an edit pushed it back.
        timeouts.append(timeout)
        SeminarChangeNotice.objects.filter(pk=stale_notice.pk).update(due_at=EDIT + 2 * DELAY)

    monkeypatch.setattr(changes, "lock_timeout_set", extended_meanwhile)

    with time_machine.travel(EDIT + DELAY, tick=False):
        run = seminar_change_notices_run()

    assert (run.sent, run.not_sent, run.errors) == (1, 0, 0)
    stale_notice.refresh_from_db()
    assert stale_notice.sent_at is None
    assert [row.to_email for row in _changed_rows()] == ["fine@example.org"]
    # Each notice's wait for a lock is bounded by the configured timeout.
    assert timeouts == [changes.settings.LOCK_TIMEOUT] * 2


def test_a_notice_sent_meanwhile_is_not_sent_again(monkeypatch):
    seminar = _seminar()
    _registrant(seminar, "hanako@example.org")
    _move(seminar, EDIT, by=HOUR)

    def sent_by_another_pass(_timeout):
        SeminarChangeNotice.objects.update(sent_at=EDIT + DELAY)

    monkeypatch.setattr(changes, "lock_timeout_set", sent_by_another_pass)

    with time_machine.travel(EDIT + DELAY, tick=False):
        assert seminar_change_notices_run().handled == 0
    assert _changed_rows() == []


def test_counts_and_log_lines_of_a_pass_with_failures_and_notices_not_sent(monkeypatch, caplog):
    broken = [_seminar(title=f"Broken {n}") for n in range(2)]
    undone = [_seminar(title=f"Undone {n}") for n in range(2)]
    for seminar in broken:
        _move(seminar, EDIT, by=HOUR)
    for seminar in undone:
        _move(seminar, EDIT, by=HOUR)
        _move(seminar, EDIT + timedelta(seconds=1), by=timedelta(0))
    handle = changes._notice_handle

    def failing_for_broken(*, notice, now):
        if notice.seminar in broken:
            raise ValueError("a template broke")
        return handle(notice=notice, now=now)

    monkeypatch.setattr(changes, "_notice_handle", failing_for_broken)
    caplog.set_level(logging.INFO, logger=changes.__name__)

    with time_machine.travel(EDIT + 2 * DELAY, tick=False):
        run = seminar_change_notices_run()

    assert (run.sent, run.not_sent, run.emails, run.errors) == (0, 2, 0, 2)
    notices = {n.seminar_id: n.pk for n in SeminarChangeNotice.objects.all()}
    logged = [r for r in caplog.records if r.name == changes.__name__]
    assert [(r.levelname, r.getMessage()) for r in logged] == [
        ("ERROR", f"Seminar change notice {notices[broken[0].pk]} could not be sent."),
        ("ERROR", f"Seminar change notice {notices[broken[1].pk]} could not be sent."),
        (
            "INFO",
            f"Seminar change notice {notices[undone[0].pk]} for seminar {undone[0].pk}: "
            f"{NOT_SENT_NO_CHANGE}",
        ),
        (
            "INFO",
            f"Seminar change notice {notices[undone[1].pk]} for seminar {undone[1].pk}: "
            f"{NOT_SENT_NO_CHANGE}",
        ),
    ]
    assert seminar_change_notices_summary(run) == (
        "Handled 2 seminar change notices (0 sent as 0 emails, 2 not sent); "
        "2 failed and stay pending (see the log)"
    )


def test_a_seminar_ending_at_the_moment_of_the_notice_is_over():
    seminar = _seminar()
    _registrant(seminar, "hanako@example.org")
    _edit(seminar, EDIT, ends_at=START + 2 * HOUR)

    with time_machine.travel(START + 2 * HOUR, tick=False):
        seminar_change_notices_run()

    assert SeminarChangeNotice.objects.get().outcome == NOT_SENT_OVER
    assert _changed_rows() == []


def test_handling_a_notice_reads_speakers_once_and_one_key_per_speaker_email():
    def reads(speakers: int, offset: timedelta) -> int:
        seminar = _seminar(title=f"With {speakers}")
        _registrant(seminar, f"r{speakers}@example.org")
        for n in range(speakers):
            SeminarSpeakerFactory(
                seminar=seminar, speaker=SpeakerFactory(email=f"s{speakers}-{n}@example.jp")
            )
        _move(seminar, EDIT + offset, by=HOUR)
        with CaptureQueriesContext(connection) as queries:
            _send(EDIT + offset + DELAY)
        return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]

    one, three = reads(1, timedelta(0)), reads(3, timedelta(hours=1))
    # The due notices, the locked notice, the seminar with its series, its speakers, its
    # places, then each speaker's email queued on its own (a read of its dedupe key); on
    # PostgreSQL the lock timeout is set with a SELECT too.
    assert len(one) == 6 + (connection.vendor == "postgresql")
    assert len(three) - len(one) == 2


# --- Who is told, in what order ---------------------------------------------------------


def test_only_an_unrendered_confirmation_still_on_its_way_counts_as_telling_the_change():
    seminar = _seminar()
    rendered_old = _registrant(seminar, "rendered@example.org")
    failed_lean = _registrant(seminar, "failed@example.org")
    on_its_way = _registrant(seminar, "pending@example.org")
    with time_machine.travel(START - timedelta(days=20), tick=False):
        # Rendered before the edit with the old invite, not yet sent: it is out of date.
        OutgoingEmailFactory(
            registration=rendered_old,
            seminar=seminar,
            to_email=rendered_old.email,
            rendered=True,
            calendar_sequence=seminar.sequence,
        )
        # A lean confirmation that will never go: it tells nothing.
        OutgoingEmailFactory(
            registration=failed_lean,
            seminar=seminar,
            to_email=failed_lean.email,
            rendered=False,
            status=Status.FAILED,
        )
        # A lean confirmation still to go: rendered later, it shows the seminar as it is.
        OutgoingEmailFactory(
            registration=on_its_way,
            seminar=seminar,
            to_email=on_its_way.email,
            rendered=False,
            status=Status.QUEUED,
        )

    _move(seminar, EDIT, by=HOUR)
    _send(EDIT + DELAY)

    rows = _changed_rows()
    assert sorted(row.to_email for row in rows) == ["failed@example.org", "rendered@example.org"]
    seminar.refresh_from_db()
    assert {row.calendar_sequence for row in rows} == {seminar.sequence}


def test_registrants_are_told_in_the_order_they_registered():
    seminar = _seminar()
    with time_machine.travel(START - timedelta(days=10), tick=False):
        later = RegistrationFactory(seminar=seminar, email="later@example.org")
    with time_machine.travel(START - timedelta(days=20), tick=False):
        earlier = RegistrationFactory(seminar=seminar, email="earlier@example.org")
    assert later.pk < earlier.pk

    _move(seminar, EDIT, by=HOUR)
    _send(EDIT + DELAY)

    assert [row.to_email for row in _changed_rows()] == ["earlier@example.org", "later@example.org"]


def test_speakers_are_written_to_in_their_order_on_the_programme_by_name():
    seminar = _seminar()
    SeminarSpeakerFactory(
        seminar=seminar,
        position=2,
        speaker=SpeakerFactory(name="Second Speaker", email="second@example.jp"),
    )
    SeminarSpeakerFactory(
        seminar=seminar,
        position=1,
        speaker=SpeakerFactory(name="First Speaker", email="first@example.jp"),
    )

    _move(seminar, EDIT, by=HOUR)
    _send(EDIT + DELAY)

    emails = rendered_emails(OutgoingEmail.objects.filter(kind=Kind.SPEAKER_UPDATE).order_by("pk"))
    assert [(e.to_email, e.seminar_id) for e in emails] == [
        ("first@example.jp", seminar.pk),
        ("second@example.jp", seminar.pk),
    ]
    assert emails[0].body_text.startswith("Dear First Speaker,")
    assert _event(emails[0])[1]["ATTENDEE"].params["CN"] == "First Speaker"


# --- Rendering ---------------------------------------------------------------------------


def _queued_change(seminar: Seminar, email: str = "hanako@example.org", **kwargs):
    registration = _registrant(seminar, email, name="Hanako Yamada", **kwargs)
    _move(seminar, EDIT, by=HOUR)
    _send(EDIT + DELAY)
    return registration, OutgoingEmail.objects.get(kind=Kind.SEMINAR_CHANGED, to_email=email)


def test_why_a_change_email_is_not_sent_in_the_end():
    seminar = _seminar()
    registration, row = _queued_change(seminar)
    later = EDIT + 2 * DELAY

    registration.status = "cancelled"
    registration.save()
    with (
        pytest.raises(
            NotSent, match=r"^not sent: the place was cancelled before the email went out$"
        ),
        time_machine.travel(later, tick=False),
    ):
        rendered_emails([row])
    registration.status = "confirmed"
    registration.save()
    Seminar.objects.filter(pk=seminar.pk).update(status="draft")
    with pytest.raises(NotSent, match=f"^{NOT_SENT_CANCELLED}$"), time_machine.travel(later):
        rendered_emails([row])
    Seminar.objects.filter(pk=seminar.pk).update(
        status="published", starts_at=START, ends_at=START + HOUR
    )
    with pytest.raises(NotSent, match=f"^{NOT_SENT_NO_CHANGE}$"), time_machine.travel(later):
        rendered_emails([row])


def test_the_change_emails_invite_names_its_registrant():
    _registration, row = _queued_change(_seminar())

    (email,) = rendered_emails([row])

    assert _event(email)[1]["ATTENDEE"].params["CN"] == "Hanako Yamada"


def test_change_emails_sent_together_each_tell_their_own_change():
    seminar = _seminar(venue="")
    _queued_change(seminar, "moved@example.org")
    # Another row of the same seminar and sequence, written for another change: its
    # reader last heard of another venue.
    other = _registrant(seminar, "venue@example.org")
    before = dict(OutgoingEmail.objects.get(to_email="moved@example.org").snapshot["before"])
    before.update(
        starts_at=_stored_now(seminar, "starts_at"),
        ends_at=_stored_now(seminar, "ends_at"),
        venue="Japan House London",
    )
    OutgoingEmailFactory(
        kind=Kind.SEMINAR_CHANGED,
        registration=other,
        seminar=seminar,
        to_email=other.email,
        rendered=False,
        snapshot={"before": before},
        next_attempt_at=EDIT + DELAY,
    )
    rows = _changed_rows()

    with time_machine.travel(EDIT + 2 * DELAY, tick=False):
        assert emails_deliver(email_ids=[row.pk for row in rows]).delivered == 2
    moved_text, venue_text = (OutgoingEmail.objects.get(pk=row.pk).body_text for row in rows)

    assert "It now starts at 11:00 BST (was 10:00 BST)." in moved_text
    assert "Venue:" not in moved_text
    assert "Venue: was Japan House London, now none (online only)." in venue_text
    assert "It now starts" not in venue_text


def _stored_now(seminar: Seminar, name: str) -> str:
    seminar.refresh_from_db()
    return getattr(seminar, name).isoformat()


def test_a_start_moved_within_the_same_day_in_its_own_zone_names_no_date():
    # 01:00 in Tokyo is still the day before in London: the day compared is Tokyo's.
    start = START.replace(hour=16) - timedelta(days=1)  # Friday 23 October, 01:00 JST
    seminar = _seminar(starts_at=start, ends_at=start + HOUR, timezone="Asia/Tokyo")
    _registrant(seminar, "hanako@example.org")
    _edit(seminar, EDIT, starts_at=start + HOUR, ends_at=start + 2 * HOUR)
    _send(EDIT + DELAY)

    (email,) = rendered_emails(_changed_rows())

    assert "It now starts at 02:00 JST (was 01:00 JST)." in email.body_text


def test_delivery_changes_name_the_old_venue_and_a_platform_no_longer_offered():
    seminar = _seminar(venue="Japan House London")
    before = {"platform": "webex", "venue": "Japan House London"}
    _edit(seminar, EDIT, venue="JLGC, 15 Whitehall")
    change = seminar_change_compare(seminar=seminar, before=before)

    rows = changes._delivery_changes(seminar=seminar, change=change)

    assert [(row.label, row.was, row.now) for row in rows] == [
        ("Platform", "webex", "Zoom"),
        ("Venue", "Japan House London", "JLGC, 15 Whitehall"),
    ]


def test_a_notice_opens_at_the_instant_of_its_first_edit():
    from tests.factories import SeminarFactory
    from webinars.services import seminar_update

    seminar = SeminarFactory()

    # The clock runs: every stamp of the new notice is the one instant of the edit.
    seminar_update(
        seminar=seminar, starts_at=seminar.starts_at + HOUR, ends_at=seminar.ends_at + HOUR
    )

    notice = SeminarChangeNotice.objects.get()
    assert notice.first_change_at == notice.last_change_at == notice.due_at - DELAY


def test_a_pass_counts_every_notice_sent_and_every_email():
    for n, people in enumerate((2, 3)):
        seminar = _seminar(title=f"Seminar {n}")
        for person in range(people):
            _registrant(seminar, f"p{person}-s{n}@example.org")
        _move(seminar, EDIT, by=HOUR)

    with time_machine.travel(EDIT + DELAY, tick=False):
        run = seminar_change_notices_run()

    assert (run.sent, run.not_sent, run.emails, run.errors) == (2, 0, 5, 0)


def test_a_platform_stored_outside_the_choices_is_shown_as_stored():
    # Choices are checked by forms, not by the database: a value written another way
    # (a data fix, a choice since removed) is shown as it is, never as "None".
    seminar = _seminar()
    Seminar.objects.filter(pk=seminar.pk).update(platform="webex")
    seminar.refresh_from_db()
    change = seminar_change_compare(seminar=seminar, before={"platform": "zoom"})

    rows = changes._delivery_changes(seminar=seminar, change=change)

    assert [(row.label, row.was, row.now) for row in rows] == [("Platform", "Zoom", "webex")]
