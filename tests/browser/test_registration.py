"""Registering, and cancelling, in a real browser: Debian's Chromium driven by Playwright.

The form is filled in as a visitor would (labels, a select, a checkbox), under the strict
Content-Security-Policy: any inline script or style, or a blocked asset, is a console error.
"""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import OutgoingEmail
from notifications.services import email_deliver
from tests.browser import test_smoke
from tests.browser.test_smoke import SCREENSHOTS, PageProblems
from tests.factories import (
    AudienceTypeFactory,
    RegistrationQuestionFactory,
    SeminarFactory,
    SeriesFactory,
)
from tests.utils import emailed_manage_path, rendered_emails
from webinars.models import Registration, RegistrationQuestion
from webinars.services import registration_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MANAGE_URL = re.compile(r".*/r/[A-Za-z0-9_-]{40,}/$")
AUDIENCE_TYPE = "Travel agent (browser test)"

# The smoke test's Chromium fixtures (and their database-connection care), used as they are.
chromium = test_smoke.chromium
browser_page = test_smoke.browser_page


@pytest.fixture
def travel_agent():
    return AudienceTypeFactory(name=AUDIENCE_TYPE, slug="travel-agent-browser")


@pytest.fixture
def seminar(travel_agent):
    """Kumamoto next January, open to travel agents, with one custom short-text question."""
    london = ZoneInfo("Europe/London")
    starts_at = datetime(timezone.now().year + 1, 1, 21, 9, 0, tzinfo=london)
    seminar = SeminarFactory(
        title="Kumamoto castles and caldera",
        slug="kumamoto-castles-and-caldera",
        series=SeriesFactory(name="Japan Local Attraction Seminars", slug="local-attraction"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        timezone="Europe/London",
        capacity=1,
        waitlist_enabled=True,
    )
    seminar.allowed_audience_types.set([travel_agent])
    RegistrationQuestionFactory(
        seminar=seminar,
        label="Which prefecture do your clients ask about most?",
        kind=RegistrationQuestion.Kind.SHORT_TEXT,
        required=True,
    )
    return seminar


def fill_in_the_form(page, live_server, seminar, *, name: str, email: str) -> None:
    """From the seminar page, through the Register button, to a filled-in form."""
    page.goto(live_server.url + reverse("webinars:seminar_detail", args=[seminar.slug]))
    page.get_by_role("link", name="Register", exact=True).click()
    page.wait_for_url(live_server.url + reverse("webinars:register", args=[seminar.slug]))

    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Organisation").fill("Harbour Travel, Bristol")
    page.get_by_label("Which describes you best?").select_option(label=AUDIENCE_TYPE)
    page.get_by_label("Country").select_option(label="United Kingdom")
    page.get_by_label("Which prefecture do your clients ask about most?").fill("Kumamoto")
    page.get_by_label("I have read the privacy notice").check()


def register_in_browser(page, live_server, seminar, *, name: str, email: str) -> None:
    """Register through the form, then open the manage link from the email, as a guest does."""
    fill_in_the_form(page, live_server, seminar, name=name, email=email)
    with page.expect_navigation():
        page.get_by_role("button", name="Register", exact=True).click()
    assert page.get_by_role("heading", name="Thank you").is_visible()
    page.goto(live_server.url + emailed_manage_path(email.lower()))
    page.wait_for_url(MANAGE_URL)
    page.wait_for_load_state("networkidle")


def status_text(page) -> str:
    """The registration's status as the page heading states it (CSS may show it in capitals)."""
    return page.locator(".page-head .lead span").text_content().strip()


def test_visitor_registers_through_the_form_and_gets_a_confirmed_place_and_invite(
    live_server, seminar, browser_page
):
    page = browser_page
    problems = PageProblems()
    problems.watch(page)

    register_in_browser(page, live_server, seminar, name="Raj Mistry", email="Raj@Example.org")

    assert page.get_by_role("heading", level=1).inner_text() == "Your registration"
    assert page.get_by_text("You have a place: your registration is confirmed").is_visible()
    assert page.get_by_text("Registered as Raj Mistry").is_visible()
    assert status_text(page) == "Confirmed"
    registration = Registration.objects.get(seminar=seminar)
    question = seminar.questions.get()
    assert (registration.email, registration.status) == ("raj@example.org", "confirmed")
    assert (registration.organisation, registration.country.code) == (
        "Harbour Travel, Bristol",
        "GB",
    )
    assert registration.answers == {str(question.pk): "Kumamoto"}
    assert list(registration.emails.values_list("kind", "calendar_method", "to_email")) == [
        (OutgoingEmail.Kind.REGISTRATION_CONFIRMED, "REQUEST", "raj@example.org")
    ]
    # The meeting link is only ever behind the personal join link.
    assert seminar.meeting_url not in page.content()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "registration_manage.png"), full_page=True)
    assert problems.messages == [], "\n".join(problems.messages)


