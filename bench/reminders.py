"""A reminder fan-out to 100,000 registrants, delivered by 1, 2 and 4 Celery worker instances.

    .venv/bin/python -m bench.reminders [--quick] [--registrants N] [--workers 1,2,4]

Creates a fresh PostgreSQL database (``BENCH_DATABASE_URL``, default
postgres://postgres@127.0.0.1:5432/kizuna_bench_reminders) with one published seminar whose
confirmed registrations (100,000; ``--quick`` 2,000) have their 1-hour reminder due, flushes
a Redis broker database (``BENCH_BROKER_URL``, default redis://127.0.0.1:6379/8) and starts
an aiosmtpd server on loopback in a process of its own, which counts what it receives per
recipient and Message-ID.

Then runs the reminder scan once (timed: rows written per second), and one round per entry
of ``--workers``: N separate ``celery worker`` instances (as N machines would run them) on
the ``mail`` queue, against the same PostgreSQL, Redis and SMTP server. The first round
delivers every reminder the scan queued; the later rounds deliver the first
``--round-messages`` rows again, re-queued lean. Per round: messages per second on the
server's clock, duplicates, missing recipients, repeated Message-IDs, peak memory (PSS)
per worker instance and in total, and the CPU seconds the workers spent per 1,000 messages.
Raw ``smtplib`` sends pre-built messages of the same content over one connection to the
same server, as the baseline of the delivery ratio.

Targets: scan of 100,000 in <= 15 s, delivery ratio (one worker instance) >= 0.8, peak
memory <= 300 MB per worker instance, every message received exactly once in every round.
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
# A broker database of its own: bench/registration.py flushes 13 before and after its run,
# which would drop this run's queued tasks if both ran at once (9, 10, 14: other benchmarks'
# caches; 10, 11, 12, 15: the tests').
DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/8"
DEFAULT_REGISTRANTS = 100_000
QUICK_REGISTRANTS = 2_000
DEFAULT_WORKERS = "1,2,4"
# Rounds after the first deliver this many rows again, and raw smtplib sends this many:
# 100,000 messages per round would take the run past half an hour on this machine.
DEFAULT_ROUND_MESSAGES = 20_000
# Pool processes per worker instance. A pool process spends more than half of each message
# waiting on the SMTP server and PostgreSQL, so more processes than cores fill the waits;
# measured here with one instance (20,000 messages, 2 cores shared with PostgreSQL, Redis
# and the SMTP server): 2 -> 668, 3 -> 720, 4 -> 792 msgs/s. The worker freezes what it
# loaded before forking (config/celery.py), so a pool process costs about 30 MB PSS.
DEFAULT_CONCURRENCY = 4
DEFAULT_TIME_LIMIT = 25 * 60
QUICK_TIME_LIMIT = 5 * 60
SCAN_TARGET_SECONDS = 15.0
SCAN_TARGET_REGISTRANTS = 100_000
TARGET_RATIO = 0.8
TARGET_PEAK_MB = 300.0
# The machine each worker instance would run on, for the prediction.
MACHINE_CORES = 2
PREDICTED_WORKERS = 8
# No message for this long while some are still expected: the round is stuck.
STALL_SECONDS = 120
SLUG = "bench-reminders"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
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
        summary="A hundred thousand people reminded at once.",
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


@dataclass
class ScanFigures:
    """The reminder scan: rows written, time, and the queries it ran."""

    registrants: int
    queued: int
    seconds: float
    queries: int = 0
    inserts: int = 0

    @property
    def per_second(self) -> float:
        return self.queued / self.seconds if self.seconds else 0.0

    @property
    def judged(self) -> bool:
        return self.registrants == SCAN_TARGET_REGISTRANTS

    @property
    def passed(self) -> bool:
        return not self.judged or self.seconds <= SCAN_TARGET_SECONDS


def timed_scan(*, registrants: int) -> ScanFigures:
    """Run the reminder scan once, counting its queries (the INSERTs among them)."""
    from django.db import connection

    from notifications.services import reminders_dispatch

    statements: list[str] = []

    def count(execute, sql, params, many, context):
        statements.append(sql[:6].upper())
        return execute(sql, params, many, context)

    started = time.monotonic()
    with connection.execute_wrapper(count):
        scan = reminders_dispatch()
    seconds = time.monotonic() - started
    return ScanFigures(
        registrants=registrants,
        queued=scan.queued,
        seconds=seconds,
        queries=len(statements),
        inserts=statements.count("INSERT"),
    )


def round_slice(seminar_id: int, *, messages: int) -> list[int]:
    """The ids of the first ``messages`` reminder rows of the bench seminar."""
    from notifications.models import OutgoingEmail

    rows = OutgoingEmail.objects.filter(seminar_id=seminar_id, kind=OutgoingEmail.Kind.REMINDER)
    return list(rows.order_by("pk").values_list("pk", flat=True)[:messages])


def slice_rows(email_ids: list[int]):
    """The rows of a slice from :func:`round_slice`, by id range: PostgreSQL takes at most
    65,535 parameters a statement, fewer than a ``pk__in`` of 100,000 ids."""
    from notifications.models import OutgoingEmail

    return OutgoingEmail.objects.filter(
        kind=OutgoingEmail.Kind.REMINDER, pk__range=(email_ids[0], email_ids[-1])
    )


def requeue_lean(email_ids: list[int]) -> int:
    """Put sent rows back as the scan wrote them: queued, not rendered, never tried."""
    from django.utils import timezone

    from notifications.models import OutgoingEmail

    now = timezone.now()
    return slice_rows(email_ids).update(
        status=OutgoingEmail.Status.QUEUED,
        rendered=False,
        subject="",
        body_text="",
        body_html="",
        calendar_method="",
        calendar_body="",
        sent_at=None,
        attempts=0,
        last_error="",
        next_attempt_at=now,
        updated_at=now,
    )


def enqueue_batches(email_ids: list[int]) -> int:
    """Hand rows to the mail queue as the scan does: ``deliver_email_batch`` tasks of
    ``DELIVERY_BATCH_SIZE`` ids."""
    from config.celery import app
    from notifications.services.outbox import DELIVERY_BATCH_SIZE

    tasks = 0
    for start in range(0, len(email_ids), DELIVERY_BATCH_SIZE):
        batch = email_ids[start : start + DELIVERY_BATCH_SIZE]
        app.send_task("notifications.deliver_email_batch", args=[batch], queue="mail")
        tasks += 1
    return tasks


def outbox_recipients(email_ids: list[int]) -> tuple[set[str], int]:
    """The recipients of ``email_ids``, and how many of those rows are marked sent."""
    from notifications.models import OutgoingEmail

    rows = slice_rows(email_ids)
    recipients = set(rows.values_list("to_email", flat=True))
    return recipients, rows.filter(status=OutgoingEmail.Status.SENT).count()


def prebuilt_messages(email_ids: list[int]) -> list[tuple[str, str, bytes]]:
    """(from, to, bytes) of rendered reminders as a worker sends them, for the smtplib baseline."""
    from django.conf import settings

    from notifications.mail import build_message
    from notifications.services import with_link_token

    messages = []
    rows = slice_rows(email_ids).filter(rendered=True)
    for email in rows.order_by("pk").iterator(chunk_size=500):
        # Stand-in tokens of the real length: the baseline must not mint more.
        stand_ins = {scope: scope[0] * 43 for scope in ("manage", "join")}
        sent = with_link_token(email, tokens=stand_ins) if email.registration_id else email
        message = build_message(sent)
        messages.append(
            (
                settings.DEFAULT_FROM_EMAIL,
                email.to_email,
                message.wire_bytes(),
            )
        )
    return messages


def send_raw(port: int, messages: list[tuple[str, str, bytes]]) -> None:
    with smtplib.SMTP(HOST, port, timeout=30) as smtp:
        for from_email, to_email, data in messages:
            smtp.sendmail(from_email, [to_email], data)


# --- The workers --------------------------------------------------------------------------


@dataclass
class Worker:
    """One ``celery worker`` instance: its process group, log, and CPU time when ready."""

    name: str
    process: subprocess.Popen
    log: Path
    ready_cpu: float | None = None
    peak_mb: float = 0.0

    @property
    def ready(self) -> bool:
        if self.ready_cpu is None and " ready." in self.log.read_text(errors="replace"):
            self.ready_cpu = cpu_seconds(self.process.pid)
        return self.ready_cpu is not None


def start_worker(*, name: str, env: dict[str, str], concurrency: int, log: Path) -> Worker:
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
        # INFO for the "ready." line (and one line per task of 200 messages).
        "--loglevel",
        "INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--hostname",
        f"{name}@%h",
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Worker(name=name, process=process, log=log)


def wait_until_ready(workers: list[Worker], *, timeout: float = 120) -> None:
    """Until every worker logged "ready." (pool forked, consuming); its CPU time then."""
    deadline = time.monotonic() + timeout
    while not all(worker.ready for worker in workers):
        for worker in workers:
            if worker.process.poll() is not None:
                raise RuntimeError(f"{worker.name} exited with status {worker.process.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError("the workers did not become ready")
        time.sleep(0.05)


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a worker's processes alive now, plus the children it reaped.

    Fields 14-17 of /proc/<pid>/stat: utime, stime, and (for the main process, which
    reaps pool processes that exit) cutime, cstime.
    """
    ticks = 0
    for each in process_tree(pid):
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        # fields[0] is field 3 (state): utime is field 14, so fields[11].
        ticks += int(fields[11]) + int(fields[12])
        if each == pid:
            ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


