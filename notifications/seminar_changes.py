"""'Seminar changed' emails, coalesced: one email per person however many edits were made.

(Being written: see issue 4.)
"""

from typing import Any

from webinars.models import Seminar


def seminar_change_record(*, seminar: Seminar, before: dict[str, Any]) -> None:
    """Open (or extend) the seminar's pending change notice. Called by seminar_update."""


def seminar_change_notices_send() -> int:
    """Send every change notice whose window has closed; return how many were handled."""
    return 0
