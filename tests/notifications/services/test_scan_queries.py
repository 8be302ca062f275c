"""Scans and fan-outs only decide: their queries stay flat from 10 to 1,000 registrations.

Each writes lean outbox rows in INSERTs of ``WRITE_BATCH_SIZE`` rows; everything else
(reads, locks, bookkeeping) must not grow with the audience. Rendering happens later,
in the delivery workers (tests/notifications/services/test_composing.py).
"""

import math
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import OutgoingEmail
from notifications.services import (
    announcement_send,
    recording_followups_queue,
    reminders_dispatch,
    seminar_change_notices_send,
)
from notifications.services.outbox import FAST_WRITE_BATCH_SIZE, WRITE_BATCH_SIZE
from tests.factories import RecordingFactory, SeminarFactory
from tests.utils import announcement_draft, confirmed_registrants
from webinars.models import Seminar
from webinars.services import seminar_update

pytestmark = pytest.mark.django_db

SIZES = (10, 1000)


def _registrants(seminar: Seminar, count: int) -> None:
    confirmed_registrants(seminar, count, taken_at=seminar.starts_at - timedelta(days=20))


def _counted(run) -> tuple[int, int]:
    """(other queries, outbox INSERTs) of ``run()``; each INSERT has its savepoint (a
    concurrent writer's duplicate key costs that batch only), not counted as other."""
    with CaptureQueriesContext(connection) as queries:
        run()
    sql = [query["sql"] for query in queries.captured_queries]
    inserts = sum(1 for each in sql if each.startswith('INSERT INTO "notifications_outgoingemail"'))
    savepoints = sum(1 for each in sql if each.startswith(("SAVEPOINT", "RELEASE SAVEPOINT")))
    return len(sql) - inserts - savepoints, inserts


def _assert_flat(counts: dict[int, tuple[int, int]]) -> None:
    (small_other, small_inserts), (large_other, large_inserts) = counts[10], counts[1000]
    assert small_other == large_other
    if connection.vendor == "postgresql":
        # One array per column: FAST_WRITE_BATCH_SIZE rows a statement.
        expected = math.ceil(1000 / FAST_WRITE_BATCH_SIZE)
    else:
        # bulk_create: WRITE_BATCH_SIZE rows, split where the database takes fewer parameters.
        fields = [field for field in OutgoingEmail._meta.concrete_fields if not field.primary_key]
        per_insert = min(WRITE_BATCH_SIZE, connection.ops.bulk_batch_size(fields, [None] * 1000))
        batches = [
            min(WRITE_BATCH_SIZE, 1000 - start) for start in range(0, 1000, WRITE_BATCH_SIZE)
        ]
        expected = sum(math.ceil(rows / per_insert) for rows in batches)
    assert (small_inserts, large_inserts) == (1, expected)


def test_the_reminder_scan(enqueued):
    counts = {}
    for size in SIZES:
        seminar = SeminarFactory(reminder_offsets_minutes=[60])
        _registrants(seminar, size)
        with time_machine.travel(seminar.starts_at - timedelta(minutes=59), tick=False):
            counts[size] = _counted(reminders_dispatch)
            # Alone due in this pass: the other seminar's reminders were written before.
        assert OutgoingEmail.objects.filter(seminar=seminar).count() == size
    _assert_flat(counts)


def test_the_change_notice_fan_out(enqueued):
    counts = {}
    for size in SIZES:
        seminar = SeminarFactory()
        _registrants(seminar, size)
        edit = seminar.starts_at - timedelta(days=7)
        with time_machine.travel(edit, tick=False):
            seminar_update(
                seminar=seminar,
                starts_at=seminar.starts_at + timedelta(hours=1),
                ends_at=seminar.ends_at + timedelta(hours=1),
            )
        with time_machine.travel(edit + timedelta(hours=1), tick=False):
            counts[size] = _counted(seminar_change_notices_send)
        assert OutgoingEmail.objects.filter(seminar=seminar).count() == size
    _assert_flat(counts)


def test_an_announcement(enqueued):
    counts = {}
    for size in SIZES:
        seminar = SeminarFactory()
        _registrants(seminar, size)
        draft = announcement_draft(seminar)
        counts[size] = _counted(lambda draft=draft: announcement_send(announcement=draft))
        assert OutgoingEmail.objects.filter(seminar=seminar).count() == size
    _assert_flat(counts)


def test_recording_follow_ups(enqueued):
    counts = {}
    for size in SIZES:
        recording = RecordingFactory()
        _registrants(recording.seminar, size)
        counts[size] = _counted(
            lambda recording=recording: recording_followups_queue(recording=recording)
        )
        assert OutgoingEmail.objects.filter(seminar=recording.seminar).count() == size
    _assert_flat(counts)
