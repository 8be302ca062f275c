"""Registrants as CSV for organisers: one row per registration, answers and consents included.

The file opens in Excel: UTF-8 with a byte order mark (or Japanese names turn to mojibake),
and no cell can start a formula (CSV injection: a registrant named "=HYPERLINK(…)").
"""

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, QuerySet
from django.http import HttpResponse
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext

from webinars.models import Registration, RegistrationQuestion

# Spreadsheet programs treat a cell starting with one of these as a formula; some also
# read the full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20; common in Japanese text).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
MULTIPLE_ANSWER_SEPARATOR = "; "


def neutralise_formula(value: str) -> str:
    """Prefix a would-be formula with a quote, which spreadsheets show as plain text."""
    return f"'{value}" if value.startswith(FORMULA_PREFIXES) else value


def _uk_iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return dj_timezone.localtime(moment, ZoneInfo(settings.UK_TIME_ZONE)).isoformat(
        timespec="seconds"
    )


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def answer_text(answer: object, question: RegistrationQuestion | None = None) -> str:
    """An answer as text; a chosen option in the reader's language when ``question`` is
    given, whichever language it was chosen and stored in."""
    if answer is None:
        return ""
    if isinstance(answer, bool):
        return _yes_no(answer)
    label = question.choice_label if question is not None else str
    if isinstance(answer, list | tuple):
        return MULTIPLE_ANSWER_SEPARATOR.join(label(str(item)) for item in answer)
    return label(str(answer))


def _answer_in_column(answers: dict, question: RegistrationQuestion | None) -> str:
    if question is None:
        return ""
    return answer_text(answers.get(str(question.pk)), question)


def registrants_for_export(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    """What the export reads, in three queries whatever the number of rows."""
    return (
        registrations.select_related("seminar", "audience_type")
        .annotate(join_click_count=Count("join_clicks"))
        .order_by("seminar__starts_at", "seminar_id", "created_at", "pk")
    )


def registrants_csv_rows(registrations: QuerySet[Registration]) -> Iterable[list[object]]:
    """The header, then one row per registration.

    Each custom question gets a column headed by its label; questions of different seminars
    with the same label (a duplicated seminar's) share a column.
    """
    rows = list(registrants_for_export(registrations))
    questions = RegistrationQuestion.objects.filter(
        seminar_id__in={registration.seminar_id for registration in rows}
    ).order_by("seminar__starts_at", "seminar_id", "position", "pk")
    labels: list[str] = []
    # (seminar id, label) → the question, whose id keys the answers
    question_of: dict[tuple[int, str], RegistrationQuestion] = {}
    for question in questions:
        if question.label not in labels:
            labels.append(question.label)
        question_of.setdefault((question.seminar_id, question.label), question)
    yield [
        gettext("Seminar"),
        gettext("Name"),
        gettext("Email"),
        gettext("Organisation"),
        gettext("Job title"),
        gettext("Country"),
        gettext("Audience type"),
        gettext("Status"),
        gettext("Attended"),
        gettext("Registered at (UK time)"),
        *labels,
        gettext("Privacy notice version"),
        gettext("Privacy notice accepted at (UK time)"),
        gettext("Marketing opt-in"),
        gettext("Recording follow-up opt-in"),
        gettext("Join clicks"),
    ]
    for registration in rows:
        answers = registration.answers if isinstance(registration.answers, dict) else {}
        yield [
            registration.seminar.title,
            registration.name,
            registration.email,
            registration.organisation,
            registration.job_title,
            registration.country.name if registration.country else "",
            registration.audience_type.name,
            registration.status,
            registration.attended,
            _uk_iso(registration.created_at),
            *(
                _answer_in_column(answers, question_of.get((registration.seminar_id, label)))
                for label in labels
            ),
            registration.privacy_notice_version,
            _uk_iso(registration.privacy_consented_at),
            _yes_no(registration.marketing_opt_in),
            _yes_no(registration.recording_followup_opt_in),
            registration.join_click_count,
        ]


def registrants_csv(registrations: QuerySet[Registration]) -> bytes:
    """The CSV file's bytes: UTF-8 with a byte order mark, formulas neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in registrants_csv_rows(registrations):
        writer.writerow(
            [neutralise_formula(cell) if isinstance(cell, str) else cell for cell in row]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def registrants_csv_response(
    registrations: QuerySet[Registration], *, name: str, on: date | None = None
) -> HttpResponse:
    """A download named ``registrants-<name>-<date>.csv`` (the date in UK time)."""
    on = on or dj_timezone.localtime(timezone=ZoneInfo(settings.UK_TIME_ZONE)).date()
    response = HttpResponse(registrants_csv(registrations), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="registrants-{name}-{on:%Y-%m-%d}.csv"'
    # Personal data: never kept by a shared cache.
    response["Cache-Control"] = "private, no-store"
    return response
