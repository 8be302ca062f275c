"""Bounded lock waits: a transaction waiting for a row lock gives up after a set time.

PostgreSQL waits for a row lock for ever unless told otherwise; every transaction here
that may wait for one sets ``lock_timeout`` for itself first (``SET LOCAL``: it ends
with the transaction), so a long holder makes the others fail fast with a clear error
instead of piling up. SQLite serialises writers (IMMEDIATE transactions) and gives up
after its busy timeout, which :func:`is_lock_timeout` recognises too.
"""

from django.db import OperationalError, connection

# PostgreSQL's SQLSTATE for "lock_not_available" (raised when lock_timeout expires).
LOCK_NOT_AVAILABLE = "55P03"


def lock_timeout_set(timeout: str) -> None:
    """Bound this transaction's lock waits to ``timeout`` (PostgreSQL syntax: "3s")."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # set_config(..., true) is SET LOCAL: it ends with the transaction.
            cursor.execute("SELECT set_config('lock_timeout', %s, true)", [timeout])


def is_lock_timeout(error: OperationalError) -> bool:
    """Whether ``error`` is a lock wait that ran out of time."""
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) == LOCK_NOT_AVAILABLE:
        return True
    # SQLite: the busy timeout ran out while another writer held the database.
    return "database is locked" in str(error)
