"""The Celery app. Settings live in Django settings under the ``CELERY_`` namespace."""

import gc
import os
import time

from celery import Celery
from celery.signals import worker_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("kizuna")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

PING_CACHE_PREFIX = "celery-ping:"


@worker_init.connect
def freeze_shared_objects(**kwargs) -> None:
    """Keep the garbage collector away from what the worker loaded before its pool forks.

    A pool process shares the parent's pages until it writes to them, and a collection
    writes to every object it visits: frozen objects are never visited, so their pages
    stay shared and each pool process costs less memory (``gc.freeze`` in the Python docs).
    """
    gc.freeze()


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
