import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notifications.models import Announcement, EmailOptOut, OutgoingEmail
from notifications.services import (
    announcement_send,
    email_opt_out,
    email_queue,
)
from tests.factories import (
    RegistrationFactory,
    SeminarChangeNoticeFactory,
    SeminarFactory,
    StaffFactory,
)
from tests.utils import (
    ANNOUNCEMENT_BODY,
    ANNOUNCEMENT_SENT_AT,
    agent_and_media_types,
    announcement_audience,
    announcement_draft,
    tottori_seminar,
)

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
        "view_seminaralert",
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
    assert 'name="subject_en"' not in body
    response = organiser_client.post(url, {"subject_en": "Changed"})
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
    SeminarChangeNoticeFactory(seminar=seminar, before={}, due_at=seminar.starts_at)
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


# --- Admin: write, preview, send ---------------------------------------------------


ADD = "admin:notifications_announcement_add"


def _preview(announcement) -> str:
    return reverse("admin:notifications_announcement_preview", args=[announcement.pk])


def test_organisers_may_write_and_send_announcements_and_manage_opt_outs():
    codenames = set(
        Group.objects.get(name="Organisers")
        .permissions.filter(content_type__model__in=["announcement", "emailoptout"])
        .values_list("codename", flat=True)
    )
    assert codenames == {
        "view_announcement",
        "add_announcement",
        "change_announcement",
        "view_emailoptout",
        "add_emailoptout",
        "delete_emailoptout",
    }


def test_add_form_takes_the_seminar_from_the_address_and_ticks_confirmed(organiser_client):
    seminar = tottori_seminar()

    response = organiser_client.get(reverse(ADD), {"seminar": seminar.pk})

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert str(form["seminar"].value()) == str(seminar.pk)
    assert form["statuses"].value() == ["confirmed"]
    body = response.content.decode()
    assert f'<option value="{seminar.pk}" selected>Tourism in Tottori</option>' in body
    assert 'name="statuses" value="confirmed" id="id_statuses_0" checked' in body


def test_admin_add_preview_send_flow(organiser_client, organiser, enqueued):
    seminar = tottori_seminar()
    announcement_audience(seminar)
    agent, _media = agent_and_media_types()

    response = organiser_client.post(
        reverse(ADD),
        {
            "seminar": seminar.pk,
            "subject_en": "Slides for Thursday",
            "body_en": ANNOUNCEMENT_BODY,
            "statuses": ["waitlisted", "confirmed"],
            "audience_types": [agent.pk],
        },
    )

    announcement = Announcement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _preview(announcement)
    assert announcement.statuses == ["confirmed", "waitlisted"]
    assert list(announcement.audience_types.all()) == [agent]
    assert announcement.created_by == organiser
    assert announcement.sent_at is None
    assert OutgoingEmail.objects.count() == 0

    preview = organiser_client.get(_preview(announcement))

    assert preview.status_code == 200
    assert preview.context["recipient_count"] == 2
    assert [(g.status, g.audience_type, g.count) for g in preview.context["breakdown"]] == [
        ("Confirmed", "Travel agent", 1),
        ("Waitlisted", "Travel agent", 1),
    ]
    assert preview.context["reader"].email == "agent-confirmed@example.org"
    assert preview.context["rendered"].subject == "Slides for Thursday"
    page = preview.content.decode()
    assert 'value="Send to 2 people"' in page
    assert "The slides are at https://example.org/slides?a=1&amp;b=2" in page
    assert "srcdoc=" in page
    assert OutgoingEmail.objects.count() == 0

    sent = organiser_client.post(_preview(announcement), follow=True)

    assert [str(m) for m in sent.context["messages"]] == [
        "Sent to 2 people: the emails are in the outbox."
    ]
    assert sorted(OutgoingEmail.objects.values_list("to_email", flat=True)) == [
        "agent-confirmed@example.org",
        "agent-waiting@example.org",
    ]
    announcement.refresh_from_db()
    assert announcement.recipient_count == 2
    assert announcement.sent_at is not None
    assert "Send to" not in sent.content.decode()
    assert "It cannot be sent again." in sent.content.decode()

    again = organiser_client.post(_preview(announcement), follow=True)

    assert [str(m) for m in again.context["messages"]] == [
        "This announcement was already sent; it was not sent again."
    ]
    assert OutgoingEmail.objects.count() == 2


