"""A registration made in Japanese: its confirmation, reminder and change emails, and the
text of its calendar invite, are in Japanese with Japanese dates, whatever language the
site is later read in."""

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
import time_machine
from django.conf import settings
from django.urls import reverse

from accounts.models import AudienceType
from notifications.models import OutgoingEmail
from notifications.services import (
    email_deliver,
    reminders_dispatch,
    seminar_change_notices_send,
)
from tests.factories import SeminarFactory
from tests.utils import rendered
from webinars.models import Registration
from webinars.services import seminar_update

pytestmark = pytest.mark.django_db

# Friday 23 October 2026, 19:00–20:00 in Tokyo (10:00 BST in London).
START = datetime(2026, 10, 23, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _description(email: OutgoingEmail) -> str:
    calendar = icalendar.Calendar.from_ical(email.calendar_body)
    return str(calendar.events[0]["DESCRIPTION"])


def test_a_registration_in_japanese_gets_every_email_in_japanese(client):
    with time_machine.travel(START - timedelta(days=10), tick=False):
        seminar = SeminarFactory(
            title="Tottori sand dunes",
            starts_at=START,
            ends_at=START + HOUR,
            timezone="Asia/Tokyo",
            reminder_offsets_minutes=[24 * 60],
        )
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
        client.post(
            reverse("webinars:register", args=[seminar.slug]),
            {
                "name": "田中 愛子",
                "email": "aiko@example.jp",
                "organisation": "鳥取県",
                "job_title": "",
                "country": "JP",
                "audience_type": str(AudienceType.objects.get(slug="travel-agent").pk),
                "privacy_consent": "on",
                "website": "",
            },
        )
        # The worker sends the confirmation at once (and stores what it sent): the change
        # below is news to her, so she gets a change email too.
        confirmation = OutgoingEmail.objects.get(kind="registration_confirmed")
        assert email_deliver(email_id=confirmation.pk).status == "sent"
    registration = Registration.objects.get()
    confirmation.refresh_from_db()

    # The site is read in English afterwards: the emails keep the registration's language.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with time_machine.travel(START - timedelta(hours=23), tick=False):
        reminders_dispatch()
        reminder = rendered(OutgoingEmail.objects.get(kind="reminder"))
    with time_machine.travel(START - timedelta(days=3), tick=False):
        seminar_update(seminar=seminar, starts_at=START + HOUR, ends_at=START + 2 * HOUR)
    with time_machine.travel(START - timedelta(days=3) + timedelta(minutes=10), tick=False):
        seminar_change_notices_send()
        changed = rendered(OutgoingEmail.objects.get(kind="seminar_changed"))

    assert registration.language == "ja"
    for email in (confirmation, reminder, changed):
        assert email.language == "ja"
        assert email.body_text.startswith("田中 愛子 様"), email.kind
        assert "Dear" not in email.body_text
    assert confirmation.subject == "お申し込み完了のお知らせ：Tottori sand dunes"
    assert "日本時間: 2026年10月23日(金) 19:00–20:00 JST（東京）" in confirmation.body_text
    assert "英国時間: 2026年10月23日(金) 11:00–12:00 BST（ロンドン）" in confirmation.body_text
    assert "2026年10月23日(金) 19:00–20:00 JST" in _description(confirmation)
    assert "2026年10月23日(金) 20:00–21:00 JST" in changed.body_text
