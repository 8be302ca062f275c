"""A registration decides its seat under the seminar's lock and renders no email there.

The confirmation is a lean outbox row written in the registration's transaction; the
worker renders it after the commit (here the delivery task runs as soon as the commit
hands it over, as a worker would). These tests use real transactions (no test-wide
wrapper) so that "inside the registration's transaction" can be told from "after it".
"""

import pytest
from django.db import connection, transaction

from accounts.models import AudienceType
from notifications import tasks
from notifications.models import OutgoingEmail
from notifications.services import rendering
from tests.factories import SeminarFactory
from webinars.services import registration_create
from webinars.services import registrations as registration_services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def events(monkeypatch, settings):
    """What happened, in order: ("lock" | "render" | "commit-hook", in a transaction?)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    happened: list[tuple[str, bool]] = []

    locked_seminar = registration_services._locked_seminar

    def lock(seminar):
        happened.append(("lock", connection.in_atomic_block))
        return locked_seminar(seminar)

    real_render = rendering.render_to_string

    def render(*args, **kwargs):
        happened.append(("render", connection.in_atomic_block))
        return real_render(*args, **kwargs)

    def deliver_now(email_id):
        # A worker picking the task up: it runs after the commit, outside any transaction.
        happened.append(("deliver", connection.in_atomic_block))
        tasks.deliver_email(email_id)

    monkeypatch.setattr(registration_services, "_locked_seminar", lock)
    monkeypatch.setattr(rendering, "render_to_string", render)
    monkeypatch.setattr(tasks.deliver_email, "delay", deliver_now)
    return happened


def _register(seminar, email: str):
    audience_type, _ = AudienceType.objects.get_or_create(
        slug="travel-agent", defaults={"name": "Travel agent"}
    )
    return registration_create(
        seminar=seminar, email=email, name="Aiko Tanaka", audience_type=audience_type
    )


def test_the_confirmation_is_rendered_after_the_seat_lock_is_released(events, mailoutbox):
    seminar = SeminarFactory(capacity=10)

    _register(seminar, "aiko@example.org")

    names = [name for name, _in_transaction in events]
    # The lock, then (after the commit) the delivery, which renders: never the reverse.
    assert names[0] == "lock"
    assert names[1] == "deliver"
    assert set(names[2:]) == {"render"}
    assert all(not in_transaction for name, in_transaction in events if name == "render")
    assert events[0] == ("lock", True)
    (message,) = mailoutbox
    assert message.subject.startswith("You're registered")
    email = OutgoingEmail.objects.get()
    assert (email.status, email.rendered) == (OutgoingEmail.Status.SENT, True)


def test_a_rolled_back_registration_writes_and_sends_nothing(events, mailoutbox):
    seminar = SeminarFactory(capacity=10)

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        _register(seminar, "aiko@example.org")
        raise Abandoned

    assert [name for name, _ in events] == ["lock"]
    assert OutgoingEmail.objects.count() == 0
    assert seminar.registrations.count() == 0
    assert mailoutbox == []
