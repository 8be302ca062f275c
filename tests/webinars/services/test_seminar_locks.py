"""An organiser's edit waits a bounded time for the seminar's locks, then says so.

A change notice's fan-out holds the notice row while it writes its outbox rows; an edit
to the same seminar waits for it at most ``LOCK_TIMEOUT`` and then fails with
:class:`SeminarBusy`, having changed nothing.
"""

import threading
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.db import OperationalError, connection, transaction

from notifications.models import SeminarChangeNotice
from tests.factories import SeminarFactory
from tests.utils import seminar_change_url, seminar_form_data, upcoming_seminar
from webinars.errors import SeminarBusy
from webinars.services import seminar_update
from webinars.services import seminars as seminar_services


class _LockNotAvailable(Exception):
    sqlstate = "55P03"


@pytest.mark.django_db
def test_a_lock_timeout_becomes_seminar_busy_and_nothing_changes(monkeypatch):
    seminar = SeminarFactory(title="Tourism in Tottori")

    def locked_out(_seminar):
        raise OperationalError("canceling statement due to lock timeout") from _LockNotAvailable()

    monkeypatch.setattr(seminar_services, "_locked", locked_out)

    with pytest.raises(SeminarBusy, match="being changed elsewhere"):
        seminar_update(seminar=seminar, title="Renamed")
    seminar.refresh_from_db()
    assert seminar.title == "Tourism in Tottori"


@pytest.mark.django_db
def test_other_database_errors_are_not_called_busy(monkeypatch):
    seminar = SeminarFactory()

    def broken(_seminar):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(seminar_services, "_locked", broken)

    with pytest.raises(OperationalError):
        seminar_update(seminar=seminar, title="Renamed")


@pytest.mark.django_db
def test_the_admin_says_busy_and_shows_the_form_again(admin_client, monkeypatch):
    seminar = upcoming_seminar()

    def busy(**_changes):
        raise SeminarBusy("This seminar is being changed elsewhere right now; nothing was saved.")

    monkeypatch.setattr("webinars.admin.seminars.seminar_update", busy)

    response = admin_client.post(
        seminar_change_url(seminar), seminar_form_data(seminar, title="A new title")
    )

    assert response.status_code == 302
    assert response["Location"] == seminar_change_url(seminar)
    assert [str(message) for message in get_messages(response.wsgi_request)] == [
        "This seminar is being changed elsewhere right now; nothing was saved. "
        "Please save again in a moment."
    ]
    seminar.refresh_from_db()
    assert seminar.title != "A new title"


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_edit_waiting_on_a_notice_being_sent_gives_up_after_the_lock_timeout(settings):
    settings.LOCK_TIMEOUT = "300ms"
    seminar = SeminarFactory()
    seminar_update(seminar=seminar, starts_at=seminar.starts_at - timedelta(hours=1))
    seminar.refresh_from_db()
    notice = SeminarChangeNotice.objects.get(seminar=seminar)
    holding, release = threading.Event(), threading.Event()

    def fan_out_holding_the_notice():
        # What seminar_change_notices_run does while it writes a large fan-out.
        try:
            with transaction.atomic():
                SeminarChangeNotice.objects.select_for_update().get(pk=notice.pk)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    holder = threading.Thread(target=fan_out_holding_the_notice)
    holder.start()
    try:
        assert holding.wait(10)
        with pytest.raises(SeminarBusy):
            seminar_update(seminar=seminar, starts_at=seminar.starts_at - timedelta(hours=1))
    finally:
        release.set()
        holder.join(10)
    starts_at = seminar.starts_at
    seminar.refresh_from_db()
    assert seminar.starts_at == starts_at
