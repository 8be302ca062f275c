"""Fixed-window rate limits counted in the shared cache (``cache.add`` then ``cache.incr``).

A limit is written ``"count/seconds"`` (e.g. ``"20/600"``: 20 attempts per 10 minutes).
Counters live in the default cache, which is shared by every web worker (Redis in
production; the file cache in the embedded default), never in per-process memory.
"""

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest


def parse_rate(rate: str) -> tuple[int, int]:
    """``"20/600"`` → ``(20, 600)``; raises ValueError for anything else."""
    count, _, seconds = rate.partition("/")
    limit, window = int(count), int(seconds)
    if limit < 0 or window <= 0:
        raise ValueError(f"Bad rate limit {rate!r}: expected 'count/seconds'.")
    return limit, window


def hit(*, scope: str, key: str, rate: str) -> bool:
    """Count one attempt for ``key``; False once the attempts in this window exceed the limit."""
    limit, window = parse_rate(rate)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    bucket = int(time.time() // window)
    cache_key = f"ratelimit:{scope}:{digest}:{bucket}"
    if cache.add(cache_key, 1, window):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add() and incr()
            cache.add(cache_key, 1, window)
            count = 1
    return count <= limit


def client_ip(request: HttpRequest) -> str:
    """The address the request came from.

    Deliberately ``REMOTE_ADDR`` only: ``X-Forwarded-For`` is set by the client unless a
    trusted proxy rewrites it, so behind a proxy have the proxy (or the WSGI server) put the
    real client address into ``REMOTE_ADDR``.
    """
    return request.META.get("REMOTE_ADDR", "") or "unknown"
