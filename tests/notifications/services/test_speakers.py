from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from notifications.models import OutgoingEmail
from notifications.services import emails_deliver_due, speaker_reminders_dispatch
from tests.factories import SeminarSpeakerFactory, SpeakerFactory
from tests.utils import TOTTORI_STARTS, tottori_seminar
from webinars.models import Seminar, SeminarSpeaker
from webinars.services import (
    seminar_cancel,
    seminar_publish,
    seminar_speakers_invite,
    seminar_speakers_notify,
)

pytestmark = pytest.mark.django_db

Kind = OutgoingEmail.Kind
SPEAKER_LINK = "https://zoom.example/s/panellist-555"
MEETING_URL = "https://zoom.example/j/987654321"


@pytest.fixture(autouse=True)
def _before_the_seminar():
    # Three weeks before the seminar: upcoming, and the UK clock change is near it.
    with time_machine.travel(datetime(2026, 10, 1, 12, 0, tzinfo=UTC), tick=False):
        yield


def _invite(*, link: SeminarSpeaker) -> OutgoingEmail | None:
    """The invite adding ``link`` to its published seminar queues, if any."""
    emails = seminar_speakers_notify(seminar=link.seminar, added=[link])
    return emails[0] if emails else None


def _speakers(seminar: Seminar) -> tuple[SeminarSpeaker, SeminarSpeaker]:
    """Taro (email, own link, moderator) and a speaker without an email."""
    taro = SeminarSpeakerFactory(
        seminar=seminar,
        speaker=SpeakerFactory(name="Taro Suzuki", email="taro@example.jp"),
        role=SeminarSpeaker.Role.MODERATOR,
        join_url=SPEAKER_LINK,
        position=1,
    )
    silent = SeminarSpeakerFactory(
        seminar=seminar, speaker=SpeakerFactory(name="No Mail", email=""), position=2
    )
    return taro, silent


def _event(email: OutgoingEmail):
    calendar = Calendar.from_ical(email.calendar_body)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def _sent(email: OutgoingEmail) -> None:
    OutgoingEmail.objects.filter(pk=email.pk).update(status=OutgoingEmail.Status.SENT)


def _sequence(seminar: Seminar) -> int:
    return Seminar.objects.values_list("sequence", flat=True).get(pk=seminar.pk)


# --- Invites -------------------------------------------------------------------


def test_publishing_invites_each_speaker_with_an_email_once(enqueued):
    seminar = tottori_seminar(draft=True)
    taro, _silent = _speakers(seminar)

    seminar_publish(seminar=seminar)

    email = OutgoingEmail.objects.get()
    assert (email.kind, email.to_email, email.to_name, email.seminar, email.registration) == (
        Kind.SPEAKER_INVITE,
        "taro@example.jp",
        "Taro Suzuki",
        seminar,
        None,
    )
    assert email.dedupe_key == f"speaker-invite:{seminar.pk}:{taro.speaker_id}:{taro.pk}"
    assert (email.language, email.calendar_method) == ("en", "REQUEST")
    assert email.subject == "You're speaking at Tourism in Tottori"
    calendar, event = _event(email)
    assert calendar["METHOD"] == "REQUEST"
    assert str(event["UID"]) == seminar.calendar_uid
    assert (event["SEQUENCE"], event["STATUS"]) == (3, "CONFIRMED")
    assert str(event["ATTENDEE"]) == "mailto:taro@example.jp"
    assert event["ATTENDEE"].params["CN"] == "Taro Suzuki"
    assert str(event["ORGANIZER"]) == "mailto:contact@kizuna.example"
    assert str(event["LOCATION"]) == SPEAKER_LINK
    assert f"Join with your personal link: {SPEAKER_LINK}" in str(event["DESCRIPTION"])
    assert MEETING_URL not in email.calendar_body


def test_publishing_is_idempotent(enqueued):
    seminar = tottori_seminar(draft=True)
    _speakers(seminar)
    seminar_publish(seminar=seminar)

    seminar_publish(seminar=seminar)
    again = seminar_speakers_invite(seminar=seminar)

    assert again == []
    assert OutgoingEmail.objects.count() == 1
    assert _sequence(seminar) == 3