def machine_ticks() -> tuple[int, int]:
    """(busy, all) clock ticks of every CPU of the machine since boot, from /proc/stat."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    # user nice system idle iowait irq softirq steal
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def pss_mb(pid: int) -> float:
    """A worker's memory now: PSS (each shared page split between its sharers), in MB.

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


def stop_worker(worker: Worker) -> None:
    process = worker.process
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def wait_for_messages(
    smtp: SmtpServer, *, expected: int, workers: list[Worker], deadline: float
) -> float:
    """Until ``expected`` messages arrived, sampling each worker's PSS every half second.

    Returns the highest total PSS of all the workers at one sample; each worker keeps
    its own peak.
    """
    peak_total = 0.0
    last_received, last_progress = -1, time.monotonic()
    while True:
        total = 0.0
        for worker in workers:
            now_mb = pss_mb(worker.process.pid)
            worker.peak_mb = max(worker.peak_mb, now_mb)
            total += now_mb
        peak_total = max(peak_total, total)
        received = smtp.ask("stats")["received"]
        if received >= expected:
            return peak_total
        for worker in workers:
            if worker.process.poll() is not None:
                raise RuntimeError(f"{worker.name} exited with status {worker.process.returncode}")
        now = time.monotonic()
        if received != last_received:
            last_received, last_progress = received, now
        elif now - last_progress > STALL_SECONDS:
            raise RuntimeError(f"only {received} of {expected} messages arrived (stalled)")
        if now > deadline:
            raise RuntimeError(f"only {received} of {expected} messages arrived")
        time.sleep(0.5)


