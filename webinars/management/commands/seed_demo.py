"""``manage.py seed_demo``: idempotent demo data for trying Kizuna out.

Every object is keyed by its slug (or email), so a second run creates nothing and, on the
same day, changes nothing. Upcoming dates are computed from now: a run on a later day moves
the demo seminars forward (through ``seminar_update``, so calendars would follow).

One small function per kind of object, so later issues can add ``seed_recordings()`` beside
them and call it from ``seed_demo()``.

Registrations for upcoming seminars go through ``registration_create``, like any visitor's,
so each writes its outbox email (delivered to ``var/outbox/`` by the worker); a registration
already there (whatever its status, say cancelled from the browser) is left alone, so a
second run registers and sends nothing. Registrations for a seminar that is over are history:
the service rightly refuses them, so they are written as rows, without email, and their
attendance is marked through ``attendance_mark``.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import AudienceType, User
from webinars import services
from webinars.cache import catalogue_changed
from webinars.management import demo_content
from webinars.management.demo_content import DemoRegistration, DemoSeminar
from webinars.models import (
    Registration,
    RegistrationQuestion,
    Seminar,
    SeminarSpeaker,
    Series,
    Speaker,
    Topic,
)

ORGANISER_EMAIL = "organiser@example.org"
ORGANISER_PASSWORD = "kizuna-demo"
ORGANISER_NAME = "Demo Organiser"
ORGANISERS_GROUP = "Organisers"

ModelT = TypeVar("ModelT", bound=models.Model)


@dataclass
class DemoData:
    series: dict[str, Series]
    topics: dict[str, Topic]
    speakers: dict[str, Speaker]
    seminars: dict[str, Seminar]
    organiser: User
    registrations: list[Registration]


def upsert(model: type[ModelT], *, lookup: dict[str, Any], values: dict[str, Any]) -> ModelT:
    """Create the row, or bring it to ``values``; writes nothing when it already matches."""
    instance = model._default_manager.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **values)
    elif all(getattr(instance, name) == value for name, value in values.items()):
        return instance
    else:
        for name, value in values.items():
            setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return instance


def seed_series() -> dict[str, Series]:
    """Both seminar series, with the audience types each one is made for."""
    seeded = {}
    for spec in demo_content.SERIES:
        series = upsert(
            Series,
            lookup={"slug": spec.slug},
            values={
                "name": spec.name,
                "tagline": spec.tagline,
                "description": spec.description,
                "position": spec.position,
            },
        )
        # set() only writes the difference, so a re-run leaves the rows alone.
        series.default_audience_types.set(
            AudienceType.objects.filter(slug__in=spec.default_audience_slugs)
        )
        seeded[spec.slug] = series
    return seeded


def seed_topics() -> dict[str, Topic]:
    return {
        slug: upsert(Topic, lookup={"slug": slug}, values={"name": name})
        for slug, name in demo_content.TOPICS
    }


def seed_speakers() -> dict[str, Speaker]:
    """Fictional speakers: JET participants, Japanese officials and a UK council officer."""
    seeded = {}
    for spec in demo_content.SPEAKERS:
        year_from, year_to = spec.jet_years or (None, None)
        seeded[spec.slug] = upsert(
            Speaker,
            lookup={"slug": spec.slug},
            values={
                "name": spec.name,
                "name_ja": spec.name_ja,
                "title": spec.title,
                "organisation": spec.organisation,
                "bio": spec.bio,
                "is_jet_participant": spec.is_jet_participant,
                "jet_prefecture": spec.jet_prefecture,
                "jet_municipality": spec.jet_municipality,
                "jet_year_from": year_from,
                "jet_year_to": year_to,
                "website": spec.website,
                "links": spec.links,
            },
        )
    return seeded


def seed_seminars(
    *,
    now: datetime,
    series: dict[str, Series],
    topics: dict[str, Topic],
    speakers: dict[str, Speaker],
) -> dict[str, Seminar]:
    """The demo seminars, created and changed through the catalogue services."""
    seeded = {}
    for spec in demo_content.SEMINARS:
        seminar_series = series[spec.series_slug]
        fields = _seminar_fields(spec, now=now, series=seminar_series)
        m2m = {
            "topics": [topics[slug] for slug in spec.topic_slugs],
            "allowed_audience_types": list(seminar_series.default_audience_types.all()),
        }
        seminar = Seminar.objects.filter(slug=spec.slug).first()
        if seminar is None:
            seminar = _create_seminar(spec, now=now, fields=fields, m2m=m2m)
        else:
            changes = {
                name: value for name, value in fields.items() if getattr(seminar, name) != value
            }
            if changes:
                services.seminar_update(seminar=seminar, **changes)
            for name, values in m2m.items():
                getattr(seminar, name).set(values)
        if spec.status == Seminar.Status.CANCELLED and not seminar.is_cancelled:
            services.seminar_cancel(seminar=seminar, message=spec.cancellation_message)
        _seed_seminar_speakers(seminar, spec=spec, speakers=speakers)
        seeded[spec.slug] = seminar
    return seeded


def _seminar_fields(spec: DemoSeminar, *, now: datetime, series: Series) -> dict[str, Any]:
    starts_at = spec.schedule.starts_at(now)
    fields = {
        "title": spec.title,
        "series": series,
        "summary": spec.summary,
        "description": spec.description,
        "prefecture": spec.prefecture,
        "partner_organisations": "\n".join(spec.partner_organisations),
        "language": spec.language,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=spec.duration_minutes),
        "timezone": spec.timezone,
        "platform": Seminar.Platform.ZOOM,
        "meeting_url": f"https://zoom.example/j/{spec.meeting_id}",
        "meeting_passcode": spec.passcode,
        "capacity": spec.capacity,
    }
    if spec.status == Seminar.Status.CANCELLED:
        fields["cancellation_message"] = spec.cancellation_message
    return fields


def _create_seminar(
    spec: DemoSeminar, *, now: datetime, fields: dict[str, Any], m2m: dict[str, list[Any]]
) -> Seminar:
    if spec.status == Seminar.Status.DRAFT:
        return services.seminar_create(slug=spec.slug, status=spec.status, m2m=m2m, **fields)
    # A cancelled seminar was published first; it is cancelled by seminar_cancel() afterwards.
    announced_at = min(now, fields["starts_at"] - timedelta(days=30))
    fields = {**fields, "cancellation_message": ""}
    return services.seminar_create(
        slug=spec.slug,
        status=Seminar.Status.PUBLISHED,
        published_at=announced_at,
        m2m=m2m,
        **fields,
    )


def _seed_seminar_speakers(
    seminar: Seminar, *, spec: DemoSeminar, speakers: dict[str, Speaker]
) -> None:
    for position, (slug, role) in enumerate(spec.speakers, start=1):
        upsert(
            SeminarSpeaker,
            lookup={"seminar": seminar, "speaker": speakers[slug]},
            values={
                "role": role,
                "position": position,
                "join_url": f"https://zoom.example/w/{spec.meeting_id}?tk=speaker-{slug}",
            },
        )
    wanted = [speakers[slug] for slug, _role in spec.speakers]
    seminar.speaker_links.exclude(speaker__in=wanted).delete()


def seed_questions(*, seminars: dict[str, Seminar]) -> dict[tuple[str, str], RegistrationQuestion]:
    """Custom registration questions, keyed by (seminar slug, label)."""
    seeded = {}
    for position, spec in enumerate(demo_content.QUESTIONS, start=1):
        seeded[spec.seminar_slug, spec.label] = upsert(
            RegistrationQuestion,
            lookup={"seminar": seminars[spec.seminar_slug], "label": spec.label},
            values={
                "kind": spec.kind,
                "choices": "\n".join(spec.choices),
                "required": spec.required,
                "help_text": spec.help_text,
                "position": position,
            },
        )
    return seeded


def seed_registrations(
    *,
    now: datetime,
    seminars: dict[str, Seminar],
    questions: dict[tuple[str, str], RegistrationQuestion],
) -> list[Registration]:
    """Demo registrants, in order: upcoming ones registered, past ones as history."""
    audience_types = {audience.slug: audience for audience in AudienceType.objects.all()}
    seeded = []
    for spec in demo_content.REGISTRATIONS:
        seminar = seminars[spec.seminar_slug]
        registration = (
            Registration.objects.filter(seminar=seminar, email=spec.email).order_by("pk").first()
        )
        if registration is None:
            answers = {
                str(questions[spec.seminar_slug, label].pk): value for label, value in spec.answers
            }
            audience_type = audience_types[spec.audience_slug]
            if seminar.ends_at <= now:
                registration = _past_registration(
                    spec, seminar=seminar, audience_type=audience_type, answers=answers
                )
            else:
                registration = services.registration_create(
                    seminar=seminar,
                    email=spec.email,
                    name=spec.name,
                    audience_type=audience_type,
                    organisation=spec.organisation,
                    job_title=spec.job_title,
                    country=spec.country,
                    answers=answers,
                    marketing_opt_in=spec.marketing_opt_in,
                ).registration
        if spec.attended:
            # Writes only when the value differs, so a re-run changes nothing.
            services.attendance_mark(registrations=[registration], attended=spec.attended)
        seeded.append(registration)
    return seeded


def _past_registration(
    spec: DemoRegistration,
    *,
    seminar: Seminar,
    audience_type: AudienceType,
    answers: dict[str, object],
) -> Registration:
    registered_at = seminar.starts_at - timedelta(days=14)
    registration = Registration.objects.create(
        seminar=seminar,
        email=spec.email,
        name=spec.name,
        audience_type=audience_type,
        organisation=spec.organisation,
        job_title=spec.job_title,
        country=spec.country,
        answers=answers,
        marketing_opt_in=spec.marketing_opt_in,
        status=Registration.Status.CONFIRMED,
        privacy_notice_version=settings.PRIVACY_NOTICE_VERSION,
        privacy_consented_at=registered_at,
        confirmation_sent_at=registered_at,
    )
    # created_at is set on insert; backdate it to when this person would have registered.
    Registration.objects.filter(pk=registration.pk).update(created_at=registered_at)
    registration.created_at = registered_at
    return registration


def seed_organiser() -> User:
    """A staff user in the Organisers group who can sign in to the admin and the site.

    The password is reset to the demo password whenever it differs, so the printed login
    always works.
    """
    group = Group.objects.filter(name=ORGANISERS_GROUP).first()
    if group is None:
        raise CommandError(
            f'The "{ORGANISERS_GROUP}" group is missing: run "manage.py migrate" first.'
        )
    organiser = User.objects.filter(email__iexact=ORGANISER_EMAIL).first()
    if organiser is None:
        organiser = User.objects.create_user(
            email=ORGANISER_EMAIL,
            password=ORGANISER_PASSWORD,
            full_name=ORGANISER_NAME,
            is_staff=True,
        )
    elif not (
        organiser.is_staff and organiser.is_active and organiser.check_password(ORGANISER_PASSWORD)
    ):
        organiser.is_staff = True
        organiser.is_active = True
        organiser.set_password(ORGANISER_PASSWORD)
        organiser.save()
    organiser.groups.add(group)
    # allauth signs in only with a verified address (mandatory verification).
    EmailAddress.objects.filter(user=organiser, primary=True).exclude(email=organiser.email).update(
        primary=False
    )
    upsert(
        EmailAddress,
        lookup={"user": organiser, "email": organiser.email},
        values={"verified": True, "primary": True},
    )
    return organiser


def seed_demo(*, now: datetime) -> DemoData:
    """All demo data in one transaction; cached public pages refresh once it commits."""
    with transaction.atomic():
        series = seed_series()
        topics = seed_topics()
        speakers = seed_speakers()
        seminars = seed_seminars(now=now, series=series, topics=topics, speakers=speakers)
        organiser = seed_organiser()
        questions = seed_questions(seminars=seminars)
        registrations = seed_registrations(now=now, seminars=seminars, questions=questions)
        catalogue_changed()
    return DemoData(
        series=series,
        topics=topics,
        speakers=speakers,
        seminars=seminars,
        organiser=organiser,
        registrations=registrations,
    )


class Command(BaseCommand):
    help = (
        "Load idempotent demo data: both series, upcoming and past seminars, JET speakers, "
        "registrations and a demo organiser whose login is printed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even when DEBUG is off (never on a real production site).",
        )

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo data with DEBUG off (is this production?); "
                "use --force to load it anyway."
            )
        now = timezone.now()
        demo = seed_demo(now=now)
        seminars = demo.seminars.values()
        upcoming = sum(1 for seminar in seminars if seminar.ends_at > now)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {len(demo.series)} series, {len(seminars)} seminars "
                f"({upcoming} upcoming, {len(seminars) - upcoming} past), "
                f"{len(demo.speakers)} speakers, {len(demo.topics)} topics, "
                f"{len(demo.registrations)} registrations."
            )
        )
        admin_url = settings.SITE_URL + reverse("admin:index")
        self.stdout.write(
            f"Organiser login: {ORGANISER_EMAIL} / {ORGANISER_PASSWORD}  (admin: {admin_url})"
        )
        self.stdout.write("The demo organiser's password is reset to the one above on every run.")
