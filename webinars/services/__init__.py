"""Write operations of the core domain, one module per area.

Import from here: ``from webinars.services import seminar_update``.
"""

from webinars.services.seminars import (
    CALENDAR_FIELDS,
    seminar_cancel,
    seminar_create,
    seminar_duplicate,
    seminar_publish,
    seminar_update,
)

__all__ = [
    "CALENDAR_FIELDS",
    "seminar_cancel",
    "seminar_create",
    "seminar_duplicate",
    "seminar_publish",
    "seminar_update",
]
