import pytest
from django.db import transaction

from notifications.models import OutgoingEmail
from notifications.services import email_queue, registration_email_queue
from tests.factories import RegistrationFactory
from tests.utils import tottori_seminar

pytestmark = pytest.mark.django_db

Kind = OutgoingEmail.Kind


def _queue(kind, enqueued=None, **registration_kwargs):
    registration_kwargs.setdefault("seminar", tottori_seminar())
    registration_kwargs.setdefault("name", "Hanako Yamada")
    registration_kwargs.setdefault("email", "hanako@example.org")
    registration = RegistrationFactory(**registration_kwargs)
    return registration_email_queue(registration=registration, kind=kind)


def test_delivery_is_enqueued_only_after_commit(django_capture_on_commit_callbacks, enqueued):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email = _queue(Kind.REGISTRATION_CONFIRMED)
        assert enqueued == []

    assert len(callbacks) == 1
    assert enqueued == [(email.pk, None)]


def test_rolled_back_transaction_leaves_no_row_and_enqueues_nothing(
    django_capture_on_commit_callbacks, enqueued
):
    registration = RegistrationFactory()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        registration_email_queue(registration=registration, kind=Kind.REGISTRATION_CONFIRMED)
        raise RuntimeError("registration failed after the email was written")

    assert OutgoingEmail.objects.count() == 0
    assert callbacks == []
    assert enqueued == []


def _generic(**kwargs):
    fields = {
        "kind": Kind.REGISTRATION_CONFIRMED,
        "to_email": "a@example.org",
        "to_name": "A",
        "language": "en",
        "subject": "Hello",
        "body_text": "Body",
    }
    return email_queue(**(fields | kwargs))


def test_existing_dedupe_key_returns_the_row_and_queues_nothing(
    django_capture_on_commit_callbacks, enqueued
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _generic(dedupe_key="reminder:1:1440")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = _generic(dedupe_key="reminder:1:1440", subject="Other")

    assert second.pk == first.pk
    assert second.subject == "Hello"
    assert OutgoingEmail.objects.count() == 1
    assert callbacks == []
    assert enqueued == [(first.pk, None)]


def test_email_queue_flattens_subject_and_name_and_rejects_unknown_calendar_method(enqueued):
    email = _generic(subject="Hi\r\nBcc: x@example.org", to_name="N\na")
    assert email.subject == "Hi Bcc: x@example.org"
    assert email.to_name == "N a"
    with pytest.raises(ValueError):
        _generic(calendar_method="REPLY", calendar_body="BEGIN:VCALENDAR")


def test_broker_outage_at_commit_leaves_the_row_for_the_periodic_pass(
    django_capture_on_commit_callbacks, monkeypatch
):
    from notifications import tasks

    def broker_down(email_id):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.deliver_email, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        email = _generic()

    email.refresh_from_db()
    assert email.status == OutgoingEmail.Status.QUEUED


# --- Batched enqueueing -----------------------------------------------------------------


@pytest.fixture
def batches(enqueued, monkeypatch):
    """Each ``deliver_email_batch`` task enqueued, as its list of ids (batches of 2 here)."""
    from notifications import tasks
    from notifications.services import outbox

    calls: list[list[int]] = []
    monkeypatch.setattr(outbox, "DELIVERY_BATCH_SIZE", 2)
    monkeypatch.setattr(tasks.deliver_email_batch, "delay", calls.append)
    return calls


def test_emails_of_one_transaction_go_out_in_batches_from_one_callback(
    django_capture_on_commit_callbacks, enqueued, batches
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        ids = [_generic(to_email=f"b{n}@example.org").pk for n in range(5)]
        assert batches == []

    assert len(callbacks) == 1
    assert batches == [ids[0:2], ids[2:4], ids[4:5]]
    assert enqueued == []


def test_a_rolled_back_transaction_leaks_no_ids_into_the_next(
    django_capture_on_commit_callbacks, enqueued, batches
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            _generic(to_email="lost1@example.org")
            _generic(to_email="lost2@example.org")
            raise RuntimeError("the change failed")
        with transaction.atomic():
            kept = [_generic(to_email=f"kept{n}@example.org").pk for n in range(2)]

    assert len(callbacks) == 1
    assert batches == [kept]
    assert list(OutgoingEmail.objects.values_list("pk", flat=True).order_by("pk")) == kept


def test_a_rolled_back_savepoint_drops_only_its_own_emails(
    django_capture_on_commit_callbacks, enqueued, batches, monkeypatch
):
    from notifications.services import outbox

    monkeypatch.setattr(outbox, "DELIVERY_BATCH_SIZE", 100)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        before = _generic(to_email="before@example.org").pk
        with pytest.raises(RuntimeError), transaction.atomic():
            _generic(to_email="inner1@example.org")
            _generic(to_email="inner2@example.org")
            raise RuntimeError("one step failed")
        with transaction.atomic():
            released = _generic(to_email="released@example.org").pk
        after = _generic(to_email="after@example.org").pk

    # Each id once; the emails written in the rolled-back savepoint are in no task.
    handed_over = [pk for pk, _countdown in enqueued] + [pk for batch in batches for pk in batch]
    assert sorted(handed_over) == [before, released, after]
    assert OutgoingEmail.objects.count() == 3


def test_broker_outage_for_a_batch_leaves_the_rows_for_the_periodic_pass(
    django_capture_on_commit_callbacks, monkeypatch, caplog
):
    from notifications import tasks

    def broker_down(email_ids):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.deliver_email_batch, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        ids = [_generic(to_email=f"o{n}@example.org").pk for n in range(3)]

    assert list(OutgoingEmail.objects.values_list("status", flat=True)) == ["queued"] * 3
    assert f"Could not enqueue 3 outbox emails (ids {ids[0]} to {ids[2]})" in caplog.text
