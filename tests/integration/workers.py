"""Run a real Celery worker (with embedded beat) as a subprocess for integration tests."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
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
def running_worker(tmp_path: Path, **environment: str) -> Iterator[Worker]:
    """Start ``celery -A config worker -B`` and always stop it: SIGTERM, then SIGKILL."""
    env = {key: value for key, value in os.environ.items() if key not in _CONFIG_VARIABLES}
    env.update(environment)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    log_path = tmp_path / "worker.log"
    command = [
        str(CELERY),
        "-A",
        "config",
        "worker",
        "-B",
        "-Q",
        "celery,mail",
        "--schedule-filename",
        str(tmp_path / "celerybeat-schedule"),
        "-l",
        "info",
        "--concurrency",
        "1",
        "--hostname",
        f"test-{os.getpid()}@%h",
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
