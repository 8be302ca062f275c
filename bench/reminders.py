"""A reminder fan-out to 10,000 registrants, delivered by one real worker over SMTP.

    .venv/bin/python -m bench.reminders [--quick]

Creates a fresh PostgreSQL database (``BENCH_DATABASE_URL``, default
postgres://postgres@127.0.0.1:5432/kizuna_bench_reminders) with one published seminar whose
10,000 confirmed registrations have their 1-hour reminder due, flushes a Redis broker database
(``BENCH_BROKER_URL``, default redis://127.0.0.1:6379/13) and starts an aiosmtpd server on
loopback in a process of its own, which counts what it receives per recipient and Message-ID.

Then: runs the reminder scan (timed), starts ONE Celery worker on the ``mail`` queue and
times the messages it delivers, then sends the same number of pre-built messages of the same
size (built from the outbox rows) with raw ``smtplib`` over one connection to the same server.
Prints messages per second of both, their ratio, the worker's peak memory (the PSS of the
worker process plus its pool children, sampled while it sends: copy-on-write pages shared by
the forked pool are counted once), and duplicates and missing messages.

Targets: ratio >= 0.5, worker peak memory <= 300 MB, every message received exactly once.
Exits non-zero when a target is missed, a check fails or the run passes its time limit.
"""

import argparse
import contextlib
import multiprocessing
import os
import re
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
if str(BASE_DIR) not in sys.path:  # run as a script: python bench/reminders.py
    sys.path.insert(0, str(BASE_DIR))

