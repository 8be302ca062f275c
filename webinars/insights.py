"""The organiser's insights as sections: each a table of figures, most with a chart of
the same figures beside it. The pages show them, each table downloads as CSV and the
whole report as one XLSX workbook (webinars.reports), all from the same tables.
"""

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django_countries import countries

from webinars import charts
from webinars.models import SurveyQuestion, SurveyResponse
from webinars.models.surveys import OUTCOMES
from webinars.reports import Column, Table
from webinars.selectors.insights import (
    Counts,
    Overview,
    SeminarReport,
    SourceFigures,
)
from webinars.selectors.surveys import SurveyReport


@dataclass
class Section:
    table: Table
    chart: SafeString | None = None


FUNNEL = ("registered", "joined", "attended", "watched")


def _funnel_labels() -> dict[str, str]:
    return {
        "registered": _("Registered"),
        "joined": _("Joined"),
        "attended": _("Attended"),
        "watched": _("Watched the recording"),
    }


def _counts_columns() -> list[Column]:
    """The columns of a Counts row (:func:`_counts_row`)."""
    return [
        Column(_("Registered")),
        Column(_("Waiting list")),
        Column(_("Cancelled")),
        Column(_("Joined")),
        Column(_("Attended")),
        Column(_("Watched the recording")),
        Column(_("No-shows")),
        Column(_("Attendance rate"), kind="rate"),
    ]


def _counts_row(counts: Counts) -> list:
    return [
        counts.registered,
        counts.waitlisted,
        counts.cancelled,
        counts.joined,
        counts.attended,
        counts.watched,
        counts.no_shows,
        counts.attendance_rate,
    ]


def _audience_section(by_audience: list, *, chart_id: str) -> Section:
    table = Table(
        slug="audience-types",
        title=_("By audience type"),
        columns=[Column(_("Audience type"), kind="text"), *_counts_columns()],
        rows=[[audience.name, *_counts_row(counts)] for audience, counts in by_audience],
    )
    labels = _funnel_labels()
    chart = charts.bar_chart(
        chart_id=chart_id,
        title=_("Registered, joined, attended and watched, by audience type"),
        categories=[audience.name for audience, _counts in by_audience],
        series=[
            (labels[stage], [getattr(counts, stage) for _audience, counts in by_audience])
            for stage in FUNNEL
        ],
    )
    return Section(table=table, chart=chart)


def _ranked_section(table: Table, *, chart_id: str, title: str) -> Section:
    """A table ranked by registrations (its second column), with the bars of that column
    beside it: the chart is drawn from the table's own rows, so both always agree."""
    chart = charts.bar_chart(
        chart_id=chart_id,
        title=title,
        categories=[str(row[0]) for row in table.rows],
        series=[(table.columns[1].label, [row[1] for row in table.rows])],
    )
    return Section(table=table, chart=chart)


def _sources_section(
    sources: list[SourceFigures], other: SourceFigures | None, *, title: str, chart_id: str
) -> Section:
    rows = [*sources, *([other] if other else [])]

    def label(figures: SourceFigures) -> str:
        if figures is other:
            return _("Other sources")
        return figures.source or _("Direct, or not known")

    table = Table(
        slug="sources",
        title=title,
        columns=[
            Column(_("Source"), kind="text"),
            Column(_("Registrations")),
            Column(_("Registered")),
            Column(_("Attended")),
        ],
        rows=[[label(each), each.registrations, each.registered, each.attended] for each in rows],
        note=_(
            "A source is the utm_source of the link the person came by (the share link "
            "builder makes such links), else the site that linked to us (↗)."
        ),
    )
    return _ranked_section(table, chart_id=chart_id, title=title)


def _day(moment: date) -> str:
    """A chart's day label in the reader's language: "23 Oct 2026", "2026年10月23日"."""
    # Translators: Django date format for a day in a chart, e.g. "23 Oct 2026".
    return dateformat.format(moment, pgettext("date format", "j M Y"))


