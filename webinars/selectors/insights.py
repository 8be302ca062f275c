"""Reads for the organiser's insights (``/organiser/``): who registered, joined, attended
and watched, by audience type, country, source and organisation.

Every figure is one grouped query over the seminars in scope, so a page's query count
is the same for one seminar or a hundred (tests/webinars/views/test_insights.py).

The words, as the pages define them for organisers:
- *registered*: a confirmed place (waiting-list and cancelled places are counted apart);
- *joined*: a confirmed place whose join link took them to the meeting (opened in the
  joining window, not the countdown before it nor the recording after the end);
- *attended*: marked as attended by an imported attendance report;
- *watched*: the registrant opened the seminar's recording (by their link or signed in);
- *no-show*: a confirmed place at a seminar that took place and has ended, neither joined
  nor attended (a cancelled seminar has none);
- *attendance rate*: attended over registered, at seminars with an attendance report only.
"""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Concat, Lower, Trim, TruncDate
from django.utils import timezone

from accounts.models import AudienceType
from webinars.models import JoinClick, RecordingView, Registration, Seminar, Series

CONFIRMED = Registration.Status.CONFIRMED
WAITLISTED = Registration.Status.WAITLISTED
CANCELLED = Registration.Status.CANCELLED
ATTENDED = Registration.Attendance.YES
# How many rows the "top" tables show; the rest are summed in one line.
TOP = 10


@dataclass(frozen=True)
class Scope:
    """Which seminars a report covers: published ones starting between two UK dates
    (inclusive), of one series or of all."""

    start: date
    end: date
    series: Series | None = None

    def seminars(self) -> QuerySet[Seminar]:
        uk = ZoneInfo(settings.UK_TIME_ZONE)
        since = datetime.combine(self.start, time.min, tzinfo=uk)
        until = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=uk)
        seminars = Seminar.objects.filter(
            status=Seminar.Status.PUBLISHED, starts_at__gte=since, starts_at__lt=until
        )
        if self.series is not None:
            seminars = seminars.filter(series=self.series)
        return seminars


@dataclass
class Counts:
    """The figures of one group of registrations (an audience type, a seminar, …)."""

    registered: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    joined: int = 0
    attended: int = 0
    watched: int = 0
    no_shows: int = 0
    # Confirmed places whose attendance no report has settled: while every place of a
    # seminar is unknown, it has no report.
    attendance_unknown: int = 0
    # The attendance rate's terms: confirmed places at seminars with an attendance report,
    # and how many of those attended (set by _with_reports, then summed like the rest),
    # so a seminar still to come, or without a report, does not lower the rate.
    reported: int = 0
    reported_attended: int = 0

    @property
    def has_report(self) -> bool:
        return self.reported > 0

    @property
    def attendance_rate(self) -> float | None:
        """Attended over confirmed places where a report says who came; None without."""
        return self.reported_attended / self.reported if self.reported else None


# The Counts fields that are aggregates of the database (the rest are derived).
AGGREGATED = (
    "registered",
    "waitlisted",
    "cancelled",
    "joined",
    "attended",
    "watched",
    "no_shows",
    "attendance_unknown",
)


@dataclass
class SeminarFigures:
    seminar: Seminar
    counts: Counts
    new_attendees: int = 0
    returning_attendees: int = 0


@dataclass
class SourceFigures:
    source: str  # utm_source, else "↗ referring host", else "" (direct or unknown)
    registrations: int
    registered: int
    attended: int


@dataclass
class OrganisationFigures:
    organisation: str
    registrations: int
    attended: int
    seminars: int


@dataclass
class Overview:
    scope: Scope
    totals: Counts
    by_audience: list[tuple[AudienceType, Counts]]
    seminars: list[SeminarFigures]
    sources: list[SourceFigures]
    other_sources: SourceFigures | None
    organisations: list[OrganisationFigures]
    new_attendees: int = 0
    returning_attendees: int = 0


