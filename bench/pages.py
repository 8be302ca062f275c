"""Public page throughput against a trivial view, on gunicorn with PostgreSQL and Redis.

    .venv/bin/python -m bench.pages [--quick]

Creates a fresh PostgreSQL database (``BENCH_DATABASE_URL``, default
postgres://postgres@127.0.0.1:5432/kizuna_bench) with 100 upcoming published seminars of four
speakers each, flushes a Redis cache database (``BENCH_CACHE_URL``, default
redis://127.0.0.1:6379/14) shared by the gunicorn workers and this process, and serves the
project with DEBUG=0 on a free loopback port. For the trivial view, the home page, the
upcoming list and a seminar page it measures anonymous requests per second and p99 latency
with keep-alive ``http.client`` connections, in interleaved rounds, and prints each as a ratio
to the trivial view. It then edits a seminar through ``seminar_update`` and checks that the
pages show the change at once.

Exits non-zero when a response is not 200, the server does not start or invalidation fails;
missing the 0.5 ratio target is reported, not an error.
"""

import argparse
import contextlib
import html
import http.client
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as wall_time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:  # run as a script: python bench/pages.py
    sys.path.insert(0, str(BASE_DIR))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kizuna_bench"
DEFAULT_CACHE_URL = "redis://127.0.0.1:6379/14"
# Only ever used on the loopback server this script starts and stops.
BENCH_SECRET_KEY = "kizuna-bench-only-not-a-secret-0123456789abcdefghijkl"
TARGET_RATIO = 0.5
SEMINARS = 100
SPEAKERS_PER_SEMINAR = 4
TOPICS_PER_SEMINAR = 3
HOST = "127.0.0.1"
TRIVIAL_PATH = "/bench/trivial/"


@dataclass
class LoadResult:
    """What one URL did under load; rounds of the same URL merge into one."""

    path: str
    requests: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    cache_hits: int = 0
    client_cpu: float = 0.0  # CPU seconds this process spent generating the load
    rounds: list[float] = field(default_factory=list)  # req/s of each round

    @property
    def per_second(self) -> float:
        return self.requests / self.elapsed if self.elapsed else 0.0

    @property
    def p99_ms(self) -> float:
        return percentile(self.latencies, 99) * 1000

    @property
    def failures(self) -> int:
        return len(self.errors) + sum(n for status, n in self.statuses.items() if status != 200)

    def merge(self, other: "LoadResult") -> None:
        self.requests += other.requests
        self.elapsed += other.elapsed
        self.latencies += other.latencies
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        self.errors += other.errors
        self.cache_hits += other.cache_hits
        self.client_cpu += other.client_cpu
        self.rounds.append(other.per_second)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: the smallest value with at least q% of values at or below it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


# --- Load generation ---------------------------------------------------------------------

_result_lock = threading.Lock()


def _client(
    port: int, path: str, duration: float, start: threading.Barrier, result: LoadResult
) -> None:
    """One keep-alive connection sending requests back to back until its time is up."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    latencies, statuses, errors, hits = [], {}, [], 0
    start.wait()
    began = time.perf_counter()
    deadline = began + duration
    now = began
    while now < deadline:
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as exc:
            errors.append(f"{path}: {exc!r}")
            connection.close()
            connection = http.client.HTTPConnection(HOST, port, timeout=10)
            now = time.perf_counter()
            continue
        finished = time.perf_counter()
        latencies.append(finished - now)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        hits += response.getheader("X-Page-Cache") == "hit"
        now = finished
    connection.close()
    with _result_lock:
        result.requests += len(latencies)
        result.elapsed = max(result.elapsed, now - began)
        result.latencies += latencies
        for status, count in statuses.items():
            result.statuses[status] = result.statuses.get(status, 0) + count
        result.errors += errors
        result.cache_hits += hits


def run_load(port: int, path: str, *, duration: float, concurrency: int) -> LoadResult:
    """Requests per second and latencies for one URL, ``concurrency`` connections at once."""
    result = LoadResult(path)
    start = threading.Barrier(concurrency)
    threads = [
        threading.Thread(target=_client, args=(port, path, duration, start, result), daemon=True)
        for _ in range(concurrency)
    ]
    cpu_before = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + 30)
    result.client_cpu = time.process_time() - cpu_before
    return result


def fetch(port: int, path: str) -> tuple[int, dict[str, str], str]:
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        return response.status, dict(response.getheaders()), body
    finally:
        connection.close()


# --- Database, cache and data ------------------------------------------------------------


def recreate_database(database_url: str) -> None:
    """Drop and create the bench database, connected to the server's maintenance database."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name or parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise SystemExit(
            f"BENCH_DATABASE_URL must be a PostgreSQL URL with a database name: {name}"
        )
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def flush_cache(cache_url: str) -> None:
    import redis

    redis.Redis.from_url(cache_url, socket_connect_timeout=5).flushdb()