def overview_sections(report: Overview) -> list[Section]:
    """The series or all-seminars report: funnel, trend, new and returning, sources,
    organisations, and every seminar's figures."""
    sections = [_audience_section(report.by_audience, chart_id="chart-funnel")]
    uk = ZoneInfo(settings.UK_TIME_ZONE)
    rated = [each for each in report.seminars if each.counts.has_report]
    sections.append(
        Section(
            table=Table(
                slug="attendance-trend",
                title=_("Attendance rate per seminar"),
                columns=[
                    Column(_("Seminar"), kind="text"),
                    Column(_("Date"), kind="date"),
                    Column(_("Registered")),
                    Column(_("Attended")),
                    Column(_("Attendance rate"), kind="rate"),
                ],
                rows=[
                    [
                        each.seminar.title,
                        timezone.localdate(each.seminar.starts_at, uk),
                        each.counts.registered,
                        each.counts.attended,
                        each.counts.attendance_rate,
                    ]
                    for each in rated
                ],
                note=_("Seminars with an imported attendance report, in date order."),
            ),
            chart=charts.line_chart(
                chart_id="chart-trend",
                title=_("Attendance rate per seminar, in date order"),
                points=[
                    (
                        _day(timezone.localdate(each.seminar.starts_at, uk)),
                        each.counts.attendance_rate,
                    )
                    for each in rated
                ],
                percent=True,
            ),
        )
    )
    attended = [each for each in report.seminars if each.new_attendees or each.returning_attendees]
    sections.append(
        Section(
            table=Table(
                slug="new-and-returning",
                title=_("New and returning attendees"),
                columns=[
                    Column(_("Seminar"), kind="text"),
                    Column(_("Date"), kind="date"),
                    Column(_("New")),
                    Column(_("Returning")),
                ],
                rows=[
                    [
                        each.seminar.title,
                        timezone.localdate(each.seminar.starts_at, uk),
                        each.new_attendees,
                        each.returning_attendees,
                    ]
                    for each in attended
                ],
                note=_(
                    "Returning: the same email address attended an earlier seminar (any, "
                    "before this range too), so someone who came to three seminars here is "
                    "new at the first and returning at the next two. Erased registrations "
                    "are not counted. In all: %(new)s new, %(returning)s returning."
                )
                % {"new": report.new_attendees, "returning": report.returning_attendees},
            ),
            chart=charts.bar_chart(
                chart_id="chart-returning",
                title=_("New and returning attendees per seminar"),
                categories=[each.seminar.title for each in attended],
                series=[
                    (_("New"), [each.new_attendees for each in attended]),
                    (_("Returning"), [each.returning_attendees for each in attended]),
                ],
            ),
        )
    )
    sections.append(
        _sources_section(
            report.sources, report.other_sources, title=_("Top sources"), chart_id="chart-sources"
        )
    )
    sections.append(
        _ranked_section(
            Table(
                slug="organisations",
                title=_("Top organisations"),
                columns=[
                    Column(_("Organisation"), kind="text"),
                    Column(_("Registrations")),
                    Column(_("Attended")),
                    Column(_("Seminars")),
                ],
                rows=[
                    [each.organisation, each.registrations, each.attended, each.seminars]
                    for each in report.organisations
                ],
                note=_("As registrants wrote them; spellings differing only in case count as one."),
            ),
            chart_id="chart-organisations",
            title=_("Top organisations by registrations"),
        )
    )
    sections.append(
        Section(
            table=Table(
                slug="seminars",
                title=_("Every seminar"),
                columns=[
                    Column(_("Seminar"), kind="text"),
                    Column(_("Date"), kind="date"),
                    Column(_("Series"), kind="text"),
                    *_counts_columns(),
                ],
                rows=[
                    [
                        each.seminar.title,
                        timezone.localdate(each.seminar.starts_at, uk),
                        each.seminar.series.name,
                        *_counts_row(each.counts),
                    ]
                    for each in report.seminars
                ],
                links=[
                    reverse("webinars:organiser_seminar_insights", args=[each.seminar.slug])
                    for each in report.seminars
                ],
            )
        )
    )
    return sections


