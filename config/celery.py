"""The Celery app. Settings live in Django settings under the ``CELERY_`` namespace."""

import os
import time

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("kizuna")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

PING_CACHE_PREFIX = "celery-ping:"


@app.task(name="kizuna.ping", ignore_result=True)
def ping(token: str) -> None:
    """Record in the shared cache that a worker ran this message.

    Proves the whole path (web → broker → worker → shared cache) without
    touching data: ``cache.get("celery-ping:<token>")`` holds the time a
    worker picked it up. Operators use it on a new worker machine; the
    integration tests use it for the embedded broker.
    """
    from django.core.cache import cache

    cache.set(f"{PING_CACHE_PREFIX}{token}", time.time(), 60 * 60)
