"""Fixed-window rate limits counted in the shared cache (``cache.add`` then ``cache.incr``;
on Redis, one script call however many counters a request counts).

A limit is written ``"count/seconds"`` (e.g. ``"20/600"``: 20 attempts per 10 minutes).
Counters live in the default cache, which is shared by every web worker (Redis in
production; the file cache in the embedded default), never in per-process memory, under a
keyed hash of the client address or email, never the address itself.
"""

import ipaddress
import logging
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)


def parse_rate(rate: str) -> tuple[int, int]:
    """``"20/600"`` → ``(20, 600)``; raises ValueError for anything else."""
    count, _, seconds = rate.partition("/")
    limit, window = int(count), int(seconds)
    if limit < 0 or window <= 0:
        raise ValueError(f"Bad rate limit {rate!r}: expected 'count/seconds'.")
    return limit, window


def _cache_key(scope: str, key: str, window: int) -> str:
    # Keyed: a plain hash of an IPv4 address or an email is reversed by trying them all.
    digest = salted_hmac("accounts.ratelimit", key).hexdigest()[:32]
    bucket = int(time.time() // window)
    return f"ratelimit:{scope}:{digest}:{bucket}"


def attempts(*, scope: str, key: str, rate: str) -> int:
    """How many attempts ``key`` has made in this window, without counting one (0 if unknown)."""
    _limit, window = parse_rate(rate)
    try:
        return int(cache.get(_cache_key(scope, key, window), 0))
    except Exception:
        logger.warning("Rate limit %s not read: the cache is unavailable.", scope, exc_info=True)
        return 0


def hit(*, scope: str, key: str, rate: str) -> bool:
    """Count one attempt for ``key``; False once the attempts in this window exceed the limit."""
    return hit_all([(scope, key, rate)])[0]


def hit_all(limits: Sequence[tuple[str, str, str]]) -> list[bool]:
    """:func:`hit` for each ``(scope, key, rate)``, in order; one round trip on Redis."""
    rates = [parse_rate(rate) for _scope, _key, rate in limits]
    cache_keys = [
        _cache_key(scope, key, window)
        for (scope, key, _rate), (_limit, window) in zip(limits, rates, strict=True)
    ]
    windows = [window for _limit, window in rates]
    try:
        backend = caches[DEFAULT_CACHE_ALIAS]
        if isinstance(backend, RedisCache):
            counts = _count_in_redis(backend, cache_keys, windows)
        else:
            counts = [_count(key, window) for key, window in zip(cache_keys, windows, strict=True)]
    except Exception:
        # A cache outage must not stop people registering: fail open, loudly.
        scopes = ", ".join(scope for scope, _key, _rate in limits)
        logger.warning(
            "Rate limit %s not counted: the cache is unavailable.", scopes, exc_info=True
        )
        return [True] * len(limits)
    return [count <= limit for count, (limit, _window) in zip(counts, rates, strict=True)]


def _count(cache_key: str, window: int) -> int:
    if cache.add(cache_key, 1, window):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, window)
        return 1


# The same counting as _count (the window starts with its first attempt), atomic and for
# any number of counters at once; Django's add() and incr() cost up to three round trips
# per counter. Counters stay plain integers, so cache.get() reads them (attempts()).
_REDIS_COUNT_SCRIPT = """
local counts = {}
for i, key in ipairs(KEYS) do
    counts[i] = redis.call("INCR", key)
    if counts[i] == 1 then
        redis.call("EXPIRE", key, ARGV[i])
    end
end
return counts
"""


def _count_in_redis(backend: RedisCache, cache_keys: list[str], windows: list[int]) -> list[Any]:
    keys = [backend.make_and_validate_key(cache_key) for cache_key in cache_keys]
    client = backend._cache.get_client(write=True)
    return client.register_script(_REDIS_COUNT_SCRIPT)(keys=keys, args=windows)


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
