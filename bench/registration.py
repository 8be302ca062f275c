"""Concurrent registrations over HTTP for one seminar, on gunicorn with PostgreSQL and Redis.

    .venv/bin/python -m bench.registration [--quick]

Creates a fresh PostgreSQL database (``BENCH_DATABASE_URL``, default
postgres://postgres@127.0.0.1:5432/kizuna_bench_reg) with one published seminar of 300 seats
and a waiting list, flushes a Redis cache database (``BENCH_CACHE_URL``, default
redis://127.0.0.1:6379/14) and a Redis broker database (``BENCH_BROKER_URL``, default the
cache's server, database 13), and serves the project with DEBUG=0 on a free loopback port.
Then 16 keep-alive ``http.client`` connections, each with its own CSRF cookie and token from
one GET of the form, POST 1,000 registrations with distinct emails as fast as they can.

Prints registrations per second (all attempts, and confirmed ones while seats remained),
p50/p99 latency, and checks in the database: exactly 300 confirmed, 700 waitlisted, one
outbox email of the right kind per registration, no error response. PASS needs all of that
and at least 50 registrations per second.

Exits non-zero when a check fails, the server does not start or the run passes its time
limit; missing the rate target is printed as FAIL, not an error.
"""

import argparse
import http.client
import itertools
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:  # run as a script: python bench/registration.py
    sys.path.insert(0, str(BASE_DIR))

from bench.pages import (  # noqa: E402 (needs the path set above)
    DEFAULT_CACHE_URL,
    HOST,
    abort_on_time_limit,
    flush_cache,
    free_port,
    percentile,
    recreate_database,
    server_environment,
    start_gunicorn,
    stop,
    wait_until_ready,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kizuna_bench_reg"
BROKER_DB = 13
TARGET_PER_SECOND = 50.0
SLUG = "bench-registration"
WARM_UP_SLUG = "bench-registration-warm-up"
WARM_UP_CAPACITY = 4
# Far above what one run sends: every request comes from 127.0.0.1.
BENCH_RATE_LIMIT = "1000000/600"
# The registration page's answer to an accepted registration (new or repeat alike).
RECEIVED = "received"
RECEIVED_MARKER = b"data-registration-received"
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class RunResult:
    """What the registering clients saw."""

    attempts: int = 0
    elapsed: float = 0.0
    started_at: float = 0.0  # wall clock (time.time()), comparable with the rows' created_at
    latencies: list[float] = field(default_factory=list)
    # "received" (the answer to every accepted registration), else the HTTP status.
    statuses: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return self.attempts / self.elapsed if self.elapsed else 0.0

    @property
    def failures(self) -> int:
        # An accepted registration answers "check your inbox" (200, RECEIVED_MARKER).
        return len(self.errors) + sum(
            n for status, n in self.statuses.items() if status != RECEIVED
        )


@dataclass
class Verdict:
    """The database after the run, checked against the capacity."""

    confirmed: int
    waitlisted: int
    cancelled: int
    emails: int
    registrations_without_one_email: int
    wrong_kind: int
    confirmed_per_second: float
    problems: list[str]


# --- Load generation ---------------------------------------------------------------------


def csrf_for(connection: http.client.HTTPConnection, path: str) -> tuple[str, str]:
    """The CSRF cookie and form token from one GET of the registration form."""
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read().decode("utf-8", "replace")
    if response.status != 200:
        raise RuntimeError(f"GET {path}: {response.status}")
    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    match = CSRF_TOKEN.search(body)
    if "csrftoken" not in cookies or match is None:
        raise RuntimeError(f"GET {path}: no CSRF cookie or token")
    return cookies["csrftoken"].value, match.group(1)


def registration_body(*, token: str, n: int, audience_type_id: int, prefix: str) -> str:
    return urlencode(
        {
            "csrfmiddlewaretoken": token,
            "name": f"Bench Person {n}",
            "email": f"{prefix}{n}@bench.example",
            "organisation": "Bench Travel Ltd",
            "audience_type": str(audience_type_id),
            "country": "GB",
            "privacy_consent": "on",
            "recording_followup_opt_in": "on",
        }
    )


def register_all(
    port: int,
    path: str,
    *,
    attempts: int,
    concurrency: int,
    audience_type_id: int,
    prefix: str = "person",
    timeout: float = 60,
) -> RunResult:
    """POST ``attempts`` registrations with distinct emails over ``concurrency`` connections.

    Each connection first GETs the form (its CSRF cookie and token), then all connections
    start together and send POSTs back to back, taking the next number from a shared
    counter, until every number is taken.
    """
    result = RunResult()
    numbers = itertools.count()
    take_lock, result_lock = threading.Lock(), threading.Lock()
    start = threading.Barrier(concurrency + 1)
    ends: list[float] = []

    def take() -> int | None:
        with take_lock:
            n = next(numbers)
        return n if n < attempts else None

    def client() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
        latencies, statuses, errors = [], {}, []
        try:
            cookie, token = csrf_for(connection, path)
        except (OSError, http.client.HTTPException, RuntimeError) as exc:
            errors.append(f"form: {exc!r}")
            cookie = token = ""
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
        }
        start.wait()
        while (n := take()) is not None:
            body = registration_body(
                token=token, n=n, audience_type_id=audience_type_id, prefix=prefix
            )
            began = time.perf_counter()
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                page = response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"registration {n}: {exc!r}")
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
                continue
            latencies.append(time.perf_counter() - began)
            received = response.status == 200 and RECEIVED_MARKER in page
            status = RECEIVED if received else str(response.status)
            statuses[status] = statuses.get(status, 0) + 1
        connection.close()
        with result_lock:
            ends.append(time.perf_counter())
            result.attempts += len(latencies) + len(errors)
            result.latencies += latencies
            for status, count in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + count
            result.errors += errors

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    result.started_at = time.time()
    began = time.perf_counter()
    for thread in threads:
        thread.join(timeout * 3)
    result.elapsed = (max(ends) if ends else time.perf_counter()) - began
    return result