@dataclass
class SeminarReport:
    seminar: Seminar
    totals: Counts
    by_audience: list[tuple[AudienceType, Counts]]
    by_country: list[tuple[str, int, int]]  # country code, live registrations, attended
    sources: list[SourceFigures]
    # (UK day, registrations made that day) from the first registration to the start.
    by_day: list[tuple[date, int]] = field(default_factory=list)


@contextmanager
def _planned_without_jit() -> Iterator[None]:
    """Run the report's queries without PostgreSQL's JIT compiler. Their cost estimates
    (a hashed subplan per row) pass jit_above_cost, and compiling took 260 ms for a query
    that runs in 30 ms (bench/insights.py, 100 seminars × 300 places). SET LOCAL ends
    with the transaction, so nothing else is affected."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        yield


def _flags(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    """Each registration with whether it joined and whether it watched (one subquery each,
    not a join that would multiply rows)."""
    return registrations.annotate(
        # Went through to the meeting: a click outside the joining window (the countdown,
        # or the recording after the end) is no sign of attending.
        has_joined=Exists(JoinClick.objects.filter(registration=OuterRef("pk"), redirected=True)),
        has_watched=Exists(RecordingView.objects.filter(registration=OuterRef("pk"))),
    )


def _count_aggregates(now: datetime) -> dict[str, Count]:
    """Each Counts field as an aggregate, named ``count_<field>``: an aggregate may not
    share a name with the model field it filters on (``attended``)."""
    confirmed = Q(status=CONFIRMED)
    filters = {
        "registered": confirmed,
        "waitlisted": Q(status=WAITLISTED),
        "cancelled": Q(status=CANCELLED),
        "joined": confirmed & Q(has_joined=True),
        "attended": confirmed & Q(attended=ATTENDED),
        "watched": Q(has_watched=True),
        # A cancelled seminar keeps its places confirmed, but nobody failed to come.
        "no_shows": confirmed
        & Q(seminar__status=Seminar.Status.PUBLISHED, seminar__ends_at__lte=now)
        & Q(has_joined=False)
        & ~Q(attended=ATTENDED),
        "attendance_unknown": confirmed & Q(attended=Registration.Attendance.UNKNOWN),
    }
    return {f"count_{name}": Count("pk", filter=condition) for name, condition in filters.items()}


def _counts(row: dict) -> Counts:
    return Counts(**{name: row[f"count_{name}"] for name in AGGREGATED})


def _grouped_counts(
    registrations: QuerySet[Registration], *keys: str
) -> dict[tuple[object, ...], Counts]:
    """The figures per seminar and combination of ``keys`` (e.g. audience type), keyed
    (seminar id, *keys), in one pass: each EXISTS is evaluated once per place, whatever
    totals are summed after."""
    rows = (
        _flags(registrations)
        .values("seminar_id", *keys)
        .annotate(**_count_aggregates(timezone.now()))
        .order_by()
    )
    return _with_reports(
        {(row["seminar_id"], *(row[key] for key in keys)): _counts(row) for row in rows}
    )


def _with_reports(
    grouped: dict[tuple[object, ...], Counts],
) -> dict[tuple[object, ...], Counts]:
    """Set the rate's terms on the groups of seminars (the key's first part) that have an
    attendance report: some confirmed place whose attendance is settled."""
    settled: dict[object, int] = {}
    for (seminar_id, *_rest), counts in grouped.items():
        settled[seminar_id] = settled.get(seminar_id, 0) + (
            counts.registered - counts.attendance_unknown
        )
    for (seminar_id, *_rest), counts in grouped.items():
        if settled[seminar_id]:
            counts.reported = counts.registered
            counts.reported_attended = counts.attended
    return grouped


def _totals_by(grouped: dict[tuple[object, ...], Counts], position: int) -> dict[object, Counts]:
    """Sum grouped figures over every key but the one at ``position``."""
    parts: dict[object, list[Counts]] = {}
    for key, counts in grouped.items():
        parts.setdefault(key[position], []).append(counts)
    return {key: _sum(each) for key, each in parts.items()}


def _sum(counts: Iterable[Counts]) -> Counts:
    total = Counts()
    for each in counts:
        for name in Counts.__dataclass_fields__:
            setattr(total, name, getattr(total, name) + getattr(each, name))
    return total


def _by_audience(per_type: dict[object, Counts]) -> list[tuple[AudienceType, Counts]]:
    """Every audience type that has registrations, in the types' own order."""
    types = AudienceType.objects.filter(pk__in=list(per_type)).order_by("position", "pk")
    return [(audience_type, per_type[audience_type.pk]) for audience_type in types]


