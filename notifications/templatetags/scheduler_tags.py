from django import template

from notifications.scheduler import SchedulerStatus, scheduler_status

register = template.Library()


@register.simple_tag
def scheduler_warning() -> SchedulerStatus | None:
    """The scheduler's status when organisers must be warned (reminders late), else None."""
    status = scheduler_status()
    return status if status.late else None