# --- Report -------------------------------------------------------------------------------


@dataclass
class Round:
    """What N worker instances did with one round's messages."""

    workers: int
    messages: int
    seconds: float
    peak_mb: list[float]
    peak_total_mb: float
    cpu_seconds: float
    startup_cpu_seconds: float = 0.0
    what: str = ""
    duplicates: int = 0
    missing: int = 0
    duplicate_message_ids: int = 0
    mean_size: float = 0.0
    # Shares of the machine's CPU time (all cores) from the workers' "ready." to the end.
    machine_busy: float = 0.0
    workers_busy: float = 0.0

    @property
    def per_second(self) -> float:
        return self.messages / self.seconds if self.seconds else 0.0

    @property
    def cpu_per_thousand(self) -> float:
        return self.cpu_seconds * 1000 / self.messages if self.messages else 0.0

    @property
    def peak_worker_mb(self) -> float:
        return max(self.peak_mb, default=0.0)

    @property
    def exactly_once(self) -> bool:
        return not (self.duplicates or self.missing or self.duplicate_message_ids)


@dataclass
class Figures:
    """What one run measured."""

    scan: ScanFigures
    raw_messages: int
    raw_seconds: float
    concurrency: int
    rounds: list[Round] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def raw_per_second(self) -> float:
        return self.raw_messages / self.raw_seconds if self.raw_seconds else 0.0

    def ratio(self, each: Round) -> float:
        return each.per_second / self.raw_per_second if self.raw_per_second else 0.0

    @property
    def first(self) -> Round | None:
        return self.rounds[0] if self.rounds else None

    @property
    def ratio_ok(self) -> bool:
        return self.first is not None and self.ratio(self.first) >= TARGET_RATIO

    @property
    def memory_ok(self) -> bool:
        return bool(self.rounds) and all(r.peak_worker_mb <= TARGET_PEAK_MB for r in self.rounds)

    @property
    def exactly_once(self) -> bool:
        return bool(self.rounds) and all(each.exactly_once for each in self.rounds)

    @property
    def passed(self) -> bool:
        return (
            self.scan.passed
            and self.ratio_ok
            and self.memory_ok
            and self.exactly_once
            and not self.problems
        )


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


