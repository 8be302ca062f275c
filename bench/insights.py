"""The organiser's insights pages, rendered in process on PostgreSQL with DEBUG off.

    .venv/bin/python -m bench.insights [--quick]

Creates a fresh PostgreSQL database (``BENCH_DATABASE_URL``, default
postgres://postgres@127.0.0.1:5432/kizuna_bench_insights) with 100 published seminars of the
last 12 months in both series (planned in Europe/London or Asia/Tokyo), 300 registrations
each (audience types, countries, organisations and sources varied; mostly confirmed, with
attendance recorded), join clicks for about 60% of the confirmed places, and a recording per
seminar watched by about 20% of them. Flushes a Redis cache database (``BENCH_CACHE_URL``,
default redis://127.0.0.1:6379/9).

Then, signed in as a superuser with an authenticator app (staff need a second factor under
/organiser/, accounts/middleware.py), it GETs through Django's test client, in this process
(no HTTP server: the figures are the server's time for the page, middleware to rendered
body), with the project's settings and DEBUG off:

- all seminars over the last 12 months: ``/organiser/?start=…&end=…``
- one series over the same months: the same with ``&series=<slug>``
- one seminar: ``/organiser/seminars/<slug>/``

After a warm-up, 40 interleaved rounds (``--quick``: 10 seminars of 50 registrations,
5 rounds). Prints, per page, p50 and p95 of the time per request, the SQL queries of one
request, and whether p95 meets the target (<= 300 ms).

Exits non-zero when a response is not 200 (one line names the URL and the status) or the
run passes its time limit; missing the target is reported, not an error.
"""

import argparse
import contextlib
import hashlib
import os
import random
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from zoneinfo import ZoneInfo

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:  # run as a script: python bench/insights.py
    sys.path.insert(0, str(BASE_DIR))

from bench.pages import (  # noqa: E402 (needs the path set above)
    abort_on_time_limit,
    flush_cache,
    percentile,
    recreate_database,
    server_environment,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kizuna_bench_insights"
# Redis database 9: the other benchmarks use 10, 13 and 14, the integration tests 11, 12, 15.
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/9"
TARGET_P95_MS = 300.0
STAFF_EMAIL = "insights-organiser@bench.example"
SLUG_PREFIX = "bench-insights"
# Where people come from: mostly direct (no UTM fields), then partners' mailings.
SOURCES = [
    ("", "", ""),
    ("", "", ""),
    ("", "", ""),
    ("visit-kyushu", "email", "spring-newsletter"),
    ("abta-newsletter", "email", "members-digest"),
    ("jnto", "partner-site", ""),
    ("linkedin", "social", ""),
    ("jlgc-newsletter", "email", "monthly"),
]
COUNTRIES = ["GB"] * 10 + ["IE", "IE", "US", "FR", "DE", "NL", "AU", "JP", "JP", "CA", ""]
_ORGANISATION_NAMES = ["Albion", "Thames", "Highland", "Sakura", "Northern", "Atlas", "Kestrel"]
_ORGANISATION_KINDS = ["Travel", "Tours", "Holidays", "Borough Council", "University", "Media"]
ORGANISATIONS = [f"{name} {kind}" for name in _ORGANISATION_NAMES for kind in _ORGANISATION_KINDS]


class PageError(Exception):
    """A response that was not 200."""

    def __init__(self, path: str, status: int, detail: str = "") -> None:
        self.path, self.status, self.detail = path, status, detail
        super().__init__(self.line())

    def line(self) -> str:
        line = f"FAILED: GET {self.path} answered {self.status}, not 200"
        if self.detail:
            line += f" ({self.detail})"
        return line


@dataclass
class PageFigures:
    """What one page measured."""

    label: str
    path: str
    timings: list[float] = field(default_factory=list)  # seconds per request
    queries: int = 0
    first_ms: float = 0.0  # the very first request (cold: templates, query plans)
    size: int = 0  # bytes of the body

    @property
    def p50_ms(self) -> float:
        return percentile(self.timings, 50) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.timings, 95) * 1000

    @property
    def met(self) -> bool:
        return bool(self.timings) and self.p95_ms <= TARGET_P95_MS


def report_line(figures: PageFigures) -> str:
    """e.g. "all seminars: p50 120 ms, p95 180 ms, 14 queries (target p95 ≤ 300 ms: met)"."""
    queries = f"{figures.queries} quer{'y' if figures.queries == 1 else 'ies'}"
    return (
        f"{figures.label}: p50 {figures.p50_ms:.0f} ms, p95 {figures.p95_ms:.0f} ms, {queries} "
        f"(target p95 ≤ {TARGET_P95_MS:.0f} ms: {'met' if figures.met else 'missed'})"
    )


