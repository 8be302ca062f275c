import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from celery import Celery
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from config import health
from notifications.models import PeriodicTaskRun
from notifications.scheduler import REMINDER_SCAN, periodic_task_run_record

pytestmark = pytest.mark.django_db


class _BrokenConnection:
    """Stands in for ``django.db.connection`` when the database server is down."""

    def cursor(self):
        raise OperationalError("connection to server at 127.0.0.1 port 5432 failed")


def broker_app(url: str) -> Celery:
    app = Celery("kizuna-health-test", set_as_current=False)
    # The write URL wins over a CELERY_BROKER_URL in the environment (as in CI).
    app.conf.broker_write_url = url
    return app


def test_healthz_when_healthy_returns_200_with_every_check(client):
    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "status": "ok",
        "checks": {
            "database": {"ok": True},
            "broker": {"ok": True},
            "scheduler": {"ok": True, "reminder_scan_last_run": None},
        },
    }


def test_healthz_is_never_cached(client):
    response = client.get("/healthz")

    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "no-cache", "max-age=0"} <= cache_control


def test_healthz_when_database_is_down_returns_503_naming_it(client, monkeypatch):
    monkeypatch.setattr(health, "connection", _BrokenConnection())

    response = client.get("/healthz")

    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": "error",
        "checks": {
            "database": {"ok": False, "error": "OperationalError"},
            "broker": {"ok": True},
        },
    }


def test_healthz_when_redis_broker_is_unreachable_returns_503_naming_it(client, monkeypatch):
    # Nothing listens on port 1: the connection is refused at once.
    unreachable = broker_app("redis://127.0.0.1:1/0")
    monkeypatch.setattr(health, "celery_app", unreachable)

    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started

    # One attempt, no retry: kombu would otherwise sleep 2 s between attempts.
    assert elapsed < 1.5
    assert response.status_code == 503
    assert json.loads(response.content) == {
        "status": "error",
        "checks": {
            "database": {"ok": True},
            "broker": {"ok": False, "error": "OperationalError"},
            "scheduler": {"ok": True, "reminder_scan_last_run": None},
        },
    }


def test_healthz_when_filesystem_broker_folder_is_missing_returns_503(
    client, monkeypatch, tmp_path
):
    missing = str(tmp_path / "no-such-queue")
    broken = broker_app("filesystem://")
    broken.conf.broker_transport_options = {"data_folder_in": missing, "data_folder_out": missing}
    monkeypatch.setattr(health, "celery_app", broken)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["broker"] == {
        "ok": False,
        "error": "PermissionError",
    }


def test_healthz_refuses_post(client):
    response = client.post("/healthz")

    assert response.status_code == 405


@time_machine.travel("2026-11-25 12:00:00+00:00", tick=False)
def test_healthz_reports_when_the_reminder_scan_last_ran(client):
    periodic_task_run_record(name=REMINDER_SCAN, now=timezone.now() - timedelta(minutes=4))

    response = client.get("/healthz")

    assert response.status_code == 200
    assert json.loads(response.content)["checks"]["scheduler"] == {
        "ok": True,
        "reminder_scan_last_run": "2026-11-25T11:56:00+00:00",
    }


@time_machine.travel("2026-11-25 12:00:00+00:00", tick=False)
def test_healthz_is_503_when_the_reminder_scan_is_over_five_minutes_late(client):
    periodic_task_run_record(name=REMINDER_SCAN, now=timezone.now() - timedelta(minutes=6))

    response = client.get("/healthz")

    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "error"
    assert body["checks"]["scheduler"] == {
        "ok": False,
        "reminder_scan_last_run": "2026-11-25T11:54:00+00:00",
        "error": "the reminder scan has not run for over 5 minutes",
    }


def test_the_reminder_scan_task_records_its_run(settings):
    from notifications.tasks import dispatch_reminders

    with time_machine.travel("2026-11-25 12:00:00+00:00", tick=False):
        dispatch_reminders()
    run = PeriodicTaskRun.objects.get(name=REMINDER_SCAN)

    assert run.last_started_at == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert run.last_finished_at == datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_admin_shows_a_banner_only_while_the_scheduler_is_late(admin_client):
    with time_machine.travel("2026-11-25 12:00:00+00:00", tick=False):
        periodic_task_run_record(name=REMINDER_SCAN)
        on_time = admin_client.get(reverse("admin:index"))
    with time_machine.travel("2026-11-25 12:09:00+00:00", tick=False):
        late = admin_client.get(reverse("admin:index"))

    assert "has not run the reminder scan" not in on_time.content.decode()
    assert "The scheduler has not run the reminder scan for 9 minutes" in late.content.decode()


def test_healthz_is_503_when_the_reminder_scan_starts_but_keeps_failing(client):
    from notifications.scheduler import periodic_task_finish_record

    with time_machine.travel("2026-11-25 12:00:00+00:00", tick=False):
        periodic_task_run_record(name=REMINDER_SCAN)
        periodic_task_finish_record(name=REMINDER_SCAN)
    for minute in range(1, 8):  # every later run starts, then crashes before finishing
        with time_machine.travel(f"2026-11-25 12:0{minute}:00+00:00", tick=False):
            periodic_task_run_record(name=REMINDER_SCAN)

    with time_machine.travel("2026-11-25 12:07:30+00:00", tick=False):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["scheduler"]["reminder_scan_last_run"] == (
        "2026-11-25T12:00:00+00:00"
    )
