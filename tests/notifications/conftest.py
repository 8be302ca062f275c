import pytest
import time_machine

from tests.notifications.backends import ScriptedBackend
from tests.utils import OUTBOX_NOW


@pytest.fixture(autouse=True)
def _mail_settings(settings):
    settings.ROOT_URLCONF = "tests.notifications.urls"
    settings.SITE_URL = "https://kizuna.example"
    settings.DEFAULT_FROM_EMAIL = "JLGC Seminars <seminars@kizuna.example>"
    settings.ORGANISER_CONTACT_EMAIL = "contact@kizuna.example"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.EMAIL_MAX_ATTEMPTS = 4
    settings.EMAIL_RETRY_BASE_SECONDS = 30
    settings.EMAIL_RETRY_MAX_SECONDS = 3600
    settings.JOIN_OPENS_MINUTES_BEFORE = 30


@pytest.fixture
def enqueued(monkeypatch):
    """Celery calls the outbox made, as (email_id, countdown); nothing reaches a broker."""
    from notifications import tasks

    calls: list[tuple[int, int | None]] = []
    monkeypatch.setattr(
        tasks.deliver_email, "delay", lambda email_id: calls.append((email_id, None))
    )
    monkeypatch.setattr(
        tasks.deliver_email,
        "apply_async",
        lambda args, countdown=None, **kwargs: calls.append((args[0], countdown)),
    )
    # Fan-outs hand over batches: each id counts as one call without a countdown.
    monkeypatch.setattr(
        tasks.deliver_email_batch,
        "delay",
        lambda email_ids: calls.extend((email_id, None) for email_id in email_ids),
    )
    return calls


@pytest.fixture
def scripted_backend(settings, mailoutbox):
    """A mail backend that raises the queued exceptions in turn, then delivers to mailoutbox."""
    settings.EMAIL_BACKEND = "tests.notifications.backends.ScriptedBackend"
    ScriptedBackend.reset()
    yield ScriptedBackend
    ScriptedBackend.reset()


@pytest.fixture
def clock():
    """Time stands still at ``tests.utils.OUTBOX_NOW``; tests move it with ``clock.move_to``."""
    with time_machine.travel(OUTBOX_NOW, tick=False) as traveller:
        yield traveller
