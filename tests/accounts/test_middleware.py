"""Staff accounts: a second factor before any organiser page, sessions that end on time,
and one login (allauth's, rate-limited) for the admin too."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.urls import reverse

from tests.factories import STAFF_TOTP_SECRET, OrganiserFactory, StaffFactory, UserFactory
from tests.utils import messages_of, sign_in_staff, totp_code

pytestmark = pytest.mark.django_db

START = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def every_admin_page() -> list[str]:
    """The admin index, each app index, and each registered model's list and add page."""
    urls = ["/admin/", "/admin/password_change/"]
    for model in admin.site._registry:
        meta = model._meta
        urls.append(f"/admin/{meta.app_label}/")
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"))
        urls.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_add"))
    return sorted(set(urls))


ADMIN_PAGES = every_admin_page()
ORGANISER_PAGES = ["/organiser/", "/organiser/anything/"]


@pytest.mark.parametrize("path", ADMIN_PAGES + ORGANISER_PAGES)
def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, path):
    # A superuser: no permission check can be what turns them away.
    user = StaffFactory(is_superuser=True, second_factor=False)
    sign_in_staff(client, user)

    response = client.get(path)

    assert (response.status_code, response["Location"]) == (302, reverse("mfa_index"))


def test_the_redirect_says_why_and_the_setup_page_opens(client):
    sign_in_staff(client, OrganiserFactory(second_factor=False))

    response = client.get("/admin/", follow=True)

    assert response.status_code == 200
    assert messages_of(response) == [
        "Organiser accounts need two-step sign-in. Set up an authenticator app (or a security "
        "key) first; you will then reach the organiser pages."
    ]
    assert reverse("mfa_activate_totp") in response.content.decode()


def test_staff_with_an_authenticator_app_reach_the_admin(organiser_client):
    assert organiser_client.get("/admin/").status_code == 200


def test_recovery_codes_alone_are_not_a_second_factor(client):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    organiser = OrganiserFactory(second_factor=False)
    RecoveryCodes.activate(organiser)
    sign_in_staff(client, organiser)

    assert client.get("/admin/")["Location"] == reverse("mfa_index")


def test_people_who_are_not_staff_are_not_asked_for_a_second_factor(client):
    client.force_login(UserFactory())

    assert client.get("/accounts/profile/").status_code == 200
    # The admin still refuses them, as before.
    assert client.get("/admin/").status_code == 302
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_staff_without_a_factor_keep_the_rest_of_the_site(client):
    sign_in_staff(client, OrganiserFactory(second_factor=False))

    assert client.get("/").status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200


# --- One login, rate-limited ------------------------------------------------------------


