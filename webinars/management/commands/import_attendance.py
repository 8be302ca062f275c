"""``manage.py import_attendance SEMINAR_SLUG CSV_PATH``: attendance from a Zoom or Teams report.

The same import as the seminar admin's "Import attendance" page; bad input (unknown seminar,
unreadable file, unrecognised format) ends with one line on stderr and a non-zero exit.
"""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from webinars.attendance_import import (
    MAX_REPORT_BYTES,
    AttendanceReportError,
    attendance_import,
    parse_report,
)
from webinars.models import Seminar


class Command(BaseCommand):
    help = "Mark a seminar's attendance from a Zoom participant or Teams attendance report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("seminar", help="The seminar's slug.")
        parser.add_argument("csv_path", help="The report downloaded from Zoom or Teams.")
        parser.add_argument(
            "--mark-absent",
            action="store_true",
            help=(
                "Also mark confirmed registrants missing from the report as 'did not attend' "
                "(those already marked as attended keep that mark)."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        seminar = Seminar.objects.filter(slug=options["seminar"]).first()
        if seminar is None:
            raise CommandError(f"No seminar with the slug {options['seminar']!r}.")
        path = Path(options["csv_path"])
        try:
            if path.stat().st_size > MAX_REPORT_BYTES:
                raise CommandError(f"{path} is larger than {MAX_REPORT_BYTES // 2**20} MB.")
            data = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror or error}.") from None
        try:
            report = parse_report(data)
        except AttendanceReportError as error:
            raise CommandError(f"{path}: {error}") from None
        summary = attendance_import(
            seminar=seminar, report=report, mark_absent=options["mark_absent"]
        )
        self.stdout.write(f"{seminar.title}")
        for line in summary.lines():
            self.stdout.write(line)