def test_a_sent_announcement_is_read_only(organiser_client, enqueued):
    seminar = tottori_seminar()
    RegistrationFactory(seminar=seminar)
    announcement = announcement_draft(seminar)
    announcement_send(announcement=announcement, now=ANNOUNCEMENT_SENT_AT)
    url = reverse("admin:notifications_announcement_change", args=[announcement.pk])

    page = organiser_client.get(url)

    assert page.status_code == 200
    assert 'name="subject_en"' not in page.content.decode()
    assert "Confirmed" in page.content.decode()
    organiser_client.post(url, {"subject_en": "Changed", "body_en": "x", "statuses": ["confirmed"]})
    announcement.refresh_from_db()
    assert announcement.subject == "Slides for Thursday"


@pytest.mark.parametrize(
    ("seminar_kwargs", "statuses", "field", "error"),
    [
        ({}, [], "statuses", "Choose at least one registration status to write to."),
        (
            {"draft": True},
            ["confirmed"],
            "seminar",
            "The seminar is a draft: publish it before writing to its registrants.",
        ),
    ],
)
def test_admin_form_explains_what_is_missing(
    organiser_client, seminar_kwargs, statuses, field, error
):
    seminar = tottori_seminar(**seminar_kwargs)

    response = organiser_client.post(
        reverse(ADD),
        {"seminar": seminar.pk, "subject_en": "Hello", "body_en": "Hi", "statuses": statuses},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {field: [error]}
    assert Announcement.objects.count() == 0


def test_preview_with_nobody_to_send_to_says_so_and_refuses_to_send(organiser_client, enqueued):
    seminar = tottori_seminar()
    RegistrationFactory(seminar=seminar, email="kenji@example.org")
    email_opt_out(email="kenji@example.org", source="page")
    announcement = announcement_draft(seminar)

    preview = organiser_client.get(_preview(announcement))

    assert preview.context["recipient_count"] == 0
    assert preview.context["opted_out_count"] == 1
    assert preview.context["reader_is_example"] is True
    page = preview.content.decode()
    assert "Nobody would receive this announcement" in page
    assert "1 address that matches unsubscribed from announcements and is left out." in page
    assert "Send to" not in page

    refused = organiser_client.post(_preview(announcement), follow=True)

    assert [str(m) for m in refused.context["messages"]] == [
        "Nobody would receive this announcement: no registrant with the chosen statuses and "
        "audience types (who has not unsubscribed). Nothing was sent."
    ]
    assert OutgoingEmail.objects.count() == 0
    announcement.refresh_from_db()
    assert announcement.sent_at is None


def test_staff_without_announcement_permissions_cannot_preview_or_send(client, enqueued):
    seminar = tottori_seminar()
    RegistrationFactory(seminar=seminar)
    announcement = announcement_draft(seminar)
    client.force_login(StaffFactory())

    assert client.get(_preview(announcement)).status_code == 403
    assert client.post(_preview(announcement)).status_code == 403
    assert OutgoingEmail.objects.count() == 0


def _preview_queries(organiser_client, number: int, registrants: int) -> int:
    seminar = tottori_seminar(slug=f"preview-{number}")
    agent, media = agent_and_media_types()
    for n in range(registrants):
        RegistrationFactory(seminar=seminar, audience_type=agent if n % 2 else media)
    announcement = announcement_draft(seminar, audience_types=[agent, media])
    with CaptureQueriesContext(connection) as queries:
        response = organiser_client.get(_preview(announcement))
    assert response.context["recipient_count"] == registrants
    return len(queries)


def test_preview_queries_do_not_grow_with_recipients(organiser_client):
    assert _preview_queries(organiser_client, 1, 1) == _preview_queries(organiser_client, 2, 30)


def test_organiser_records_an_opt_out_in_lower_case_once(organiser_client):
    add = reverse("admin:notifications_emailoptout_add")

    response = organiser_client.post(add, {"email": "Kenji@Example.org"})

    assert response.status_code == 302
    assert list(EmailOptOut.objects.values_list("email", "source")) == [
        ("kenji@example.org", "admin")
    ]
    again = organiser_client.post(add, {"email": "KENJI@example.org"})
    assert again.context["adminform"].form.errors == {
        "email": ["This address has already unsubscribed."]
    }
    assert EmailOptOut.objects.count() == 1