def test_the_invite_is_delivered_once_the_publication_commits(
    django_capture_on_commit_callbacks, enqueued
):
    seminar = tottori_seminar(draft=True)
    _speakers(seminar)

    with django_capture_on_commit_callbacks(execute=True):
        seminar_publish(seminar=seminar)

    assert enqueued == [(OutgoingEmail.objects.get().pk, None)]


def test_a_draft_or_cancelled_seminar_invites_nobody(enqueued):
    draft = tottori_seminar(draft=True)
    _speakers(draft)
    cancelled = tottori_seminar(status=Seminar.Status.CANCELLED)
    _speakers(cancelled)

    assert seminar_speakers_invite(seminar=draft) == []
    assert seminar_speakers_invite(seminar=cancelled) == []
    assert OutgoingEmail.objects.count() == 0


def test_a_finished_seminar_invites_nobody(enqueued):
    seminar = tottori_seminar(
        starts_at=datetime(2026, 9, 1, 9, 0, tzinfo=UTC),
        ends_at=datetime(2026, 9, 1, 10, 0, tzinfo=UTC),
    )
    _speakers(seminar)

    assert seminar_speakers_invite(seminar=seminar) == []
    assert OutgoingEmail.objects.count() == 0


def test_a_speaker_without_their_own_link_gets_the_meeting_url(enqueued):
    seminar = tottori_seminar()
    link = SeminarSpeakerFactory(seminar=seminar, speaker=SpeakerFactory(email="ana@example.es"))

    email = _invite(link=link)

    _calendar, event = _event(email)
    assert str(event["LOCATION"]) == MEETING_URL
    assert f"Your speaker join link\n{MEETING_URL}\n" in email.body_text


def test_without_any_link_the_email_says_one_will_follow(enqueued):
    seminar = tottori_seminar(meeting_url="", meeting_passcode="", venue="Japan House London")
    link = SeminarSpeakerFactory(seminar=seminar, speaker=SpeakerFactory(email="ana@example.es"))

    email = _invite(link=link)

    _calendar, event = _event(email)
    assert str(event["LOCATION"]) == "Japan House London"
    assert "The organisers will send you your speaker link before the seminar." in email.body_text
    assert "Venue\nJapan House London\n" in email.body_text
    assert "passcode" not in email.body_text


def test_the_invite_email_gives_role_times_link_passcode_page_and_contact(enqueued):
    seminar = tottori_seminar(title="Onsen & <ryokan>")
    taro, _silent = _speakers(seminar)

    email = _invite(link=taro)

    assert email.body_text == (
        "Dear Taro Suzuki,\n"
        "\n"
        'Thank you for speaking at "Onsen & <ryokan>". Here are the details you need on the '
        "day.\n"
        "Your role: Moderator\n"
        "\n"
        "When\n"
        "UK time: Friday 23 October 2026, 10:00–11:00 BST (London)\n"
        "Japan time: Friday 23 October 2026, 18:00–19:00 JST (Tokyo)\n"
        "UK clocks go back one hour on Sunday 25 October 2026: the London–Tokyo gap is then "
        "9 hours (8 hours before).\n"
        "\n"
        "Your speaker join link\n"
        f"{SPEAKER_LINK}\n"
        "This is your speaker link, not the one attendees use. Please do not share it: it is "
        "for you alone.\n"
        "Meeting passcode: s3cret-pass\n"
        "\n"
        "Your calendar\n"
        "This email carries a calendar invite (invite.ics) with your speaker link: accept it or "
        "open the file to add the seminar to your calendar. It updates itself if the time "
        "changes.\n"
        "\n"
        "Seminar page\n"
        f"{seminar.public_url}\n"
        "\n"
        "Questions? Write to the organisers at contact@kizuna.example.\n"
    )
    assert "Onsen &amp; &lt;ryokan&gt;" in email.body_html
    assert "<ryokan>" not in email.body_html
    assert f'href="{SPEAKER_LINK}"' in email.body_html
    assert "Meeting passcode: s3cret-pass" in email.body_html
    assert "Your role: Moderator" in email.body_html


