"""Attendance from a meeting platform's participant report, matched to registrations by email.

Reads the layouts organisers actually download:

- Zoom, "Participants" export: ``Name (Original Name),User Email,Join Time,Leave Time,…``.
- Zoom, the same export "with meeting data": a meeting summary block, a blank line, then
  ``Name (original name),Email,Join time,Leave time,Duration (minutes),Guest``.
- Microsoft Teams attendance report (UTF-16 tab-separated, or UTF-8 CSV): sections
  ``1. Summary``, ``2. Participants`` (``Name, First Join, Last Leave, In-Meeting Duration,
  Email, …``) and ``3. In-Meeting Activities``; only the participants section is read.

The older Teams attendance list (``Full Name, User Action, Timestamp``) has no email
addresses, so it cannot be matched: it is refused with a message saying what to download.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from webinars.models import Registration, Seminar
from webinars.services import attendance_mark

# Reports are a few hundred rows; anything much bigger is not a participant report.
MAX_REPORT_BYTES = 5 * 1024 * 1024
# Summaries list this many unknown emails and malformed rows; the counts cover them all.
SUMMARY_LIST_LIMIT = 20

ZOOM_PARTICIPANTS = "zoom_participants"
ZOOM_MEETING_REPORT = "zoom_meeting_report"
TEAMS_ATTENDANCE = "teams_attendance"
FORMAT_NAMES = {
    ZOOM_PARTICIPANTS: _("Zoom participants report"),
    ZOOM_MEETING_REPORT: _("Zoom participants report with meeting data"),
    TEAMS_ATTENDANCE: _("Microsoft Teams attendance report"),
}

ABSENT_SKIPPED = _(
    "No registrant of this seminar is in the report, so nobody was marked as absent: "
    "is it the report of this seminar's meeting?"
)

_EMAIL_HEADERS = ("user email", "email", "email address")
_NAME_HEADERS = ("name (original name)", "name", "participant")
_ZOOM_MARKERS = ("join time",)
_TEAMS_MARKERS = ("first join", "in-meeting duration", "participant id (upn)")
_TEAMS_LEGACY_HEADER = ("full name", "user action", "timestamp")


class AttendanceReportError(Exception):
    """The file cannot be read as a participant report; the message says why, in one line."""


@dataclass(frozen=True)
class ParticipantRow:
    line: int
    name: str
    email: str  # Lower-cased; empty when the platform had none (a Zoom guest, a phone dial-in).


@dataclass(frozen=True)
class MalformedRow:
    line: int
    reason: str


@dataclass
class ParticipantReport:
    format: str
    rows: list[ParticipantRow] = field(default_factory=list)
    malformed: list[MalformedRow] = field(default_factory=list)

    @property
    def format_name(self) -> str:
        return str(FORMAT_NAMES[self.format])

    @property
    def rows_read(self) -> int:
        return len(self.rows) + len(self.malformed)

    @property
    def emails(self) -> set[str]:
        return {row.email for row in self.rows if row.email}

    @property
    def rows_without_email(self) -> int:
        return sum(1 for row in self.rows if not row.email)


@dataclass
class AttendanceImportSummary:
    """What an import did: the same figures on a second run of the same report."""

    format_name: str
    rows_read: int
    rows_without_email: int
    matched: int  # Registrations found in the report (each counted once).
    unknown_emails: list[str]  # Sorted: emails in the report without a live registration.
    malformed: list[MalformedRow]
    marked_attended: int
    marked_absent: int
    absent_skipped: bool = False  # Asked to mark absentees, but the report matched nobody.

    @property
    def unknown_emails_shown(self) -> list[str]:
        return self.unknown_emails[:SUMMARY_LIST_LIMIT]

    @property
    def malformed_shown(self) -> list[MalformedRow]:
        return self.malformed[:SUMMARY_LIST_LIMIT]

    def lines(self) -> list[str]:
        """The summary as plain lines, for the management command."""
        lines = [
            gettext("Format: %(format)s") % {"format": self.format_name},
            gettext("Rows read: %(count)d") % {"count": self.rows_read},
            gettext("Matched registrations: %(count)d") % {"count": self.matched},
            gettext("Unknown emails: %(count)d") % {"count": len(self.unknown_emails)},
            *(f"  {email}" for email in self.unknown_emails_shown),
            gettext("Rows without an email: %(count)d") % {"count": self.rows_without_email},
            gettext("Malformed rows: %(count)d") % {"count": len(self.malformed)},
            *(
                gettext("  line %(line)d: %(reason)s") % {"line": row.line, "reason": row.reason}
                for row in self.malformed_shown
            ),
            gettext("Marked as attended: %(count)d") % {"count": self.marked_attended},
            gettext("Marked as did not attend: %(count)d") % {"count": self.marked_absent},
        ]
        if self.absent_skipped:
            lines.append(str(ABSENT_SKIPPED))
        return lines


def decode_report(data: bytes) -> str:
    """Text of a report: Teams writes UTF-16 with a byte order mark, Zoom UTF-8 (often with one)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding = "utf-16"
    elif data.startswith(b"\xef\xbb\xbf"):
        encoding = "utf-8-sig"
    elif len(data) >= 4 and data[1] == 0 and data[3] == 0 and data[0] != 0:
        encoding = "utf-16-le"  # UTF-16 saved without its byte order mark.
    else:
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        if encoding != "utf-8":
            raise AttendanceReportError(
                gettext("The file is not valid %(encoding)s text.") % {"encoding": encoding}
            ) from None
    # Excel on Windows saves "CSV" in the ANSI code page.
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise AttendanceReportError(
            gettext("The file is not text in a known encoding (UTF-8 or UTF-16).")
        ) from None