def server_environment(*, database_url: str, cache_url: str, static_root: Path) -> dict[str, str]:
    """Production-like settings (DEBUG off) for a plain-HTTP loopback server."""
    return {
        # Another module (importing bench.settings) lets you try a settings change.
        "DJANGO_SETTINGS_MODULE": os.environ.get("BENCH_SETTINGS_MODULE", "bench.settings"),
        "DEBUG": "0",
        "SECRET_KEY": BENCH_SECRET_KEY,
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "CACHE_URL": cache_url,
        "BENCH_STATIC_ROOT": str(static_root),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(BASE_DIR), os.environ.get("PYTHONPATH")])),
    }


def create_bench_seminars(*, now: datetime) -> list[str]:
    """100 upcoming published seminars with four speakers and three topics each; their slugs.

    Rows are bulk-created for speed; the catalogue services are exercised later by the
    invalidation check.
    """
    from django.db import transaction

    from webinars.cache import catalogue_changed
    from webinars.demo import seed_series, seed_topics
    from webinars.models import Seminar, SeminarSpeaker, Speaker
    from webinars.prefectures import Prefecture

    with transaction.atomic():
        series = list(seed_series().values())
        topics = list(seed_topics().values())
        audiences = {s.pk: list(s.default_audience_types.all()) for s in series}
        prefectures = [code for code, _label in Prefecture.choices]
        today = now.date()
        speakers = Speaker.objects.bulk_create(
            Speaker(
                name=f"Bench Speaker {n:03d}",
                slug=f"bench-speaker-{n:03d}",
                title="Coordinator for International Relations",
                organisation=f"{Prefecture.choices[n % 47][1]} Prefectural Government",
                bio=(
                    "Works on **regional tourism** and international exchange.\n\n"
                    "- JET Programme alumnus\n- Speaks English and Japanese"
                ),
                is_jet_participant=n % 2 == 0,
                jet_prefecture=prefectures[n % 47] if n % 2 == 0 else "",
                jet_year_from=2015 if n % 2 == 0 else None,
                jet_year_to=2018 if n % 2 == 0 else None,
            )
            for n in range(SEMINARS * SPEAKERS_PER_SEMINAR)
        )
        seminars = []
        for n in range(SEMINARS):
            starts_at = datetime.combine(
                today + timedelta(days=n + 1), wall_time(9, 0), tzinfo=now.tzinfo
            )
            label = Prefecture.choices[n % 47][1]
            seminars.append(
                Seminar(
                    title=f"Bench seminar {n:03d}: discovering {label}",
                    slug=f"bench-seminar-{n:03d}",
                    series=series[n % len(series)],
                    summary=f"Food, festivals and onsen of {label}, from people who live there.",
                    description=_BENCH_DESCRIPTION.format(place=label),
                    prefecture=prefectures[n % 47],
                    partner_organisations=f"{label} Prefectural Government",
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(hours=1),
                    timezone="Europe/London",
                    meeting_url=f"https://zoom.example/j/9{n:010d}",
                    meeting_passcode="bench",
                    capacity=100 if n % 3 else None,
                    status=Seminar.Status.PUBLISHED,
                    published_at=now,
                )
            )
        seminars = Seminar.objects.bulk_create(seminars)
        SeminarSpeaker.objects.bulk_create(
            SeminarSpeaker(
                seminar=seminar,
                speaker=speakers[n * SPEAKERS_PER_SEMINAR + k],
                role=SeminarSpeaker.Role.MODERATOR if k == 0 else SeminarSpeaker.Role.PRESENTER,
                position=k,
            )
            for n, seminar in enumerate(seminars)
            for k in range(SPEAKERS_PER_SEMINAR)
        )
        Seminar.topics.through.objects.bulk_create(
            Seminar.topics.through(seminar=seminar, topic=topics[(n + k) % len(topics)])
            for n, seminar in enumerate(seminars)
            for k in range(TOPICS_PER_SEMINAR)
        )
        Seminar.allowed_audience_types.through.objects.bulk_create(
            Seminar.allowed_audience_types.through(seminar=seminar, audiencetype=audience)
            for seminar in seminars
            for audience in audiences[seminar.series_id]
        )
        catalogue_changed()
    return [seminar.slug for seminar in seminars]


