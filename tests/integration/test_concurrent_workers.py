"""Several worker instances claim from one outbox: 5,000 messages, each sent exactly once.

Three ``celery worker`` processes (as three machines would run them, no beat) share
PostgreSQL, Redis and an SMTP server. Every batch task is sent twice and every worker
also runs the periodic sweep, so workers race for the same rows all the time; claiming
under ``FOR UPDATE SKIP LOCKED`` and the status check keep each row to one sender.
"""

import random
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app
from notifications.models import OutgoingEmail
from notifications.services import reminders_dispatch
from tests.factories import SeminarFactory
from tests.integration.smtp import smtp_server
from tests.integration.workers import (
    empty_redis_broker,
    running_worker,
    services_environment,
)
from tests.utils import confirmed_registrants

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# Redis database of this test's queues (see test_mail_pipeline.py for the others).
BROKER_DB = 10
MESSAGES = 5000
WORKERS = 3
BATCH = 100


def _reminders_written(count: int, monkeypatch) -> list[int]:
    """``count`` lean reminders in the outbox, not yet handed to any worker."""
    now = timezone.now()
    seminar = SeminarFactory(
        starts_at=now + timedelta(minutes=59),
        ends_at=now + timedelta(minutes=119),
        reminder_offsets_minutes=[60],
    )
    confirmed_registrants(seminar, count, taken_at=now - timedelta(days=2))
    # The test hands the rows over itself, each batch twice, below.
    monkeypatch.setattr("notifications.services.outbox.enqueue_deliveries", lambda ids: None)
    assert reminders_dispatch().queued == count
    return list(OutgoingEmail.objects.order_by("pk").values_list("pk", flat=True))


def test_three_workers_racing_for_5000_messages_send_each_once(tmp_path, monkeypatch):
    ids = _reminders_written(MESSAGES, monkeypatch)
    batches = [ids[start : start + BATCH] for start in range(0, len(ids), BATCH)]
    tasks = [("notifications.deliver_email_batch", [batch]) for batch in batches] * 2
    tasks += [("notifications.deliver_due_emails", [])] * WORKERS
    random.Random(14).shuffle(tasks)

    with smtp_server() as smtp, empty_redis_broker(BROKER_DB) as broker_url:
        environment = services_environment(broker_url=broker_url, email_url=smtp.url)
        with (
            running_worker(
                tmp_path / "one", beat=False, name="one", concurrency=2, **environment
            ) as one,
            running_worker(
                tmp_path / "two", beat=False, name="two", concurrency=2, **environment
            ) as two,
            running_worker(
                tmp_path / "three", beat=False, name="three", concurrency=2, **environment
            ) as three,
        ):
            workers = (one, two, three)
            for worker in workers:
                worker.wait_until_ready()
            for name, args in tasks:
                app.send_task(name, args=args)
            smtp.wait_for_messages(MESSAGES, timeout=240, failure=lambda: one.log()[-3000:])
            for worker in workers:
                worker.wait_until_idle(timeout=60)
            # A row claimed twice would have arrived by now.
            time.sleep(1)

        received = smtp.received
        assert len(received) == MESSAGES
        counts = smtp.recipient_counts()
        assert set(counts.values()) == {1}
        assert len(counts) == MESSAGES
        assert smtp.duplicates() == {}
    statuses = Counter(OutgoingEmail.objects.values_list("status", flat=True))
    assert statuses == {OutgoingEmail.Status.SENT: MESSAGES}
    assert set(OutgoingEmail.objects.values_list("attempts", flat=True)) == {1}
    # Every worker took part: the race was real.
    for worker in workers:
        assert worker.finished("notifications.deliver_email_batch") > 0
