"""Demo followers: people who asked for alerts of Kyushu and of Tohoku seminars.

Confirmed, as if each had clicked their confirmation link. Publishing the demo's Kyushu
draft ("Arita and Imari") in the admin sends the Kyushu followers, and the registrant
who ticked "future seminars", one alert digest (``ALERT_DIGEST_DELAY_MINUTES`` later).
Every person here is invented.
"""

from dataclasses import dataclass
from datetime import datetime

from webinars.models import Follow


@dataclass(frozen=True)
class DemoFollower:
    email: str
    place: str
    language: str
    time_zone: str


FOLLOWERS: tuple[DemoFollower, ...] = (
    DemoFollower("amelia.hughes@southbank-tours.example", "kyushu", "en", "Europe/London"),
    DemoFollower("kenji.mori@nihon-travel.example", "kyushu", "ja", "Europe/London"),
    DemoFollower("fiona.grant@highland-journeys.example", "tohoku", "en", "Europe/London"),
    DemoFollower("sakura.ito@example.jp", "tohoku", "ja", "Asia/Tokyo"),
)


def seed_follows(*, now: datetime) -> list[Follow]:
    """The demo's confirmed follows; a re-run changes nothing."""
    seeded = []
    for spec in FOLLOWERS:
        follow, _created = Follow.objects.get_or_create(
            email=spec.email,
            kind=Follow.Kind.PLACE,
            place=spec.place,
            defaults={
                "language": spec.language,
                "time_zone": spec.time_zone,
                "source": Follow.Source.PAGE,
                "confirmed_at": now,
            },
        )
        seeded.append(follow)
    return seeded
