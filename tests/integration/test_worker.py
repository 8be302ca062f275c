"""A real Celery worker with beat, on the embedded broker and on Redis."""

import uuid
from datetime import timedelta

import pytest
import redis
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from accounts.tasks import clear_expired_sessions
from config.celery import PING_CACHE_PREFIX, ping
from config.celery import app as celery_app
from tests.conftest import redis_test_url
from tests.integration.workers import database_url, running_worker, wait_for

TASK_TIMEOUT_SECONDS = 45


def test_worker_runs_a_task_from_the_embedded_filesystem_broker(tmp_path, settings):
    """The shape ``make run`` starts: filesystem broker folder, file cache, no services."""
    broker_folder = tmp_path / "broker"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
            "KEY_PREFIX": "kizuna",
        }
    }
    token = uuid.uuid4().hex
    with running_worker(
        tmp_path,
        CELERY_BROKER_URL="filesystem://",
        CELERY_BROKER_FOLDER=str(broker_folder),
        CACHE_URL=f"filecache://{tmp_path / 'cache'}",
        # The worker never opens it: kizuna.ping only touches the cache.
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    ) as worker:
        worker.wait_until_ready()
        transport_options = {
            "data_folder_in": str(broker_folder / "queue"),
            "data_folder_out": str(broker_folder / "queue"),
            "control_folder": str(broker_folder / "control"),
        }
        with celery_app.connection_for_write(
            "filesystem://", transport_options=transport_options
        ) as conn:
            ping.apply_async(args=[token], connection=conn)

        wait_for(
            lambda: caches["default"].get(f"{PING_CACHE_PREFIX}{token}") is not None,
            timeout=TASK_TIMEOUT_SECONDS,
            failure=lambda: f"kizuna.ping never ran:\n{worker.log()}",
            process=worker.process,
        )
        assert "beat: Starting..." in worker.log()
        assert "Task kizuna.ping[" in worker.log()


@pytest.mark.services
def test_worker_on_redis_clears_expired_sessions_in_postgresql(tmp_path, transactional_db):
    """The production shape: PostgreSQL and Redis, the task enqueued by its name."""
    broker_url = redis_test_url()
    redis.Redis.from_url(broker_url).flushdb()
    now = timezone.now()
    Session.objects.create(
        session_key="expired" + "x" * 25, session_data="{}", expire_date=now - timedelta(days=1)
    )
    Session.objects.create(
        session_key="current" + "x" * 25, session_data="{}", expire_date=now + timedelta(days=1)
    )

    with running_worker(
        tmp_path,
        DATABASE_URL=database_url(connection.settings_dict),
        CELERY_BROKER_URL=broker_url,
        CACHE_URL=broker_url,
    ) as worker:
        worker.wait_until_ready()
        with celery_app.connection_for_write(broker_url) as conn:
            clear_expired_sessions.apply_async(connection=conn)

        wait_for(
            lambda: not Session.objects.filter(session_key__startswith="expired").exists(),
            timeout=TASK_TIMEOUT_SECONDS,
            failure=lambda: f"accounts.clear_expired_sessions never ran:\n{worker.log()}",
            process=worker.process,
        )
        assert "beat: Starting..." in worker.log()
        assert "succeeded" in worker.log()

    assert list(Session.objects.values_list("session_key", flat=True)) == ["current" + "x" * 25]
    assert worker.process.returncode == 0, worker.log()


def test_worker_stops_cleanly_on_sigterm(tmp_path):
    with running_worker(
        tmp_path,
        CELERY_BROKER_URL="filesystem://",
        CELERY_BROKER_FOLDER=str(tmp_path / "broker"),
        CACHE_URL=f"filecache://{tmp_path / 'cache'}",
        DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}",
    ) as worker:
        worker.wait_until_ready()

    assert worker.process.returncode == 0, worker.log()
    assert "worker: Warm shutdown" in worker.log()
