"""Idempotent demo data for trying Kizuna out; ``manage.py seed_demo`` is its command.

Every object is keyed by its slug (or email), so a second run creates nothing and, on the
same day, changes nothing. Upcoming dates are computed from now (``dates``): a run on a
later day moves the demo seminars forward (through ``seminar_update``, so calendars would
follow).

The data is declarative, in ``content``; the seeding is one small function per kind of
object, by area: ``catalogue`` (series, topics, speakers, seminars), ``accounts`` (the demo
organiser), ``registrations`` (questions, registrants), ``recordings`` and ``engagement``
(the past seminars' crowds from ``crowds``, attendance, join clicks and recording views, for
the organisers' insights), all called in turn from ``demo_seed()``. ``seed_series`` and
``seed_topics`` are public for the benchmarks, which build their own seminars on the demo
series and topics.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from accounts.models import User
from webinars.cache import catalogue_changed
from webinars.demo.accounts import (
    ATTENDEE_EMAIL,
    ORGANISER_EMAIL,
    ORGANISER_PASSWORD,
    ORGANISER_TOTP_SECRET,
    DemoSetupError,
    seed_attendee,
    seed_organiser,
)
from webinars.demo.catalogue import seed_seminars, seed_series, seed_speakers, seed_topics
from webinars.demo.engagement import Engagement, seed_engagement
from webinars.demo.follows import seed_follows
from webinars.demo.recordings import recordings_summary, seed_recordings, slides_pdf
from webinars.demo.registrations import seed_questions, seed_registrations
from webinars.demo.surveys import seed_surveys
from webinars.models import Follow, Recording, Registration, Seminar, Series, Speaker, Topic
from webinars.regions import place_for_slug

__all__ = [
    "ORGANISER_EMAIL",
    "ORGANISER_PASSWORD",
    "DemoResult",
    "DemoSetupError",
    "demo_seed",
    "seed_series",
    "seed_topics",
    "slides_pdf",
]


@dataclass
class DemoResult:
    """What ``demo_seed`` left in the database, and the summary the command prints."""

    now: datetime
    series: dict[str, Series]
    topics: dict[str, Topic]
    speakers: dict[str, Speaker]
    seminars: dict[str, Seminar]
    organiser: User
    registrations: list[Registration]
    recordings: dict[str, Recording]
    engagement: Engagement
    follows: list[Follow]

    def headline(self) -> str:
        """One line of counts: what the demo holds."""
        seminars = self.seminars.values()
        upcoming = sum(1 for seminar in seminars if seminar.ends_at > self.now)
        return (
            f"Demo data ready: {len(self.series)} series, {len(seminars)} seminars "
            f"({upcoming} upcoming, {len(seminars) - upcoming} past), "
            f"{len(self.speakers)} speakers, {len(self.topics)} topics, "
            f"{len(self.registrations) + self.engagement.crowd} registrations."
        )

    def notes(self) -> list[str]:
        """The organiser's login, then one line per recording saying what to try."""
        admin_url = settings.SITE_URL + reverse("admin:index")
        if settings.DEBUG:
            second_factor = [
                f"TOTP secret: {ORGANISER_TOTP_SECRET}",
                "Add it to an authenticator app (enter the key by hand); the admin asks "
                "for the app's 6-digit code after the password.",
            ]
        else:
            second_factor = [
                "Two-step sign-in: the organiser sets up their own authenticator app at "
                "the first admin visit (no demo secret with DEBUG off).",
            ]
        return [
            f"Organiser login: {ORGANISER_EMAIL} / {ORGANISER_PASSWORD}  (admin: {admin_url})",
            *second_factor,
            "The demo organiser's password is reset to the one above on every run.",
            *recordings_summary(self.recordings.values(), admin_url=admin_url),
            self.engagement.summary(),
            self.follows_summary(admin_url),
            f"Attendee login: {ATTENDEE_EMAIL} / {ORGANISER_PASSWORD}: she attended Kyushu by "
            f"rail, and {settings.SITE_URL}{reverse('webinars:my_seminars')} offers her "
            "certificate of attendance, which verifies at the address printed on it.",
        ]

    def follows_summary(self, admin_url: str) -> str:
        places = sorted({str(place_for_slug(follow.place).name) for follow in self.follows})
        return (
            f"Alerts: {len(self.follows)} people follow {' and '.join(places)}. Publish the "
            f'Kyushu draft "Arita and Imari" ({admin_url}webinars/seminar/): '
            f"{settings.ALERT_DIGEST_DELAY_MINUTES} min later its followers' alert digest "
            "is in the outbox."
        )


def demo_seed(*, now: datetime) -> DemoResult:
    """All demo data in one transaction; cached public pages refresh once it commits."""
    with transaction.atomic():
        series = seed_series()
        topics = seed_topics()
        speakers = seed_speakers()
        seminars = seed_seminars(now=now, series=series, topics=topics, speakers=speakers)
        organiser = seed_organiser()
        questions = seed_questions(seminars=seminars)
        registrations = seed_registrations(now=now, seminars=seminars, questions=questions)
        recordings = seed_recordings(now=now, seminars=seminars, organiser=organiser)
        engagement = seed_engagement(now=now, seminars=seminars, recordings=recordings)
        follows = seed_follows(now=now)
        seed_attendee()
        seed_surveys(series=series)
        catalogue_changed()
    return DemoResult(
        now=now,
        series=series,
        topics=topics,
        speakers=speakers,
        seminars=seminars,
        organiser=organiser,
        registrations=registrations,
        recordings=recordings,
        engagement=engagement,
        follows=follows,
    )
