"""The cache is shared between processes: rate limits and cached pages need that."""

import json
import os
import subprocess
import sys
import uuid

import pytest
import redis
from django.core.cache import caches

from tests.conftest import redis_test_url
from tests.integration.workers import BASE_DIR

CHILD = """
import django, json, sys
django.setup()
from django.conf import settings
from django.core.cache import cache
token = sys.argv[1]
cache.set(f"from-child:{token}", "written by the child", 60)
print(json.dumps({
    "backend": settings.CACHES["default"]["BACKEND"],
    "seen": cache.get(f"from-parent:{token}"),
}))
"""


def run_child(token: str, **environment: str) -> dict:
    env = {key: value for key, value in os.environ.items() if key != "CACHE_URL"}
    env.update(environment, DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(
        [sys.executable, "-c", CHILD, token],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.services
def test_redis_cache_is_shared_between_processes(settings):
    url = redis_test_url()
    redis.Redis.from_url(url).flushdb()
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.PooledRedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "kizuna",
        }
    }
    cache = caches["default"]
    token = uuid.uuid4().hex
    cache.set(f"from-parent:{token}", "written by the parent", 60)

    child = run_child(token, CACHE_URL=url)

    assert child == {
        "backend": "config.cache.PooledRedisCache",
        "seen": "written by the parent",
    }
    assert cache.get(f"from-child:{token}") == "written by the child"


def test_file_cache_of_the_embedded_default_is_shared_between_processes(settings, tmp_path):
    location = tmp_path / "cache"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(location),
            "KEY_PREFIX": "kizuna",
        }
    }
    cache = caches["default"]
    token = uuid.uuid4().hex
    cache.set(f"from-parent:{token}", "written by the parent", 60)

    child = run_child(token, CACHE_URL=f"filecache://{location}", CELERY_BROKER_URL="filesystem://")

    assert child == {
        "backend": "django.core.cache.backends.filebased.FileBasedCache",
        "seen": "written by the parent",
    }
    assert cache.get(f"from-child:{token}") == "written by the child"
