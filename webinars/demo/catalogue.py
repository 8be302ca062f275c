"""Seeding the demo catalogue: series, topics, speakers and seminars.

Every object is keyed by its slug, so a second run creates nothing and, on the same day,
changes nothing. Seminars are created and changed through the catalogue services, so a run
on a later day moves the upcoming dates forward through ``seminar_update`` (calendars
would follow), and the cancelled seminar is cancelled through ``seminar_cancel``. Text kept
in English and Japanese is written to both language columns by name (``in_both_languages``).
"""

from datetime import datetime, timedelta
from typing import Any

from accounts.models import AudienceType
from webinars import services
from webinars.demo.content import catalogue as content
from webinars.demo.content.catalogue import DemoSeminar
from webinars.demo.rows import in_both_languages, upsert
from webinars.models import Seminar, SeminarSpeaker, Series, Speaker, Topic


def seed_series() -> dict[str, Series]:
    """Both seminar series, with the audience types each one is made for."""
    seeded = {}
    for spec in content.SERIES:
        series = upsert(
            Series,
            lookup={"slug": spec.slug},
            values={
                **in_both_languages(spec, "name", "tagline", "description"),
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
        spec.slug: upsert(Topic, lookup={"slug": spec.slug}, values=in_both_languages(spec, "name"))
        for spec in content.TOPICS
    }


def seed_speakers() -> dict[str, Speaker]:
    """Fictional speakers: JET participants, Japanese officials and a UK council officer.

    None has an email address, so seeding invites no one.
    """
    seeded = {}
    for spec in content.SPEAKERS:
        year_from, year_to = spec.jet_years or (None, None)
        seeded[spec.slug] = upsert(
            Speaker,
            lookup={"slug": spec.slug},
            values={
                "name": spec.name,
                "name_ja": spec.name_ja,
                **in_both_languages(spec, "title", "organisation", "bio"),
                "language": spec.language,
                "time_zone": spec.time_zone,
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
    for spec in content.SEMINARS:
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
        **in_both_languages(spec, "title", "summary", "description"),
        "series": series,
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
