from django.core.management.base import BaseCommand

from notifications.services import (
    seminar_change_notices_run,
    seminar_change_notices_summary,
)


class Command(BaseCommand):
    help = "Send the 'seminar changed' emails whose window has closed (beat does it every minute)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(seminar_change_notices_summary(seminar_change_notices_run()))