from bench.pages import (  # noqa: E402 (needs the path set above)
    BENCH_SECRET_KEY,
    HOST,
    abort_on_time_limit,
    flush_cache,
    free_port,
    recreate_database,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kizuna_bench_reminders"
# Database 14 is the page benchmark's cache; 13 is the benchmarks' broker database.
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/13"
TARGET_RATIO = 0.5
TARGET_PEAK_MB = 300.0
SLUG = "bench-reminders"
# One worker instance with three pool processes: sending is mostly waiting (SMTP replies,
# the UPDATE marking each row sent), so while one process waits another builds its next
# MIME message. Measured here (10,000 messages, 2 cores shared with PostgreSQL, Redis and
# the SMTP server): 1 process CPU-bound near 300 messages/s, 2 about 390-475, 3 about 420.
DEFAULT_CONCURRENCY = 3
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


# --- The SMTP server (its own process) -----------------------------------------------------


class CountingHandler:
    """Counts each message per recipient and per Message-ID, with the first and last times."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.recipients: Counter[str] = Counter()
        self.message_ids: Counter[bytes] = Counter()
        self.received = 0
        self.sizes = 0
        self.first_at = 0.0
        self.last_at = 0.0
        self.longest_gap = 0.0

    async def handle_DATA(self, server, session, envelope):
        now = time.monotonic()
        content = envelope.original_content or b""
        headers = content.split(b"\r\n\r\n", 1)[0]
        match = _MESSAGE_ID.search(headers)
        with self.lock:
            self.recipients.update(envelope.rcpt_tos)
            self.message_ids[match.group(1) if match else b""] += 1
            self.received += 1
            self.sizes += len(content)
            if self.last_at:
                self.longest_gap = max(self.longest_gap, now - self.last_at)
            self.first_at = self.first_at or now
            self.last_at = now
        return "250 Message accepted"

    def summary(self, *, detail: bool = False) -> dict:
        with self.lock:
            result = {
                "received": self.received,
                "mean_size": self.sizes / self.received if self.received else 0,
                "first_at": self.first_at,
                "last_at": self.last_at,
                "longest_gap": self.longest_gap,
            }
            if detail:
                result["recipients"] = dict(self.recipients)
                result["message_ids"] = len(self.message_ids)
                result["duplicate_message_ids"] = sum(
                    n - 1 for n in self.message_ids.values() if n > 1
                )
            return result


def serve_smtp(port: int, control) -> None:
    """Run the counting SMTP server on ``port`` until told to stop over ``control``."""
    from aiosmtpd.controller import Controller

    handler = CountingHandler()
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    control.send("ready")
    try:
        while True:
            command = control.recv()
            if command == "stop":
                break
            if command == "reset":
                handler.reset()
                control.send("ok")
            else:
                control.send(handler.summary(detail=command == "detail"))
    finally:
        controller.stop()


class SmtpServer:
    """The counting server in a separate process, so it never competes for this one's GIL."""

    def __init__(self) -> None:
        self.port = free_port()
        context = multiprocessing.get_context("spawn")
        self.control, child_end = context.Pipe()
        self.process = context.Process(target=serve_smtp, args=(self.port, child_end), daemon=True)
        self.process.start()
        if not self.control.poll(30) or self.control.recv() != "ready":
            raise RuntimeError("the SMTP server did not start")

    def ask(self, command: str):
        self.control.send(command)
        return self.control.recv()

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.control.send("stop")
        self.process.join(10)
        if self.process.is_alive():
            self.process.kill()


# --- Data ---------------------------------------------------------------------------------


def create_seminar_with_registrations(*, registrations: int, now: datetime) -> int:
    """A published seminar starting in 59 minutes, ``registrations`` confirmed people."""
    from django.db import transaction

    from accounts.models import AudienceType
    from webinars import services
    from webinars.demo import seed_series
    from webinars.models import Registration, Seminar

    series = seed_series()["japan-local-attraction-seminars"]
    starts_at = now + timedelta(minutes=59)
    seminar = services.seminar_create(
        slug=SLUG,
        status=Seminar.Status.PUBLISHED,
        published_at=now - timedelta(days=30),
        title="Bench reminders: onsen towns of Kyushu",
        series=series,
        summary="Ten thousand people reminded at once.",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        timezone="Europe/London",
        meeting_url="https://zoom.example/j/90000000002",
        reminder_offsets_minutes=[60],
    )
    audience_type = AudienceType.objects.order_by("pk").first()
    with transaction.atomic():
        Registration.objects.bulk_create(
            (
                Registration(
                    seminar=seminar,
                    email=f"person{n}@bench.example",
                    name=f"Bench Person {n}",
                    organisation="Bench Travel Ltd",
                    audience_type=audience_type,
                    language="en",
                    privacy_notice_version="1",
                    privacy_consented_at=now - timedelta(days=5),
                    status=Registration.Status.CONFIRMED,
                )
                for n in range(registrations)
            ),
            batch_size=2000,
        )
        # Places taken well before the reminder's moment (auto_now_add wrote "now").
        Registration.objects.filter(seminar=seminar).update(created_at=now - timedelta(days=5))
    return seminar.pk


def prebuilt_messages(seminar_id: int) -> list[tuple[str, str, bytes]]:
    """(from, to, bytes) of every reminder as the worker sends it, for the smtplib baseline."""
    from django.conf import settings

    from notifications.mail import build_message
    from notifications.models import OutgoingEmail
    from notifications.services import with_link_token

    messages = []
    rows = OutgoingEmail.objects.filter(seminar_id=seminar_id, kind=OutgoingEmail.Kind.REMINDER)
    for email in rows.order_by("pk").iterator(chunk_size=500):
        # Stand-in tokens of the real length: the baseline must not mint 10,000 more.
        stand_ins = {scope: scope[0] * 43 for scope in ("manage", "join")}
        sent = with_link_token(email, tokens=stand_ins) if email.registration_id else email
        message = build_message(sent)
        messages.append(
            (
                settings.DEFAULT_FROM_EMAIL,
                email.to_email,
                message.message().as_bytes(linesep="\r\n"),
            )
        )
    return messages


def send_raw(port: int, messages: list[tuple[str, str, bytes]]) -> None:
    with smtplib.SMTP(HOST, port, timeout=30) as smtp:
        for from_email, to_email, data in messages:
            smtp.sendmail(from_email, [to_email], data)


# --- The worker ---------------------------------------------------------------------------


def start_worker(*, env: dict[str, str], concurrency: int, log: Path) -> subprocess.Popen:
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-Q",
        "mail",
        "--pool",
        "prefork",
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--hostname",
        "bench-mail@%h",
    ]
    with log.open("wb") as output:
        return subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants, from /proc (the prefork pool's children)."""
    pids = [pid]
    for current in pids:
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            pids.extend(int(child) for child in children if int(child) not in pids)
    return pids


def peak_rss_mb(pid: int) -> float:
    """The sum of VmHWM (peak resident memory) over a process and its descendants, in MB.

    Forked pool processes share the parent's pages copy-on-write; this sum counts every
    shared page once per process, so it overstates what the worker costs the machine.
    """
    total_kb = 0
    for each in process_tree(pid):
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        total_kb += int(match.group(1)) if match else 0
    return total_kb / 1024


def pss_mb(pid: int) -> float:
    """The worker's memory now: PSS (each shared page split between its sharers), in MB.

    The sum of PSS over the worker and its pool is what the worker as a whole occupies,
    with copy-on-write pages shared by the forked pool counted once.
    """
    total_kb = 0
    for each in process_tree(pid):
        try:
            rollup = Path(f"/proc/{each}/smaps_rollup").read_text()
        except OSError:
            continue
        match = re.search(r"^Pss:\s+(\d+) kB", rollup, re.MULTILINE)
        total_kb += int(match.group(1)) if match else 0
    return total_kb / 1024


def stop_worker(worker: subprocess.Popen) -> None:
    if worker.poll() is not None:
        return
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)


