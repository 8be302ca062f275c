"""Delivery on PostgreSQL: the per-message commits, and the outbox's compressed bodies."""

import pytest
from django.db import connection

from notifications.services import emails_deliver_due
from tests.notifications.backends import CommitSettingBackend
from tests.utils import queued_email

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _synchronous_commit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW synchronous_commit")
        return cursor.fetchone()[0]


@pytest.fixture
def commit_setting_backend(settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.notifications.backends.CommitSettingBackend"
    CommitSettingBackend.seen = []
    yield CommitSettingBackend
    CommitSettingBackend.seen = []


def test_a_batch_marks_its_rows_sent_without_waiting_for_the_flush_then_resets(
    commit_setting_backend, enqueued
):
    for n in range(3):
        queued_email(to_email=f"mio{n}@example.org")

    result = emails_deliver_due()

    assert result.delivered == 3
    assert commit_setting_backend.seen == ["off", "off", "off"]
    assert _synchronous_commit() == "on"


def test_behind_pgbouncer_no_session_setting_is_left_on_the_connection(
    commit_setting_backend, enqueued, monkeypatch
):
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    queued_email(to_email="mio@example.org")

    result = emails_deliver_due()

    assert result.delivered == 1
    assert commit_setting_backend.seen == ["on"]


def test_outbox_bodies_are_compressed_with_lz4_where_postgresql_has_it():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        if not cursor.fetchone()[0]:
            pytest.skip("this PostgreSQL is built without LZ4")
        cursor.execute(
            "SELECT attname, attcompression FROM pg_attribute "
            "WHERE attrelid = 'notifications_outgoingemail'::regclass "
            "AND attname IN ('subject', 'body_text', 'body_html', 'calendar_body')"
        )
        compression = dict(cursor.fetchall())

    assert compression == {"subject": "", "body_text": "l", "body_html": "l", "calendar_body": "l"}