def _source_label() -> Case:
    return Case(
        When(~Q(utm_source=""), then=F("utm_source")),
        When(~Q(referrer_host=""), then=Concat(Value("↗ "), "referrer_host")),
        default=Value(""),
        output_field=CharField(),
    )


def _sources(registrations: QuerySet[Registration]) -> list[SourceFigures]:
    rows = (
        registrations.annotate(source=_source_label())
        .values("source")
        .annotate(
            count_all=Count("pk"),
            count_registered=Count("pk", filter=Q(status=CONFIRMED)),
            count_attended=Count("pk", filter=Q(status=CONFIRMED, attended=ATTENDED)),
        )
        .order_by("-count_all", "source")
    )
    return [
        SourceFigures(
            source=row["source"],
            registrations=row["count_all"],
            registered=row["count_registered"],
            attended=row["count_attended"],
        )
        for row in rows
    ]


# New or returning, by address: one pass over the attended places (a hash join), not a
# correlated EXISTS per attendee, which bench/insights.py measured at a second for 100
# seminars × 300 places. Portable SQL: SQLite runs it too.
_ORIGINS_SQL = """
WITH attended AS (
    SELECT registration.email, registration.seminar_id, seminar.starts_at
    FROM {registrations} AS registration
    JOIN {seminars} AS seminar ON seminar.id = registration.seminar_id
    WHERE registration.status = %s AND registration.attended = %s
      AND registration.anonymised_at IS NULL
),
in_scope AS (
    SELECT email, seminar_id, starts_at FROM attended WHERE seminar_id IN ({scope})
),
firsts AS (
    SELECT email, MIN(starts_at) AS first_at FROM attended
    WHERE email IN (SELECT email FROM in_scope)
    GROUP BY email
)
SELECT in_scope.seminar_id,
       SUM(CASE WHEN in_scope.starts_at > firsts.first_at THEN 0 ELSE 1 END),
       SUM(CASE WHEN in_scope.starts_at > firsts.first_at THEN 1 ELSE 0 END)
FROM in_scope JOIN firsts ON firsts.email = in_scope.email
GROUP BY in_scope.seminar_id
"""


def _attendee_origins(seminars: QuerySet[Seminar]) -> dict[int, tuple[int, int]]:
    """Per seminar id: (new, returning) attendees, returning meaning the same address
    attended an earlier seminar (any, inside the range or before it)."""
    scope_sql, scope_params = seminars.values("pk").query.sql_with_params()
    sql = _ORIGINS_SQL.format(
        registrations=connection.ops.quote_name(Registration._meta.db_table),
        seminars=connection.ops.quote_name(Seminar._meta.db_table),
        scope=scope_sql,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [CONFIRMED.value, ATTENDED.value, *scope_params])
        return {seminar_id: (new, returning) for seminar_id, new, returning in cursor.fetchall()}


def overview(scope: Scope) -> Overview:
    """The report over every seminar in ``scope``, in a fixed number of queries."""
    with _planned_without_jit():
        return _overview(scope)


