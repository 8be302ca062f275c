"""Mail delivery when things go wrong: concurrent scans, SMTP outages and refusals, a broker
outage, and a worker killed in the middle of a fan-out.

Real PostgreSQL, Redis, ``celery worker -B`` subprocesses and an SMTP server on loopback
(aiosmtpd in this process). A row delivered twice keeps its Message-ID, so
``SmtpServer.duplicates()`` finds every double delivery.
"""

import base64
import json
import logging
import threading
import time
from datetime import timedelta

import pytest
import redis
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from notifications.mail import message_id
from notifications.models import OutgoingEmail
from notifications.services import (
    emails_deliver_due,
    registration_email_queue,
    reminders,
    reminders_dispatch,
)
from tests.factories import AudienceTypeFactory, RegistrationFactory, SeminarFactory
from tests.integration.smtp import SERVICE_NOT_AVAILABLE, smtp_server
from tests.integration.workers import (
    empty_redis_broker,
    publishing_to,
    running_worker,
    services_environment,
    wait_for,
)
from tests.utils import assert_received_page
from webinars.models import Registration
from webinars.services import seminar_cancel

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

# Redis database of these tests' queues, used by nothing else: the broker is on 0, its
# cache on 1, test_worker.py on 15, the benchmarks on 13 and 14.
BROKER_DB = 12
TIMEOUT_SECONDS = 60
# Nothing listens on port 1: connections are refused at once.
UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"
# Short, so a row left "sending" by a killed worker is taken back within the test.
LEASE_SECONDS = 5

Kind = OutgoingEmail.Kind
Status = OutgoingEmail.Status


@pytest.fixture
def broker_url():
    with empty_redis_broker(BROKER_DB) as url:
        yield url


def _confirmations(addresses: list[str]) -> list[OutgoingEmail]:
    """Confirmed registrations with their confirmation emails, queued in one transaction."""
    seminar = SeminarFactory(title="Castles of Shikoku")
    registrations = [
        RegistrationFactory(seminar=seminar, email=address, name=address.split("@")[0].title())
        for address in addresses
    ]
    with transaction.atomic():
        return [
            registration_email_queue(registration=registration, kind=Kind.REGISTRATION_CONFIRMED)
            for registration in registrations
        ]


def _statuses() -> dict[str, str]:
    return dict(OutgoingEmail.objects.values_list("to_email", "status"))


def _handed_to_broker(broker_url: str) -> list[int]:
    """The outbox ids in the delivery tasks waiting in the ``mail`` queue, in order."""
    ids: list[int] = []
    for raw in reversed(redis.Redis.from_url(broker_url).lrange("mail", 0, -1)):
        envelope = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        first = args[0]
        ids.extend(first if isinstance(first, list) else [first])
    return ids


# --- Two reminder scans at once -------------------------------------------------

PEOPLE = 40
ROUNDS = 3


