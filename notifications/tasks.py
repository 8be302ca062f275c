"""Celery tasks that deliver the outbox. They take ids and are safe to run twice."""

import logging

from celery import shared_task

from notifications import services
from notifications.scheduler import REMINDER_SCAN, periodic_task_recorded

logger = logging.getLogger(__name__)


@shared_task(name="notifications.deliver_email", acks_late=True, ignore_result=True)
def deliver_email(email_id: int) -> str:
    """Send one outbox row, enqueued after the commit that wrote it.

    A row already sent, failed, or being sent by another worker is skipped. A
    temporary SMTP failure puts the row back with a backoff and enqueues it again
    with a countdown of at most 15 minutes; later retries are left to
    :func:`deliver_due_emails`, because Redis redelivers long countdowns.
    """
    outcome = services.email_deliver(email_id=email_id)
    if outcome.retry_in is not None and outcome.retry_in <= services.MAX_RETRY_COUNTDOWN_SECONDS:
        services.enqueue_delivery(email_id, countdown=outcome.retry_in)
    return outcome.status


@shared_task(name="notifications.deliver_email_batch", acks_late=True, ignore_result=True)
def deliver_email_batch(email_ids: list[int]) -> dict[str, int]:
    """Send the rows one transaction wrote (up to ``DELIVERY_BATCH_SIZE``, 200) over one SMTP
    connection.

    Rows already sent, failed, or being sent by another worker or the periodic pass
    are skipped, so a redelivered or repeated task sends nothing twice. A row that
    failed temporarily is enqueued again alone with its backoff (at most 15 minutes;
    later ones are left to :func:`deliver_due_emails`); rows the server could not take
    (it went away) wait for that pass.
    """
    result = services.emails_deliver(email_ids=email_ids)
    for email_id, retry_in in result.retries:
        if retry_in <= services.MAX_RETRY_COUNTDOWN_SECONDS:
            services.enqueue_delivery(email_id, countdown=retry_in)
    return {
        "delivered": result.delivered,
        "failed": result.failed,
        "retrying": result.retrying,
        "skipped": result.skipped,
    }


@shared_task(name="notifications.deliver_due_emails", ignore_result=True)
def deliver_due_emails() -> dict[str, int]:
    """Send every due row and re-queue rows stuck in "sending" (beat runs it every minute).

    This pass is what makes delivery safe: mail whose task was lost to a broker
    outage or a killed worker is found here and sent.
    """
    with periodic_task_recorded("deliver-due-emails"):
        result = services.emails_deliver_due()
    if result.delivered or result.failed or result.retrying or result.requeued:
        logger.info(
            "Outbox pass: delivered %s, failed %s, retrying %s, re-queued %s",
            result.delivered,
            result.failed,
            result.retrying,
            result.requeued,
        )
    return {
        "delivered": result.delivered,
        "failed": result.failed,
        "retrying": result.retrying,
        "requeued": result.requeued,
    }


@shared_task(name="notifications.dispatch_reminders", ignore_result=True)
def dispatch_reminders() -> dict[str, int]:
    """Write the reminders that have come due (beat runs it every minute).

    Safe to run twice or at once: each (registration, offset) has a unique dedupe key, as
    each speaker's reminder (seminar, speaker, start) has.
    """
    with periodic_task_recorded(REMINDER_SCAN):
        scan = services.reminders_dispatch()
        # The speakers' reminder the day before, from the same scan (each once per start).
        speakers = services.speaker_reminders_dispatch()
    if speakers:
        logger.info("Speaker reminders queued: %s", speakers)
    if scan.queued or scan.missed:
        logger.info(
            "Reminder scan: queued %s, skipped %s (registered late), missed %s",
            scan.queued,
            scan.skipped_registered_late,
            scan.missed,
        )
    return {
        "queued": scan.queued,
        "skipped_registered_late": scan.skipped_registered_late,
        "missed": scan.missed,
        "speakers": speakers,
    }


@shared_task(name="notifications.send_seminar_change_notices", ignore_result=True)
def send_seminar_change_notices() -> int:
    """Send the "seminar changed" emails whose coalescing window has closed (every minute)."""
    with periodic_task_recorded("send-seminar-change-notices"):
        return services.seminar_change_notices_send()


@shared_task(name="notifications.send_seminar_alerts", ignore_result=True)
def send_seminar_alerts() -> dict[str, int]:
    """Announce newly published seminars to their followers, in digests (every minute).

    Safe to run twice or at once: alerts and their items are claimed with row locks, and
    each address's digest of a day has a unique dedupe key.
    """
    with periodic_task_recorded("send-seminar-alerts"):
        run = services.seminar_alerts_run()
    if run.digests or run.alerts:
        logger.info(
            "Seminar alerts: %s alerts found %s followers; %s digests queued",
            run.alerts,
            run.items,
            run.digests,
        )
    return {"alerts": run.alerts, "items": run.items, "digests": run.digests}


@shared_task(name="notifications.send_surveys", ignore_result=True)
def send_surveys() -> dict[str, int]:
    """Write the post-seminar surveys and their follow-ups that have come due.

    Safe to run twice or at once: each (round, registration) has a unique dedupe key.
    """
    with periodic_task_recorded("send-surveys"):
        dispatch = services.surveys_dispatch()
    if dispatch.surveys or dispatch.followups:
        logger.info("Surveys queued: %s, follow-ups: %s", dispatch.surveys, dispatch.followups)
    return {"surveys": dispatch.surveys, "followups": dispatch.followups}