def seminar_sections(report: SeminarReport) -> list[Section]:
    """One seminar's report: audience types, statuses, countries, sources, and
    registrations day by day before the start."""
    sections = [_audience_section(report.by_audience, chart_id="chart-audience")]
    sections.append(
        _ranked_section(
            Table(
                slug="countries",
                title=_("By country"),
                columns=[
                    Column(_("Country"), kind="text"),
                    Column(_("Registrations")),
                    Column(_("Attended")),
                ],
                rows=[
                    [countries.name(code) if code else _("Not given"), live, attended]
                    for code, live, attended in report.by_country
                ],
                note=_("Confirmed and waiting-list places."),
            ),
            chart_id="chart-countries",
            title=_("Registrations by country"),
        )
    )
    sections.append(
        _sources_section(report.sources, None, title=_("By source"), chart_id="chart-sources")
    )
    running, cumulative = 0, []
    for day, count in report.by_day:
        running += count
        cumulative.append((day, count, running))
    sections.append(
        Section(
            table=Table(
                slug="registrations-by-day",
                title=_("Registrations before the start, day by day"),
                columns=[
                    Column(_("Day"), kind="date"),
                    Column(_("Registrations that day")),
                    Column(_("Registrations so far")),
                ],
                rows=[[day, count, total] for day, count, total in cumulative],
                note=_("Every registration made, cancelled ones included; days in UK time."),
            ),
            chart=charts.line_chart(
                chart_id="chart-days",
                title=_("Registrations so far, day by day before the start"),
                points=[(_day(day), total) for day, _count, total in cumulative],
            ),
        )
    )
    return sections


# --- The post-seminar survey ------------------------------------------------------------


def survey_sections(report: SurveyReport) -> list[Section]:
    """The survey's answers by audience type: one table per question, the outcome over time."""
    if not report.responses:
        return []
    sections = []
    for entry in report.questions:
        question = entry.question
        slug = f"survey-{question.pk}"
        if question.kind == SurveyQuestion.Kind.TEXT:
            sections.append(
                Section(
                    table=Table(
                        slug=slug,
                        title=_("Survey: %(question)s") % {"question": question.label},
                        columns=[
                            Column(_("Audience type"), kind="text"),
                            Column(_("Answer"), kind="text"),
                        ],
                        rows=[[audience, text] for audience, text in entry.texts],
                    )
                )
            )
            continue
        rating = question.kind == SurveyQuestion.Kind.RATING
        columns = [Column(_("Audience type"), kind="text")]
        columns += [Column(_option_label(question, option)) for option in entry.options]
        columns.append(Column(_("Answers")))
        if rating:
            columns.append(Column(_("Average rating"), kind="text"))
        rows = []
        for audience, counts in entry.counts.items():
            total = sum(counts.values())
            row = [audience, *[counts.get(option, 0) for option in entry.options], total]
            if rating:
                average = sum(int(option) * count for option, count in counts.items()) / total
                row.append(f"{average:.1f}")
            rows.append(row)
        sections.append(
            Section(
                table=Table(
                    slug=slug,
                    title=_("Survey: %(question)s") % {"question": question.label},
                    columns=columns,
                    rows=rows,
                    note=_("Answers given after the seminar, by the audience type registered as."),
                )
            )
        )
    if report.outcomes:
        rounds = dict(SurveyResponse.Round.choices)
        order = {round: position for position, round in enumerate(SurveyResponse.Round.values)}
        outcome_rows = sorted(
            report.outcomes.items(), key=lambda item: (order[item[0][0]], item[0][1])
        )
        sections.append(
            Section(
                table=Table(
                    slug="survey-outcome-over-time",
                    title=_("Will they include the region in a product? Over time"),
                    columns=[
                        Column(_("When asked"), kind="text"),
                        Column(_("Audience type"), kind="text"),
                        *[Column(_outcome_label(outcome)) for outcome in OUTCOMES],
                    ],
                    rows=[
                        [str(rounds[round]), audience, *[counts.get(o, 0) for o in OUTCOMES]]
                        for (round, audience), counts in outcome_rows
                    ],
                    note=_(
                        "Asked after the seminar, then three and six months later of those "
                        "who answered yes or maybe and agreed to be asked again."
                    ),
                )
            )
        )
    return sections


def _outcome_label(outcome: str) -> str:
    return {"yes": _("Yes"), "maybe": _("Maybe"), "no": _("No")}[outcome]


def _option_label(question: SurveyQuestion, option: str) -> str:
    if question.kind == SurveyQuestion.Kind.OUTCOME:
        return _outcome_label(option)
    return option
