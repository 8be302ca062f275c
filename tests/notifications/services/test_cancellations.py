from email.utils import parseaddr

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from icalendar import Calendar

from notifications.models import OutgoingEmail
from notifications.services import (
    emails_deliver,
    emails_deliver_due,
    registration_email_queue,
    seminar_cancelled_emails_queue,
)
from tests.factories import (
    RegistrationFactory,
    SeminarSpeakerFactory,
    SpeakerFactory,
)
from tests.utils import rendered, rendered_emails, tottori_seminar
from webinars.services import seminar_cancel

pytestmark = pytest.mark.django_db

Kind = OutgoingEmail.Kind
MESSAGE = "Our speaker is unwell.\nWe hope to run it again in the spring."


def _audience(seminar):
    """3 confirmed, 1 waitlisted, 1 cancelled registration; a speaker with and one without email."""
    confirmed = [
        RegistrationFactory(seminar=seminar, email=f"confirmed{n}@example.org", name=f"Guest {n}")
        for n in range(3)
    ]
    waitlisted = RegistrationFactory(
        seminar=seminar, email="waiting@example.org", name="Wait Ing", status="waitlisted"
    )
    RegistrationFactory(
        seminar=seminar, email="gone@example.org", name="Gone Away", status="cancelled"
    )
    speaker = SpeakerFactory(name="Taro Suzuki", email="taro@example.jp")
    SeminarSpeakerFactory(
        seminar=seminar, speaker=speaker, join_url="https://zoom.example/s/speaker-only-555"
    )
    SeminarSpeakerFactory(seminar=seminar, speaker=SpeakerFactory(name="No Mail", email=""))
    return confirmed, waitlisted, speaker


def _event(email):
    calendar = Calendar.from_ical(email.calendar_body)
    (event,) = calendar.walk("VEVENT")
    return calendar, event


def _by_recipient():
    """Each email written, by address, with the message the worker would send now."""
    return {email.to_email: email for email in rendered_emails(OutgoingEmail.objects.all())}


def test_cancel_emails_every_live_registrant_and_each_speaker_with_an_email_once(enqueued):
    seminar = tottori_seminar()
    confirmed, waitlisted, speaker = _audience(seminar)

    seminar_cancel(seminar=seminar, message=MESSAGE)

    emails = _by_recipient()
    assert sorted(emails) == [
        "confirmed0@example.org",
        "confirmed1@example.org",
        "confirmed2@example.org",
        "taro@example.jp",
        "waiting@example.org",
    ]
    assert {email.to_email: email.kind for email in emails.values()} == {
        "confirmed0@example.org": Kind.SEMINAR_CANCELLED,
        "confirmed1@example.org": Kind.SEMINAR_CANCELLED,
        "confirmed2@example.org": Kind.SEMINAR_CANCELLED,
        "taro@example.jp": Kind.SPEAKER_CANCEL,
        "waiting@example.org": Kind.SEMINAR_CANCELLED,
    }
    assert {email.to_email: email.dedupe_key for email in emails.values()} == {
        **{r.email: f"seminar-cancelled:{seminar.pk}:{r.pk}" for r in [*confirmed, waitlisted]},
        "taro@example.jp": f"speaker-cancel:{seminar.pk}:{speaker.pk}",
    }
    assert emails["waiting@example.org"].registration == waitlisted
    assert emails["taro@example.jp"].registration is None
    assert {email.seminar_id for email in emails.values()} == {seminar.pk}
    assert {email.subject for email in emails.values()} == {"Cancelled: Tourism in Tottori"}


def test_confirmed_registrants_get_a_cancel_with_the_same_uid_and_a_higher_sequence(enqueued):
    seminar = tottori_seminar()
    registration = RegistrationFactory(seminar=seminar, email="hanako@example.org", name="Hanako")
    confirmation = rendered(
        registration_email_queue(registration=registration, kind=Kind.REGISTRATION_CONFIRMED)
    )
    _calendar, confirmed_event = _event(confirmation)

    seminar_cancel(seminar=seminar, message=MESSAGE)

    seminar.refresh_from_db()
    email = rendered(OutgoingEmail.objects.get(kind=Kind.SEMINAR_CANCELLED))
    calendar, event = _event(email)
    assert email.calendar_method == "CANCEL"
    assert calendar["METHOD"] == "CANCEL"
    assert str(event["UID"]) == str(confirmed_event["UID"]) == seminar.calendar_uid
    assert (confirmed_event["SEQUENCE"], event["SEQUENCE"], seminar.sequence) == (3, 4, 4)
    assert event["STATUS"] == "CANCELLED"
    assert str(event["ATTENDEE"]) == "mailto:hanako@example.org"
    assert str(event["ORGANIZER"]) == "mailto:contact@kizuna.example"
    assert "invite.ics" in email.body_text
    assert "This seminar has been cancelled." in str(event["DESCRIPTION"])


