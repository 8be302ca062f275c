import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from tests.utils import ABSENT, ATTENDANCE_REPORTS, ATTENDED, UNKNOWN, attendance_of

pytestmark = pytest.mark.django_db


# --- Management command ----------------------------------------------------------


def test_command_imports_and_prints_the_summary(seminar, registrations, capsys):
    call_command(
        "import_attendance",
        "onsen-towns-of-kyushu",
        str(ATTENDANCE_REPORTS / "teams_attendance_utf16.csv"),
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
    assert attendance_of(registrations)["emma"] == ABSENT


def test_command_without_mark_absent_flag_leaves_missing_registrants(seminar, registrations):
    call_command(
        "import_attendance",
        "onsen-towns-of-kyushu",
        str(ATTENDANCE_REPORTS / "zoom_participants.csv"),
    )

    assert attendance_of(registrations)["emma"] == UNKNOWN
    assert attendance_of(registrations)["aiko"] == ATTENDED


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
        call_command(
            "import_attendance",
            slug,
            str(ATTENDANCE_REPORTS / path) if path else str(ATTENDANCE_REPORTS),
        )

    assert str(raised.value).startswith(message.format(dir=ATTENDANCE_REPORTS))
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