# --- Report -------------------------------------------------------------------------------


@dataclass
class Figures:
    """What one run measured."""

    messages: int
    scan_seconds: float
    queued: int
    worker_seconds: float
    raw_seconds: float
    peak_mb: float
    rss_sum_mb: float
    concurrency: int
    mean_size: float = 0.0
    duplicates: int = 0
    missing: int = 0
    duplicate_message_ids: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def worker_per_second(self) -> float:
        return self.messages / self.worker_seconds if self.worker_seconds else 0.0

    @property
    def raw_per_second(self) -> float:
        return self.messages / self.raw_seconds if self.raw_seconds else 0.0

    @property
    def ratio(self) -> float:
        return self.worker_per_second / self.raw_per_second if self.raw_per_second else 0.0

    @property
    def exactly_once(self) -> bool:
        return not (self.duplicates or self.missing or self.duplicate_message_ids)

    @property
    def passed(self) -> bool:
        return (
            self.ratio >= TARGET_RATIO
            and self.peak_mb <= TARGET_PEAK_MB
            and self.exactly_once
            and not self.problems
        )


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(figures: Figures) -> str:
    """The figures, PASS/FAIL per target, and the overall result."""
    scan_rate = figures.queued / figures.scan_seconds if figures.scan_seconds else 0.0
    return "\n".join(
        [
            f"reminder scan         {figures.queued} reminders written in "
            f"{figures.scan_seconds:.2f} s ({scan_rate:.0f}/s)",
            f"worker                {figures.messages} messages in {figures.worker_seconds:.2f} s: "
            f"{figures.worker_per_second:.0f} messages/s (1 worker, {figures.concurrency} pool "
            f"process{'es' if figures.concurrency > 1 else ''}; mean size "
            f"{figures.mean_size / 1024:.1f} KiB)",
            f"raw smtplib           {figures.messages} pre-built messages in "
            f"{figures.raw_seconds:.2f} s: {figures.raw_per_second:.0f} messages/s "
            "(one connection)",
            f"ratio                 {figures.ratio:.2f} (target >= {TARGET_RATIO:g}): "
            f"{_verdict(figures.ratio >= TARGET_RATIO)}",
            f"worker peak memory    {figures.peak_mb:.0f} MB (PSS of main + pool, sampled "
            f"every 0.5 s; target <= {TARGET_PEAK_MB:g} MB): "
            f"{_verdict(figures.peak_mb <= TARGET_PEAK_MB)}",
            f"                      ({figures.rss_sum_mb:.0f} MB if each process's peak RSS "
            "is summed, counting the pool's shared pages once per process)",
            f"exactly once          {figures.duplicates} duplicates, {figures.missing} missing, "
            f"{figures.duplicate_message_ids} repeated Message-IDs: "
            f"{_verdict(figures.exactly_once)}",
            f"result                {_verdict(figures.passed)}",
        ]
    )


