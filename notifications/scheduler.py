"""Is the scheduler (Celery beat) running? Each periodic task records when it ran.

Beat itself keeps no state anyone else can read, and a dead beat is silent: nothing
fails, reminders simply stop. So every periodic task writes its start time to
:class:`~notifications.models.PeriodicTaskRun` (one row per task, one UPDATE per run),
and ``/healthz`` and the organiser admin read those rows.
"""

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import DatabaseError
from django.utils import timezone

from notifications.models import PeriodicTaskRun

logger = logging.getLogger(__name__)

REMINDER_SCAN = "dispatch-reminders"
# The reminder scan runs every minute; this late, reminders are going out late.
LATE_AFTER = timedelta(minutes=5)


def periodic_task_run_record(*, name: str, now: datetime | None = None) -> None:
    """Note that the periodic task ``name`` (its beat schedule key) has started now."""
    now = now or timezone.now()
    try:
        PeriodicTaskRun.objects.update_or_create(name=name, defaults={"last_started_at": now})
    except DatabaseError:
        # The task's own work matters more than the record of it.
        logger.warning("Could not record the run of %s.", name, exc_info=True)


def periodic_task_finish_record(*, name: str, now: datetime | None = None) -> None:
    now = now or timezone.now()
    try:
        PeriodicTaskRun.objects.filter(name=name).update(last_finished_at=now)
    except DatabaseError:
        logger.warning("Could not record the end of %s.", name, exc_info=True)


@contextlib.contextmanager
def periodic_task_recorded(name: str) -> Iterator[None]:
    """Record the start and (successful) end of one run of a periodic task."""
    periodic_task_run_record(name=name)
    yield
    periodic_task_finish_record(name=name)


@dataclass(frozen=True)
class SchedulerStatus:
    """When the reminder scan last completed, and whether that is too long ago."""

    last_reminder_scan_at: datetime | None
    late: bool
    runs: dict[str, datetime]

    @property
    def minutes_since_reminder_scan(self) -> int | None:
        if self.last_reminder_scan_at is None:
            return None
        return int((timezone.now() - self.last_reminder_scan_at).total_seconds() // 60)


def scheduler_status(*, now: datetime | None = None) -> SchedulerStatus:
    """The scheduler as the database shows it (one query).

    A deployment whose reminder scan has never run at all (a fresh database before
    beat's first minute) is not reported late: there is no run to be late after.
    """
    now = now or timezone.now()
    rows = PeriodicTaskRun.objects.values_list("name", "last_started_at", "last_finished_at")
    runs = {name: finished or started for name, started, finished in rows}
    # A scan that starts every minute but crashes every time is as late as one that never
    # starts: what counts is the last scan that finished (or the first one, still running).
    last = runs.get(REMINDER_SCAN)
    return SchedulerStatus(
        last_reminder_scan_at=last,
        late=last is not None and now - last > LATE_AFTER,
        runs=runs,
    )
