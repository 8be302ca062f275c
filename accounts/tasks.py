from importlib import import_module

from celery import shared_task
from django.conf import settings


@shared_task(name="accounts.clear_expired_sessions")
def clear_expired_sessions() -> None:
    """Delete expired sessions from the configured session store (beat runs it every 6 hours).

    Django never removes expired sessions by itself. Running twice is harmless:
    the second run finds nothing left to delete.
    """
    engine = import_module(settings.SESSION_ENGINE)
    engine.SessionStore.clear_expired()