def test_the_invite_is_written_in_the_speakers_language(enqueued):
    # An English seminar; Taro has a Japanese name, so his emails are in Japanese.
    seminar = tottori_seminar(language="en")
    taro, _silent = _speakers(seminar)
    taro.speaker.name_ja = "鈴木 太郎"
    taro.speaker.save()

    email = _invite(link=taro)

    assert email.language == "ja"
    assert email.body_text.startswith("鈴木 太郎 様")
    # Dates in Japanese: 2026年10月23日(金), the zone and the city.
    assert "2026年10月23日(金) 18:00–19:00 JST" in str(_event(email)[1]["DESCRIPTION"])
    assert "2026年10月23日(金) 18:00–19:00 JST（東京）" in email.body_text


def test_invites_read_the_same_whatever_the_number_of_speakers(enqueued):
    def reads_and_total(count: int) -> tuple[list[str], int]:
        seminar = tottori_seminar(draft=True)
        for n in range(count):
            SeminarSpeakerFactory(seminar=seminar, speaker=SpeakerFactory(email=f"s{n}@ex.jp"))
        with CaptureQueriesContext(connection) as captured:
            seminar_publish(seminar=seminar)
        outbox = ("notifications_outgoingemail", "SAVEPOINT")
        reads = [q["sql"] for q in captured if not any(word in q["sql"] for word in outbox)]
        return reads, len(captured)

    reads_for_2, total_for_2 = reads_and_total(2)
    reads_for_6, total_for_6 = reads_and_total(6)

    assert len(reads_for_6) == len(reads_for_2)
    # Each extra invite costs its outbox write only: a dedupe check, a savepoint, an insert
    # and its release.
    assert total_for_6 - total_for_2 == 4 * 4


def test_a_fan_out_builds_one_calendar_per_distinct_join_link(enqueued, monkeypatch):
    from notifications import invites

    built = []
    build_invite = invites.build_invite

    def counting_build_invite(**kwargs):
        built.append(kwargs["join_url"])
        return build_invite(**kwargs)

    monkeypatch.setattr(invites, "build_invite", counting_build_invite)
    seminar = tottori_seminar(draft=True)
    for n in range(3):
        SeminarSpeakerFactory(seminar=seminar, speaker=SpeakerFactory(email=f"s{n}@ex.jp"))
    SeminarSpeakerFactory(
        seminar=seminar, speaker=SpeakerFactory(email="own@ex.jp"), join_url=SPEAKER_LINK
    )

    seminar_publish(seminar=seminar)

    assert built == [MEETING_URL, SPEAKER_LINK]
    attendees = sorted(str(_event(email)[1]["ATTENDEE"]) for email in OutgoingEmail.objects.all())
    assert attendees == [
        "mailto:own@ex.jp",
        "mailto:s0@ex.jp",
        "mailto:s1@ex.jp",
        "mailto:s2@ex.jp",
    ]


def test_sent_invites_carry_a_request_calendar_part(enqueued, mailoutbox):
    seminar = tottori_seminar(draft=True)
    _speakers(seminar)
    seminar_publish(seminar=seminar)

    result = emails_deliver_due()

    assert result.delivered == 1
    (message,) = mailoutbox
    assert message.to == ["Taro Suzuki <taro@example.jp>"]
    parts = {part.get_content_type(): part for part in message.message().walk()}
    assert parts["text/calendar"].get_param("method") == "REQUEST"


# --- Changes through seminar_speakers_notify ------------------------------------------


def test_a_new_join_link_is_sent_as_an_update_at_a_higher_sequence(enqueued):
    seminar = tottori_seminar()
    taro, _silent = _speakers(seminar)
    invite = _invite(link=taro)
    taro.join_url = "https://zoom.example/s/new-link-777"
    taro.save()

    (update,) = seminar_speakers_notify(seminar=seminar, updated=[taro])

    assert (update.kind, update.calendar_method, update.to_email) == (
        Kind.SPEAKER_UPDATE,
        "REQUEST",
        "taro@example.jp",
    )
    assert update.dedupe_key == f"speaker-update:{seminar.pk}:{taro.speaker_id}:{taro.pk}:4"
    assert update.subject == "Your new speaker link: Tourism in Tottori"
    _calendar, before = _event(invite)
    _calendar, event = _event(update)
    assert str(event["UID"]) == str(before["UID"]) == seminar.calendar_uid
    assert (before["SEQUENCE"], event["SEQUENCE"], _sequence(seminar)) == (3, 4, 4)
    assert seminar.sequence == 4
    assert str(event["LOCATION"]) == "https://zoom.example/s/new-link-777"
    assert "has changed. Please use the new link below; the old one will not work." in (
        update.body_text
    )


