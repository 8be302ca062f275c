"""Following a region in a real browser, and confirming from the .eml file the mail makes.

As a newcomer would in ``make run``: the region page's Follow link, the address, then the
confirmation link read out of the ``.eml`` file the outbox wrote, under the strict CSP.
"""

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from django.urls import reverse

from notifications.models import OutgoingEmail
from notifications.services import email_deliver
from tests.browser import test_smoke
from tests.browser.test_smoke import SCREENSHOTS, PageProblems
from webinars.models import Follow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

chromium = test_smoke.chromium
browser_page = test_smoke.browser_page

CONFIRM_LINK = re.compile(r"https?://\S+/follow/confirm/\S+/")


def _link_from_eml(directory: Path) -> str:
    [eml] = sorted(directory.glob("*.eml"))
    message = message_from_bytes(eml.read_bytes(), policy=policy.default)
    text = message.get_body(preferencelist=("plain",)).get_content()
    return CONFIRM_LINK.search(text).group(0)


def test_a_visitor_follows_kyushu_and_confirms_from_the_eml(
    browser_page, live_server, settings, tmp_path
):
    settings.SITE_URL = live_server.url
    settings.EMAIL_BACKEND = "notifications.backends.EmlFileBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    page = browser_page
    problems = PageProblems()
    problems.watch(page)

    page.goto(live_server.url + reverse("webinars:region_detail", args=["kyushu"]))
    page.get_by_role("link", name="Follow Kyushu").click()
    page.get_by_label("Your email").fill("ken.taylor@example.org")
    page.get_by_role("button", name="Follow Kyushu").click()
    page.get_by_role("heading", name="Check your inbox").wait_for()
    follow = Follow.objects.get()
    assert follow.confirmed_at is None

    [confirmation] = OutgoingEmail.objects.filter(kind=OutgoingEmail.Kind.FOLLOW_CONFIRMATION)
    assert email_deliver(email_id=confirmation.pk).status == "sent"
    page.goto(_link_from_eml(tmp_path))
    page.get_by_role("button", name="Confirm my alerts").click()
    page.get_by_role("heading", name="You follow Kyushu").wait_for()
    page.screenshot(path=str(SCREENSHOTS / "follow-confirmed.png"), full_page=True)

    follow.refresh_from_db()
    assert follow.confirmed_at is not None
    assert follow.time_zone == "Europe/London"
    assert problems.messages == [], "\n".join(problems.messages)
