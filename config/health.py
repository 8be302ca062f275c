"""``/healthz``: can this process reach the database and the broker, and is beat running?

Load balancers, container orchestrators and uptime monitors poll it. The body
names each check so that an operator sees at once what is down; errors carry
only the exception's class, because the endpoint is public and messages can
hold host names. Each check is a function returning a dict with at least
``ok``. The scheduler check reads when beat's reminder scan last ran (from the
database, so it is skipped when the database is down) and fails when that is
more than five minutes ago: a stopped beat is otherwise silent.
"""

import logging
import os
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.celery import app as celery_app
from notifications.scheduler import LATE_AFTER, scheduler_status

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2.0

CheckResult = dict[str, Any]


def check_database() -> CheckResult:
    """Run ``SELECT 1`` on the default database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        logger.exception("Health check: the database is unreachable")
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def check_broker() -> CheckResult:
    """Open one connection to the Celery broker, without retrying, within a short timeout."""
    try:
        with celery_app.connection_for_write(connect_timeout=BROKER_TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
            if conn.transport.driver_type == "filesystem":
                # "Connecting" to a folder always works; writing a message is what can fail.
                folder = conn.transport_options.get("data_folder_out", "data_out")
                if not os.access(folder, os.W_OK):
                    raise PermissionError(f"cannot write to the broker folder {folder}")
    except Exception as exc:
        logger.exception("Health check: the Celery broker is unreachable")
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True}


def check_scheduler() -> CheckResult:
    """Has the reminder scan (a beat task, every minute) run in the last few minutes?"""
    try:
        status = scheduler_status()
    except Exception as exc:
        logger.exception("Health check: could not read the scheduler's runs")
        return {"ok": False, "error": type(exc).__name__}
    last = status.last_reminder_scan_at
    result: CheckResult = {
        "ok": not status.late,
        "reminder_scan_last_run": last.isoformat() if last else None,
    }
    if status.late:
        minutes = int(LATE_AFTER.total_seconds() // 60)
        result["error"] = f"the reminder scan has not run for over {minutes} minutes"
    return result


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with every check's result when all pass, 503 naming the failing ones otherwise."""
    checks = {"database": check_database(), "broker": check_broker()}
    if checks["database"]["ok"]:
        checks["scheduler"] = check_scheduler()
    healthy = all(result["ok"] for result in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )
