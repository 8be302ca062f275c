import pytest

from tests.factories import RegistrationFactory
from tests.utils import ABSENT, ATTENDED, UNKNOWN, attendance_of, attendance_report
from webinars.attendance_import import (
    TEAMS_ATTENDANCE,
    ZOOM_MEETING_REPORT,
    ZOOM_PARTICIPANTS,
    AttendanceReportError,
    MalformedRow,
    attendance_import,
    parse_report,
)

pytestmark = pytest.mark.django_db


# Every full report (Zoom and Teams) has the same participants: the host, four registrants
# (Oliver's email in mixed case), a guest without an email and Priya, whose registration
# was cancelled.
FULL_REPORTS = [
    ("zoom_participants.csv", ZOOM_PARTICIPANTS, 8),
    ("zoom_meeting_report.csv", ZOOM_MEETING_REPORT, 8),
    ("teams_attendance_utf16.csv", TEAMS_ATTENDANCE, 7),
    ("teams_attendance_utf8.csv", TEAMS_ATTENDANCE, 7),
]


# --- Parsing -------------------------------------------------------------------


@pytest.mark.parametrize(("name", "report_format", "rows_read"), FULL_REPORTS)
def test_parse_report_reads_the_participants_of_each_layout(name, report_format, rows_read):
    report = parse_report(attendance_report(name))

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
    report = parse_report(attendance_report("teams_attendance_utf16.csv"))

    # Emma appears only under "3. In-Meeting Activities".
    assert "emma.wilson@example.co.uk" not in report.emails
    assert [row.name for row in report.rows][:2] == ["JLGC Events", "Aiko Tanaka (External)"]
    assert report.rows[0].line == 11


def test_parse_zoom_report_keeps_names_with_commas_and_japanese_text():
    report = parse_report(attendance_report("zoom_participants.csv"))

    names = [row.name for row in report.rows]
    assert "Clarke, Sophie" in names
    assert "佐藤 健 (Ken Sato)" in names


def test_parse_report_lists_malformed_rows_with_their_line_numbers():
    report = parse_report(attendance_report("malformed.csv"))

    assert report.rows_read == 5
    assert report.emails == {"aiko.tanaka@example.jp", "sophie.clarke@example.org"}
    assert report.malformed == [
        MalformedRow(3, "“not-an-email” is not an email address."),
        MalformedRow(4, "1 column where the header has 7."),
        MalformedRow(6, "“ken.sato@@example.jp” is not an email address."),
    ]


def test_parse_legacy_teams_list_is_refused_for_lack_of_emails():
    with pytest.raises(AttendanceReportError, match="no email addresses"):
        parse_report(attendance_report("teams_legacy.csv"))


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
        parse_report(attendance_report("zoom_participants.csv"))


# --- Importing -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "report_format", "rows_read"), FULL_REPORTS)
def test_import_marks_registrants_in_the_report_and_absent_confirmed_ones(
    seminar, registrations, name, report_format, rows_read
):
    summary = attendance_import(
        seminar=seminar, report=parse_report(attendance_report(name)), mark_absent=True
    )

    assert summary.rows_read == rows_read
    assert summary.matched == 4
    assert summary.unknown_emails == ["events@jlgc.example", "priya.shah@example.com"]
    assert summary.rows_without_email == 1
    assert summary.malformed == []
    assert summary.marked_attended == 4
    assert summary.marked_absent == 1
    assert attendance_of(registrations) == {
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
    data = attendance_report("zoom_participants.csv")

    first = attendance_import(seminar=seminar, report=parse_report(data), mark_absent=True)
    marks = attendance_of(registrations)
    second = attendance_import(seminar=seminar, report=parse_report(data), mark_absent=True)

    assert second == first
    assert attendance_of(registrations) == marks


def test_import_without_mark_absent_leaves_missing_registrants_unchanged(seminar, registrations):
    summary = attendance_import(
        seminar=seminar,
        report=parse_report(attendance_report("zoom_meeting_report.csv")),
        mark_absent=False,
    )

    assert summary.marked_absent == 0
    assert attendance_of(registrations)["emma"] == UNKNOWN


def test_import_of_malformed_report_marks_only_the_valid_rows(seminar, registrations):
    summary = attendance_import(
        seminar=seminar, report=parse_report(attendance_report("malformed.csv")), mark_absent=False
    )

    assert (summary.rows_read, summary.matched, len(summary.malformed)) == (5, 2, 3)
    assert summary.unknown_emails == []
    marks = attendance_of(registrations)
    assert (marks["aiko"], marks["sophie"], marks["oliver"], marks["ken"]) == (
        ATTENDED,
        ATTENDED,
        ABSENT,
        UNKNOWN,
    )


def test_import_ignores_other_seminars_registrations(seminar, registrations):
    other = RegistrationFactory(email="aiko.tanaka@example.jp")

    attendance_import(
        seminar=seminar,
        report=parse_report(attendance_report("zoom_participants.csv")),
        mark_absent=True,
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