def _overview(scope: Scope) -> Overview:
    seminars = list(scope.seminars().select_related("series").order_by("starts_at", "pk"))
    registrations = Registration.objects.filter(seminar__in=scope.seminars())
    grouped = _grouped_counts(registrations, "audience_type_id")
    per_seminar = _totals_by(grouped, 0)
    origins = _attendee_origins(scope.seminars())
    seminar_figures = [
        SeminarFigures(
            seminar=seminar,
            counts=per_seminar.get(seminar.pk, Counts()),
            new_attendees=origins.get(seminar.pk, (0, 0))[0],
            returning_attendees=origins.get(seminar.pk, (0, 0))[1],
        )
        for seminar in seminars
    ]
    sources = _sources(registrations)
    top_sources, rest = sources[:TOP], sources[TOP:]
    other = (
        SourceFigures(
            source="…",
            registrations=sum(each.registrations for each in rest),
            registered=sum(each.registered for each in rest),
            attended=sum(each.attended for each in rest),
        )
        if rest
        else None
    )
    return Overview(
        scope=scope,
        totals=_sum(per_seminar.values()),
        by_audience=_by_audience(_totals_by(grouped, 1)),
        seminars=seminar_figures,
        sources=top_sources,
        other_sources=other,
        organisations=_organisations(registrations),
        new_attendees=sum(new for new, _returning in origins.values()),
        returning_attendees=sum(returning for _new, returning in origins.values()),
    )


def _organisations(registrations: QuerySet[Registration]) -> list[OrganisationFigures]:
    """The organisations with the most registrations, told apart ignoring case and spaces
    at either end; shown as one of the spellings used."""
    rows = (
        registrations.exclude(organisation="")
        .annotate(key=Lower(Trim("organisation")))
        .values("key")
        .annotate(
            spelling=Max("organisation"),
            count_all=Count("pk"),
            count_attended=Count("pk", filter=Q(status=CONFIRMED, attended=ATTENDED)),
            count_seminars=Count("seminar_id", distinct=True),
        )
        .order_by("-count_all", "key")[:TOP]
    )
    return [
        OrganisationFigures(
            organisation=row["spelling"].strip(),
            registrations=row["count_all"],
            attended=row["count_attended"],
            seminars=row["count_seminars"],
        )
        for row in rows
    ]


def seminar_report(seminar: Seminar) -> SeminarReport:
    """One seminar's report, in a fixed number of queries."""
    with _planned_without_jit():
        return _seminar_report(seminar)


def _seminar_report(seminar: Seminar) -> SeminarReport:
    registrations = Registration.objects.filter(seminar=seminar)
    per_type = _totals_by(_grouped_counts(registrations, "audience_type_id"), 1)
    countries = (
        registrations.exclude(status=CANCELLED)
        .values("country")
        .annotate(
            count_live=Count("pk"),
            count_attended=Count("pk", filter=Q(status=CONFIRMED, attended=ATTENDED)),
        )
        .order_by("-count_live", "country")
    )
    uk = ZoneInfo(settings.UK_TIME_ZONE)
    days = (
        registrations.filter(created_at__lt=seminar.starts_at)
        .annotate(day=TruncDate("created_at", tzinfo=uk))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by("day")
    )
    return SeminarReport(
        seminar=seminar,
        totals=_sum(per_type.values()),
        by_audience=_by_audience(per_type),
        by_country=[
            (row["country"], row["count_live"], row["count_attended"]) for row in countries
        ],
        sources=_sources(registrations),
        by_day=_every_day(
            {row["day"]: row["count"] for row in days},
            until=min(timezone.localdate(seminar.starts_at, uk), timezone.localdate(None, uk)),
        ),
    )


def _every_day(counts: dict[date, int], *, until: date) -> list[tuple[date, int]]:
    """Each day from the first registration to ``until``, with 0 on days without any."""
    if not counts:
        return []
    day, last = min(counts), max(until, max(counts))
    days = []
    while day <= last:
        days.append((day, counts.get(day, 0)))
        day += timedelta(days=1)
    return days