# --- Data ---------------------------------------------------------------------------------


@dataclass
class Seeded:
    seminar_slugs: list[str]
    series_slug: str
    registrations: int = 0
    confirmed: int = 0
    join_clicks: int = 0
    recording_views: int = 0


def _starts_at(day: date, zone: str) -> datetime:
    """10:00 in London, or 18:00 in Tokyo (10:00 or 09:00 in London), as UTC."""
    local = wall_time(10, 0) if zone == "Europe/London" else wall_time(18, 0)
    return datetime.combine(day, local, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def create_insights_data(*, seminars: int, registrations: int, now: datetime) -> Seeded:
    """Past seminars with registrations, join clicks, a recording each and recording views.

    People come from one pool (about five seminars each on average), so the same person
    registers for several seminars with the same organisation, country and audience type.
    """
    from django.db import connection, transaction
    from django.db.models import F

    from accounts.models import AudienceType
    from webinars.demo import seed_series, seed_topics
    from webinars.models import JoinClick, Recording, RecordingView, Registration, Seminar
    from webinars.prefectures import Prefecture

    rng = random.Random(12)
    with transaction.atomic():
        series = list(seed_series().values())
        topics = list(seed_topics().values())
        audience_types = list(AudienceType.objects.filter(is_active=True))
        prefectures = [code for code, _label in Prefecture.choices]
        people = max(registrations, registrations * seminars // 5)
        person_org = [rng.choice([*ORGANISATIONS, ""]) for _ in range(people)]
        person_country = [rng.choice(COUNTRIES) for _ in range(people)]
        person_audience = [rng.choice(audience_types) for _ in range(people)]
        person_source = [rng.choice(SOURCES) for _ in range(people)]

        today = now.date()
        rows = []
        for n in range(seminars):
            # Spread over the last 12 months, 3 to 360 days ago.
            days_ago = 3 + round(n * 357 / max(seminars - 1, 1))
            zone = "Asia/Tokyo" if n % 3 == 2 else "Europe/London"
            starts_at = _starts_at(today - timedelta(days=days_ago), zone)
            rows.append(
                Seminar(
                    title=f"Bench insights seminar {n:03d}: {Prefecture.choices[n % 47][1]}",
                    slug=f"{SLUG_PREFIX}-{n:03d}",
                    series=series[n % len(series)],
                    summary="Regions of Japan for UK travel professionals.",
                    prefecture=prefectures[n % 47],
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(hours=1, minutes=30),
                    timezone=zone,
                    meeting_url="https://zoom.example/j/90000000003",
                    status=Seminar.Status.PUBLISHED,
                    published_at=starts_at - timedelta(days=45),
                )
            )
        created = Seminar.objects.bulk_create(rows)
        Seminar.topics.through.objects.bulk_create(
            Seminar.topics.through(seminar=seminar, topic=topics[n % len(topics)])
            for n, seminar in enumerate(created)
        )

        places = []
        for seminar in created:
            for person in rng.sample(range(people), registrations):
                roll = rng.random()
                status = (
                    Registration.Status.CONFIRMED
                    if roll < 0.85
                    else Registration.Status.WAITLISTED
                    if roll < 0.90
                    else Registration.Status.CANCELLED
                )
                registered_at = seminar.starts_at - timedelta(minutes=rng.randint(60, 60 * 24 * 60))
                attended = Registration.Attendance.UNKNOWN
                if status == Registration.Status.CONFIRMED:
                    attended = (
                        Registration.Attendance.YES
                        if rng.random() < 0.55
                        else Registration.Attendance.NO
                    )
                source, medium, campaign = person_source[person]
                places.append(
                    Registration(
                        seminar=seminar,
                        email=f"person{person}@bench.example",
                        name=f"Bench Person {person}",
                        organisation=person_org[person],
                        country=person_country[person],
                        audience_type=person_audience[person],
                        language="ja" if person % 10 == 0 else "en",
                        privacy_notice_version="1",
                        privacy_consented_at=registered_at,
                        marketing_opt_in=person % 3 == 0,
                        recording_followup_opt_in=person % 2 == 0,
                        status=status,
                        attended=attended,
                        cancelled_at=(
                            registered_at + (seminar.starts_at - registered_at) / 2
                            if status == Registration.Status.CANCELLED
                            else None
                        ),
                        utm_source=source,
                        utm_medium=medium,
                        utm_campaign=campaign,
                        referrer_host="www.linkedin.com" if source == "linkedin" else "",
                    )
                )
        places = Registration.objects.bulk_create(places, batch_size=2000)
        # Registered when they accepted the privacy notice (auto_now_add wrote "now").
        Registration.objects.filter(seminar__in=created).update(
            created_at=F("privacy_consented_at")
        )

        recordings = Recording.objects.bulk_create(
            Recording(
                seminar=seminar,
                title=f"Recording: {seminar.title}",
                slug=f"{seminar.slug}-recording",
                video_provider=Recording.VideoProvider.YOUTUBE,
                video_id="dQw4w9WgXcQ",
                duration=timedelta(hours=1, minutes=20),
                access=Recording.Access.REGISTRANTS,
                speakers_consented=True,
                speaker_consent_note="Bench.",
                published_at=min(seminar.starts_at + timedelta(days=2), now - timedelta(hours=1)),
            )
            for seminar in created
        )
        recording_of = {recording.seminar_id: recording for recording in recordings}

        clicks, views = [], []
        confirmed = 0
        for place in places:
            if place.status != Registration.Status.CONFIRMED:
                continue
            confirmed += 1
            starts_at = place.seminar.starts_at
            attended = place.attended == Registration.Attendance.YES
            # About 60% of confirmed places click their join link, some of them twice.
            if rng.random() < (0.9 if attended else 0.25):
                for _ in range(2 if rng.random() < 0.15 else 1):
                    clicks.append(
                        JoinClick(
                            registration=place,
                            clicked_at=starts_at + timedelta(seconds=rng.randint(-900, 1800)),
                            redirected=True,
                        )
                    )
            # About 20% watch the recording (more of those who missed the seminar).
            if rng.random() < (0.16 if attended else 0.25):
                watched = min(starts_at + timedelta(days=rng.randint(2, 40)), now)
                key = hashlib.sha256(f"bench-viewer-{place.pk}".encode()).hexdigest()
                views.append(
                    RecordingView(
                        recording=recording_of[place.seminar_id],
                        viewer_key=f"anon:{key}",
                        registration=place,
                        day=watched.date(),
                    )
                )
        JoinClick.objects.bulk_create(clicks, batch_size=2000)
        RecordingView.objects.bulk_create(views, batch_size=2000)
    # Planner statistics and the visibility map, as autovacuum keeps them on a live
    # database: without them PostgreSQL plans for empty tables (one row each) and joins
    # badly, and index-only scans still read the heap.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")

    return Seeded(
        seminar_slugs=[seminar.slug for seminar in created],
        series_slug=series[0].slug,
        registrations=len(places),
        confirmed=confirmed,
        join_clicks=len(clicks),
        recording_views=len(views),
    )


def create_organiser() -> int:
    """A superuser with an authenticator app (TOTP), as staff need under /organiser/."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from accounts.models import User

    user = User.objects.create_superuser(email=STAFF_EMAIL, password=None)
    # What tests.factories.enrol_second_factor does: the Authenticator row, its secret
    # encrypted by the project's MFA adapter. has_second_factor() only asks that it exists.
    TOTP.activate(user, generate_totp_secret())
    return user.pk


# --- Measuring ----------------------------------------------------------------------------


def signed_in_client(user_id: int):
    """A test client signed in as ``user_id``, as allauth's login (with the second factor)
    leaves a staff session: the staff session's clocks started (accounts.middleware)."""
    from django.test import Client

    from accounts.middleware import start_staff_session
    from accounts.models import User

    # A view's exception comes back as a 500 response (one line), not a traceback here.
    client = Client(raise_request_exception=False)
    client.force_login(User.objects.get(pk=user_id))
    session = client.session
    start_staff_session(session, user_id)
    session.save()
    return client


def timed_get(client, path: str) -> tuple[float, bytes]:
    """(seconds, body) of one GET; raises PageError unless it answered 200."""
    began = time.perf_counter()
    response = client.get(path)
    elapsed = time.perf_counter() - began
    if response.status_code != 200:
        detail = ""
        if response.status_code == 404:
            detail = "are the insights views in place?"
        elif 300 <= response.status_code < 400:
            detail = f"to {response.get('Location', '?')}"
        elif getattr(response, "exc_info", None):
            error = response.exc_info[1]
            detail = f"{type(error).__name__}: {str(error)[:200]}"
        raise PageError(path, response.status_code, detail)
    return elapsed, response.content


def measure(client, pages: list[PageFigures], *, rounds: int, warmup: int) -> list[PageFigures]:
    """Warm up each page, count the queries of one request, then time interleaved rounds
    (noise on a shared machine hits every page alike)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for page in pages:
        for n in range(warmup):
            seconds, body = timed_get(client, page.path)
            if n == 0:
                page.first_ms, page.size = seconds * 1000, len(body)
    for page in pages:
        with CaptureQueriesContext(connection) as captured:
            timed_get(client, page.path)
        page.queries = len(captured.captured_queries)
    for _ in range(rounds):
        for page in pages:
            page.timings.append(timed_get(client, page.path)[0])
    return pages


# --- Main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="10 seminars × 50 registrations, 5 rounds"
    )
    parser.add_argument("--seminars", type=int, help="past seminars (default 100)")
    parser.add_argument("--registrations", type=int, help="per seminar (default 300)")
    parser.add_argument("--rounds", type=int, help="timed requests per page (default 40)")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument(
        "--cache-url",
        default=os.environ.get("BENCH_CACHE_URL", DEFAULT_CACHE_URL),
        help="Redis database for the cache, flushed at the start",
    )
    parser.add_argument("--time-limit", type=int, default=240, help="abort after this many seconds")
    args = parser.parse_args(argv)
    args.seminars = args.seminars or (10 if args.quick else 100)
    args.registrations = args.registrations or (50 if args.quick else 300)
    args.rounds = args.rounds or (5 if args.quick else 40)
    args.warmup = 2 if args.quick else 3
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGALRM, abort_on_time_limit)
    signal.alarm(args.time_limit)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="kizuna-bench-insights-"))
    failed = False
    try:
        # The page benchmark's production-like settings (DEBUG off, Redis cache, static
        # manifest), for the test client's host.
        env = server_environment(
            database_url=args.database_url,
            cache_url=args.cache_url,
            static_root=workdir / "static",
        )
        os.environ.update({**env, "ALLOWED_HOSTS": "testserver"})
        print(f"database {args.database_url}, cache {args.cache_url}", flush=True)
        recreate_database(args.database_url)
        flush_cache(args.cache_url)

        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.utils import timezone

        assert not settings.DEBUG, "the benchmark measures with DEBUG off"
        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        now = timezone.now().replace(microsecond=0)
        seeding = time.monotonic()
        seeded = create_insights_data(
            seminars=args.seminars, registrations=args.registrations, now=now
        )
        user_id = create_organiser()
        print(
            f"{args.seminars} past seminars × {args.registrations} registrations "
            f"({seeded.registrations} places, {seeded.confirmed} confirmed, "
            f"{seeded.join_clicks} join clicks, {seeded.recording_views} recording views); "
            f"seeded in {time.monotonic() - seeding:.1f} s, set up in "
            f"{time.monotonic() - started:.1f} s",
            flush=True,
        )

        today = timezone.localdate(now)
        months = f"start={today - timedelta(days=365):%Y-%m-%d}&end={today:%Y-%m-%d}"
        pages = [
            PageFigures("all seminars", f"/organiser/?{months}"),
            PageFigures("one series", f"/organiser/?{months}&series={seeded.series_slug}"),
            PageFigures(
                "one seminar",
                f"/organiser/seminars/{seeded.seminar_slugs[len(seeded.seminar_slugs) // 2]}/",
            ),
        ]
        client = signed_in_client(user_id)
        measure(client, pages, rounds=args.rounds, warmup=args.warmup)

        print(
            f"\n{args.rounds} interleaved rounds after {args.warmup} warm-up requests per page; "
            "test client in process (middleware, view, queries, template), DEBUG off"
        )
        for page in pages:
            print(
                f"  GET {page.path}: {page.size / 1024:.0f} KiB, "
                f"first request {page.first_ms:.0f} ms"
            )
        print()
        for page in pages:
            print(report_line(page))
    except PageError as error:
        failed = True
        print(error.line(), file=sys.stderr)
    except Exception as exc:  # report, then clean up and exit non-zero
        failed = True
        print(f"bench failed: {exc!r}", file=sys.stderr)
    finally:
        signal.alarm(0)
        shutil.rmtree(workdir, ignore_errors=True)
        with contextlib.suppress(Exception):
            from django.db import connections

            connections.close_all()
    print(f"total {time.monotonic() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
