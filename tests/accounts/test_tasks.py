"""Periodic account housekeeping (accounts.tasks)."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from accounts.tasks import clear_expired_sessions

pytestmark = pytest.mark.django_db


def stored_session(*, lifetime: timedelta) -> str:
    session = SessionStore()
    session["purpose"] = "test"
    session.set_expiry(int(lifetime.total_seconds()))
    session.save()
    return session.session_key


def test_task_has_the_name_beat_schedules():
    assert clear_expired_sessions.name == "accounts.clear_expired_sessions"
    assert settings.CELERY_BEAT_SCHEDULE["clear-expired-sessions"]["task"] == (
        clear_expired_sessions.name
    )


def test_clear_expired_sessions_deletes_only_expired_ones():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        short = stored_session(lifetime=timedelta(minutes=5))
        long = stored_session(lifetime=timedelta(days=14))
        traveller.shift(timedelta(hours=1))
        assert Session.objects.filter(session_key__in=[short, long]).count() == 2

        clear_expired_sessions()

    assert list(Session.objects.values_list("session_key", flat=True)) == [long]


def test_clear_expired_sessions_twice_is_harmless():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        stored_session(lifetime=timedelta(minutes=5))
        live = stored_session(lifetime=timedelta(days=14))
        traveller.shift(timedelta(hours=1))

        clear_expired_sessions()
        clear_expired_sessions()

    assert list(Session.objects.values_list("session_key", flat=True)) == [live]


def test_clear_expired_sessions_runs_through_celery_apply():
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        stored_session(lifetime=timedelta(minutes=5))
        traveller.shift(timedelta(hours=1))

        result = clear_expired_sessions.apply()

    assert result.successful()
    assert Session.objects.count() == 0
