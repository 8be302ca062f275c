"""The crowd at each demo seminar that is over: registrants beyond the named ones.

A crowd is drawn from a pool of invented people (``content.engagement``) with a fixed random
seed per seminar: several audience types, countries and organisations, some with a source
(a partner's newsletter, a referring site), a few cancelled or moved to the waiting list,
and attendance as an imported report marks it. The pool is shared, so some people come to
more than one seminar. Registration times are planned back from the seminar's start.

A planned row already there is left alone, as ``registrations`` does, except its times:
a past seminar moves when a later run recomputes its date (``dates``), and its crowd's
history moves with it. The rows are written directly, without email: this is history,
not people registering now (``registration_create`` rightly refuses a seminar that is over).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from random import Random

from django.conf import settings
from django.utils.text import slugify

from accounts.models import AudienceType, Language
from webinars.demo.content import engagement as content
from webinars.demo.content.engagement import DemoCrowd, DemoSource
from webinars.demo.content.recordings import RECORDING_REGISTRATIONS
from webinars.demo.content.registrations import REGISTRATIONS
from webinars.models import Registration, Seminar

Status = Registration.Status
Attendance = Registration.Attendance


@dataclass(frozen=True)
class DemoPerson:
    name: str
    email: str
    audience_slug: str
    country: str
    organisation: str = ""
    job_title: str = ""


@dataclass(frozen=True)
class PlannedPlace:
    """One crowd registration as planned: who, what became of it, and when."""

    person: DemoPerson
    status: str
    attended: str
    source: DemoSource
    marketing_opt_in: bool
    recording_followup_opt_in: bool
    created_at: datetime
    cancelled_at: datetime | None
    waitlisted_at: datetime | None

    def times(self) -> dict[str, datetime | None]:
        return {
            "created_at": self.created_at,
            "privacy_consented_at": self.created_at,
            "confirmation_sent_at": self.created_at,
            "cancelled_at": self.cancelled_at,
            "waitlisted_at": self.waitlisted_at,
        }


@cache
def people_pool() -> tuple[DemoPerson, ...]:
    """Everyone a crowd is drawn from: the organisations' staff, then individuals."""
    rng = Random("kizuna-demo:people")
    # A named registrant's address would make their row look like the crowd's.
    taken = {spec.email for spec in (*REGISTRATIONS, *RECORDING_REGISTRATIONS)}

    def someone(country: str, domain: str) -> tuple[str, str]:
        firsts, surnames = (names.split(", ") for names in content.NAMES[country])
        while True:
            first, surname = rng.choice(firsts), rng.choice(surnames)
            email = f"{_address_part(first)}.{_address_part(surname)}@{domain}"
            if email not in taken:
                taken.add(email)
                return f"{first} {surname}", email

    people = []
    for organisation in content.ORGANISATIONS:
        for index in range(organisation.staff):
            name, email = someone(organisation.country, "example.org")
            titles = organisation.job_titles
            people.append(
                DemoPerson(
                    name=name,
                    email=email,
                    audience_slug=organisation.audience_slug,
                    country=organisation.country,
                    organisation=organisation.name,
                    job_title=titles[index % len(titles)],
                )
            )
    for group in content.INDIVIDUALS:
        for _ in range(group.count):
            name, email = someone(group.country, "example.com")
            people.append(DemoPerson(name, email, group.audience_slug, group.country))
    return tuple(people)


def _address_part(name: str) -> str:
    # "O'Brien" -> "obrien", "de Jong" -> "dejong", "Élodie" -> "elodie".
    return slugify(name).replace("-", "")