@pytest.mark.parametrize("meet_at", ["start", "write"])
def test_two_reminder_scans_at_once_send_each_reminder_once(
    meet_at, broker_url, settings, monkeypatch
):
    """Two threads, each with its own PostgreSQL connection, scan at the same moment.

    ``start``: they are released together. ``write``: they also wait for each other just
    before inserting, so both have computed the same reminders from the same snapshot
    and both really insert them: one must lose on the unique dedupe key.
    """
    if meet_at == "write":
        at_write = threading.Barrier(2)
        write = reminders.emails_write

        def write_together(rows):
            at_write.wait(timeout=30)
            return write(rows)

        monkeypatch.setattr(reminders, "emails_write", write_together)
    audience_type = AudienceTypeFactory(slug="scan-race", name="Scan race")
    expected: list[str] = []
    for round_number in range(ROUNDS):
        now = timezone.now()
        seminar = SeminarFactory(
            starts_at=now + timedelta(minutes=59),
            ends_at=now + timedelta(minutes=119),
            reminder_offsets_minutes=[60],
        )
        addresses = [f"round{round_number}-person{n}@example.org" for n in range(PEOPLE)]
        Registration.objects.bulk_create(
            Registration(
                seminar=seminar,
                email=address,
                name=f"Person {n}",
                audience_type=audience_type,
                privacy_notice_version="2026-11",
                privacy_consented_at=now,
            )
            for n, address in enumerate(addresses)
        )
        Registration.objects.filter(seminar=seminar).update(created_at=now - timedelta(days=2))
        expected.extend(addresses)

        scans = _scan_at_once(now=timezone.now())

        queued = sorted(scan.queued for scan in scans)
        if meet_at == "write":
            assert queued == [0, PEOPLE], f"round {round_number}"
        else:
            assert sum(queued) == PEOPLE, f"round {round_number}"
        rows = OutgoingEmail.objects.filter(seminar=seminar, kind=Kind.REMINDER)
        assert rows.count() == PEOPLE
        assert set(rows.values_list("to_email", flat=True)) == set(addresses)

    handed_over = _handed_to_broker(broker_url)
    assert len(handed_over) == len(set(handed_over)) == ROUNDS * PEOPLE
    assert set(handed_over) == set(OutgoingEmail.objects.values_list("pk", flat=True))
    with smtp_server() as smtp:
        smtp.configure(settings)
        delivered = emails_deliver_due()
        assert delivered.delivered == ROUNDS * PEOPLE
        assert smtp.recipient_counts() == dict.fromkeys(expected, 1)
        assert smtp.duplicates() == {}


def _scan_at_once(*, now) -> list[reminders.ReminderScan]:
    start = threading.Barrier(2)
    scans: list[reminders.ReminderScan] = []
    errors: list[BaseException] = []

    def scan() -> None:
        try:
            start.wait(timeout=30)
            scans.append(reminders_dispatch(now=now))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(scans) == 2
    return scans


# --- The SMTP server down, then refusing ------------------------------------------


def test_smtp_down_for_the_first_attempts_then_everything_is_delivered_once(tmp_path, broker_url):
    addresses = [f"guest{n:02}@example.org" for n in range(20)]
    with (
        smtp_server(running=False) as smtp,
        running_worker(
            tmp_path, **services_environment(broker_url=broker_url, email_url=smtp.url)
        ) as worker,
    ):
        worker.wait_until_ready()
        emails = _confirmations(addresses)
        worker.wait_until_idle(timeout=TIMEOUT_SECONDS)
        # Beat's sweep while the server is still down: nothing can go, nothing is lost.
        worker.run_task("notifications.deliver_due_emails")
        assert set(_statuses().values()) == {Status.QUEUED}
        assert worker.finished("notifications.deliver_email_batch") == 1

        # The server comes back, but says "421 service not available" five more times.
        smtp.fail_next(5, SERVICE_NOT_AVAILABLE)
        smtp.start()
        _sweep_until_sent(worker, len(addresses))
        worker.wait_until_idle(timeout=TIMEOUT_SECONDS)

    assert smtp.failures_given == 5
    assert smtp.recipient_counts() == dict.fromkeys(addresses, 1)
    assert smtp.duplicates() == {}
    assert sorted(received.message_id for received in smtp.received) == sorted(
        message_id(email) for email in emails
    )
    # Attempts that never reached a server are not counted; each 421 is one attempt.
    attempts = dict(OutgoingEmail.objects.values_list("to_email", "attempts"))
    assert attempts == {address: 2 if n < 5 else 1 for n, address in enumerate(addresses)}


