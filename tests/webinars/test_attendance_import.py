from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, ManagementUtility, call_command
from django.urls import reverse

from tests.factories import RegistrationFactory, SeminarFactory, UserFactory
from webinars.attendance_import import (
    TEAMS_ATTENDANCE,
    ZOOM_MEETING_REPORT,
    ZOOM_PARTICIPANTS,
    AttendanceReportError,
    MalformedRow,
    attendance_import,
    parse_report,
)
from webinars.models import Registration

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "attendance"
ATTENDED = Registration.Attendance.YES
ABSENT = Registration.Attendance.NO
UNKNOWN = Registration.Attendance.UNKNOWN
# Every full report (Zoom and Teams) has the same participants: the host, four registrants
# (Oliver's email in mixed case), a guest without an email and Priya, whose registration
# was cancelled.
FULL_REPORTS = [
    ("zoom_participants.csv", ZOOM_PARTICIPANTS, 8),
    ("zoom_meeting_report.csv", ZOOM_MEETING_REPORT, 8),
    ("teams_attendance_utf16.csv", TEAMS_ATTENDANCE, 7),
    ("teams_attendance_utf8.csv", TEAMS_ATTENDANCE, 7),
]


def _report(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def seminar():
    return SeminarFactory(slug="onsen-towns-of-kyushu", title="Onsen towns of Kyushu")


@pytest.fixture
def registrations(seminar) -> dict[str, Registration]:
    people = {
        "aiko": ("aiko.tanaka@example.jp", Registration.Status.CONFIRMED, UNKNOWN),
        "oliver": ("oliver.bennett@example.co.uk", Registration.Status.CONFIRMED, ABSENT),
        "sophie": ("sophie.clarke@example.org", Registration.Status.WAITLISTED, UNKNOWN),
        "ken": ("ken.sato@example.jp", Registration.Status.CONFIRMED, UNKNOWN),
        "emma": ("emma.wilson@example.co.uk", Registration.Status.CONFIRMED, UNKNOWN),
        "hiro": ("hiro.mori@example.jp", Registration.Status.CONFIRMED, ATTENDED),
        "james": ("james.hall@example.org", Registration.Status.WAITLISTED, UNKNOWN),
        "priya": ("priya.shah@example.com", Registration.Status.CANCELLED, UNKNOWN),
    }
    return {
        key: RegistrationFactory(seminar=seminar, email=email, status=status, attended=attended)
        for key, (email, status, attended) in people.items()
    }


def _attendance(registrations: dict[str, Registration]) -> dict[str, str]:
    return {
        key: Registration.objects.get(pk=registration.pk).attended
        for key, registration in registrations.items()
    }


# --- Parsing -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "report_format", "rows_read"), FULL_REPORTS)
def test_parse_report_reads_the_participants_of_each_layout(name, report_format, rows_read):
    report = parse_report(_report(name))

    assert report.format == report_format
    assert report.rows_read == rows_read
    assert report.emails == {
        "events@jlgc.example",
        "aiko.tanaka@example.jp",
        "oliver.bennett@example.co.uk",
        "sophie.clarke@example.org",
        "ken.sato@example.jp",
        "priya.shah@example.com",
    }
    assert report.rows_without_email == 1
    assert report.malformed == []


def test_parse_teams_report_reads_only_the_participants_section():
    report = parse_report(_report("teams_attendance_utf16.csv"))

    # Emma appears only under "3. In-Meeting Activities".
    assert "emma.wilson@example.co.uk" not in report.emails
    assert [row.name for row in report.rows][:2] == ["JLGC Events", "Aiko Tanaka (External)"]
    assert report.rows[0].line == 11


def test_parse_zoom_report_keeps_names_with_commas_and_japanese_text():
    report = parse_report(_report("zoom_participants.csv"))

    names = [row.name for row in report.rows]
    assert "Clarke, Sophie" in names
    assert "佐藤 健 (Ken Sato)" in names


def test_parse_report_lists_malformed_rows_with_their_line_numbers():
    report = parse_report(_report("malformed.csv"))

    assert report.rows_read == 5
    assert report.emails == {"aiko.tanaka@example.jp", "sophie.clarke@example.org"}
    assert report.malformed == [
        MalformedRow(3, "“not-an-email” is not an email address."),
        MalformedRow(4, "1 column where the header has 7."),
        MalformedRow(6, "“ken.sato@@example.jp” is not an email address."),
    ]


def test_parse_legacy_teams_list_is_refused_for_lack_of_emails():
    with pytest.raises(AttendanceReportError, match="no email addresses"):
        parse_report(_report("teams_legacy.csv"))


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"Name,Organisation\r\nAiko Tanaka,Example Prefecture\r\n",
        b"Meeting ID,Topic,User Email\r\n812,Onsen,events@jlgc.example\r\n",
        "\ufeffjust some text\n".encode(),
    ],
    ids=["empty", "no-email-column", "zoom-summary-only", "plain-text"],
)
def test_parse_report_refuses_unrecognised_files(data):
    with pytest.raises(AttendanceReportError, match=r"^Unrecognised format"):
        parse_report(data)


def test_parse_report_refuses_binary_data():
    with pytest.raises(AttendanceReportError):
        parse_report(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00\x81")


def test_parse_report_refuses_a_file_over_the_size_limit(settings, monkeypatch):
    monkeypatch.setattr("webinars.attendance_import.MAX_REPORT_BYTES", 100)

    with pytest.raises(AttendanceReportError, match="larger than"):
        parse_report(_report("zoom_participants.csv"))


# --- Importing -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "report_format", "rows_read"), FULL_REPORTS)
def test_import_marks_registrants_in_the_report_and_absent_confirmed_ones(
    seminar, registrations, name, report_format, rows_read
):
    summary = attendance_import(
        seminar=seminar, report=parse_report(_report(name)), mark_absent=True
    )

    assert summary.rows_read == rows_read
    assert summary.matched == 4
    assert summary.unknown_emails == ["events@jlgc.example", "priya.shah@example.com"]
    assert summary.rows_without_email == 1
    assert summary.malformed == []
    assert summary.marked_attended == 4
    assert summary.marked_absent == 1
    assert _attendance(registrations) == {
        "aiko": ATTENDED,
        "oliver": ATTENDED,  # Was "did not attend": the report says otherwise.
        "sophie": ATTENDED,  # Waitlisted, but let in.
        "ken": ATTENDED,
        "emma": ABSENT,
        "hiro": ATTENDED,  # Marked by hand earlier and missing from the report: kept.
        "james": UNKNOWN,  # Waitlisted and absent: had no seat, so not marked.
        "priya": UNKNOWN,  # Cancelled: not matched.
    }


def test_import_twice_gives_the_same_marks_and_summary(seminar, registrations):
    data = _report("zoom_participants.csv")

    first = attendance_import(seminar=seminar, report=parse_report(data), mark_absent=True)
    marks = _attendance(registrations)
    second = attendance_import(seminar=seminar, report=parse_report(data), mark_absent=True)

    assert second == first
    assert _attendance(registrations) == marks


def test_import_without_mark_absent_leaves_missing_registrants_unchanged(seminar, registrations):
    summary = attendance_import(
        seminar=seminar, report=parse_report(_report("zoom_meeting_report.csv")), mark_absent=False
    )

    assert summary.marked_absent == 0
    assert _attendance(registrations)["emma"] == UNKNOWN


def test_import_of_malformed_report_marks_only_the_valid_rows(seminar, registrations):
    summary = attendance_import(
        seminar=seminar, report=parse_report(_report("malformed.csv")), mark_absent=False
    )

    assert (summary.rows_read, summary.matched, len(summary.malformed)) == (5, 2, 3)
    assert summary.unknown_emails == []
    marks = _attendance(registrations)
    assert (marks["aiko"], marks["sophie"], marks["oliver"], marks["ken"]) == (
        ATTENDED,
        ATTENDED,
        ABSENT,
        UNKNOWN,
    )


def test_import_ignores_other_seminars_registrations(seminar, registrations):
    other = RegistrationFactory(email="aiko.tanaka@example.jp")

    attendance_import(
        seminar=seminar, report=parse_report(_report("zoom_participants.csv")), mark_absent=True
    )

    other.refresh_from_db()
    assert other.attended == UNKNOWN


def test_summary_lines_list_at_most_twenty_unknown_emails(seminar):
    header = "Name (Original Name),User Email,Join Time,Leave Time,Duration (Minutes),Guest\r\n"
    rows = "".join(f"P{n},p{n:02d}@example.org,,,1,Yes\r\n" for n in range(25))
    summary = attendance_import(
        seminar=seminar, report=parse_report((header + rows).encode()), mark_absent=False
    )

    assert len(summary.unknown_emails) == 25
    assert summary.unknown_emails_shown == [f"p{n:02d}@example.org" for n in range(20)]
    lines = summary.lines()
    assert "Unknown emails: 25" in lines
    assert "  p19@example.org" in lines
    assert "  p20@example.org" not in lines


# --- Management command ----------------------------------------------------------


def test_command_imports_and_prints_the_summary(seminar, registrations, capsys):
    call_command(
        "import_attendance",
        "onsen-towns-of-kyushu",
        str(FIXTURES / "teams_attendance_utf16.csv"),
        "--mark-absent",
    )

    out = capsys.readouterr().out.splitlines()
    assert out == [
        "Onsen towns of Kyushu",
        "Format: Microsoft Teams attendance report",
        "Rows read: 7",
        "Matched registrations: 4",
        "Unknown emails: 2",
        "  events@jlgc.example",
        "  priya.shah@example.com",
        "Rows without an email: 1",
        "Malformed rows: 0",
        "Marked as attended: 4",
        "Marked as did not attend: 1",
    ]
    assert _attendance(registrations)["emma"] == ABSENT


def test_command_without_mark_absent_flag_leaves_missing_registrants(seminar, registrations):
    call_command(
        "import_attendance", "onsen-towns-of-kyushu", str(FIXTURES / "zoom_participants.csv")
    )

    assert _attendance(registrations)["emma"] == UNKNOWN
    assert _attendance(registrations)["aiko"] == ATTENDED


@pytest.mark.parametrize(
    ("slug", "path", "message"),
    [
        ("no-such-seminar", "zoom_participants.csv", "No seminar with the slug 'no-such-seminar'."),
        ("onsen-towns-of-kyushu", "missing.csv", "Cannot read {dir}/missing.csv: No such file"),
        ("onsen-towns-of-kyushu", "", "Cannot read {dir}: Is a directory."),
        ("onsen-towns-of-kyushu", "teams_legacy.csv", "{dir}/teams_legacy.csv: This is an older"),
    ],
    ids=["unknown-seminar", "missing-file", "directory", "legacy-teams"],
)
def test_command_fails_with_one_clear_line_on_bad_input(seminar, slug, path, message):
    with pytest.raises(CommandError) as raised:
        call_command("import_attendance", slug, str(FIXTURES / path) if path else str(FIXTURES))

    assert str(raised.value).startswith(message.format(dir=FIXTURES))
    assert "\n" not in str(raised.value)


def test_command_exits_non_zero_with_a_single_stderr_line(seminar, tmp_path, capsys):
    report = tmp_path / "notes.csv"
    report.write_text("Name,Organisation\nAiko,Example\n")
    utility = ManagementUtility(
        ["manage.py", "import_attendance", "onsen-towns-of-kyushu", str(report)]
    )

    with pytest.raises(SystemExit) as exited:
        utility.execute()

    assert exited.value.code == 1
    assert capsys.readouterr().err == (
        f"CommandError: {report}: Unrecognised format: expected a Zoom participants report or "
        "a Microsoft Teams attendance report (CSV with a name and an email column).\n"
    )


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
    upload = SimpleUploadedFile("participants.csv", _report("zoom_meeting_report.csv"))

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
    assert _attendance(registrations)["emma"] == ABSENT


def test_admin_import_page_shows_an_unrecognised_file_as_a_form_error(
    organiser_client, seminar, registrations
):
    upload = SimpleUploadedFile("legacy.csv", _report("teams_legacy.csv"))

    response = organiser_client.post(_import_url(seminar), {"report": upload})

    assert response.status_code == 200
    assert response.context["summary"] is None
    assert (
        response.context["form"]
        .errors["report"][0]
        .startswith("This is an older Microsoft Teams attendance list")
    )
    assert _attendance(registrations)["aiko"] == UNKNOWN


def test_admin_import_page_needs_the_change_registration_permission(client, seminar):
    viewer = UserFactory(email="viewer@jlgc.example", is_staff=True)
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
    assert _attendance(registrations)["emma"] == UNKNOWN