def test_waitlisted_registrants_get_the_message_without_a_calendar(enqueued):
    seminar = tottori_seminar()
    RegistrationFactory(seminar=seminar, email="waiting@example.org", status="waitlisted")

    seminar_cancel(seminar=seminar, message=MESSAGE)

    email = rendered(OutgoingEmail.objects.get())
    assert (email.calendar_method, email.calendar_body) == ("", "")
    assert "You were on the waiting list" in email.body_text
    assert "invite.ics" not in email.body_text + email.body_html
    assert "Our speaker is unwell.\nWe hope to run it again in the spring." in email.body_text


def test_speakers_get_a_cancel_naming_them_and_no_join_link(enqueued):
    seminar = tottori_seminar()
    _audience(seminar)

    seminar_cancel(seminar=seminar, message=MESSAGE)

    email = OutgoingEmail.objects.get(kind=Kind.SPEAKER_CANCEL)
    calendar, event = _event(email)
    assert (email.to_email, email.to_name) == ("taro@example.jp", "Taro Suzuki")
    assert calendar["METHOD"] == "CANCEL"
    assert (str(event["UID"]), event["SEQUENCE"]) == (seminar.calendar_uid, 4)
    assert event["STATUS"] == "CANCELLED"
    assert str(event["ATTENDEE"]) == "mailto:taro@example.jp"
    assert event["ATTENDEE"].params["CN"] == "Taro Suzuki"
    assert "where you were to speak" in email.body_text
    assert "Our speaker is unwell." in email.body_text


def test_emails_carry_message_apology_times_page_and_contact_but_no_meeting_details(enqueued):
    seminar = tottori_seminar()
    _audience(seminar)

    seminar_cancel(seminar=seminar, message=MESSAGE)

    for email in rendered_emails(OutgoingEmail.objects.all()):
        text = email.body_text
        assert "has been cancelled" in text
        assert "Message from the organisers\nOur speaker is unwell.\nWe hope to run" in text
        assert "We apologise for any inconvenience" in text
        assert "UK time: Friday 23 October 2026, 10:00–11:00 BST (London)" in text
        assert "Japan time: Friday 23 October 2026, 18:00–19:00 JST (Tokyo)" in text
        assert seminar.public_url in text
        assert seminar.public_url in email.body_html
        assert "contact@kizuna.example" in text
        assert "contact@kizuna.example" in email.body_html
        assert "Our speaker is unwell.<br>We hope to run it again in the spring." in email.body_html
        for part in (email.subject, text, email.body_html, email.calendar_body):
            assert "987654321" not in part
            assert "s3cret-pass" not in part
            assert "speaker-only-555" not in part
            assert "/j/" not in part


def test_message_and_title_are_escaped_in_html_and_kept_in_text(enqueued):
    seminar = tottori_seminar(title="Tea & <b>Tottori</b>")
    RegistrationFactory(seminar=seminar, name="<i>Hanako</i>")

    seminar_cancel(seminar=seminar, message="<script>alert(1)</script> & sorry")

    email = rendered(OutgoingEmail.objects.get())
    assert "<script>" not in email.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; sorry" in email.body_html
    assert "Tea &amp; &lt;b&gt;Tottori&lt;/b&gt;" in email.body_html
    assert "<b>Tottori</b>" not in email.body_html
    assert "&lt;i&gt;Hanako&lt;/i&gt;" in email.body_html
    assert "<script>alert(1)</script> & sorry" in email.body_text
    assert "Dear <i>Hanako</i>," in email.body_text
    assert email.subject == "Cancelled: Tea & <b>Tottori</b>"


def test_no_message_leaves_out_the_message_heading(enqueued):
    seminar = tottori_seminar()
    RegistrationFactory(seminar=seminar)

    seminar_cancel(seminar=seminar, message="   ")

    email = rendered(OutgoingEmail.objects.get())
    assert "Message from the organisers" not in email.body_text + email.body_html
    assert "We apologise for any inconvenience" in email.body_text


def test_cancelling_a_draft_sends_nothing(enqueued):
    seminar = tottori_seminar(status="draft", published_at=None)
    _audience(seminar)

    seminar_cancel(seminar=seminar, message=MESSAGE)

    assert OutgoingEmail.objects.count() == 0
    assert enqueued == []


def test_a_rolled_back_cancel_writes_and_enqueues_nothing(
    django_capture_on_commit_callbacks, enqueued
):
    seminar = tottori_seminar()
    _audience(seminar)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        seminar_cancel(seminar=seminar, message=MESSAGE)
        assert OutgoingEmail.objects.count() == 5
        raise RuntimeError("The admin request failed after the cancel.")

    assert OutgoingEmail.objects.count() == 0
    assert callbacks == []
    assert enqueued == []
    seminar.refresh_from_db()
    assert (seminar.status, seminar.sequence) == ("published", 3)


