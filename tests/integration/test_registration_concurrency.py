"""Capacity stays exact when many people register at once, through real HTTP on PostgreSQL.

200 attempts for 50 seats arrive through 20 concurrent connections to a live server, each
request in its own thread and database connection. With the seminar row locked, exactly 50
are confirmed and 150 waitlisted. The control run switches the lock off (a test-only
switch) and widens the gap between counting and inserting: the seminar is oversold, which
shows that the race the lock closes is real.
"""

import http.client
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

import pytest
from django.db import connection, transaction
from django.urls import reverse

from tests.factories import AudienceTypeFactory, SeminarFactory
from webinars.errors import RegistrationBusy
from webinars.models import Registration, Seminar
from webinars.services import registrations as registration_services
from webinars.services.registrations import registration_create

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
]

SEATS = 50
ATTEMPTS = 200
CONNECTIONS = 20


@pytest.fixture
def registration_server(live_server, settings, monkeypatch):
    settings.REGISTRATION_RATE_LIMIT_PER_IP = f"{ATTEMPTS * 10}/600"
    settings.REGISTRATION_RATE_LIMIT_PER_EMAIL = "10/600"
    # Every request comes from 127.0.0.1: past 5 the human check would ask for a proof.
    settings.HUMAN_CHECK_AFTER_PER_CLIENT = f"{ATTEMPTS * 10}/600"
    # Outbox rows are still written in each registration's transaction; only handing them
    # to the broker is skipped, so no worker is needed and the shared broker stays clean.
    monkeypatch.setattr("notifications.services.outbox.enqueue_delivery", lambda *a, **k: None)
    return live_server


def _csrf(host: str, port: int, path: str) -> tuple[str, str]:
    """A CSRF cookie and the matching form token, from one GET of the form."""
    connection = http.client.HTTPConnection(host, port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read().decode()
    assert response.status == 200, body[:500]
    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie"):
        cookies.load(header)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    connection.close()
    return cookies["csrftoken"].value, token


def _register_all(base_url: str, seminar, audience_type) -> list[int]:
    return _register_all_n(base_url, seminar, audience_type, ATTEMPTS)


def _register_all_n(base_url: str, seminar, audience_type, attempts: int) -> list[int]:
    parts = urlsplit(base_url)
    path = reverse("webinars:register", args=[seminar.slug])
    cookie, token = _csrf(parts.hostname, parts.port, path)

    def attempt(n: int) -> int:
        body = urlencode(
            {
                "csrfmiddlewaretoken": token,
                "name": f"Person {n}",
                "email": f"person{n}@example.org",
                "audience_type": str(audience_type.pk),
                "country": "GB",
                "privacy_consent": "on",
                "recording_followup_opt_in": "on",
            }
        )
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={cookie}",
                },
            )
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        return list(pool.map(attempt, range(attempts)))


def _counts(seminar) -> tuple[int, int]:
    registrations = Registration.objects.filter(seminar=seminar)
    return registrations.confirmed().count(), registrations.waitlisted().count()


def test_concurrent_registrations_fill_exactly_the_capacity(registration_server):
    audience_type = AudienceTypeFactory(slug="concurrency-test", name="Concurrency test")
    seminar = SeminarFactory(capacity=SEATS, waitlist_enabled=True)

    statuses = _register_all(registration_server.url, seminar, audience_type)

    assert statuses == [200] * ATTEMPTS  # every attempt answered "check your inbox"
    assert _counts(seminar) == (SEATS, ATTEMPTS - SEATS)


def test_control_without_the_row_lock_oversells(registration_server, monkeypatch):
    audience_type = AudienceTypeFactory(slug="concurrency-control", name="Concurrency control")
    seminar = SeminarFactory(capacity=SEATS, waitlist_enabled=True)
    monkeypatch.setattr(registration_services, "_LOCK_SEMINAR_ROW", False)
    # Widen the window between counting seats and inserting, as a slow request would.
    monkeypatch.setattr(registration_services, "_AFTER_SEAT_COUNT_HOOK", lambda: time.sleep(0.05))

    statuses = _register_all(registration_server.url, seminar, audience_type)

    assert statuses == [200] * ATTEMPTS
    confirmed, waitlisted = _counts(seminar)
    assert confirmed + waitlisted == ATTEMPTS
    assert confirmed > SEATS  # oversold: the race is real


def test_lock_wait_is_bounded_and_shows_try_again(registration_server, settings):
    settings.REGISTRATION_LOCK_TIMEOUT = "200ms"
    audience_type = AudienceTypeFactory(slug="concurrency-busy", name="Concurrency busy")
    seminar = SeminarFactory(capacity=SEATS)
    locked, release = threading.Event(), threading.Event()

    def hold_the_seminar_row() -> None:
        try:
            with transaction.atomic():
                Seminar.objects.select_for_update().get(pk=seminar.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_the_seminar_row)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        started = time.monotonic()
        with pytest.raises(RegistrationBusy):
            registration_create(
                seminar=seminar,
                email="busy@example.org",
                name="Busy Person",
                audience_type=audience_type,
            )
        waited = time.monotonic() - started
        statuses = _register_all_n(registration_server.url, seminar, audience_type, 1)
    finally:
        release.set()
        holder.join()

    assert waited < 2
    assert statuses == [503]
    assert Registration.objects.filter(seminar=seminar).count() == 0