_COLUMNS = (
    ("N", 2),
    ("messages", 8),
    ("msgs/s", 6),
    ("ratio to raw", 12),
    ("duplicates", 10),
    ("missing", 7),
    ("repeated IDs", 12),
    ("peak PSS per worker", 19),
    ("PSS total", 9),
    ("CPU s / 1,000 msgs", 18),
)


def _row(values: list[str]) -> str:
    cells = zip(values, _COLUMNS, strict=True)
    return "  ".join(value.rjust(width) for value, (_name, width) in cells)


def report(figures: Figures) -> str:
    """The scan, the table of rounds, the prediction, PASS/FAIL per target and the result."""
    scan = figures.scan
    if scan.judged:
        scan_verdict = _verdict(scan.passed)
    else:
        scan_verdict = f"n/a (target is for {SCAN_TARGET_REGISTRANTS:,})"
    lines = [
        f"reminder scan         {scan.queued} reminders written in {scan.seconds:.2f} s "
        f"({scan.per_second:.0f} rows/s) for {scan.registrants} registrants; "
        f"{scan.queries} queries ({scan.inserts} INSERTs)",
        f"scan target           <= {SCAN_TARGET_SECONDS:g} s for {SCAN_TARGET_REGISTRANTS:,} "
        f"registrants: {scan_verdict}",
        f"raw smtplib           {figures.raw_messages} pre-built messages in "
        f"{figures.raw_seconds:.2f} s: {figures.raw_per_second:.0f} msgs/s (one connection)",
        "",
        _row([name for name, _width in _COLUMNS]),
    ]
    for each in figures.rounds:
        lines.append(
            _row(
                [
                    str(each.workers),
                    str(each.messages),
                    f"{each.per_second:.0f}",
                    f"{figures.ratio(each):.2f}",
                    str(each.duplicates),
                    str(each.missing),
                    str(each.duplicate_message_ids),
                    f"{each.peak_worker_mb:.0f} MB",
                    f"{each.peak_total_mb:.0f} MB",
                    f"{each.cpu_per_thousand:.2f}",
                ]
            )
        )
    lines.append("")
    for each in figures.rounds:
        lines += [
            f"N={each.workers}: {each.what or 'messages'}",
            f"     {each.messages} received in {each.seconds:.1f} s (mean "
            f"{each.mean_size / 1024:.1f} KiB); worker CPU {each.cpu_seconds:.1f} s (start-up "
            f"{each.startup_cpu_seconds:.1f} s not counted); machine CPU {each.machine_busy:.0%} "
            f"busy, {each.workers_busy:.0%} the workers'; peak PSS per worker "
            + ", ".join(f"{mb:.0f}" for mb in each.peak_mb)
            + " MB",
        ]
    if figures.rounds:
        costliest = max(figures.rounds, key=lambda each: each.cpu_per_thousand)
        cores = min(MACHINE_CORES, figures.concurrency)
        predicted = (
            PREDICTED_WORKERS * cores * 1000 / costliest.cpu_per_thousand
            if costliest.cpu_per_thousand
            else 0.0
        )
        lines.append(
            f"prediction            {PREDICTED_WORKERS} worker instances, each alone on a "
            f"{MACHINE_CORES}-core machine with {cores} core{'s' if cores > 1 else ''} kept "
            f"busy: {PREDICTED_WORKERS} x {cores} x 1,000 / "
            f"{costliest.cpu_per_thousand:.2f} CPU s (the costliest round, N={costliest.workers})"
            f" = about {predicted:.0f} msgs/s. A prediction from CPU time, not a measurement: "
            "it holds only if PostgreSQL, Redis and the SMTP server keep up."
        )
    first = figures.first
    ratio = figures.ratio(first) if first else 0.0
    peak = max((each.peak_worker_mb for each in figures.rounds), default=0.0)
    lines += [
        f"ratio (N=1)           {ratio:.2f} (target >= {TARGET_RATIO:g}): "
        f"{_verdict(figures.ratio_ok)}",
        f"worker peak memory    {peak:.0f} MB, the most of any worker instance (PSS of main "
        f"+ pool, sampled every 0.5 s; target <= {TARGET_PEAK_MB:g} MB): "
        f"{_verdict(figures.memory_ok)}",
        f"exactly once          every round: "
        f"{sum(each.duplicates for each in figures.rounds)} duplicates, "
        f"{sum(each.missing for each in figures.rounds)} missing, "
        f"{sum(each.duplicate_message_ids for each in figures.rounds)} repeated Message-IDs: "
        f"{_verdict(figures.exactly_once)}",
        f"result                {_verdict(figures.passed)}",
    ]
    return "\n".join(lines)


