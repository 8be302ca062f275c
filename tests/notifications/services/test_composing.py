"""Lean outbox rows: written without a message, rendered by the worker that sends them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from notifications.models import OutgoingEmail
from notifications.services import (
    NotSent,
    composing,
    email_render,
    emails_deliver,
    registration_email_queue,
    reminders_dispatch,
)
from tests.factories import RegistrationFactory
from tests.utils import tottori_seminar
from webinars.models import Registration
from webinars.services import registration_cancel

pytestmark = pytest.mark.django_db

Kind = OutgoingEmail.Kind
Status = OutgoingEmail.Status


def _confirmation(email: str = "hanako@example.org", **fields) -> OutgoingEmail:
    fields.setdefault("seminar", tottori_seminar())
    registration = RegistrationFactory(email=email, name="Hanako Yamada", **fields)
    return registration_email_queue(registration=registration, kind=Kind.REGISTRATION_CONFIRMED)


def test_a_registration_email_is_written_lean_with_the_sequence_it_will_carry(
    enqueued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        email = _confirmation()

    email.refresh_from_db()
    assert email.rendered is False
    assert (email.subject, email.body_text, email.calendar_body) == ("", "", "")
    assert email.calendar_sequence == email.seminar.sequence
    assert enqueued == [(email.pk, None)]


def test_delivery_renders_stores_and_sends_the_stored_message(clock, enqueued, mailoutbox):
    email = _confirmation()

    result = emails_deliver(email_ids=[email.pk])

    assert result.delivered == 1
    email.refresh_from_db()
    assert email.rendered is True
    assert email.status == Status.SENT
    assert email.subject == "You're registered: Tourism in Tottori"
    assert "Dear Hanako Yamada," in email.body_text
    assert email.calendar_method == "REQUEST"
    assert "BEGIN:VCALENDAR" in email.calendar_body
    (message,) = mailoutbox
    assert message.subject == email.subject
    # What went out is the stored message, its link placeholders filled in.
    assert message.body.splitlines()[0] == email.body_text.splitlines()[0]


def test_a_retry_sends_the_message_rendered_the_first_time(
    clock, enqueued, scripted_backend, mailoutbox
):
    from tests.utils import smtp_reply

    email = _confirmation()
    scripted_backend.failures = [smtp_reply(421)]
    emails_deliver(email_ids=[email.pk])
    email.refresh_from_db()
    assert (email.status, email.rendered) == (Status.QUEUED, True)
    first_subject = email.subject
    # The seminar is renamed before the retry: the retry is the same mail, not a new one.
    email.seminar.title_en = "Renamed"
    email.seminar.save(update_fields=["title_en"])

    clock.move_to(email.next_attempt_at + timedelta(seconds=1))
    emails_deliver(email_ids=[email.pk])

    (message,) = mailoutbox
    assert message.subject == first_subject == "You're registered: Tourism in Tottori"


def test_a_confirmation_for_a_place_cancelled_before_it_went_out_is_not_sent(
    clock, enqueued, mailoutbox
):
    email = _confirmation()
    registration_cancel(registration=email.registration)

    result = emails_deliver(email_ids=list(OutgoingEmail.objects.values_list("pk", flat=True)))

    assert result.delivered == 1  # the cancellation only
    assert [message.subject for message in mailoutbox] == [
        "Registration cancelled: Tourism in Tottori"
    ]
    email.refresh_from_db()
    assert email.status == Status.CANCELLED
    assert email.last_error == "not sent: the registration is cancelled now"


def test_a_waitlisted_email_promoted_before_it_went_out_is_not_sent(clock, enqueued, mailoutbox):
    seminar = tottori_seminar()
    registration = RegistrationFactory(seminar=seminar, status=Registration.Status.WAITLISTED)
    email = registration_email_queue(registration=registration, kind=Kind.REGISTRATION_WAITLISTED)
    Registration.objects.filter(pk=registration.pk).update(status=Registration.Status.CONFIRMED)

    emails_deliver(email_ids=[email.pk])

    assert mailoutbox == []
    email.refresh_from_db()
    assert email.status == Status.CANCELLED


def test_a_failing_renderer_fails_its_row_and_the_batch_goes_on(
    clock, enqueued, mailoutbox, monkeypatch
):
    broken = _confirmation("broken@example.org")
    fine = _confirmation("fine@example.org", seminar=broken.seminar)
    real = composing.RENDERERS[Kind.REGISTRATION_CONFIRMED]

    def render(email, batch):
        if email.to_email == "broken@example.org":
            raise RuntimeError("template blew up for broken@example.org")
        return real(email, batch)

    monkeypatch.setitem(composing.RENDERERS, Kind.REGISTRATION_CONFIRMED, render)

    result = emails_deliver(email_ids=[broken.pk, fine.pk])

    assert (result.delivered, result.skipped) == (1, 1)
    assert [message.to for message in mailoutbox] == [["Hanako Yamada <fine@example.org>"]]
    broken.refresh_from_db()
    assert broken.status == Status.FAILED
    # The reason is kept, the address in it is not.
    assert (
        broken.last_error == "could not be rendered: RuntimeError: template blew up for <address>"
    )
    assert broken.rendered is False


def test_email_render_previews_without_storing(enqueued):
    email = _confirmation()

    preview = email_render(email=email)

    assert preview.subject == "You're registered: Tourism in Tottori"
    assert OutgoingEmail.objects.get(pk=email.pk).rendered is False


def test_email_render_says_why_a_row_would_not_be_sent(enqueued):
    email = _confirmation()
    Registration.objects.filter(pk=email.registration_id).update(
        status=Registration.Status.CANCELLED
    )
    email.refresh_from_db()

    with pytest.raises(NotSent, match="cancelled"):
        email_render(email=email)


def _deliver_queries(count: int, *, clock) -> int:
    seminar = tottori_seminar(reminder_offsets_minutes=[60])
    RegistrationFactory.create_batch(count, seminar=seminar)
    Registration.objects.filter(seminar=seminar).update(
        created_at=seminar.starts_at - timedelta(days=2)
    )
    clock.move_to(seminar.starts_at - timedelta(minutes=59))
    reminders_dispatch()
    ids = list(
        OutgoingEmail.objects.filter(seminar=seminar, kind=Kind.REMINDER).values_list(
            "pk", flat=True
        )
    )
    assert len(ids) == count
    with CaptureQueriesContext(connection) as queries:
        assert emails_deliver(email_ids=ids).delivered == count
    return len(queries) - count  # one UPDATE per message marks it sent


def test_rendering_a_batch_costs_the_same_queries_for_3_or_30_rows(clock, enqueued, mailoutbox):
    assert _deliver_queries(3, clock=clock) == _deliver_queries(30, clock=clock)


def test_the_rendered_reminder_names_the_time_left_when_it_is_sent(clock, enqueued, mailoutbox):
    seminar = tottori_seminar(reminder_offsets_minutes=[60])
    registration = RegistrationFactory(seminar=seminar)
    Registration.objects.filter(pk=registration.pk).update(
        created_at=seminar.starts_at - timedelta(days=2)
    )
    clock.move_to(seminar.starts_at - timedelta(minutes=60))
    reminders_dispatch()
    # The worker gets to it 25 minutes late (a backlog): the subject says what is left.
    clock.move_to(seminar.starts_at - timedelta(minutes=35))

    emails_deliver(email_ids=list(OutgoingEmail.objects.values_list("pk", flat=True)))

    (message,) = mailoutbox
    assert "in 35 minutes" in message.subject


def test_a_batch_renders_each_reminder_wording_once_and_puts_each_name_in(
    clock, enqueued, mailoutbox, monkeypatch
):
    from notifications.services import reminders

    seminar = tottori_seminar(reminder_offsets_minutes=[60])
    names = ["Hanako", "O'Brien & <Sons>", "Taro"]
    for n, name in enumerate(names):
        RegistrationFactory(seminar=seminar, name=name, email=f"p{n}@example.org")
    RegistrationFactory(seminar=seminar, name="Kenji", email="ja@example.org", language="ja")
    Registration.objects.update(created_at=seminar.starts_at - timedelta(days=2))
    clock.move_to(seminar.starts_at - timedelta(minutes=59))
    reminders_dispatch()
    renders = []
    real_render = reminders.render_email

    def counting(template, context):
        renders.append(context["name"])
        return real_render(template, context)

    monkeypatch.setattr(reminders, "render_email", counting)

    emails_deliver(email_ids=list(OutgoingEmail.objects.values_list("pk", flat=True)))

    # One wording in English, one in Japanese: two renderings for four people.
    assert len(renders) == 2
    by_address = {message.to[0].rsplit("<", 1)[1].rstrip(">"): message for message in mailoutbox}
    assert len(by_address) == 4
    for n, name in enumerate(names):
        message = by_address[f"p{n}@example.org"]
        assert f"Dear {name}," in message.body
        html = message.alternatives[0][0]
        assert f"Dear {escape(name)}," in html
        assert "kizuna-recipient-name-placeholder" not in message.body + html
    assert "Kenji" in by_address["ja@example.org"].body