# --- Data and checks ---------------------------------------------------------------------


def create_bench_seminar(*, slug: str, capacity: int, now: datetime) -> tuple[int, int]:
    """A published seminar next week with a waiting list; (seminar id, an allowed audience id)."""
    from webinars import services
    from webinars.demo import seed_series
    from webinars.models import Seminar

    series = seed_series()["japan-local-attraction-seminars"]
    audience_types = list(series.default_audience_types.all())
    starts_at = (now + timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    seminar = services.seminar_create(
        slug=slug,
        status=Seminar.Status.PUBLISHED,
        published_at=now,
        title=f"Bench registration seminar ({capacity} seats)",
        series=series,
        summary="Many people registering at once.",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        timezone="Europe/London",
        meeting_url="https://zoom.example/j/90000000001",
        capacity=capacity,
        waitlist_enabled=True,
        m2m={"allowed_audience_types": audience_types},
    )
    return seminar.pk, audience_types[0].pk


def check_database(*, seminar_id: int, capacity: int, attempts: int, started_at: float) -> Verdict:
    """Count what the run wrote; every problem found is listed in ``problems``."""
    from django.db.models import Count, Max

    from notifications.models import OutgoingEmail
    from webinars.models import Registration

    registrations = Registration.objects.filter(seminar_id=seminar_id)
    by_status = dict(
        registrations.values_list("status").annotate(count=Count("pk")).order_by("status")
    )
    confirmed = by_status.get(Registration.Status.CONFIRMED, 0)
    waitlisted = by_status.get(Registration.Status.WAITLISTED, 0)
    cancelled = by_status.get(Registration.Status.CANCELLED, 0)
    emails = OutgoingEmail.objects.filter(registration__seminar_id=seminar_id)
    per_registration = registrations.annotate(email_count=Count("emails"))
    not_one = per_registration.exclude(email_count=1).count()
    expected_kind = {
        Registration.Status.CONFIRMED: OutgoingEmail.Kind.REGISTRATION_CONFIRMED,
        Registration.Status.WAITLISTED: OutgoingEmail.Kind.REGISTRATION_WAITLISTED,
    }
    wrong_kind = sum(
        emails.filter(registration__status=status).exclude(kind=kind).count()
        for status, kind in expected_kind.items()
    )
    last_confirmed = registrations.filter(status=Registration.Status.CONFIRMED).aggregate(
        last=Max("created_at")
    )["last"]
    confirmed_window = last_confirmed.timestamp() - started_at if last_confirmed else 0.0
    confirmed_per_second = confirmed / confirmed_window if confirmed_window > 0 else 0.0

    problems = []
    expected = (min(capacity, attempts), max(0, attempts - capacity), 0)
    if (confirmed, waitlisted, cancelled) != expected:
        problems.append(
            f"expected {expected[0]} confirmed and {expected[1]} waitlisted, found "
            f"{confirmed} confirmed, {waitlisted} waitlisted, {cancelled} cancelled"
        )
    if not_one:
        problems.append(f"{not_one} registrations do not have exactly one outbox email")
    if wrong_kind:
        problems.append(f"{wrong_kind} outbox emails are of the wrong kind for their status")
    return Verdict(
        confirmed=confirmed,
        waitlisted=waitlisted,
        cancelled=cancelled,
        emails=emails.count(),
        registrations_without_one_email=not_one,
        wrong_kind=wrong_kind,
        confirmed_per_second=confirmed_per_second,
        problems=problems,
    )


# --- Report ------------------------------------------------------------------------------


def report(result: RunResult, verdict: Verdict, *, capacity: int) -> str:
    """The figures and the verdict (PASS needs the rate target and an exact database)."""
    p50 = percentile(result.latencies, 50) * 1000
    p99 = percentile(result.latencies, 99) * 1000
    rates_ok = min(result.per_second, verdict.confirmed_per_second) >= TARGET_PER_SECOND
    passed = rates_ok and result.failures == 0 and not verdict.problems
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(result.statuses.items()))
    return "\n".join(
        [
            f"attempts              {result.attempts} in {result.elapsed:.2f} s "
            f"(responses {statuses or 'none'}; {len(result.errors)} connection errors)",
            f"registrations/s       {result.per_second:.1f} (all attempts)",
            f"confirmed/s           {verdict.confirmed_per_second:.1f} "
            f"(the {verdict.confirmed} confirmed, from the start to the last seat taken)",
            f"latency               p50 {p50:.1f} ms, p99 {p99:.1f} ms",
            f"database              {verdict.confirmed} confirmed (capacity {capacity}), "
            f"{verdict.waitlisted} waitlisted, {verdict.cancelled} cancelled; "
            f"{verdict.emails} outbox emails",
            f"target                >= {TARGET_PER_SECOND:g} registrations/s, zero oversell, "
            f"no errors: {'PASS' if passed else 'FAIL'}",
        ]
    )


