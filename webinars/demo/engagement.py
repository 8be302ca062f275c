"""Engagement on the demo's past seminars: the figures an organiser's insights chart.

Each past seminar gets its crowd (``crowds``); then every registration there, named or
crowd, may have join clicks around the start, and views of the seminar's published
recording. Clicks and views are planned from fixed random seeds, the registration's
attendance and the seminar's times, never from what the database holds, so every run plans
the same rows, and only a registration whose rows differ from the plan is rewritten (as
when a later run moves the seminar). Nothing here writes email.
"""

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from random import Random

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from webinars.demo.content.engagement import CROWDS
from webinars.demo.crowds import seed_crowd, whole_seconds
from webinars.models import JoinClick, Recording, RecordingView, Registration, Seminar

Status = Registration.Status
Attendance = Registration.Attendance


@dataclass(frozen=True)
class Engagement:
    """What the past seminars hold after seeding, for the command's summary.

    ``crowd`` counts the crowds' registrations only; ``registrations`` counts every
    registration for a past seminar, named ones included.
    """

    crowd: int
    registrations: int
    organisations: int
    countries: int
    attended: int
    join_clicks: int
    recording_views: int

    def summary(self) -> str:
        return (
            f"Past seminars, for the organisers' insights: {self.registrations} registrations "
            f"from {self.organisations} organisations in {self.countries} countries, "
            f"{self.attended} attended, {self.join_clicks} join clicks, "
            f"{self.recording_views} recording views."
        )


def seed_engagement(
    *, now: datetime, seminars: dict[str, Seminar], recordings: dict[str, Recording]
) -> Engagement:
    """Crowds, attendance, join clicks and recording views for the seminars that are over."""
    past = [s for s in seminars.values() if s.is_published and s.ends_at <= now]
    crowds = {crowd.seminar_slug: crowd for crowd in CROWDS}
    crowd = 0
    for seminar in past:
        if seminar.slug in crowds:
            crowd += seed_crowd(seminar, crowd=crowds[seminar.slug])
        _seed_join_clicks(seminar)
    past_ids = {seminar.pk for seminar in past}
    for recording in recordings.values():
        # Views only of what is published: an organiser who unpublished it keeps the past.
        if recording.is_published and recording.seminar_id in past_ids:
            _seed_recording_views(recording, today=timezone.localdate(now))
    registrations = Registration.objects.filter(seminar__in=past)
    return Engagement(
        crowd=crowd,
        registrations=registrations.count(),
        organisations=_distinct(registrations.exclude(organisation=""), "organisation"),
        countries=_distinct(registrations.exclude(country=""), "country"),
        attended=registrations.filter(attended=Attendance.YES).count(),
        join_clicks=JoinClick.objects.filter(registration__seminar__in=past).count(),
        recording_views=RecordingView.objects.filter(recording__seminar__in=past).count(),
    )


def _distinct(queryset: QuerySet[Registration], name: str) -> int:
    return queryset.values(name).distinct().count()


def planned_clicks(registration: Registration, *, seminar: Seminar) -> list[tuple[datetime, bool]]:
    """(clicked_at, redirected) of one registration's join link, in order."""
    if registration.status != Status.CONFIRMED:
        return []
    rng = Random(f"kizuna-demo:clicks:{seminar.slug}:{registration.email}")
    came = registration.attended == Attendance.YES
    # Most who came used their link (the rest joined from the meeting app); a few who did
    # not came as far as clicking it.
    if rng.random() >= (0.85 if came else 0.12):
        return []
    minutes = [rng.uniform(-12, 6)]
    if came and rng.random() < 0.15:
        minutes.append(rng.uniform(-90, -40))  # too early: the countdown page, then again
    if came and rng.random() < 0.1:
        minutes.append(rng.uniform(10, 40))  # back in after a dropped connection
    opens_at = seminar.starts_at - timedelta(minutes=settings.JOIN_OPENS_MINUTES_BEFORE)
    clicks = sorted(
        seminar.starts_at + whole_seconds(timedelta(minutes=value)) for value in minutes
    )
    return [(at, opens_at <= at < seminar.ends_at) for at in clicks]


def _seed_join_clicks(seminar: Seminar) -> None:
    """Every registration's clicks as planned; only a registration that differs is rewritten.

    No one holds a link to a demo seminar that is over (its registrants were never
    emailed), so its clicks are all the demo's own.
    """
    current: dict[int, list[tuple[datetime, bool]]] = defaultdict(list)
    for registration_id, clicked_at, redirected in (
        JoinClick.objects.filter(registration__seminar=seminar)
        .order_by("clicked_at", "pk")
        .values_list("registration_id", "clicked_at", "redirected")
    ):
        current[registration_id].append((clicked_at, redirected))
    stale, wanted = [], []
    for registration in seminar.registrations.only("pk", "email", "status", "attended"):
        planned = planned_clicks(registration, seminar=seminar)
        if current.get(registration.pk, []) != planned:
            stale.append(registration.pk)
            wanted += [
                JoinClick(registration=registration, clicked_at=at, redirected=redirected)
                for at, redirected in planned
            ]
    if stale:
        JoinClick.objects.filter(registration_id__in=stale).delete()
        JoinClick.objects.bulk_create(wanted)


def planned_views(
    registration: Registration, *, seminar: Seminar, published_on: date, today: date
) -> list[tuple[str, date]]:
    """(viewer_key, day) of one registrant watching the recording, up to today."""
    if registration.status != Status.CONFIRMED:
        return []
    rng = Random(f"kizuna-demo:views:{seminar.slug}:{registration.email}")
    # Those who missed the seminar watch it most; some who came watch a part again.
    chance = {Attendance.YES: 0.3, Attendance.NO: 0.6}.get(registration.attended, 0.45)
    if rng.random() >= chance:
        return []
    first = published_on + timedelta(days=round(rng.triangular(0, 21, 0)))
    days = {first}
    if rng.random() < 0.3:
        days.add(first + timedelta(days=rng.randint(1, 10)))
    return [(_viewer_key(registration.email, day), day) for day in sorted(days) if day <= today]


def _viewer_key(email: str, day: date) -> str:
    # Shaped like the recording page's key for a viewer who came by an emailed link: a hash
    # of who and which day (no secret needed for invented people).
    digest = hashlib.sha256(f"kizuna-demo\n{email}\n{day.isoformat()}".encode()).hexdigest()
    return f"anon:{digest}"


def _seed_recording_views(recording: Recording, *, today: date) -> None:
    """The registrants' views of a published recording as planned, from its publication.

    Like join clicks, the views linked to a registration for a demo seminar that is over
    are all the demo's own; other viewers' rows are left alone.
    """
    seminar = recording.seminar
    published_on = timezone.localdate(recording.published_at)
    planned = {
        (key, day, registration.pk)
        for registration in seminar.registrations.only("pk", "email", "status", "attended")
        for key, day in planned_views(
            registration, seminar=seminar, published_on=published_on, today=today
        )
    }
    current = {
        (key, day, registration_id): pk
        for pk, key, day, registration_id in RecordingView.objects.filter(
            recording=recording, registration__seminar=seminar
        ).values_list("pk", "viewer_key", "day", "registration_id")
    }
    stale = [pk for view, pk in current.items() if view not in planned]
    if stale:
        RecordingView.objects.filter(pk__in=stale).delete()
    RecordingView.objects.bulk_create(
        RecordingView(recording=recording, viewer_key=key, day=day, registration_id=registration_id)
        for key, day, registration_id in sorted(planned - current.keys())
    )
