from django.core.management.base import BaseCommand

from notifications.services import reminders_dispatch, reminders_dispatch_summary


class Command(BaseCommand):
    help = "Write the outbox rows of reminders that have come due (beat does it every minute)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(reminders_dispatch_summary(reminders_dispatch()))