def test_the_admin_login_form_sends_everyone_to_allauths_login(client):
    OrganiserFactory()

    shown = client.get("/admin/login/?next=/admin/webinars/")
    posted = client.post(
        "/admin/login/",
        {"username": "organiser@jlgc.example", "password": "correct horse battery"},
    )

    assert shown["Location"] == "/accounts/login/?next=%2Fadmin%2Fwebinars%2F"
    # A password posted to the old form signs no one in.
    assert posted.status_code == 302
    assert posted["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_failed_admin_sign_ins_are_throttled_per_account(client):
    OrganiserFactory()
    wrong = {"login": "organiser@jlgc.example", "password": "not the password"}

    def errors(data: dict) -> list[str]:
        response = client.post("/accounts/login/?next=/admin/", data)
        return response.context["form"].non_field_errors() if response.context else []

    answers = [errors(wrong) for _ in range(6)]

    assert answers[:5] == [["The email address and/or password you specified are not correct."]] * 5
    assert answers[5] == ["Too many failed login attempts. Try again later."]
    # Even the right password waits now: guessing gains nothing.
    right = {"login": "organiser@jlgc.example", "password": "correct horse battery"}
    assert errors(right) == ["Too many failed login attempts. Try again later."]
    assert "_auth_user_id" not in client.session


def test_the_second_factor_is_asked_before_the_admin_opens(client):
    organiser = OrganiserFactory()
    EmailAddress.objects.create(user=organiser, email=organiser.email, verified=True, primary=True)

    client.post(
        "/accounts/login/?next=/admin/",
        {"login": organiser.email, "password": "correct horse battery", "next": "/admin/"},
    )
    assert client.get("/admin/").status_code == 302
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    response = client.post("/accounts/2fa/authenticate/", {"code": totp_code(STAFF_TOTP_SECRET)})

    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


# --- Staff sessions end on time --------------------------------------------------------


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_a_staff_session_ends_after_two_idle_hours(client, clock):
    sign_in_staff(client, OrganiserFactory())
    assert client.get("/admin/").status_code == 200

    clock.shift(timedelta(hours=1, minutes=59))
    assert client.get("/admin/").status_code == 200
    clock.shift(timedelta(hours=1, minutes=59))
    assert client.get("/admin/").status_code == 200  # each request restarts the idle clock
    clock.shift(timedelta(hours=2))
    response = client.get("/admin/webinars/", follow=True)

    assert "_auth_user_id" not in client.session
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2Fwebinars%2F"


def test_a_staff_session_ends_twelve_hours_after_sign_in_however_busy(client, clock):
    sign_in_staff(client, OrganiserFactory())
    for _ in range(11):
        clock.shift(timedelta(hours=1))
        assert client.get("/admin/").status_code == 200
    clock.shift(timedelta(minutes=59))
    assert client.get("/admin/").status_code == 200

    clock.shift(timedelta(minutes=1))
    response = client.get("/admin/", follow=True)

    assert "_auth_user_id" not in client.session
    assert messages_of(response) == [
        "Your organiser session has ended. Please sign in again to continue."
    ]


def test_a_staff_session_cookie_lasts_the_idle_window_only(client, clock, settings):
    sign_in_staff(client, OrganiserFactory())

    client.get("/admin/")

    assert client.session.get_expiry_age() == settings.STAFF_SESSION_IDLE_SECONDS


def test_other_people_keep_their_two_week_sessions(client, clock, settings):
    client.force_login(UserFactory())

    clock.shift(timedelta(days=3))
    response = client.get("/accounts/profile/")

    assert response.status_code == 200
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


# --- Re-authentication -----------------------------------------------------------------


def test_changing_the_email_address_asks_for_the_password_again(client, clock):
    user = UserFactory()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.post("/accounts/login/", {"login": user.email, "password": "correct horse battery"})
    add = {"action_add": "", "email": "new.address@example.org"}

    clock.shift(timedelta(minutes=10))
    response = client.post("/accounts/email/", add)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")
    assert not EmailAddress.objects.filter(email="new.address@example.org").exists()


def test_turning_off_the_authenticator_app_asks_for_the_password_again(client, clock):
    organiser = OrganiserFactory()
    EmailAddress.objects.create(user=organiser, email=organiser.email, verified=True, primary=True)
    client.post("/accounts/login/", {"login": organiser.email, "password": "correct horse battery"})
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(STAFF_TOTP_SECRET)})

    clock.shift(timedelta(minutes=10))
    response = client.get(reverse("mfa_deactivate_totp"))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/reauthenticate/")


# --- Password reset --------------------------------------------------------------------


def test_password_reset_sends_three_an_hour_per_address_and_is_silent_for_unknown_ones(
    client, mailoutbox, clock
):
    user = UserFactory(email="reset.me@example.org")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)

    def ask(email: str) -> int:
        return client.post("/accounts/password/reset/", {"email": email}).status_code

    answers = [ask("reset.me@example.org") for _ in range(4)]
    unknown = [ask("nobody@example.org") for _ in range(4)]
    assert answers[:3] == [302, 302, 302]
    assert answers[3] == 429
    assert unknown[:3] == [302, 302, 302]  # the same answer as for a real account
    assert [message.to for message in mailoutbox] == [["reset.me@example.org"]] * 3

    clock.shift(timedelta(minutes=61))
    assert ask("reset.me@example.org") == 302
