import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from notifications.models import OutgoingEmail
from notifications.services import email_queue
from tests.factories import SeminarFactory

pytestmark = pytest.mark.django_db

Status = OutgoingEmail.Status
CHANGELIST = "admin:notifications_outgoingemail_changelist"


def _email(**kwargs) -> OutgoingEmail:
    fields = {
        "kind": OutgoingEmail.Kind.REGISTRATION_CONFIRMED,
        "to_email": "kenji@example.org",
        "to_name": "Kenji",
        "language": "en",
        "subject": "You're registered",
        "body_text": "Your join link opens soon.",
    }
    return email_queue(**(fields | kwargs))


def test_organisers_may_view_and_change_the_outbox_but_not_add_or_delete():
    codenames = set(
        Group.objects.get(name="Organisers")
        .permissions.filter(content_type__app_label="notifications")
        .values_list("codename", flat=True)
    )
    assert codenames == {
        "view_outgoingemail",
        "change_outgoingemail",
        "view_announcement",
        "add_announcement",
        "change_announcement",
        "view_emailoptout",
        "add_emailoptout",
        "delete_emailoptout",
        "view_seminarchangenotice",
        "view_periodictaskrun",
    }


def test_outbox_list_shows_filters_and_searches(organiser_client, enqueued):
    seminar = SeminarFactory(title="Onsen towns")
    _email(seminar=seminar, to_email="kenji@example.org")
    _email(to_email="other@example.org", subject="Another subject")

    response = organiser_client.get(reverse(CHANGELIST), {"q": "kenji@"})

    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert [row.to_email for row in rows] == ["kenji@example.org"]
    assert "Onsen towns" in response.content.decode()
    by_status = organiser_client.get(reverse(CHANGELIST), {"status__exact": "failed"})
    assert list(by_status.context["cl"].result_list) == []
    by_subject = organiser_client.get(reverse(CHANGELIST), {"q": "Another"})
    assert [row.to_email for row in by_subject.context["cl"].result_list] == ["other@example.org"]


def test_detail_is_read_only_with_text_body_and_last_error(organiser_client, enqueued):
    email = _email()
    OutgoingEmail.objects.filter(pk=email.pk).update(
        status=Status.FAILED, last_error="SMTPDataError: (554, b'rejected')"
    )
    url = reverse("admin:notifications_outgoingemail_change", args=[email.pk])

    response = organiser_client.get(url)

    assert response.status_code == 200
    body = response.content.decode()
    assert "Your join link opens soon." in body
    assert "SMTPDataError: (554, b&#x27;rejected&#x27;)" in body
    assert 'name="subject"' not in body
    response = organiser_client.post(url, {"subject": "Changed"})
    email.refresh_from_db()
    assert email.subject == "You're registered"


def test_resend_queues_failed_and_cancelled_rows_after_commit(
    organiser_client, enqueued, django_capture_on_commit_callbacks
):
    failed = _email(to_email="failed@example.org")
    cancelled = _email(to_email="cancelled@example.org")
    sent = _email(to_email="sent@example.org")
    OutgoingEmail.objects.filter(pk=failed.pk).update(status=Status.FAILED, attempts=8)
    OutgoingEmail.objects.filter(pk=cancelled.pk).update(status=Status.CANCELLED)
    OutgoingEmail.objects.filter(pk=sent.pk).update(status=Status.SENT)
    enqueued.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(
            reverse(CHANGELIST),
            {"action": "resend", "_selected_action": [failed.pk, cancelled.pk, sent.pk]},
            follow=True,
        )

    assert response.status_code == 200
    statuses = dict(OutgoingEmail.objects.values_list("to_email", "status"))
    assert statuses == {
        "failed@example.org": Status.QUEUED,
        "cancelled@example.org": Status.QUEUED,
        "sent@example.org": Status.SENT,
    }
    assert OutgoingEmail.objects.get(pk=failed.pk).attempts == 0
    assert sorted(email_id for email_id, _countdown in enqueued) == sorted(
        [failed.pk, cancelled.pk]
    )
    messages = [str(message) for message in response.context["messages"]]
    assert messages == [
        "2 emails queued again.",
        "1 email was not failed or cancelled and was left as it is.",
    ]


def test_change_notices_and_scheduler_runs_are_visible_but_read_only(organiser_client):
    from notifications.models import PeriodicTaskRun, SeminarChangeNotice
    from notifications.scheduler import REMINDER_SCAN, periodic_task_run_record

    seminar = SeminarFactory(title="Snow festival")
    SeminarChangeNotice.objects.create(seminar=seminar, before={}, due_at=seminar.starts_at)
    periodic_task_run_record(name=REMINDER_SCAN)

    notices = organiser_client.get(reverse("admin:notifications_seminarchangenotice_changelist"))
    runs = organiser_client.get(reverse("admin:notifications_periodictaskrun_changelist"))
    notice = SeminarChangeNotice.objects.get()
    change = organiser_client.post(
        reverse("admin:notifications_seminarchangenotice_change", args=[notice.pk]),
        {"outcome": "edited"},
    )

    assert notices.status_code == 200
    assert "Snow festival" in notices.content.decode()
    assert runs.status_code == 200
    assert REMINDER_SCAN in runs.content.decode()
    assert change.status_code == 403
    assert PeriodicTaskRun.objects.count() == 1
    assert SeminarChangeNotice.objects.get().outcome == ""
