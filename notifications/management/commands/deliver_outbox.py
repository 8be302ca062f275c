from django.core.management.base import BaseCommand

from notifications.services import emails_deliver_due


class Command(BaseCommand):
    help = "Deliver due outbox emails once (what the periodic task does every minute)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=50, help="Emails sent per SMTP connection."
        )

    def handle(self, *args, batch_size: int, **options) -> None:
        result = emails_deliver_due(batch_size=batch_size)
        if result.requeued:
            self.stdout.write(f"Re-queued {result.requeued} stuck in sending")
        self.stdout.write(
            f"Delivered {result.delivered}, failed {result.failed}, retrying {result.retrying}"
        )