_BENCH_DESCRIPTION = """\
An introduction to {place} for UK travel agents and tour operators.

## What we will cover

- seasons, festivals and the best times to visit
- local food and drink
- onsen towns and rural stays
- access from Tokyo and Osaka

## Who should attend

Anyone selling Japan, and anyone planning a trip. There will be time for questions.
"""


# --- The server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_gunicorn(
    *, env: dict[str, str], port: int, workers: int, worker_class: str, threads: int, log: Path
) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        f"--bind={HOST}:{port}",
        f"--workers={workers}",
        f"--worker-class={worker_class}",
        f"--threads={threads}",
        "--keep-alive=5",
        "--log-level=warning",
    ]
    with log.open("wb") as output:
        return subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stopping it stops the workers
        )


def wait_until_ready(server: subprocess.Popen, port: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode}")
        with contextlib.suppress(OSError, http.client.HTTPException):
            if fetch(port, TRIVIAL_PATH)[0] == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer {TRIVIAL_PATH} within {timeout:.0f} s")


def stop(server: subprocess.Popen) -> None:
    """Stop gunicorn (its process group: the arbiter and its workers)."""
    if server.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)


# --- Invalidation ------------------------------------------------------------------------


def check_invalidation(port: int, slug: str) -> list[str]:
    """Edit a seminar as an organiser would; every page showing it must change at once.

    Returns the problems found (none means the pages were refreshed).
    """
    from webinars import services
    from webinars.models import Seminar

    pages = [f"/seminars/{slug}/", "/seminars/", "/"]
    problems = []
    for path in pages:  # fill the cache and make sure it is being used
        fetch(port, path)
        status, headers, _body = fetch(port, path)
        if status != 200 or headers.get("X-Page-Cache") != "hit":
            problems.append(f"{path} was not served from the cache before the edit")
    seminar = Seminar.objects.get(slug=slug)
    new_title = f"Bench seminar edited at {time.strftime('%H:%M:%S')}"
    services.seminar_update(seminar=seminar, title=new_title)
    for path in pages:
        status, _headers, body = fetch(port, path)
        if status != 200 or html.escape(new_title) not in body:
            problems.append(f"{path} (status {status}) does not show the new title after the edit")
    return problems


# --- Report ------------------------------------------------------------------------------


def report(results: list[LoadResult]) -> str:
    """The results table; the first result is the trivial view, the baseline."""
    baseline = results[0]
    lines = [
        f"{'url':<32}{'req/s':>8}{'p99 ms':>8}{'req/s ratio':>13}{'p99 ratio':>11}"
        f"{'target ' + str(TARGET_RATIO):>12}{'cache hits':>12}{'client CPU':>12}"
        "  req/s by round",
    ]
    for result in results:
        rounds = " / ".join(f"{rate:.0f}" for rate in result.rounds)
        hits = f"{result.cache_hits / result.requests:.0%}" if result.requests else "-"
        client_cpu = f"{result.client_cpu / result.elapsed:.0%}" if result.elapsed else "-"
        if result is baseline:
            ratio = p99_ratio = verdict = "-"
        else:
            rate = result.per_second / baseline.per_second if baseline.per_second else 0.0
            ratio = f"{rate:.2f}"
            p99_ratio = f"{baseline.p99_ms / result.p99_ms:.2f}" if result.p99_ms else "-"
            verdict = "PASS" if rate >= TARGET_RATIO else "FAIL"
        lines.append(
            f"{result.path:<32}{result.per_second:>8.0f}{result.p99_ms:>8.2f}{ratio:>13}"
            f"{p99_ratio:>11}{verdict:>12}{hits:>12}{client_cpu:>12}  {rounds}"
        )
    return "\n".join(lines)