def _sweep_until_sent(worker, count: int) -> None:
    """Run beat's sweep with every retry's backoff over, until ``count`` rows are sent."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while OutgoingEmail.objects.filter(status=Status.SENT).count() < count:
        assert time.monotonic() < deadline, f"not all sent: {_statuses()}\n{worker.log()}"
        OutgoingEmail.objects.filter(status=Status.QUEUED).update(next_attempt_at=timezone.now())
        worker.run_task("notifications.deliver_due_emails")


def test_recipient_refused_with_550_fails_visibly_and_is_not_retried(
    tmp_path, broker_url, admin_client
):
    with (
        smtp_server() as smtp,
        running_worker(
            tmp_path, **services_environment(broker_url=broker_url, email_url=smtp.url)
        ) as worker,
    ):
        smtp.reject("gone@example.org")
        worker.wait_until_ready()
        _confirmations(["ana@example.org", "gone@example.org", "ben@example.org"])
        wait_for(
            lambda: (
                not OutgoingEmail.objects.filter(
                    status__in=[Status.QUEUED, Status.SENDING]
                ).exists()
            ),
            timeout=TIMEOUT_SECONDS,
            failure=lambda: f"{_statuses()}\n{worker.log()}",
            process=worker.process,
        )
        # Later sweeps, even with time passed, leave a failed row alone.
        OutgoingEmail.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
        worker.run_task("notifications.deliver_due_emails")
        worker.wait_until_idle(timeout=TIMEOUT_SECONDS)

    failed = OutgoingEmail.objects.get(to_email="gone@example.org")
    assert (failed.status, failed.attempts) == (Status.FAILED, 1)
    # The reply, without the recipient's name and address (the row names its recipient).
    assert failed.last_error == "SMTPRecipientsRefused: 550 5.1.1 No such user here"
    assert smtp.rejections_given == ["gone@example.org"]
    assert smtp.recipient_counts() == {"ana@example.org": 1, "ben@example.org": 1}
    assert _statuses() == {
        "ana@example.org": Status.SENT,
        "ben@example.org": Status.SENT,
        "gone@example.org": Status.FAILED,
    }
    # Organisers see it in the outbox: the "failed" filter lists it, its page says why.
    listing = admin_client.get(
        reverse("admin:notifications_outgoingemail_changelist"), {"status__exact": "failed"}
    )
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [failed]
    page = admin_client.get(reverse("admin:notifications_outgoingemail_change", args=[failed.pk]))
    assert page.status_code == 200
    assert "5.1.1 No such user here" in page.content.decode()


# --- The broker down while someone registers ----------------------------------------


def test_broker_unreachable_while_registering_the_sweep_delivers_it_later(
    tmp_path, client, broker_url, caplog
):
    audience_type = AudienceTypeFactory(slug="broker-down", name="Broker down")
    seminar = SeminarFactory(title="Kabuki for beginners")

    with publishing_to(UNREACHABLE_BROKER), caplog.at_level(logging.WARNING):
        started = time.monotonic()
        response = client.post(
            reverse("webinars:register", args=[seminar.slug]),
            {
                "name": "Aiko Mori",
                "email": "aiko@example.org",
                "audience_type": str(audience_type.pk),
                "country": "JP",
                "privacy_consent": "on",
            },
        )
        elapsed = time.monotonic() - started
    print(f"registration with the broker unreachable took {elapsed:.2f} s")

    registration = Registration.objects.get()
    assert_received_page(response)
    assert registration.status == Registration.Status.CONFIRMED
    row = OutgoingEmail.objects.get()
    assert (row.status, row.attempts) == (Status.QUEUED, 0)
    assert f"Could not enqueue outbox email {row.pk}" in caplog.text
    assert elapsed < 10

    # The broker is back (this process publishes to it again); beat's sweep runs at once.
    with (
        smtp_server() as smtp,
        running_worker(
            tmp_path,
            beat_due_now=True,
            **services_environment(broker_url=broker_url, email_url=smtp.url),
        ) as worker,
    ):
        worker.wait_until_ready()
        [received] = smtp.wait_for_messages(1, timeout=TIMEOUT_SECONDS, failure=worker.log)
        worker.run_task("notifications.deliver_due_emails")
        worker.wait_until_idle(timeout=TIMEOUT_SECONDS)

    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 1)
    assert smtp.received == [received]
    assert received.recipients == ("aiko@example.org",)
    assert received.message_id == message_id(row)


# --- A worker killed in the middle of a fan-out ----------------------------------------

FAN_OUT = 500
KILL_AFTER = 120


@pytest.mark.parametrize(
    ("kill_at", "least", "most"),
    [
        # Between two messages: each row is marked sent before the next message starts,
        # so nothing that went out goes again.
        ("mail", 0, 0),
        # After the server has the message but before it says "250 OK": SMTP cannot tell
        # the sender it arrived, so that one row certainly goes again. This is the window
        # at-least-once delivery cannot close.
        ("data", 1, 1),
    ],
)
def test_worker_killed_mid_fan_out_every_recipient_gets_the_message(
    kill_at, least, most, tmp_path, broker_url
):
    """SIGKILL on the worker's process group in the middle of a 500-message fan-out.

    A new worker (lease of rows left "sending": 5 s) delivers the rest. Duplicates are
    counted by Message-ID and printed; each must be a message the server had accepted
    while its row was still "sending" when the worker died, and go exactly twice.
    """
    audience_type = AudienceTypeFactory(slug="fan-out", name="Fan-out")
    seminar = SeminarFactory(title="Tea ceremony in Uji")
    now = timezone.now()
    addresses = [f"person{n:03}@example.org" for n in range(FAN_OUT)]
    Registration.objects.bulk_create(
        Registration(
            seminar=seminar,
            email=address,
            name=f"Person {n}",
            audience_type=audience_type,
            privacy_notice_version="2026-11",
            privacy_consented_at=now,
        )
        for n, address in enumerate(addresses)
    )
    killed = threading.Event()
    environment = {"EMAIL_SENDING_LEASE_SECONDS": str(LEASE_SECONDS)}

    with smtp_server() as smtp:
        env = services_environment(broker_url=broker_url, email_url=smtp.url, **environment)
        with running_worker(tmp_path / "first", **env) as first:

            def kill(accepted: int) -> None:
                # In the SMTP server's thread, before it answers the worker.
                if accepted >= KILL_AFTER and not killed.is_set():
                    first.kill()
                    killed.set()

            if kill_at == "mail":
                smtp.on_mail = kill
            else:
                smtp.on_message = kill
            first.wait_until_ready()
            seminar_cancel(seminar=seminar, message="The tea master is unwell.")
            assert killed.wait(timeout=TIMEOUT_SECONDS), first.log()
        smtp.on_mail = smtp.on_message = None
        accepted_at_kill = {received.message_id for received in smtp.received}
        stuck = [message_id(email) for email in OutgoingEmail.objects.filter(status=Status.SENDING)]
        # Accepted by the server, yet not recorded as sent: these rows will go again.
        unrecorded = accepted_at_kill.intersection(stuck)
        # Let the lease of the rows the dead worker held run out before the new one starts.
        time.sleep(LEASE_SECONDS + 1)

        with running_worker(tmp_path / "second", beat_due_now=True, **env) as second:
            second.wait_until_ready()
            wait_for(
                lambda: len(smtp.recipient_counts()) == FAN_OUT,
                timeout=3 * TIMEOUT_SECONDS,
                failure=lambda: f"{len(smtp.recipient_counts())} recipients\n{second.log()}",
                process=second.process,
            )
            second.wait_until_idle(timeout=TIMEOUT_SECONDS)

    duplicates = smtp.duplicates()
    extra = sum(count - 1 for count in duplicates.values())
    print(
        f"kill at {kill_at.upper()}: {len(accepted_at_kill)} accepted before the kill, "
        f"{len(stuck)} rows left sending ({len(unrecorded)} of them accepted), "
        f"{len(smtp.received)} messages for {FAN_OUT} recipients after the restart, "
        f"duplicates: {extra} {duplicates}"
    )
    assert len(accepted_at_kill) == KILL_AFTER
    assert len(stuck) > len(unrecorded)  # the kill caught a batch with rows still to send
    assert smtp.recipient_counts().keys() == set(addresses)
    assert duplicates == dict.fromkeys(unrecorded, 2)
    assert least <= extra <= most
    assert len(smtp.received) == FAN_OUT + extra
    assert set(_statuses().values()) == {Status.SENT}
    assert OutgoingEmail.objects.filter(kind=Kind.SEMINAR_CANCELLED).count() == FAN_OUT