# --- Main ---------------------------------------------------------------------------------


def _worker_counts(value: str) -> list[int]:
    try:
        counts = [int(part) for part in value.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma list of numbers: {value!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"worker counts must be 1 or more: {value!r}")
    return counts


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_REGISTRANTS:,} registrants (smoke run)"
    )
    parser.add_argument(
        "--registrants",
        "--registrations",
        dest="registrants",
        type=int,
        help=f"confirmed registrations (default {DEFAULT_REGISTRANTS:,})",
    )
    parser.add_argument(
        "--workers",
        type=_worker_counts,
        default=_worker_counts(DEFAULT_WORKERS),
        help=f"worker instances per round, a comma list (default {DEFAULT_WORKERS})",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        help=f"pool processes per worker instance (default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--round-messages",
        type=int,
        default=DEFAULT_ROUND_MESSAGES,
        help="messages delivered again in each round after the first, and sent by raw "
        f"smtplib (default {DEFAULT_ROUND_MESSAGES:,}; all of them when there are fewer)",
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    )
    parser.add_argument(
        "--broker-url",
        default=os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER_URL),
        help="Redis database for Celery messages, flushed before and after the run",
    )
    parser.add_argument(
        "--time-limit",
        type=int,
        help=f"abort after this many seconds (default {DEFAULT_TIME_LIMIT}, "
        f"--quick {QUICK_TIME_LIMIT})",
    )
    args = parser.parse_args(argv)
    args.registrants = args.registrants or (
        QUICK_REGISTRANTS if args.quick else DEFAULT_REGISTRANTS
    )
    args.time_limit = args.time_limit or (QUICK_TIME_LIMIT if args.quick else DEFAULT_TIME_LIMIT)
    args.round_messages = min(args.round_messages, args.registrants)
    return args


