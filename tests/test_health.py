import json
import time

import pytest
from celery import Celery
from django.db import OperationalError
from django.urls import reverse

from config import health

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
        "checks": {"database": {"ok": True}, "broker": {"ok": True}},
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