def _normalise(cell: str) -> str:
    return " ".join(cell.strip().lstrip("\ufeff").lower().split())


def _column(header: list[str], names: Iterable[str]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def _rows(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise AttendanceReportError(
            gettext("The file is not a readable CSV report (line %(line)d: %(error)s).")
            % {"line": reader.line_num, "error": exc}
        ) from None


def _find_header(text: str) -> tuple[str, str, int, list[str]] | None:
    """(format, delimiter, line, normalised header) of the participants table, if any."""
    for delimiter in ("\t", ","):
        for line, row in _rows(text, delimiter):
            header = [_normalise(cell) for cell in row]
            if tuple(header[:3]) == _TEAMS_LEGACY_HEADER:
                raise AttendanceReportError(
                    gettext(
                        "This is an older Microsoft Teams attendance list: it has no email "
                        "addresses, so it cannot be matched to registrations. Download the "
                        "meeting's attendance report instead."
                    )
                )
            email = _column(header, _EMAIL_HEADERS)
            name = _column(header, _NAME_HEADERS)
            if email is None or name is None:
                continue
            if any(marker in header for marker in _TEAMS_MARKERS):
                return TEAMS_ATTENDANCE, delimiter, line, header
            if any(marker in header for marker in _ZOOM_MARKERS):
                report_format = ZOOM_PARTICIPANTS if line == 1 else ZOOM_MEETING_REPORT
                return report_format, delimiter, line, header
    return None


def parse_report(data: bytes) -> ParticipantReport:
    """The participants of a Zoom or Teams report; raises AttendanceReportError if it is neither."""
    if len(data) > MAX_REPORT_BYTES:
        raise AttendanceReportError(
            gettext("The file is larger than %(size)d MB: it is not a participant report.")
            % {"size": MAX_REPORT_BYTES // (1024 * 1024)}
        )
    text = decode_report(data)
    found = _find_header(text)
    if found is None:
        raise AttendanceReportError(
            gettext(
                "Unrecognised format: expected a Zoom participants report or a Microsoft Teams "
                "attendance report (CSV with a name and an email column)."
            )
        )
    report_format, delimiter, header_line, header = found
    email_column = _column(header, _EMAIL_HEADERS)
    name_column = _column(header, _NAME_HEADERS)
    report = ParticipantReport(format=report_format)
    for line, row in _rows(text, delimiter):
        if line <= header_line:
            continue
        if not any(cell.strip() for cell in row):
            # Sections of a Teams report, and Zoom's meeting block, end at a blank line.
            break
        if len(row) <= max(email_column, name_column):
            report.malformed.append(
                MalformedRow(
                    line,
                    ngettext(
                        "%(found)d column where the header has %(expected)d.",
                        "%(found)d columns where the header has %(expected)d.",
                        len(row),
                    )
                    % {"found": len(row), "expected": len(header)},
                )
            )
            continue
        email = row[email_column].strip().lower()
        if email:
            try:
                validate_email(email)
            except ValidationError:
                report.malformed.append(
                    MalformedRow(
                        line,
                        gettext("“%(email)s” is not an email address.") % {"email": email[:100]},
                    )
                )
                continue
        report.rows.append(ParticipantRow(line=line, name=row[name_column].strip(), email=email))
    return report


def attendance_import(
    *, seminar: Seminar, report: ParticipantReport, mark_absent: bool
) -> AttendanceImportSummary:
    """Mark the report's registrants as attended (and, if asked, the missing ones as absent).

    Confirmed and waitlisted registrations that appear in the report are marked attended (a
    waitlisted person may have been let in). With ``mark_absent``, confirmed registrations
    missing from the report are marked "did not attend", except those already marked as
    attended: that mark came from an organiser or an earlier report and is kept; a report
    that matches nobody marks nobody absent. Running the same report twice leaves the same
    marks and gives the same summary.
    """
    emails = report.emails
    with transaction.atomic():
        live = list(
            Registration.objects.live()
            .filter(seminar=seminar)
            .select_for_update()
            .only("pk", "email", "status", "attended")
        )
        present = [registration for registration in live if registration.email in emails]
        absent = []
        # A report that matches nobody is most likely another meeting's: marking everyone
        # absent from it would wipe out the seminar's attendance.
        absent_skipped = mark_absent and not present
        if mark_absent and present:
            absent = [
                registration
                for registration in live
                if registration.email not in emails
                and registration.status == Registration.Status.CONFIRMED
                and registration.attended != Registration.Attendance.YES
            ]
        if present:
            attendance_mark(registrations=present, attended=Registration.Attendance.YES)
        if absent:
            attendance_mark(registrations=absent, attended=Registration.Attendance.NO)
    registered = {registration.email for registration in live}
    return AttendanceImportSummary(
        format_name=report.format_name,
        rows_read=report.rows_read,
        rows_without_email=report.rows_without_email,
        matched=len(present),
        unknown_emails=sorted(emails - registered),
        malformed=report.malformed,
        marked_attended=len(present),
        marked_absent=len(absent),
        absent_skipped=absent_skipped,
    )