# --- Main --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="200 attempts for 60 seats (smoke test)"
    )
    parser.add_argument("--attempts", type=int, help="registrations to send (default 1000)")
    parser.add_argument("--capacity", type=int, help="seats (default 300)")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per gthread worker (default 1: one request at a time, as the Dockerfile)",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--cache-url", default=os.environ.get("BENCH_CACHE_URL", DEFAULT_CACHE_URL))
    parser.add_argument(
        "--broker-url",
        default=os.environ.get("BENCH_BROKER_URL"),
        help=f"Redis database for Celery messages, flushed (default: the cache's, db {BROKER_DB})",
    )
    parser.add_argument("--time-limit", type=int, default=115, help="abort after this many seconds")
    args = parser.parse_args(argv)
    args.attempts = args.attempts or (200 if args.quick else 1000)
    args.capacity = args.capacity or (60 if args.quick else 300)
    if args.broker_url is None:
        args.broker_url = urlunsplit(urlsplit(args.cache_url)._replace(path=f"/{BROKER_DB}"))
    if args.broker_url == args.cache_url:
        parser.error("the broker and the cache must be different Redis databases")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGALRM, abort_on_time_limit)
    signal.alarm(args.time_limit)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="kizuna-bench-reg-"))
    server = None
    failed = False
    try:
        env = {
            **server_environment(
                database_url=args.database_url,
                cache_url=args.cache_url,
                static_root=workdir / "static",
            ),
            # Each registration hands its email to a real broker, as in production; no
            # worker consumes them, and the database is flushed before and after the run.
            "CELERY_BROKER_URL": args.broker_url,
            "REGISTRATION_RATE_LIMIT_PER_IP": BENCH_RATE_LIMIT,
            "REGISTRATION_RATE_LIMIT_PER_EMAIL": BENCH_RATE_LIMIT,
            # Every request comes from one address: the human check would ask for a proof.
            "HUMAN_CHECK_AFTER_PER_CLIENT": BENCH_RATE_LIMIT,
            # Outbox emails are only queued here; keep any delivery off the real outbox.
            "EMAIL_URL": "dummymail://",
        }
        os.environ.update(env)
        print(
            f"database {args.database_url}, cache {args.cache_url}, broker {args.broker_url}",
            flush=True,
        )
        recreate_database(args.database_url)
        flush_cache(args.cache_url)
        flush_cache(args.broker_url)

        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        now = timezone.now()
        seminar_id, audience_type_id = create_bench_seminar(
            slug=SLUG, capacity=args.capacity, now=now
        )
        _warm_up_id, _ = create_bench_seminar(slug=WARM_UP_SLUG, capacity=WARM_UP_CAPACITY, now=now)
        connections.close_all()
        print(
            f"seminar with {args.capacity} seats and a waiting list; "
            f"set up in {time.monotonic() - started:.1f} s",
            flush=True,
        )

        port = free_port()
        server = start_gunicorn(
            env=env,
            port=port,
            workers=args.workers,
            worker_class="gthread",
            threads=args.threads,
            log=workdir / "gunicorn.log",
        )
        wait_until_ready(server, port, timeout=30)
        print(
            f"gunicorn on {HOST}:{port}: {args.workers} gthread workers x {args.threads} "
            f"threads; {args.concurrency} client connections, {args.attempts} registrations",
            flush=True,
        )

        # Both paths (confirmed and waitlisted) once per worker thread, on another seminar.
        warm_up = register_all(
            port,
            f"/seminars/{WARM_UP_SLUG}/register/",
            attempts=args.workers * args.threads * 2,
            concurrency=args.concurrency,
            audience_type_id=audience_type_id,
            prefix="warm-up",
        )
        result = register_all(
            port,
            f"/seminars/{SLUG}/register/",
            attempts=args.attempts,
            concurrency=args.concurrency,
            audience_type_id=audience_type_id,
        )
        verdict = check_database(
            seminar_id=seminar_id,
            capacity=args.capacity,
            attempts=args.attempts,
            started_at=result.started_at,
        )
        print()
        print(report(result, verdict, capacity=args.capacity))
        print()
        for name, run in (("warm-up", warm_up), ("run", result)):
            if run.failures:
                failed = True
                print(
                    f"FAILED {name}: responses {run.statuses}, "
                    f"{len(run.errors)} errors {run.errors[:3]}"
                )
        if result.attempts != args.attempts:
            failed = True
            print(f"FAILED: {result.attempts} of {args.attempts} attempts were made")
        for problem in verdict.problems:
            failed = True
            print(f"FAILED: {problem}")
    except Exception as exc:  # report, then clean up and exit non-zero
        failed = True
        print(f"bench failed: {exc!r}", file=sys.stderr)
    finally:
        signal.alarm(0)
        if server is not None:
            stop(server)
            if failed:
                log = (workdir / "gunicorn.log").read_text(errors="replace")
                print("gunicorn log (last lines):\n" + "\n".join(log.splitlines()[-30:]))
        shutil.rmtree(workdir, ignore_errors=True)
        try:
            flush_cache(args.broker_url)  # the messages no worker will ever consume
        except Exception as exc:
            print(f"could not flush the broker database: {exc!r}", file=sys.stderr)
    print(f"total {time.monotonic() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