def test_delivery_is_enqueued_for_each_email_once_the_cancel_commits(
    django_capture_on_commit_callbacks, enqueued
):
    seminar = tottori_seminar()
    _audience(seminar)

    with django_capture_on_commit_callbacks(execute=True):
        seminar_cancel(seminar=seminar, message=MESSAGE)

    ids = sorted(OutgoingEmail.objects.values_list("pk", flat=True))
    assert len(ids) == 5
    assert sorted(enqueued) == [(pk, None) for pk in ids]


def test_running_the_notice_again_adds_no_duplicates(enqueued):
    seminar = tottori_seminar()
    _audience(seminar)
    seminar_cancel(seminar=seminar, message=MESSAGE)
    first = sorted(OutgoingEmail.objects.values_list("pk", flat=True))
    seminar.refresh_from_db()

    again = seminar_cancelled_emails_queue(seminar=seminar, message=MESSAGE)

    # Registrants' rows are written in bulk and only the rows written are returned: a
    # second pass returns no new row, at most the speaker's existing one.
    assert {email.pk for email in again} <= set(first)
    assert sorted(OutgoingEmail.objects.values_list("pk", flat=True)) == first


def test_a_seminar_that_is_not_cancelled_is_refused(enqueued):
    seminar = tottori_seminar()

    with pytest.raises(ValueError, match="Only a cancelled seminar"):
        seminar_cancelled_emails_queue(seminar=seminar, message=MESSAGE)


def _reads_and_total(registrations: int) -> tuple[list[str], int]:
    """The queries a cancel makes besides outbox writes, and its total count."""
    seminar = tottori_seminar()
    for n in range(registrations):
        RegistrationFactory(seminar=seminar, status="waitlisted" if n % 2 else "confirmed")
    SeminarSpeakerFactory(seminar=seminar, speaker=SpeakerFactory(email="s@example.jp"))
    with CaptureQueriesContext(connection) as captured:
        seminar_cancel(seminar=seminar, message=MESSAGE)
    outbox = ("notifications_outgoingemail", "SAVEPOINT")
    reads = [q["sql"] for q in captured if not any(word in q["sql"] for word in outbox)]
    return reads, len(captured)


def test_queries_besides_outbox_writes_do_not_grow_with_registrations(enqueued):
    reads_for_2, total_for_2 = _reads_and_total(2)
    reads_for_8, total_for_8 = _reads_and_total(8)

    assert len(reads_for_8) == len(reads_for_2)
    registration_reads = [sql for sql in reads_for_8 if 'FROM "webinars_registration"' in sql]
    speaker_reads = [sql for sql in reads_for_8 if 'FROM "webinars_seminarspeaker"' in sql]
    assert (len(registration_reads), len(speaker_reads)) == (1, 1)
    # Registrants' rows are lean and go in one bulk INSERT: an extra one costs no query.
    assert total_for_8 == total_for_2


def test_sent_cancellations_carry_a_cancel_calendar_part(enqueued, mailoutbox):
    seminar = tottori_seminar()
    _audience(seminar)
    seminar_cancel(seminar=seminar, message=MESSAGE)

    result = emails_deliver_due()

    assert result.delivered == 5
    assert sorted(parseaddr(message.to[0])[1] for message in mailoutbox) == [
        "confirmed0@example.org",
        "confirmed1@example.org",
        "confirmed2@example.org",
        "taro@example.jp",
        "waiting@example.org",
    ]
    for message in mailoutbox:
        parts = {part.get_content_type(): part for part in message.message().walk()}
        if parseaddr(message.to[0])[1] == "waiting@example.org":
            assert "text/calendar" not in parts
        else:
            assert parts["text/calendar"].get_param("method") == "CANCEL"


def test_a_cancellation_builds_its_cancel_calendar_once_for_everyone(enqueued, monkeypatch):
    from notifications import invites

    built = []
    build_invite = invites.build_invite

    def counting_build_invite(**kwargs):
        built.append((kwargs["method"], kwargs["sequence"]))
        return build_invite(**kwargs)

    monkeypatch.setattr(invites, "build_invite", counting_build_invite)
    seminar = tottori_seminar()
    confirmed, _waitlisted, speaker = _audience(seminar)

    seminar_cancel(seminar=seminar, message=MESSAGE)
    # The speaker's email is rendered at once; the registrants' by the worker, one batch.
    assert built == [("CANCEL", 4)]
    ids = list(OutgoingEmail.objects.values_list("pk", flat=True))
    assert emails_deliver(email_ids=ids).delivered == 5

    assert built == [("CANCEL", 4), ("CANCEL", 4)]
    emails = {email.to_email: email for email in OutgoingEmail.objects.all()}
    for person in [*confirmed, speaker]:
        _calendar, event = _event(emails[person.email])
        assert str(event["ATTENDEE"]) == f"mailto:{person.email}"
        assert event["ATTENDEE"].params["CN"] == person.name
