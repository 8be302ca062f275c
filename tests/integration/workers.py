"""Run a real Celery worker (with embedded beat) as a subprocess for integration tests."""

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent.parent
CELERY = Path(sys.executable).with_name("celery")
READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 20

# The caller's configuration must not leak into the worker: each test says what it wants.
_CONFIG_VARIABLES = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "CELERY_BROKER_FOLDER",
    "CACHE_URL",
    "EMAIL_URL",
    "DEBUG",
    "SECRET_KEY",
)


class Worker:
    """A running ``celery worker -B`` whose combined output goes to a log file."""

    def __init__(self, process: subprocess.Popen, log_path: Path) -> None:
        self.process = process
        self.log_path = log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_until_ready(self) -> None:
        """Block until the worker has connected and declared its queues."""
        wait_for(
            lambda: "ready." in self.log(),
            timeout=READY_TIMEOUT_SECONDS,
            failure=lambda: f"the worker did not become ready:\n{self.log()}",
            process=self.process,
        )

    def finished(self, task_name: str) -> int:
        """How many runs of ``task_name`` this worker has finished, whatever their outcome."""
        pattern = rf"Task {re.escape(task_name)}\[[^\]]+\] (?:succeeded|raised|failed)"
        return len(re.findall(pattern, self.log()))

    def idle(self) -> bool:
        """Every task the worker has received (countdown retries included) has finished."""
        log = self.log()
        received = len(re.findall(r"Task [\w.]+\[[^\]]+\] received", log))
        ended = len(re.findall(r"Task [\w.]+\[[^\]]+\] (?:succeeded|raised|failed)", log))
        discarded = log.count("Discarding revoked task")
        return received == ended + discarded

    def run_task(self, task_name: str, *, timeout: float = 60) -> None:
        """Send ``task_name`` by name, as beat does, and wait until the worker has run it."""
        from config.celery import app

        before = self.finished(task_name)
        app.send_task(task_name)
        wait_for(
            lambda: self.finished(task_name) > before,
            timeout=timeout,
            failure=lambda: f"{task_name} did not run:\n{self.log()}",
            process=self.process,
        )

    def wait_until_idle(self, *, timeout: float = 60) -> None:
        wait_for(
            self.idle,
            timeout=timeout,
            failure=lambda: f"the worker still has tasks:\n{self.log()}",
            process=self.process,
        )

    def kill(self) -> None:
        """SIGKILL the whole process group (main process, pool child, beat): a crash."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=STOP_TIMEOUT_SECONDS)


def wait_for(
    condition: Callable[[], bool],
    *,
    timeout: float,
    failure: Callable[[], str],
    process: subprocess.Popen | None = None,
) -> None:
    """Poll ``condition`` until it holds; fail with ``failure()`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if process is not None and process.poll() is not None:
            raise AssertionError(f"the worker exited with {process.returncode}: {failure()}")
        if time.monotonic() > deadline:
            raise AssertionError(failure())
        time.sleep(0.2)


def database_url(settings_dict: dict) -> str:
    """The DATABASE_URL of a Django connection's settings, e.g. the test database."""
    if settings_dict["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{settings_dict['NAME']}"
    credentials = quote(settings_dict["USER"] or "", safe="")
    if settings_dict["PASSWORD"]:
        credentials += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = settings_dict["HOST"] or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(settings_dict['NAME'], safe='')}"


@contextlib.contextmanager
def running_worker(
    tmp_path: Path,
    *,
    beat_due_now: bool = False,
    beat: bool = True,
    name: str = "test",
    concurrency: int = 1,
    **environment: str,
) -> Iterator[Worker]:
    """Start ``celery -A config worker -B`` and always stop it: SIGTERM, then SIGKILL.

    Beat first sends an interval task one interval after it starts (a minute for the
    outbox sweep and the reminder scan). ``beat_due_now`` makes it start as if it had
    been running all along and every task were due: it sends them all at once. With
    ``beat=False`` it is a worker only, as the second and later machines run it; give
    each worker of one test its own ``name`` (and ``tmp_path``).
    """
    env = {key: value for key, value in os.environ.items() if key not in _CONFIG_VARIABLES}
    # Development mode, as `make run` starts the worker, unless the test says otherwise.
    env["DEBUG"] = "1"
    env.update(environment)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    tmp_path.mkdir(parents=True, exist_ok=True)
    if beat_due_now:
        _beat_schedule_due_now(tmp_path / "celerybeat-schedule")
    log_path = tmp_path / "worker.log"
    command = [
        str(CELERY),
        "-A",
        "config",
        "worker",
        *(["-B"] if beat else []),
        "-Q",
        "celery,mail",
        "--schedule-filename",
        str(tmp_path / "celerybeat-schedule"),
        "-l",
        "info",
        "--concurrency",
        str(concurrency),
        "--hostname",
        f"{name}-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group: the pool and beat die with it
        )
    worker = Worker(process, log_path)
    try:
        yield worker
    finally:
        stop(process)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)  # warm shutdown: finish the current task
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    # Beat's and the pool's processes share the group; none may outlive the test.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def services_environment(*, broker_url: str, email_url: str, **extra: str) -> dict[str, str]:
    """A worker's environment on this test's database, ``broker_url`` and mail server."""
    from django.db import connection

    return {
        "DATABASE_URL": database_url(connection.settings_dict),
        "CELERY_BROKER_URL": broker_url,
        "CACHE_URL": "locmemcache://",
        "EMAIL_URL": email_url,
        **extra,
    }


def _beat_schedule_due_now(schedule_filename: Path) -> None:
    """Write beat's schedule file with every entry last run a day ago.

    Beat keeps ``last_run_at`` of entries it finds in its file (it only refreshes their
    task, schedule and options), so all of them are due the moment it starts.
    """
    from celery.beat import PersistentScheduler

    from config.celery import app

    scheduler = PersistentScheduler(app=app, schedule_filename=str(schedule_filename))
    a_day_ago = app.now() - timedelta(days=1)
    for entry in scheduler.schedule.values():
        entry.last_run_at = a_day_ago
    scheduler.close()


@contextlib.contextmanager
def publishing_to(broker_url: str) -> Iterator[None]:
    """Make this process's Celery app send tasks to ``broker_url`` (e.g. a test worker's).

    ``transaction.on_commit`` hands outbox rows to the app configured from settings; its
    write URL wins over ``broker_url``, and its connection pools are rebuilt on first use.
    """
    from kombu import pools

    from config.celery import app

    saved = app.conf.broker_write_url

    def reset_pools() -> None:
        # Kombu keeps pools per connection URL in a global registry: empty it too.
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    reset_pools()
    app.conf.broker_write_url = broker_url
    try:
        yield
    finally:
        reset_pools()
        app.conf.broker_write_url = saved


@contextlib.contextmanager
def empty_redis_broker(db: int) -> Iterator[str]:
    """An emptied Redis database (beside the broker's) that this process now publishes to."""
    import redis

    from tests.conftest import redis_test_url

    url = redis_test_url(db)
    redis.Redis.from_url(url).flushdb()
    with publishing_to(url):
        yield url