def test_a_new_join_link_for_a_speaker_never_invited_sends_the_invite(enqueued):
    seminar = tottori_seminar()
    taro, _silent = _speakers(seminar)

    (email,) = seminar_speakers_notify(seminar=seminar, updated=[taro])

    assert (email.kind, email.dedupe_key) == (
        Kind.SPEAKER_INVITE,
        f"speaker-invite:{seminar.pk}:{taro.speaker_id}:{taro.pk}",
    )
    assert _sequence(seminar) == 3


def test_adding_a_speaker_to_a_published_seminar_invites_them(enqueued):
    seminar = tottori_seminar()
    taro, _silent = _speakers(seminar)

    (email,) = seminar_speakers_notify(seminar=seminar, added=[taro])

    assert (email.kind, email.to_email, _event(email)[1]["SEQUENCE"]) == (
        Kind.SPEAKER_INVITE,
        "taro@example.jp",
        3,
    )


def test_a_removed_speaker_gets_a_cancel_at_a_higher_sequence(enqueued):
    seminar = tottori_seminar()
    taro, _silent = _speakers(seminar)
    speaker = taro.speaker
    _sent(_invite(link=taro))
    taro.delete()

    (email,) = seminar_speakers_notify(seminar=seminar, removed=[speaker])

    assert (email.kind, email.calendar_method, email.to_email) == (
        Kind.SPEAKER_CANCEL,
        "CANCEL",
        "taro@example.jp",
    )
    assert email.dedupe_key == f"speaker-removed:{seminar.pk}:{speaker.pk}:4"
    assert email.subject == "Change of speakers: Tourism in Tottori"
    calendar, event = _event(email)
    assert calendar["METHOD"] == "CANCEL"
    assert (str(event["UID"]), event["SEQUENCE"], event["STATUS"]) == (
        seminar.calendar_uid,
        4,
        "CANCELLED",
    )
    assert str(event["ATTENDEE"]) == "mailto:taro@example.jp"
    assert _sequence(seminar) == 4
    assert SPEAKER_LINK not in email.calendar_body + email.body_text
    assert "you are no longer on the programme" in email.body_text


def test_removing_a_speaker_before_their_invite_went_out_withdraws_it(enqueued):
    seminar = tottori_seminar()
    taro, _silent = _speakers(seminar)
    speaker = taro.speaker
    invite = _invite(link=taro)
    taro.delete()

    emails = seminar_speakers_notify(seminar=seminar, removed=[speaker])

    invite.refresh_from_db()
    assert emails == []
    assert (invite.status, invite.last_error) == ("cancelled", "the speaker was removed")
    assert _sequence(seminar) == 3


def test_removing_a_speaker_who_was_never_invited_sends_nothing(enqueued):
    seminar = tottori_seminar()
    speaker = SpeakerFactory(email="late@example.jp")

    assert seminar_speakers_notify(seminar=seminar, removed=[speaker]) == []
    assert OutgoingEmail.objects.count() == 0


def test_a_speaker_removed_and_added_again_is_invited_again_above_the_cancel(enqueued):
    seminar = tottori_seminar()
    taro, _silent = _speakers(seminar)
    speaker = taro.speaker
    _sent(_invite(link=taro))
    taro.delete()
    seminar_speakers_notify(seminar=seminar, removed=[speaker])
    again = SeminarSpeakerFactory(seminar=seminar, speaker=speaker)

    (email,) = seminar_speakers_notify(seminar=seminar, added=[again])

    assert (email.kind, email.dedupe_key) == (
        Kind.SPEAKER_INVITE,
        f"speaker-invite:{seminar.pk}:{speaker.pk}:{again.pk}",
    )
    cancel = OutgoingEmail.objects.get(kind=Kind.SPEAKER_CANCEL)
    assert (_event(cancel)[1]["SEQUENCE"], _event(email)[1]["SEQUENCE"]) == (4, 5)
    assert _sequence(seminar) == 5


