import hashlib
import uuid

import pytest
from django.core.cache import cache, caches
from django.test import RequestFactory

from accounts.ratelimit import attempts, client_ip, hit, hit_all
from tests.conftest import redis_test_url


def _request(remote="203.0.113.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/seminars/x/register/", **extra)


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(_request(forwarded="198.51.100.7")) == "203.0.113.9"


def test_behind_one_proxy_the_client_is_the_last_forwarded_hop(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    spoofed = _request(remote="10.0.0.2", forwarded="1.2.3.4, 198.51.100.7")

    assert client_ip(spoofed) == "198.51.100.7"


def test_ipv6_clients_are_grouped_by_their_64_prefix(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    first = client_ip(_request(remote="2001:db8:1:2::1"))
    second = client_ip(_request(remote="2001:db8:1:2:ffff::9"))

    assert first == second == "2001:db8:1:2::/64"


@pytest.mark.parametrize("remote", ["", "not-an-ip", "\x00"])
def test_unparseable_addresses_share_one_key(settings, remote):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_ip(_request(remote=remote)) == "unknown"


def test_rate_limit_fails_open_when_the_cache_is_down(monkeypatch):
    class CacheDown:
        def add(self, *args, **kwargs):
            raise ConnectionError("cache down")

        incr = add

    monkeypatch.setattr("accounts.ratelimit.cache", CacheDown())

    assert hit(scope="register-ip", key="203.0.113.9", rate="1/60") is True


def test_counters_are_kept_under_a_keyed_hash_not_the_address_or_its_plain_hash():
    hit(scope="register-ip", key="203.0.113.9", rate="5/60")

    (stored,) = [key for key in cache._cache if "ratelimit:register-ip:" in key]
    assert "203.0.113.9" not in stored
    assert hashlib.sha256(b"203.0.113.9").hexdigest()[:32] not in stored


def test_hit_all_counts_each_limit_in_its_own_window_and_answers_in_order():
    limits = [("register-ip", "203.0.113.9", "2/60"), ("register-email", "a@example.org", "1/60")]

    first = hit_all(limits)
    second = hit_all(limits)
    third = hit(scope="register-ip", key="203.0.113.9", rate="2/60")

    assert first == [True, True]
    assert second == [True, False]
    assert third is False
    assert attempts(scope="register-ip", key="203.0.113.9", rate="2/60") == 3


def test_hit_all_fails_open_for_every_limit_when_the_cache_is_down(monkeypatch):
    class CacheDown:
        def add(self, *args, **kwargs):
            raise ConnectionError("cache down")

    monkeypatch.setattr("accounts.ratelimit.cache", CacheDown())

    assert hit_all([("a", "1", "1/60"), ("b", "2", "0/60")]) == [True, True]


@pytest.mark.services
def test_on_redis_several_limits_count_in_one_round_trip_with_their_windows(settings, monkeypatch):
    prefix = f"kizuna-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "config.cache.PooledRedisCache",
            "LOCATION": redis_test_url(),
            "KEY_PREFIX": prefix,
        }
    }
    client = caches["default"]._cache.get_client(write=True)
    # A Redis server that never ran the script answers NOSCRIPT once and it is loaded:
    # load it first, so that what is counted is the steady state.
    hit_all([("warm-up", "203.0.113.1", "1/60")])
    commands = []
    send = client.execute_command

    def counted(*args, **options):
        commands.append(args[0])
        return send(*args, **options)

    monkeypatch.setattr(client, "execute_command", counted)
    limits = [("register-ip", "203.0.113.9", "2/60"), ("register-email", "a@example.org", "1/600")]
    try:
        first = hit_all(limits)
        second = hit_all(limits)
        third = hit_all(limits)

        assert (first, second, third) == ([True, True], [True, False], [False, False])
        assert commands == ["EVALSHA"] * 3
        assert attempts(scope="register-ip", key="203.0.113.9", rate="2/60") == 3
        keys = sorted(key for key in client.keys(f"{prefix}:*") if b"warm-up" not in key)
        email_key, address_key = keys
        assert 60 < client.ttl(email_key) <= 600
        assert 0 < client.ttl(address_key) <= 60
    finally:
        client.delete(*client.keys(f"{prefix}:*"))
