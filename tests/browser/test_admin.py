"""An organiser in a real browser: password, then the authenticator app's code, then the
admin, whose pages keep to the admin's Content-Security-Policy (no console errors)."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from tests.browser import test_smoke
from tests.browser.test_smoke import SCREENSHOTS, PageProblems
from tests.factories import STAFF_TOTP_SECRET, OrganiserFactory, SeminarFactory
from tests.utils import totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

chromium = test_smoke.chromium
browser_page = test_smoke.browser_page


def test_organiser_signs_in_with_two_factors_and_the_admin_keeps_its_csp(live_server, browser_page):
    organiser = OrganiserFactory()
    EmailAddress.objects.create(user=organiser, email=organiser.email, verified=True, primary=True)
    seminar = SeminarFactory(title="Hokkaido in winter")
    page = browser_page
    problems = PageProblems()
    problems.watch(page)

    page.goto(live_server.url + "/admin/")
    page.get_by_label("Email").fill(organiser.email)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/accounts/2fa/authenticate/")
    page.get_by_label("Code", exact=True).fill(totp_code(STAFF_TOTP_SECRET))
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(live_server.url + "/admin/")

    admin_pages = [
        "/admin/",
        reverse("admin:webinars_seminar_changelist"),
        reverse("admin:webinars_seminar_change", args=[seminar.pk]),
        reverse("admin:webinars_seminar_add"),
        reverse("admin:accounts_user_changelist"),
    ]
    for path in admin_pages:
        response = page.goto(live_server.url + path)
        page.wait_for_load_state("networkidle")
        assert response.status == 200, path
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin_seminar_add.png"), full_page=True)
    assert problems.messages == [], "\n".join(problems.messages)
