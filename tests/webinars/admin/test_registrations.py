import csv
import io

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import AudienceType
from notifications.models import OutgoingEmail
from tests.factories import (
    RegistrationFactory,
    RegistrationQuestionFactory,
    SeminarFactory,
    SeriesFactory,
    StaffFactory,
)
from tests.utils import (
    ABSENT,
    UNKNOWN,
    attendance_of,
    attendance_report,
    messages_of,
    seminar_form_data,
)
from webinars.attendance_import import (
    attendance_import,
    parse_report,
)
from webinars.models import Registration, RegistrationQuestion, Seminar

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:webinars_registration_changelist")
WAITLISTED = Registration.Status.WAITLISTED
CONFIRMED = Registration.Status.CONFIRMED


def _listed(response) -> list[str]:
    return [registration.email for registration in response.context["cl"].result_list]


def _action(client, action: str, *registrations: Registration):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [registration.pk for registration in registrations]},
        follow=True,
    )


# --- Permissions (migration 0004) ---------------------------------------------------


def test_organisers_group_holds_the_registration_permissions():
    codenames = set(
        Group.objects.get(name="Organisers")
        .permissions.filter(content_type__app_label="webinars")
        .filter(codename__regex=r"_(registration|registrationquestion|joinclick)$")
        .values_list("codename", flat=True)
    )

    assert codenames == {
        "add_registration",
        "change_registration",
        "view_registration",
        "add_registrationquestion",
        "change_registrationquestion",
        "delete_registrationquestion",
        "view_registrationquestion",
        "view_joinclick",
    }


def test_organiser_can_open_the_registration_list_and_a_registration(organiser_client):
    registration = RegistrationFactory(name="Aiko Tanaka")

    assert organiser_client.get(CHANGELIST).status_code == 200
    response = organiser_client.get(
        reverse("admin:webinars_registration_change", args=[registration.pk])
    )
    assert response.status_code == 200
    assert response.context["has_delete_permission"] is False


def test_registrations_are_not_added_or_deleted_in_the_admin(organiser_client, admin_client):
    registration = RegistrationFactory()

    assert organiser_client.get(reverse("admin:webinars_registration_add")).status_code == 403
    delete_url = reverse("admin:webinars_registration_delete", args=[registration.pk])
    assert admin_client.get(delete_url).status_code == 403
    response = admin_client.get(CHANGELIST)
    actions = response.context["cl"].model_admin.get_actions(response.wsgi_request)
    assert "delete_selected" not in actions


# --- The list -------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 20])
def test_registration_changelist_query_count_does_not_grow(
    organiser_client, django_assert_max_num_queries, count
):
    seminar = SeminarFactory()
    RegistrationFactory.create_batch(count, seminar=seminar)

    # Session, user, permissions, the filters' choices (two for the source filters),
    # counts and the page itself.
    with django_assert_max_num_queries(16):
        response = organiser_client.get(CHANGELIST)

    assert len(response.context["cl"].result_list) == count


def test_registration_changelist_shows_the_columns(organiser_client):
    RegistrationFactory(
        name="Aiko Tanaka",
        email="aiko.tanaka@example.jp",
        seminar=SeminarFactory(title="Onsen towns of Kyushu"),
    )

    html = organiser_client.get(CHANGELIST).content.decode()

    assert '<td class="field-email">aiko.tanaka@example.jp</td>' in html
    assert '<td class="field-audience_type nowrap">Travel agent</td>' in html
    assert '<td class="field-status">Confirmed</td>' in html
    assert '<td class="field-attended">Unknown</td>' in html
    assert '<td class="field-seminar nowrap">Onsen towns of Kyushu</td>' in html


def test_registration_changelist_filters(organiser_client):
    series = SeriesFactory(name="Japan Local Attraction Seminars")
    seminar = SeminarFactory(series=series)
    other = SeminarFactory()
    media = AudienceType.objects.get(slug="media")
    RegistrationFactory(seminar=seminar, email="a@example.org")
    RegistrationFactory(seminar=seminar, email="b@example.org", status=WAITLISTED)
    RegistrationFactory(seminar=seminar, email="c@example.org", audience_type=media)
    RegistrationFactory(seminar=other, email="d@example.org", attended="yes")

    def listed(query: str) -> list[str]:
        return sorted(_listed(organiser_client.get(f"{CHANGELIST}?{query}")))

    assert listed(f"seminar__id__exact={seminar.pk}") == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]
    assert listed("status__exact=waitlisted") == ["b@example.org"]
    assert listed(f"audience_type__id__exact={media.pk}") == ["c@example.org"]
    assert listed("attended__exact=yes") == ["d@example.org"]
    assert listed(f"seminar__series__id__exact={series.pk}") == [
        "a@example.org",
        "b@example.org",
        "c@example.org",
    ]