def plan_crowd(seminar: Seminar, *, crowd: DemoCrowd, allowed: set[str]) -> list[PlannedPlace]:
    """The crowd at one seminar, the same on every run (for the same start)."""
    rng = Random(f"kizuna-demo:crowd:{seminar.slug}")
    eligible = [person for person in people_pool() if person.audience_slug in allowed]
    people = rng.sample(eligible, min(crowd.size, len(eligible)))
    statuses = [Status.CONFIRMED] * len(people)
    cancelled = max(1, round(len(people) * 0.08))
    waitlisted = max(1, round(len(people) * 0.05))
    for position, index in enumerate(rng.sample(range(len(people)), cancelled + waitlisted)):
        # A few cancel; an organiser moves a few to the waiting list (a seminar with seats
        # to spare queues no one by itself).
        statuses[index] = Status.CANCELLED if position < cancelled else Status.WAITLISTED
    confirmed = [index for index, status in enumerate(statuses) if status == Status.CONFIRMED]
    came = set(rng.sample(confirmed, round(len(confirmed) * crowd.attendance_rate)))
    weights = [weight for weight, _source in crowd.sources]
    sources = [source for _weight, source in crowd.sources]
    plan = []
    for index, (person, status) in enumerate(zip(people, statuses, strict=True)):
        source = rng.choices(sources, weights)[0]
        created_at = seminar.starts_at - _lead_time(rng, source)
        # When a cancelled place was cancelled, or a waitlisted one moved there.
        later = created_at + whole_seconds((seminar.starts_at - created_at) * rng.uniform(0.1, 0.9))
        if status != Status.CONFIRMED:
            attended = Attendance.UNKNOWN
        else:
            attended = Attendance.YES if index in came else Attendance.NO
        plan.append(
            PlannedPlace(
                person=person,
                status=status,
                attended=attended,
                source=source,
                marketing_opt_in=rng.random() < 0.4,
                recording_followup_opt_in=rng.random() < 0.7,
                created_at=created_at,
                cancelled_at=later if status == Status.CANCELLED else None,
                waitlisted_at=later if status == Status.WAITLISTED else None,
            )
        )
    return plan


def _lead_time(rng: Random, source: DemoSource) -> timedelta:
    if source.utm_medium == "email":
        # The newsletters go out three weeks and one week ahead; readers act within days.
        days = rng.choice((21, 7)) - rng.uniform(0, 2)
    else:
        # Most register in the last week or so; a few as soon as it is announced (30 days).
        days = rng.triangular(0.1, 28, 4)
    return timedelta(seconds=round(days * 86400))


def whole_seconds(delta: timedelta) -> timedelta:
    """``delta`` rounded to the second: planned times read like recorded ones."""
    return timedelta(seconds=round(delta.total_seconds()))


def seed_crowd(seminar: Seminar, *, crowd: DemoCrowd) -> int:
    """Write the planned crowd rows that are missing and bring their times to the plan."""
    audience_types = {audience.slug: audience for audience in seminar.allowed_audience_types.all()}
    plan = {
        place.person.email: place
        for place in plan_crowd(seminar, crowd=crowd, allowed=set(audience_types))
    }
    registered = set(
        Registration.objects.filter(seminar=seminar, email__in=plan).values_list("email", flat=True)
    )
    Registration.objects.bulk_create(
        _registration(place, seminar=seminar, audience_types=audience_types)
        for email, place in plan.items()
        if email not in registered
    )
    # Inserting stamps created_at with now (auto_now_add): the plan's times are set here,
    # for new rows and for rows whose seminar moved. A row whose status an organiser changed
    # keeps the times that go with it, and a person's later row (registered again after
    # cancelling) is theirs too.
    moved, fields, seen = [], set(), set()
    for row in Registration.objects.filter(seminar=seminar, email__in=plan).order_by("pk"):
        if row.email in seen:
            continue
        seen.add(row.email)
        place, times = plan[row.email], plan[row.email].times()
        changed = {name for name, value in times.items() if getattr(row, name) != value}
        if changed and row.status == place.status:
            for name in changed:
                setattr(row, name, times[name])
            moved.append(row)
            fields |= changed
    if moved:
        # Only the fields that differ (on a first run, created_at alone): each one costs a
        # CASE over every row. bulk_update leaves updated_at alone.
        Registration.objects.bulk_update(moved, fields=sorted(fields))
    return len(plan)


def _registration(
    place: PlannedPlace, *, seminar: Seminar, audience_types: dict[str, AudienceType]
) -> Registration:
    person = place.person
    return Registration(
        seminar=seminar,
        email=person.email,
        name=person.name,
        audience_type=audience_types[person.audience_slug],
        organisation=person.organisation,
        job_title=person.job_title,
        country=person.country,
        language=Language.JAPANESE if person.country == "JP" else Language.ENGLISH,
        status=place.status,
        attended=place.attended,
        marketing_opt_in=place.marketing_opt_in,
        recording_followup_opt_in=place.recording_followup_opt_in,
        privacy_notice_version=settings.PRIVACY_NOTICE_VERSION,
        utm_source=place.source.utm_source,
        utm_medium=place.source.utm_medium,
        utm_campaign=place.source.utm_campaign,
        referrer_host=place.source.referrer_host,
        **place.times(),
    )
