"""``/healthz``: can this process reach the database and the Celery broker?

Load balancers, container orchestrators and uptime monitors poll it. The body
names each check so that an operator sees at once what is down; errors carry
only the exception's class, because the endpoint is public and messages can
hold host names. Each check is a function returning a dict with at least
``ok``, so later checks (the scheduler's last run) slot in beside them.
"""

import logging
import os
from typing import Any

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.celery import app as celery_app

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


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with every check's result when all pass, 503 naming the failing ones otherwise."""
    checks = {"database": check_database(), "broker": check_broker()}
    healthy = all(result["ok"] for result in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", "checks": checks},
        status=200 if healthy else 503,
    )