def test_registration_changelist_searches_name_email_and_organisation(organiser_client):
    RegistrationFactory(name="Aiko Tanaka", email="a@example.org")
    RegistrationFactory(name="Oliver Bennett", email="oliver@travel.example")
    RegistrationFactory(name="Sophie", email="s@example.org", organisation="Kyushu Tours Ltd")

    def found(term: str) -> list[str]:
        return sorted(_listed(organiser_client.get(CHANGELIST, {"q": term})))

    assert found("tanaka") == ["a@example.org"]
    assert found("travel.example") == ["oliver@travel.example"]
    assert found("kyushu tours") == ["s@example.org"]


def test_registration_change_page_shows_answers_and_read_only_consent(organiser_client):
    seminar = SeminarFactory()
    question = RegistrationQuestionFactory(
        seminar=seminar,
        label="Which regions?",
        kind=RegistrationQuestion.Kind.MULTIPLE_CHOICE,
        choices="Kyushu\nTohoku",
    )
    registration = RegistrationFactory(
        seminar=seminar, answers={str(question.pk): ["Kyushu", "Tohoku"]}
    )

    response = organiser_client.get(
        reverse("admin:webinars_registration_change", args=[registration.pk])
    )

    html = response.content.decode()
    assert "<dt>Which regions?</dt><dd>Kyushu; Tohoku</dd>" in html
    form_fields = set(response.context["adminform"].form.fields)
    assert form_fields.isdisjoint(
        {"privacy_notice_version", "privacy_consented_at", "marketing_opt_in", "email", "status"}
    )
    assert {"name", "attended"} <= form_fields


# --- Attendance actions ------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "attended", "label"),
    [
        ("mark_attended", "yes", "Attended"),
        ("mark_did_not_attend", "no", "Did not attend"),
        ("mark_attendance_unknown", "unknown", "Unknown"),
    ],
)
def test_attendance_actions_mark_the_selected_registrations(
    organiser_client, action, attended, label
):
    start = "no" if attended != "no" else "yes"
    selected = RegistrationFactory.create_batch(2, attended=start)
    untouched = RegistrationFactory(attended=start)

    response = _action(organiser_client, action, *selected)

    assert messages_of(response) == [f"Marked 2 registrations as “{label}”."]
    assert [Registration.objects.get(pk=r.pk).attended for r in selected] == [attended, attended]
    assert Registration.objects.get(pk=untouched.pk).attended == start


# --- Promotion ----------------------------------------------------------------------


def test_promote_action_confirms_waitlisted_registrations_and_queues_their_email(
    organiser_client, django_capture_on_commit_callbacks
):
    seminar = SeminarFactory(capacity=2)
    RegistrationFactory(seminar=seminar)
    waitlisted = RegistrationFactory(seminar=seminar, status=WAITLISTED)

    with django_capture_on_commit_callbacks():
        response = _action(organiser_client, "promote_from_waitlist", waitlisted)

    assert messages_of(response) == [
        "Promoted 1 registration from the waitlist; they are told by email."
    ]
    assert Registration.objects.get(pk=waitlisted.pk).status == CONFIRMED
    assert list(
        OutgoingEmail.objects.filter(registration=waitlisted).values_list("kind", flat=True)
    ) == [OutgoingEmail.Kind.WAITLIST_PROMOTED]


def test_promote_action_reports_who_could_not_be_promoted_and_why(
    organiser_client, django_capture_on_commit_callbacks
):
    seminar = SeminarFactory(capacity=1)
    confirmed = RegistrationFactory(seminar=seminar, name="Aiko Tanaka", email="aiko@example.jp")
    first = RegistrationFactory(
        seminar=seminar, name="Oliver Bennett", email="oliver@example.org", status=WAITLISTED
    )

    with django_capture_on_commit_callbacks():
        response = _action(organiser_client, "promote_from_waitlist", confirmed, first)

    assert messages_of(response) == [
        "Not promoted: Aiko Tanaka <aiko@example.jp>: not on the waitlist (Confirmed); "
        "Oliver Bennett <oliver@example.org>: no seat left: raise the seminar's capacity first"
    ]
    assert Registration.objects.get(pk=first.pk).status == WAITLISTED
    assert not OutgoingEmail.objects.exists()


# --- Export -------------------------------------------------------------------------


def test_export_csv_action_exports_the_selected_registrations(organiser_client):
    seminar = SeminarFactory(title="Onsen towns of Kyushu")
    selected = RegistrationFactory(seminar=seminar, name="Aiko Tanaka")
    RegistrationFactory(seminar=seminar, name="Not Selected")

    response = organiser_client.post(
        CHANGELIST, {"action": "export_csv", "_selected_action": [selected.pk]}
    )

    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row[:2] for row in rows] == [
        ["Seminar", "Name"],
        ["Onsen towns of Kyushu", "Aiko Tanaka"],
    ]


# --- Seminar admin: questions inline and registration counts ------------------------


def test_seminar_changelist_shows_registration_counts_without_extra_queries(
    organiser_client, django_assert_max_num_queries
):
    seminar = SeminarFactory()
    RegistrationFactory.create_batch(3, seminar=seminar)
    RegistrationFactory(seminar=seminar, status=WAITLISTED)
    RegistrationFactory(seminar=seminar, status=Registration.Status.CANCELLED)
    SeminarFactory.create_batch(5)

    # As many as without the counts: they are subqueries of the list's own query.
    with django_assert_max_num_queries(13):
        response = organiser_client.get(reverse("admin:webinars_seminar_changelist"))

    html = response.content.decode()
    assert (
        f'<a href="{CHANGELIST}?seminar__id__exact={seminar.pk}">3 confirmed, 1 waitlisted</a>'
        in html
    )
    assert html.count("0 confirmed, 0 waitlisted") == 5


def _seminar_post(seminar: Seminar, questions: list[dict[str, str]]) -> dict[str, object]:
    """The seminar change form's data, unchanged, with new question rows."""

    data = seminar_form_data(seminar)
    data.update(
        {
            "questions-TOTAL_FORMS": str(len(questions)),
            "questions-INITIAL_FORMS": "0",
            "questions-MIN_NUM_FORMS": "0",
            "questions-MAX_NUM_FORMS": "1000",
        }
    )
    for index, question in enumerate(questions):
        for name, value in question.items():
            data[f"questions-{index}-{name}"] = value
    return data


def _question_errors(response) -> list[dict[str, list[str]]]:
    formset = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "questions"
    )
    return [{name: list(errors) for name, errors in form.errors.items()} for form in formset]


def test_seminar_admin_saves_ordered_registration_questions(admin_client):
    seminar = SeminarFactory()
    data = _seminar_post(
        seminar,
        [
            {"position": "2", "label_en": "Do you sell Japan packages?", "kind": "yes_no"},
            {
                "position": "1",
                "label_en": "Which regions?",
                "kind": "multiple_choice",
                "choices_en": "Kyushu\nTohoku",
                "required": "on",
            },
        ],
    )

    response = admin_client.post(reverse("admin:webinars_seminar_change", args=[seminar.pk]), data)

    assert response.status_code == 302, _question_errors(response)
    assert list(seminar.questions.values_list("label", "kind", "required")) == [
        ("Which regions?", "multiple_choice", True),
        ("Do you sell Japan packages?", "yes_no", False),
    ]


def test_seminar_admin_refuses_a_choice_question_with_one_option(admin_client):
    seminar = SeminarFactory()
    data = _seminar_post(
        seminar,
        [{"position": "1", "label_en": "Region?", "kind": "single_choice", "choices_en": "Kyushu"}],
    )

    response = admin_client.post(reverse("admin:webinars_seminar_change", args=[seminar.pk]), data)

    assert response.status_code == 200
    assert _question_errors(response) == [
        {"choices_en": ["A choice question needs at least two options, one per line."]}
    ]
    assert not seminar.questions.exists()


def test_seminar_admin_refuses_options_on_a_text_question(admin_client):
    seminar = SeminarFactory()
    data = _seminar_post(
        seminar,
        [{"position": "1", "label_en": "Company?", "kind": "short_text", "choices_en": "A\nB"}],
    )

    response = admin_client.post(reverse("admin:webinars_seminar_change", args=[seminar.pk]), data)

    assert _question_errors(response) == [
        {"choices_en": ["Only single and multiple choice questions have options."]}
    ]


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


# --- Admin downloads -----------------------------------------------------------


def test_seminar_registrants_csv_view_downloads_that_seminars_registrants(
    organiser_client, seminar
):
    RegistrationFactory(seminar=seminar, name="Aiko Tanaka")
    RegistrationFactory(name="Someone Else")

    response = organiser_client.get(
        reverse("admin:webinars_seminar_registrants_csv", args=[seminar.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="registrants-onsen-towns-of-kyushu-'
    )
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))
    assert [row[1] for row in _rows(response.content)[1:]] == ["Aiko Tanaka"]


