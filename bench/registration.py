"""Concurrent registrations over HTTP for one seminar, on gunicorn with PostgreSQL and Redis.

    .venv/bin/python -m bench.registration [--quick]

Creates a fresh PostgreSQL database (``BENCH_DATABASE_URL``, default
postgres://postgres@127.0.0.1:5432/kizuna_bench_reg) with one published seminar of 300 seats
and a waiting list, and a bench-only table ``bench_insert``; flushes a Redis cache database
(``BENCH_CACHE_URL``, default redis://127.0.0.1:6379/14) and a Redis broker database
(``BENCH_BROKER_URL``, default the cache's server, database 13), and serves the project with
DEBUG=0 on a free loopback port. Then 16 keep-alive ``http.client`` connections, each with
its own CSRF cookie and token from one GET of the form, POST 1,000 registrations with
distinct emails as fast as they can. Right before and right after that rush, the same
clients POST the same 1,000 form bodies to ``/bench/insert/`` on the same server, a view
that inserts one row in one transaction: the ceiling for one POST that writes one row
through Django on this machine.

Prints requests per second of the insert view (both runs together), registrations per
second over all attempts (attempts / time until the last answer), confirmed registrations
per second, the ratio of confirmed/s to insert/s (informational), p50/p99 latency, and
checks in the database: exactly 300 confirmed, 700 waitlisted, one outbox email of the
right kind per registration, one ``bench_insert`` row per accepted insert, no error response.

Confirmed/s is the number of confirmed registrations divided by the time from the start of
the rush until the client had the answer to the last registration that got a seat (the
registrations confirmed in the database, matched by email to the answers' times). The
waiting-list registrations after that do not count in it, in either direction.

PASS needs at least 100 confirmed registrations per second, exactly the capacity confirmed
(and the rest waitlisted) and no error response.

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
from collections.abc import Callable
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
TARGET_CONFIRMED_PER_SECOND = 100.0
SLUG = "bench-registration"
WARM_UP_SLUG = "bench-registration-warm-up"
WARM_UP_CAPACITY = 4
# Far above what one run sends: every request comes from 127.0.0.1.
BENCH_RATE_LIMIT = "1000000/600"
# The registration page's answer to an accepted registration (new or repeat alike).
RECEIVED = "received"
RECEIVED_MARKER = b"data-registration-received"
# The insert view's answer to a stored row.
INSERT_PATH = "/bench/insert/"
INSERTED = "inserted"
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class RunResult:
    """What the clients saw, registering or posting to the insert view."""

    attempts: int = 0
    elapsed: float = 0.0  # from the start until the last answer
    latencies: list[float] = field(default_factory=list)
    # ``label`` (the answer to every accepted POST), else the HTTP status.
    statuses: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    # Seconds from the start until each accepted POST's answer arrived, by the email sent.
    answered: dict[str, float] = field(default_factory=dict)
    label: str = RECEIVED

    @property
    def per_second(self) -> float:
        return self.attempts / self.elapsed if self.elapsed else 0.0

    @property
    def failures(self) -> int:
        return len(self.errors) + sum(
            n for status, n in self.statuses.items() if status != self.label
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
    # Confirmed ÷ seconds from the start until the answer to the last one confirmed.
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


def bench_email(prefix: str, n: int) -> str:
    return f"{prefix}{n}@bench.example"


def registration_body(*, token: str, n: int, audience_type_id: int, prefix: str) -> str:
    return urlencode(
        {
            "csrfmiddlewaretoken": token,
            "name": f"Bench Person {n}",
            "email": bench_email(prefix, n),
            "organisation": "Bench Travel Ltd",
            "audience_type": str(audience_type_id),
            "country": "GB",
            "privacy_consent": "on",
            "recording_followup_opt_in": "on",
        }
    )


def registration_received(status: int, page: bytes) -> bool:
    """The "check your inbox" page, the answer to every accepted registration."""
    return status == 200 and RECEIVED_MARKER in page


def row_inserted(status: int, page: bytes) -> bool:
    return status == 201 and page == b"ok"


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
    """POST ``attempts`` registrations with distinct emails over ``concurrency`` connections."""
    return post_all(
        port,
        form_path=path,
        post_path=path,
        accepted=registration_received,
        label=RECEIVED,
        attempts=attempts,
        concurrency=concurrency,
        audience_type_id=audience_type_id,
        prefix=prefix,
        timeout=timeout,
    )


def insert_all(
    port: int,
    form_path: str,
    *,
    attempts: int,
    concurrency: int,
    audience_type_id: int,
    prefix: str,
    timeout: float = 60,
) -> RunResult:
    """The same POSTs as ``register_all`` (form GET, cookie, body), sent to the insert view."""
    return post_all(
        port,
        form_path=form_path,
        post_path=INSERT_PATH,
        accepted=row_inserted,
        label=INSERTED,
        attempts=attempts,
        concurrency=concurrency,
        audience_type_id=audience_type_id,
        prefix=prefix,
        timeout=timeout,
    )


def post_all(
    port: int,
    *,
    form_path: str,
    post_path: str,
    accepted: Callable[[int, bytes], bool],
    label: str,
    attempts: int,
    concurrency: int,
    audience_type_id: int,
    prefix: str,
    timeout: float,
) -> RunResult:
    """POST ``attempts`` registration forms with distinct emails to ``post_path``.

    Each connection first GETs the form at ``form_path`` (its CSRF cookie and token), then
    all connections start together and send POSTs back to back, taking the next number from
    a shared counter, until every number is taken.
    """
    result = RunResult(label=label)
    numbers = itertools.count()
    take_lock, result_lock = threading.Lock(), threading.Lock()
    began: list[float] = []  # set once, as the barrier releases every thread
    start = threading.Barrier(concurrency + 1, action=lambda: began.append(time.perf_counter()))
    ends: list[float] = []

    def take() -> int | None:
        with take_lock:
            n = next(numbers)
        return n if n < attempts else None

    def client() -> None:
        connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
        latencies, statuses, errors, answered = [], {}, [], {}
        try:
            cookie, token = csrf_for(connection, form_path)
        except (OSError, http.client.HTTPException, RuntimeError) as exc:
            errors.append(f"form: {exc!r}")
            cookie = token = ""
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookie}",
        }
        start.wait()
        while (n := take()) is not None:
            email = bench_email(prefix, n)
            body = registration_body(
                token=token, n=n, audience_type_id=audience_type_id, prefix=prefix
            )
            sent = time.perf_counter()
            try:
                connection.request("POST", post_path, body=body, headers=headers)
                response = connection.getresponse()
                page = response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{post_path} {email}: {exc!r}")
                connection.close()
                connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
                continue
            arrived = time.perf_counter()
            latencies.append(arrived - sent)
            if accepted(response.status, page):
                status = label
                answered[email] = arrived
            else:
                status = str(response.status)
            statuses[status] = statuses.get(status, 0) + 1
        connection.close()
        with result_lock:
            ends.append(time.perf_counter())
            result.attempts += len(latencies) + len(errors)
            result.latencies += latencies
            for status, count in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + count
            result.errors += errors
            result.answered.update(answered)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join(timeout * 3)
    result.elapsed = (max(ends) if ends else time.perf_counter()) - began[0]
    result.answered = {email: at - began[0] for email, at in result.answered.items()}
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


def create_insert_table() -> None:
    """The table the insert view writes to (bench database only, no migration)."""
    from django.db import connection

    from bench.views import INSERT_TABLE_SQL

    with connection.cursor() as cursor:
        cursor.execute(INSERT_TABLE_SQL)


def count_inserted() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_insert")
        return cursor.fetchone()[0]


def check_database(
    *, seminar_id: int, capacity: int, attempts: int, answered: dict[str, float]
) -> Verdict:
    """Count what the run wrote; every problem found is listed in ``problems``.

    ``answered`` gives, by email, when the client had the answer (seconds from the start):
    confirmed/s runs until the answer to the last registration that got a seat.
    """
    from django.db.models import Count

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
    confirmed_emails = registrations.filter(status=Registration.Status.CONFIRMED).values_list(
        "email", flat=True
    )
    confirmed_window = max(
        (answered[email] for email in confirmed_emails if email in answered), default=0.0
    )
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


def report(result: RunResult, verdict: Verdict, *, capacity: int, inserts: list[RunResult]) -> str:
    """The figures and the verdict: PASS needs the confirmed rate, an exact database, no error.

    ``inserts`` are the insert view's runs (before and after the rush): the ratio's ceiling.
    """
    p50 = percentile(result.latencies, 50) * 1000
    p99 = percentile(result.latencies, 99) * 1000
    passed = (
        verdict.confirmed_per_second >= TARGET_CONFIRMED_PER_SECOND
        and result.failures == 0
        and not verdict.problems
    )
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(result.statuses.items()))
    confirmed_seconds = (
        f"{verdict.confirmed / verdict.confirmed_per_second:.2f} s"
        if verdict.confirmed_per_second
        else "-"
    )
    insert_attempts = sum(run.attempts for run in inserts)
    insert_elapsed = sum(run.elapsed for run in inserts)
    insert_per_second = insert_attempts / insert_elapsed if insert_elapsed else 0.0
    insert_latencies = [latency for run in inserts for latency in run.latencies]
    ratio = f"{verdict.confirmed_per_second / insert_per_second:.2f}" if insert_per_second else "-"
    return "\n".join(
        [
            f"attempts              {result.attempts} in {result.elapsed:.2f} s "
            f"(responses {statuses or 'none'}; {len(result.errors)} connection errors)",
            f"registrations/s       {result.per_second:.1f} (all attempts, until the last answer)",
            f"confirmed/s           {verdict.confirmed_per_second:.1f} "
            f"({verdict.confirmed} confirmed in {confirmed_seconds}, until the answer to the "
            "last seat taken)",
            f"latency               p50 {p50:.1f} ms, p99 {p99:.1f} ms",
            f"database              {verdict.confirmed} confirmed (capacity {capacity}), "
            f"{verdict.waitlisted} waitlisted, {verdict.cancelled} cancelled; "
            f"{verdict.emails} outbox emails",
            f"insert view/s         {insert_per_second:.1f} ({insert_attempts} POSTs of one row "
            f"to {INSERT_PATH}; runs before / after: "
            + " / ".join(f"{run.per_second:.1f}" for run in inserts)
            + f"; p50 {percentile(insert_latencies, 50) * 1000:.1f} ms, "
            f"p99 {percentile(insert_latencies, 99) * 1000:.1f} ms)",
            f"ratio                 {ratio} (confirmed/s ÷ insert view/s, informational)",
            f"target                >= {TARGET_CONFIRMED_PER_SECOND:g} confirmed registrations/s, "
            f"exact capacity, no errors: {'PASS' if passed else 'FAIL'}",
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
        create_insert_table()
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
            f"threads; {args.concurrency} client connections, {args.attempts} registrations "
            f"and 2 x {args.attempts} POSTs to {INSERT_PATH}",
            flush=True,
        )

        form_path = f"/seminars/{SLUG}/register/"
        clients = {"concurrency": args.concurrency, "audience_type_id": audience_type_id}
        warm_up_attempts = args.workers * args.threads * 2
        # Both paths (confirmed and waitlisted) once per worker thread, on another seminar.
        warm_up = register_all(
            port,
            f"/seminars/{WARM_UP_SLUG}/register/",
            attempts=warm_up_attempts,
            prefix="warm-up",
            **clients,
        )
        insert_warm_up = insert_all(
            port, form_path, attempts=warm_up_attempts, prefix="insert-warm-up", **clients
        )
        # The insert view right before and right after the rush, so that noise on a shared
        # machine in either direction shows in its two rates.
        inserts_before = insert_all(
            port, form_path, attempts=args.attempts, prefix="insert-before", **clients
        )
        result = register_all(port, form_path, attempts=args.attempts, **clients)
        inserts_after = insert_all(
            port, form_path, attempts=args.attempts, prefix="insert-after", **clients
        )
        inserts = [inserts_before, inserts_after]
        verdict = check_database(
            seminar_id=seminar_id,
            capacity=args.capacity,
            attempts=args.attempts,
            answered=result.answered,
        )
        inserted = count_inserted()
        print()
        print(report(result, verdict, capacity=args.capacity, inserts=inserts))
        print()
        runs = {
            "warm-up": warm_up,
            "insert warm-up": insert_warm_up,
            "insert before": inserts_before,
            "run": result,
            "insert after": inserts_after,
        }
        for name, run in runs.items():
            if run.failures:
                failed = True
                print(
                    f"FAILED {name}: responses {run.statuses}, "
                    f"{len(run.errors)} errors {run.errors[:3]}"
                )
        for name in ("insert before", "run", "insert after"):
            if runs[name].attempts != args.attempts:
                failed = True
                print(f"FAILED {name}: {runs[name].attempts} of {args.attempts} attempts were made")
        accepted_inserts = sum(run.statuses.get(INSERTED, 0) for run in (insert_warm_up, *inserts))
        if inserted != accepted_inserts:
            failed = True
            print(f"FAILED: {inserted} bench_insert rows for {accepted_inserts} accepted inserts")
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