# --- Main --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one short round (smoke test)")
    parser.add_argument("--duration", type=float, help="seconds per URL per round (default 2.5)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 4)")
    parser.add_argument("--concurrency", type=int, default=6, help="client connections")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread", choices=["gthread", "sync"])
    parser.add_argument("--threads", type=int, default=4, help="threads per gthread worker")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument("--cache-url", default=os.environ.get("BENCH_CACHE_URL", DEFAULT_CACHE_URL))
    parser.add_argument("--time-limit", type=int, default=115, help="abort after this many seconds")
    args = parser.parse_args(argv)
    args.duration = args.duration or (1.5 if args.quick else 2.5)
    args.rounds = args.rounds or (1 if args.quick else 4)
    return args


def abort_on_time_limit(signum: int, frame: object) -> None:
    """SIGALRM handler shared by the benchmarks: a run past ``--time-limit`` fails."""
    raise TimeoutError("the benchmark ran past its time limit")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGALRM, abort_on_time_limit)
    signal.alarm(args.time_limit)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="kizuna-bench-"))
    server = None
    failed = False
    try:
        env = server_environment(
            database_url=args.database_url, cache_url=args.cache_url, static_root=workdir / "static"
        )
        os.environ.update(env)
        print(f"database {args.database_url}, cache {args.cache_url}", flush=True)
        recreate_database(args.database_url)
        flush_cache(args.cache_url)

        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        slugs = create_bench_seminars(now=timezone.now())
        connections.close_all()
        detail_path = f"/seminars/{slugs[SEMINARS // 2]}/"
        paths = [TRIVIAL_PATH, "/", "/seminars/", detail_path]
        print(
            f"{len(slugs)} upcoming seminars with {SPEAKERS_PER_SEMINAR} speakers each; "
            f"set up in {time.monotonic() - started:.1f} s",
            flush=True,
        )

        port = free_port()
        server = start_gunicorn(
            env=env,
            port=port,
            workers=args.workers,
            worker_class=args.worker_class,
            threads=args.threads,
            log=workdir / "gunicorn.log",
        )
        wait_until_ready(server, port, timeout=30)
        print(
            f"gunicorn on {HOST}:{port}: {args.workers} {args.worker_class} workers"
            + (f" x {args.threads} threads" if args.worker_class == "gthread" else "")
            + f"; {args.concurrency} client connections, {args.rounds} round(s) "
            f"of {args.duration:g} s per URL",
            flush=True,
        )

        warm_up = [run_load(port, path, duration=0.5, concurrency=2) for path in paths]
        results = {path: LoadResult(path) for path in paths}
        for _round in range(args.rounds):
            for path in paths:  # interleaved, so noise on a shared machine hits all alike
                results[path].merge(
                    run_load(port, path, duration=args.duration, concurrency=args.concurrency)
                )
        print()
        print(report(list(results.values())))
        print()

        for result in [*warm_up, *results.values()]:
            if result.failures:
                failed = True
                print(
                    f"FAILED {result.path}: statuses {result.statuses}, "
                    f"{len(result.errors)} errors {result.errors[:3]}"
                )

        problems = check_invalidation(port, slugs[0])
        if problems:
            failed = True
            print("invalidation: FAILED\n  " + "\n  ".join(problems))
        else:
            print("invalidation: ok (seminar page, upcoming list and home show the edit at once)")
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
    print(f"total {time.monotonic() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