def run_round(
    *,
    index: int,
    count: int,
    email_ids: list[int],
    enqueue: bool,
    smtp: SmtpServer,
    env: dict[str, str],
    args: argparse.Namespace,
    workdir: Path,
    deadline: float,
    workers_out: list[Worker],
) -> tuple[Round, list[str]]:
    """N worker instances deliver ``email_ids``; the figures, and any problems seen."""
    from django.db import connections

    smtp.ask("reset")
    if enqueue:
        requeue_lean(email_ids)
    connections.close_all()
    workers = [
        start_worker(
            name=f"bench-mail-{index}-{n}",
            env=env,
            concurrency=args.concurrency,
            log=workdir / f"worker-{index}-{n}.log",
        )
        for n in range(1, count + 1)
    ]
    workers_out.extend(workers)
    wait_until_ready(workers)
    machine_before = machine_ticks()
    if enqueue:
        enqueue_batches(email_ids)
    peak_total = wait_for_messages(
        smtp, expected=len(email_ids), workers=workers, deadline=deadline
    )
    time.sleep(0.5)  # anything sent twice would arrive now
    used = [cpu_seconds(worker.process.pid) for worker in workers]
    machine_after = machine_ticks()
    delivered = smtp.ask("detail")
    for worker in workers:
        stop_worker(worker)
    expected, sent = outbox_recipients(email_ids)
    recipients = delivered["recipients"]
    problems = []
    if sent != len(email_ids):
        problems.append(f"N={count}: {sent} outbox rows marked sent, not {len(email_ids)}")
    unexpected = len(recipients.keys() - expected)
    if unexpected:
        problems.append(f"N={count}: {unexpected} recipients received a message not theirs")
    startup = sum(worker.ready_cpu or 0.0 for worker in workers)
    busy, ticks = (
        after - before for after, before in zip(machine_after, machine_before, strict=True)
    )
    result = Round(
        workers=count,
        messages=delivered["received"],
        # From the first message received to the last, on the server's clock.
        seconds=delivered["last_at"] - delivered["first_at"],
        peak_mb=[worker.peak_mb for worker in workers],
        peak_total_mb=peak_total,
        cpu_seconds=sum(used) - startup,
        startup_cpu_seconds=startup,
        duplicates=sum(n - 1 for n in recipients.values() if n > 1),
        missing=len(expected - recipients.keys()),
        duplicate_message_ids=delivered["duplicate_message_ids"],
        mean_size=delivered["mean_size"],
        machine_busy=busy / ticks if ticks else 0.0,
        workers_busy=(sum(used) - startup) * CLOCK_TICKS / ticks if ticks else 0.0,
    )
    return result, problems


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGALRM, abort_on_time_limit)
    signal.alarm(args.time_limit)
    started = time.monotonic()
    deadline = started + args.time_limit
    workdir = Path(tempfile.mkdtemp(prefix="kizuna-bench-reminders-"))
    smtp = None
    workers: list[Worker] = []
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
            f"SMTP server {HOST}:{smtp.port} (own process); rounds N={args.workers} worker "
            f"instances x {args.concurrency} pool processes",
            flush=True,
        )
        recreate_database(args.database_url)
        flush_cache(args.broker_url)

        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connections
        from django.utils import timezone

        call_command("migrate", verbosity=0)
        seminar_id = create_seminar_with_registrations(
            registrations=args.registrants, now=timezone.now()
        )
        print(
            f"{args.registrants} confirmed registrations, 1-hour reminder due; "
            f"set up in {time.monotonic() - started:.1f} s",
            flush=True,
        )

        # The scan writes the rows and hands them to the broker after its commit.
        scan = timed_scan(registrants=args.registrants)
        print(
            f"reminder scan: {scan.queued} queued in {scan.seconds:.2f} s, {scan.queries} queries",
            flush=True,
        )
        all_ids = round_slice(seminar_id, messages=scan.queued)
        again_ids = all_ids[: args.round_messages]
        connections.close_all()

        figures = Figures(scan=scan, raw_messages=0, raw_seconds=0.0, concurrency=args.concurrency)
        if scan.queued != args.registrants:
            figures.problems.append(f"{scan.queued} reminders queued, not {args.registrants}")
        for index, count in enumerate(args.workers):
            first = index == 0
            email_ids = all_ids if first else again_ids
            each, problems = run_round(
                index=index,
                count=count,
                email_ids=email_ids,
                enqueue=not first,
                smtp=smtp,
                env=env,
                args=args,
                workdir=workdir,
                deadline=deadline,
                workers_out=workers,
            )
            if first:
                each.what = (
                    f"all {len(email_ids)} reminders the scan queued (its deliver_email_batch "
                    "tasks; the workers render the lean rows)"
                )
            else:
                each.what = (
                    f"the first {len(email_ids)} reminders again, re-queued lean (status "
                    "queued, rendered false, message emptied, attempts 0) in "
                    "deliver_email_batch tasks of 200 ids"
                )
            figures.rounds.append(each)
            figures.problems.extend(problems)
            print(
                f"round N={count}: {each.messages} received in {each.seconds:.2f} s "
                f"({each.per_second:.0f} msgs/s), CPU {each.cpu_per_thousand:.2f} s per 1,000",
                flush=True,
            )
            if first:
                # The baseline: the same rendered messages, pre-built, over one connection.
                messages = prebuilt_messages(again_ids)
                smtp.ask("reset")
                send_raw(smtp.port, messages)
                raw = smtp.ask("stats")
                figures.raw_messages = raw["received"]
                figures.raw_seconds = raw["last_at"] - raw["first_at"]
                if raw["received"] != len(messages) or len(messages) != len(again_ids):
                    figures.problems.append(
                        f"smtplib: {raw['received']} of {len(again_ids)} received"
                    )
                del messages
                print(
                    f"raw smtplib: {figures.raw_messages} in {figures.raw_seconds:.2f} s",
                    flush=True,
                )
                connections.close_all()
        print()
        print(report(figures))
        print()
        for problem in figures.problems:
            print(f"FAILED: {problem}")
        failed = not figures.passed
    except Exception as exc:  # report, then clean up and exit non-zero
        failed = True
        print(f"bench failed: {exc!r}", file=sys.stderr)
        for worker in workers[-4:]:
            if worker.log.exists():
                lines = worker.log.read_text(errors="replace").splitlines()
                print(f"{worker.name} log (last lines):\n" + "\n".join(lines[-20:]))
    finally:
        signal.alarm(0)
        for worker in workers:
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