def test_seminar_registrants_csv_view_is_linked_from_the_seminar_page(organiser_client, seminar):
    response = organiser_client.get(reverse("admin:webinars_seminar_change", args=[seminar.pk]))

    html = response.content.decode()
    assert f'href="/admin/webinars/seminar/{seminar.pk}/registrants.csv"' in html
    assert f'href="/admin/webinars/seminar/{seminar.pk}/import-attendance/"' in html


def test_seminar_registrants_csv_view_needs_the_view_registration_permission(client, seminar):
    staff = StaffFactory(email="catalogue@jlgc.example")
    staff.user_permissions.add(Permission.objects.get(codename="view_seminar"))
    client.force_login(staff)

    response = client.get(reverse("admin:webinars_seminar_registrants_csv", args=[seminar.pk]))

    assert response.status_code == 403


def test_seminar_changelist_action_exports_the_selected_seminars(organiser_client, seminar):
    other = SeminarFactory(title="Sake breweries of Niigata")
    unselected = SeminarFactory()
    RegistrationFactory(seminar=seminar, name="Aiko Tanaka")
    RegistrationFactory(seminar=other, name="Oliver Bennett")
    RegistrationFactory(seminar=unselected, name="Not Exported")

    response = organiser_client.post(
        reverse("admin:webinars_seminar_changelist"),
        {"action": "export_registrants", "_selected_action": [seminar.pk, other.pk]},
    )

    assert response.status_code == 200
    assert 'filename="registrants-selection-' in response["Content-Disposition"]
    assert sorted(row[1] for row in _rows(response.content)[1:]) == [
        "Aiko Tanaka",
        "Oliver Bennett",
    ]


# --- Admin page ------------------------------------------------------------------


def _import_url(seminar) -> str:
    return reverse("admin:webinars_seminar_import_attendance", args=[seminar.pk])


def test_admin_import_page_offers_the_form_with_mark_absent_checked(organiser_client, seminar):
    response = organiser_client.get(_import_url(seminar))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="report"' in html
    assert 'name="mark_absent" id="id_mark_absent" checked' in html


def test_admin_import_page_imports_and_shows_the_summary(organiser_client, seminar, registrations):
    upload = SimpleUploadedFile("participants.csv", attendance_report("zoom_meeting_report.csv"))

    response = organiser_client.post(_import_url(seminar), {"report": upload, "mark_absent": "on"})

    assert response.status_code == 200
    summary = response.context["summary"]
    assert (summary.rows_read, summary.matched, summary.marked_attended, summary.marked_absent) == (
        8,
        4,
        4,
        1,
    )
    html = response.content.decode()
    assert "<li>priya.shah@example.com</li>" in html
    assert attendance_of(registrations)["emma"] == ABSENT


def test_admin_import_page_shows_an_unrecognised_file_as_a_form_error(
    organiser_client, seminar, registrations
):
    upload = SimpleUploadedFile("legacy.csv", attendance_report("teams_legacy.csv"))

    response = organiser_client.post(_import_url(seminar), {"report": upload})

    assert response.status_code == 200
    assert response.context["summary"] is None
    assert (
        response.context["form"]
        .errors["report"][0]
        .startswith("This is an older Microsoft Teams attendance list")
    )
    assert attendance_of(registrations)["aiko"] == UNKNOWN


def test_admin_import_page_needs_the_change_registration_permission(client, seminar):
    viewer = StaffFactory(email="viewer@jlgc.example")
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_seminar", "view_registration"])
    )
    client.force_login(viewer)

    assert client.get(_import_url(seminar)).status_code == 403


def test_admin_import_page_of_an_unknown_seminar_is_404(organiser_client):
    response = organiser_client.get(
        reverse("admin:webinars_seminar_import_attendance", args=[999999])
    )

    assert response.status_code == 404


def test_import_that_matches_nobody_marks_nobody_absent(seminar, registrations):
    other_meeting = (
        b"Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\r\n"
        b"Tom Reid,tom.reid@example.org,,,30,Yes\r\n"
    )

    summary = attendance_import(
        seminar=seminar, report=parse_report(other_meeting), mark_absent=True
    )

    assert (summary.matched, summary.marked_absent, summary.absent_skipped) == (0, 0, True)
    assert summary.lines()[-1] == (
        "No registrant of this seminar is in the report, so nobody was marked as absent: "
        "is it the report of this seminar's meeting?"
    )
    assert attendance_of(registrations)["emma"] == UNKNOWN
