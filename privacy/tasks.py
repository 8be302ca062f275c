from celery import shared_task

from privacy.services import retention_apply


@shared_task(name="privacy.apply_retention")
def apply_retention() -> None:
    """Beat runs it daily: guests anonymised and old email bodies emptied on time.

    Idempotent: a second run the same day finds nothing left to change.
    """
    retention_apply()
