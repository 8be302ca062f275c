"""``manage.py seed_demo``: idempotent demo data for trying Kizuna out (``webinars.demo``)."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from webinars.demo import DemoSetupError, demo_seed


class Command(BaseCommand):
    help = (
        "Load idempotent demo data: both series, upcoming and past seminars, JET speakers, "
        "registrations (with attendance, join clicks and recording views for the past "
        "seminars) and a demo organiser whose login is printed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even when DEBUG is off (never on a real production site).",
        )

    def handle(self, *args: Any, force: bool, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "Refusing to load demo data with DEBUG off (is this production?); "
                "use --force to load it anyway."
            )
        try:
            demo = demo_seed(now=timezone.now())
        except DemoSetupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(demo.headline()))
        for line in demo.notes():
            self.stdout.write(line)