def test_removals_go_before_invites_so_invites_carry_the_latest_sequence(enqueued):
    seminar = tottori_seminar()
    taro, _silent = _speakers(seminar)
    speaker = taro.speaker
    _sent(_invite(link=taro))
    taro.delete()
    newcomer = SeminarSpeakerFactory(seminar=seminar, speaker=SpeakerFactory(email="n@ex.jp"))

    emails = seminar_speakers_notify(seminar=seminar, added=[newcomer], removed=[speaker])

    assert [(e.kind, _event(e)[1]["SEQUENCE"]) for e in emails] == [
        (Kind.SPEAKER_CANCEL, 4),
        (Kind.SPEAKER_INVITE, 4),
    ]


@pytest.mark.parametrize("state", ["draft", "cancelled"])
def test_changes_to_a_draft_or_cancelled_seminar_send_nothing(enqueued, state):
    seminar = tottori_seminar()
    taro, _silent = _speakers(seminar)
    if state == "cancelled":
        seminar_cancel(seminar=seminar)
        OutgoingEmail.objects.all().delete()
    else:
        Seminar.objects.filter(pk=seminar.pk).update(status=Seminar.Status.DRAFT)
    sequence = _sequence(seminar)

    emails = seminar_speakers_notify(
        seminar=seminar, added=[taro], updated=[taro], removed=[taro.speaker]
    )

    assert emails == []
    assert OutgoingEmail.objects.count() == 0
    assert _sequence(seminar) == sequence


def test_a_link_of_another_seminar_is_refused(enqueued):
    seminar = tottori_seminar()
    other, _silent = _speakers(tottori_seminar(slug="elsewhere"))

    with pytest.raises(ValueError, match="belongs to another seminar"):
        seminar_speakers_notify(seminar=seminar, added=[other])


def test_removing_a_speaker_withdraws_a_queued_change_email_and_cancels_a_sent_one(enqueued):
    from notifications.services import seminar_change_notices_send
    from webinars.services import seminar_update

    seminar = tottori_seminar()
    taro, _silent = _speakers(seminar)
    speaker = taro.speaker
    OutgoingEmail.objects.filter(pk=_invite(link=taro).pk).update(status="failed")
    seminar = Seminar.objects.get(pk=seminar.pk)
    seminar_update(seminar=seminar, venue="JLGC, 15 Whitehall")
    seminar_change_notices_send(now=seminar.starts_at)
    changed = OutgoingEmail.objects.get(dedupe_key__endswith=f":speaker:{speaker.pk}")
    changed.status = "sent"
    changed.save()
    taro.delete()

    emails = seminar_speakers_notify(seminar=seminar, removed=[speaker])

    # The invite failed, but the change email put the event in their calendar: it goes.
    assert [email.kind for email in emails] == ["speaker_cancel"]
    assert emails[0].calendar_method == "CANCEL"


@pytest.mark.parametrize(
    ("language", "name", "name_ja", "expected"),
    [
        ("en", "鈴木 太郎", "鈴木 太郎", "en"),  # their own choice first
        ("", "Taro Suzuki", "鈴木 太郎", "ja"),  # a name in Japanese given
        ("", "すずき たろう", "", "ja"),  # the name itself in Japanese
        ("", "Emma Jones", "", "en"),
    ],
)
def test_a_speakers_language_is_theirs_else_japanese_for_a_japanese_name(
    language, name, name_ja, expected
):
    speaker = SpeakerFactory.build(language=language, name=name, name_ja=name_ja)

    assert speaker.email_language == expected


def _reminders() -> list[OutgoingEmail]:
    return list(OutgoingEmail.objects.filter(kind="speaker_reminder").order_by("pk"))