def test_visitor_cancels_from_the_manage_page_and_the_next_person_gets_the_seat(
    live_server, seminar, travel_agent, browser_page
):
    page = browser_page
    problems = PageProblems()
    problems.watch(page)
    register_in_browser(page, live_server, seminar, name="Fiona Mackay", email="fiona@example.org")
    waiting = registration_create(
        seminar=seminar,
        email="daniel@example.org",
        name="Daniel Kerr",
        audience_type=travel_agent,
        answers={str(seminar.questions.get().pk): "Oita"},
    ).registration
    assert waiting.status == Registration.Status.WAITLISTED
    # The worker sends "you're on the waiting list" at once, before a seat frees up.
    (waitlisted,) = waiting.emails.all()
    assert email_deliver(email_id=waitlisted.pk).status == "sent"

    page.get_by_role("link", name="Cancel my registration").click()
    page.wait_for_url(re.compile(r".*/r/[A-Za-z0-9_-]{40,}/cancel/$"))
    # Opening the confirmation page changes nothing: only the POST below cancels.
    assert Registration.objects.get(email="fiona@example.org").status == "confirmed"
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, cancel my registration").click()
    page.wait_for_load_state("networkidle")
    # A refused POST (say CSRF's 403) shows no confirmation: show why.
    assert page.get_by_role("heading", name="This registration was cancelled").is_visible(), (
        "\n".join([page.url, *problems.messages])
    )
    # Its links now lead to the plain "was cancelled" page, which acts on nothing.
    assert page.get_by_text("Your registration has been cancelled.").is_visible()
    assert page.get_by_role("heading", name="This registration was cancelled").is_visible()
    assert not page.get_by_role("link", name="Cancel my registration").is_visible()
    cancelled = Registration.objects.get(email="fiona@example.org")
    waiting.refresh_from_db()
    assert (cancelled.status, waiting.status) == ("cancelled", "confirmed")
    assert [
        (email.kind, email.calendar_method)
        for email in rendered_emails(cancelled.emails.order_by("pk"))
    ] == [
        (OutgoingEmail.Kind.REGISTRATION_CONFIRMED, "REQUEST"),
        (OutgoingEmail.Kind.REGISTRATION_CANCELLED, "CANCEL"),
    ]
    assert [
        (email.kind, email.calendar_method)
        for email in rendered_emails(waiting.emails.order_by("pk"))
    ] == [
        (OutgoingEmail.Kind.REGISTRATION_WAITLISTED, ""),
        (OutgoingEmail.Kind.WAITLIST_PROMOTED, "REQUEST"),
    ]
    assert problems.messages == [], "\n".join(problems.messages)


def test_a_busy_network_passes_the_human_check_in_the_browser_without_doing_anything(
    live_server, seminar, browser_page, settings
):
    """The proof of work runs in Chromium's Web Crypto under the strict CSP, then the form goes."""
    settings.HUMAN_CHECK_AFTER_PER_CLIENT = "0/60"  # ask everyone, as under a flood
    page = browser_page
    problems = PageProblems()
    problems.watch(page)

    fill_in_the_form(page, live_server, seminar, name="Raj Mistry", email="raj@example.org")
    status = page.locator(".human-check-status")
    status.filter(has_text="Check complete. You can send the form.").wait_for(timeout=30_000)
    assert page.get_by_role("button", name="Register", exact=True).is_enabled()
    with page.expect_navigation():
        page.get_by_role("button", name="Register", exact=True).click()

    assert page.get_by_role("heading", name="Thank you").is_visible(), page.content()[:3000]
    assert Registration.objects.get(seminar=seminar).email == "raj@example.org"
    assert problems.messages == [], "\n".join(problems.messages)