# --- Main ---------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 registrations (smoke test)")
    parser.add_argument("--registrations", type=int, help="registrations (default 10,000)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=f"pool processes of the one worker (default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument(
        "--broker-url",
        default=os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER_URL),
        help="Redis database for Celery messages, flushed before and after the run",
    )
    parser.add_argument("--time-limit", type=int, default=300, help="abort after this many seconds")
    args = parser.parse_args(argv)
    args.registrations = args.registrations or (1000 if args.quick else 10_000)
    return args


def wait_for_messages(
    smtp: SmtpServer,
    *,
    expected: int,
    worker: subprocess.Popen,
    timeout: float,
    memory_samples: list[float] | None = None,
) -> dict:
    """Wait until ``expected`` messages arrived; sample the worker's PSS every half second."""
    deadline = time.monotonic() + timeout
    next_sample = 0.0
    while True:
        if memory_samples is not None and time.monotonic() >= next_sample:
            memory_samples.append(pss_mb(worker.pid))
            next_sample = time.monotonic() + 0.5
        stats = smtp.ask("stats")
        if stats["received"] >= expected:
            return stats
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with status {worker.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {stats['received']} of {expected} messages arrived")
        time.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGALRM, abort_on_time_limit)
    signal.alarm(args.time_limit)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="kizuna-bench-reminders-"))
    smtp = worker = None
    failed = False
    try:
        smtp = SmtpServer()
        env = {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": BENCH_SECRET_KEY,
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": args.database_url,
            "CELERY_BROKER_URL": args.broker_url,
            # No Redis database besides the broker's: nothing here needs a shared cache.
            "CACHE_URL": "locmemcache://",
            "EMAIL_URL": f"smtp://{HOST}:{smtp.port}",
            "DEFAULT_FROM_EMAIL": "JLGC Seminars <seminars@bench.example>",
            "ORGANISER_CONTACT_EMAIL": "seminars@bench.example",
            "SITE_URL": "https://kizuna.bench.example",
            "LOG_LEVEL": "WARNING",
        }
        os.environ.update(env)
        print(
            f"database {args.database_url}, broker {args.broker_url}, "
            f"SMTP server {HOST}:{smtp.port} (own process)",
            flush=True,
        )
        recreate_database(args.database_url)
        flush_cache(args.broker_url)

        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone

        from notifications.models import OutgoingEmail
        from notifications.services import reminders_dispatch

        call_command("migrate", verbosity=0)
        now = timezone.now()
        seminar_id = create_seminar_with_registrations(registrations=args.registrations, now=now)
        print(
            f"{args.registrations} confirmed registrations, 1-hour reminder due; "
            f"set up in {time.monotonic() - started:.1f} s",
            flush=True,
        )

        # The scan writes the rows and hands them to the broker after each commit.
        scan_started = time.monotonic()
        scan = reminders_dispatch()
        scan_seconds = time.monotonic() - scan_started
        print(f"reminder scan: {scan.queued} queued in {scan_seconds:.2f} s", flush=True)
        connections.close_all()

        worker = start_worker(env=env, concurrency=args.concurrency, log=workdir / "worker.log")
        memory_samples: list[float] = []
        wait_for_messages(
            smtp,
            expected=scan.queued,
            worker=worker,
            timeout=args.time_limit,
            memory_samples=memory_samples,
        )
        peak_mb = max([*memory_samples, pss_mb(worker.pid)])
        rss_sum_mb = peak_rss_mb(worker.pid)
        time.sleep(0.5)  # anything sent twice would arrive now
        delivered = smtp.ask("detail")
        stop_worker(worker)
        # From the first message received to the last, on the server's clock: the worker's
        # start-up (imports, connecting) is not sending.
        worker_seconds = delivered["last_at"] - delivered["first_at"]
        print(f"worker: {delivered['received']} received in {worker_seconds:.2f} s", flush=True)

        sent = OutgoingEmail.objects.filter(seminar_id=seminar_id, status="sent").count()
        messages = prebuilt_messages(seminar_id)
        smtp.ask("reset")
        send_raw(smtp.port, messages)
        raw = smtp.ask("stats")
        raw_seconds = raw["last_at"] - raw["first_at"]

        recipients = delivered["recipients"]
        expected = {to_email for _from, to_email, _data in messages}
        figures = Figures(
            messages=scan.queued,
            scan_seconds=scan_seconds,
            queued=scan.queued,
            worker_seconds=worker_seconds,
            raw_seconds=raw_seconds,
            peak_mb=peak_mb,
            rss_sum_mb=rss_sum_mb,
            concurrency=args.concurrency,
            mean_size=delivered["mean_size"],
            duplicates=sum(n - 1 for n in recipients.values() if n > 1),
            missing=len(expected - recipients.keys()),
            duplicate_message_ids=delivered["duplicate_message_ids"],
        )
        if scan.queued != args.registrations:
            figures.problems.append(f"{scan.queued} reminders queued, not {args.registrations}")
        if sent != scan.queued:
            figures.problems.append(f"{sent} outbox rows marked sent, not {scan.queued}")
        if raw["received"] != len(messages):
            figures.problems.append(f"smtplib: {raw['received']} of {len(messages)} received")
        print()
        print(report(figures))
        print()
        for problem in figures.problems:
            print(f"FAILED: {problem}")
        failed = not figures.passed
    except Exception as exc:  # report, then clean up and exit non-zero
        failed = True
        print(f"bench failed: {exc!r}", file=sys.stderr)
        log = workdir / "worker.log"
        if log.exists():
            lines = log.read_text(errors="replace").splitlines()
            print("worker log (last lines):\n" + "\n".join(lines[-30:]))
    finally:
        signal.alarm(0)
        if worker is not None:
            stop_worker(worker)
        if smtp is not None:
            smtp.stop()
        shutil.rmtree(workdir, ignore_errors=True)
        try:
            flush_cache(args.broker_url)
        except Exception as exc:
            print(f"could not flush the broker database: {exc!r}", file=sys.stderr)
    print(f"total {time.monotonic() - started:.1f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