def test_each_speaker_is_reminded_once_the_day_before_in_their_language_and_zone(enqueued):
    seminar = tottori_seminar(rehearsal_starts_at=TOTTORI_STARTS - timedelta(minutes=30))
    taro, _silent = _speakers(seminar)
    taro.speaker.name_ja = "鈴木 太郎"
    taro.speaker.time_zone = "Asia/Tokyo"
    taro.speaker.save()
    SeminarSpeakerFactory(
        seminar=seminar,
        speaker=SpeakerFactory(
            name="Emma Jones", email="emma@example.org", time_zone="America/New_York"
        ),
        position=3,
    )

    too_early = speaker_reminders_dispatch(now=TOTTORI_STARTS - timedelta(days=1, minutes=1))
    due = speaker_reminders_dispatch(now=TOTTORI_STARTS - timedelta(hours=20))
    again = speaker_reminders_dispatch(now=TOTTORI_STARTS - timedelta(hours=2))

    assert (too_early, due, again) == (0, 2, 0)
    by_address = {email.to_email: email for email in _reminders()}
    japanese, english = by_address["taro@example.jp"], by_address["emma@example.org"]
    assert japanese.language == "ja"
    assert japanese.subject == "【ご登壇のご案内】Tourism in Tottori"
    assert japanese.body_text.startswith("鈴木 太郎 様")
    assert SPEAKER_LINK in japanese.body_text  # his own join link, not the audience's
    assert "2026年10月23日(金) 17:30 JST（東京）" in japanese.body_text  # the rehearsal
    assert english.language == "en"
    rehearsal = "Friday 23 October 2026, 04:30 EDT (New York) · 09:30 BST (London) · 17:30 JST"
    assert f"Please join for a technical check at {rehearsal} (Tokyo)." in english.body_text
    assert "Your time" in english.body_text and "EDT" in english.body_text
    assert MEETING_URL in english.body_text  # no link of her own: the seminar's


def test_a_seminar_moved_to_another_day_reminds_its_speakers_again(enqueued):
    seminar = tottori_seminar()
    _speakers(seminar)
    speaker_reminders_dispatch(now=TOTTORI_STARTS - timedelta(hours=3))
    moved = TOTTORI_STARTS + timedelta(days=7)
    Seminar.objects.filter(pk=seminar.pk).update(
        starts_at=moved, ends_at=moved + timedelta(hours=1)
    )

    assert speaker_reminders_dispatch(now=moved - timedelta(hours=3)) == 1
    assert len(_reminders()) == 2


@pytest.mark.parametrize("state", ["draft", "cancelled", "started"])
def test_no_reminder_for_a_seminar_not_going_ahead_or_already_started(enqueued, state):
    seminar = tottori_seminar(
        status={"draft": Seminar.Status.DRAFT, "cancelled": Seminar.Status.CANCELLED}.get(
            state, Seminar.Status.PUBLISHED
        )
    )
    _speakers(seminar)
    now = (
        TOTTORI_STARTS + timedelta(minutes=5)
        if state == "started"
        else TOTTORI_STARTS - timedelta(hours=3)
    )

    assert speaker_reminders_dispatch(now=now) == 0


def test_a_speaker_invited_within_the_day_gets_no_reminder_on_top(enqueued):
    seminar = tottori_seminar()
    taro, _silent = _speakers(seminar)
    with time_machine.travel(TOTTORI_STARTS - timedelta(hours=5), tick=False):
        _invite(link=taro)

    assert speaker_reminders_dispatch(now=TOTTORI_STARTS - timedelta(hours=4)) == 0
    assert _reminders() == []


def test_the_reminder_scan_reads_the_same_queries_for_one_seminar_or_three(enqueued):
    due = TOTTORI_STARTS - timedelta(hours=3)
    _speakers(tottori_seminar())
    speaker_reminders_dispatch(now=due)
    with CaptureQueriesContext(connection) as one:
        assert speaker_reminders_dispatch(now=due) == 0  # written already: reads only

    for _ in range(2):
        _speakers(tottori_seminar())
    speaker_reminders_dispatch(now=due)
    with CaptureQueriesContext(connection) as three:
        assert speaker_reminders_dispatch(now=due) == 0

    # Each link's key reads its seminar's start: from the prefetch, not a query per link.
    assert len(three) == len(one)
