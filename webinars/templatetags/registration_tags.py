"""Registration state for seminar pages and cards."""

from django import template

from webinars import selectors
from webinars.models import Seminar

register = template.Library()


@register.simple_tag
def registration_closed_reason(seminar: Seminar) -> str:
    """Why a seminar takes no registrations now ("" when it does); reads only the row."""
    return selectors.registration_closed_reason(seminar) or ""


@register.simple_tag
def seminar_seats(seminar: Seminar) -> selectors.SeatsInfo:
    """Seat counts of one seminar (one query): for its page, not for lists."""
    return selectors.seminar_seats(seminar)
