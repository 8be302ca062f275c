"""Fixed-window rate limits counted in the shared cache (``cache.add`` then ``cache.incr``).

A limit is written ``"count/seconds"`` (e.g. ``"20/600"``: 20 attempts per 10 minutes).
Counters live in the default cache, which is shared by every web worker (Redis in
production; the file cache in the embedded default), never in per-process memory.
"""

import hashlib
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


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
    try:
        if cache.add(cache_key, 1, window):
            count = 1
        else:
            try:
                count = cache.incr(cache_key)
            except ValueError:  # expired between add() and incr()
                cache.add(cache_key, 1, window)
                count = 1
    except Exception:
        # A cache outage must not stop people registering: fail open, loudly.
        logger.warning("Rate limit %s not counted: the cache is unavailable.", scope, exc_info=True)
        return True
    return count <= limit


def client_ip(request: HttpRequest) -> str:
    """The address the request came from, as a rate-limit key.

    Behind ``TRUSTED_PROXY_COUNT`` reverse proxies the client is the address that many
    hops from the right of ``X-Forwarded-For`` (anything further left is the client's own
    claim). IPv6 addresses are grouped by /64, which one subscriber usually holds whole.
    """
    address = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= proxies:
            address = hops[-proxies]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return "unknown"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)
