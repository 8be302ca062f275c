"""Download my data and erase it: from the account, and from a guest's manage link."""

import json
import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import User
from notifications.models import OutgoingEmail
from notifications.services import email_deliver
from tests.factories import AudienceTypeFactory, RegistrationFactory, SeminarFactory, UserFactory
from tests.privacy.test_services import text_columns_holding
from tests.utils import assert_received_page, emailed_manage_path, messages_of
from webinars.models import Registration, RegistrationToken
from webinars.services import registration_token_issue

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"


def test_a_visitor_registers_downloads_their_data_and_erases_it(client, mailoutbox):
    seminar = SeminarFactory(title="Niigata sake trail")
    audience = AudienceTypeFactory(name="Enthusiast (privacy)", slug="enthusiast-privacy")
    seminar.allowed_audience_types.add(audience)
    response = client.post(
        reverse("webinars:register", args=[seminar.slug]),
        {
            "name": "Orla Vantongeren",
            "email": "orla.vantongeren@example.org",
            "audience_type": audience.pk,
            "privacy_consent": "on",
            "time_zone": "Europe/London",
        },
    )
    assert_received_page(response)
    manage = emailed_manage_path("orla.vantongeren@example.org")
    token = re.fullmatch(r"/r/([^/]+)/", manage).group(1)

    page = client.get(manage).content.decode()
    assert reverse("privacy:registration_data", args=[token]) in page
    download = client.get(reverse("privacy:registration_data", args=[token]))
    data = json.loads(download.content)
    assert download["Content-Disposition"].startswith('attachment; filename="kizuna-registration-')
    assert download["Cache-Control"] == "private, no-store"
    assert data["registrations"][0]["name"] == "Orla Vantongeren"
    assert data["emails"][0]["kind"] == "registration_confirmed"

    confirm = client.get(reverse("privacy:registration_erase", args=[token]))
    assert "Yes, erase my registration" in confirm.content.decode()
    erased = client.post(reverse("privacy:registration_erase", args=[token]))
    for email in OutgoingEmail.objects.filter(status=OutgoingEmail.Status.QUEUED):
        email_deliver(email_id=email.pk)

    assert "Your registration was erased" in erased.content.decode()
    assert text_columns_holding("Vantongeren", "orla.vantongeren") == []
    gone = client.get(manage)
    assert gone.status_code == 410
    assert "This registration was erased" in gone.content.decode()


def test_a_join_link_can_neither_download_nor_erase(client):
    registration = RegistrationFactory()
    token = registration_token_issue(registration=registration, scope=RegistrationToken.Scope.JOIN)

    assert client.get(reverse("privacy:registration_data", args=[token])).status_code == 404
    assert client.post(reverse("privacy:registration_erase", args=[token])).status_code == 404
    registration.refresh_from_db()
    assert registration.anonymised_at is None


def test_account_holders_download_their_data_from_their_account(client):
    user = UserFactory(email="ines@example.org", full_name="Inès Marlowe")
    RegistrationFactory(user=user, email=user.email, name=user.full_name)
    client.force_login(user)

    page = client.get(reverse("privacy:account_privacy"))
    download = client.get(reverse("privacy:account_data"))

    assert page.status_code == 200
    assert "Delete my account" in page.content.decode()
    data = json.loads(download.content)
    assert data["profile"]["full_name"] == "Inès Marlowe"
    assert len(data["registrations"]) == 1


def test_data_pages_need_a_sign_in(client):
    for name in ("privacy:account_privacy", "privacy:account_data"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def _signed_in(client, user) -> None:
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})


def test_deleting_the_account_asks_for_the_password_again_then_erases(client, mailoutbox):
    user = UserFactory(email="ines@example.org", full_name="Inès Marlowe")
    registration = RegistrationFactory(user=user, email=user.email, name=user.full_name)
    _signed_in(client, user)

    with time_machine.travel(timedelta(minutes=10)):
        asked = client.post(reverse("privacy:account_delete"), {"confirm": "delete"})
        assert asked.status_code == 302
        assert asked["Location"].startswith("/accounts/reauthenticate/")
        assert User.objects.filter(pk=user.pk).exists()
        done = client.post(asked["Location"], {"password": PASSWORD}, follow=True)

    assert "Your account has been deleted." in " ".join(messages_of(done))
    assert not User.objects.filter(pk=user.pk).exists()
    assert "_auth_user_id" not in client.session
    registration.refresh_from_db()
    assert registration.anonymised_at is not None
    assert registration.status == Registration.Status.CANCELLED


def test_deleting_the_account_needs_the_box_ticked(client):
    user = UserFactory()
    _signed_in(client, user)
    session = client.session
    # Just signed in with the password: no second ask within five minutes.
    session["account_authentication_methods"][-1]["reauthenticated"] = True
    session.save()

    response = client.post(reverse("privacy:account_delete"), {}, follow=True)

    assert "Tick the box to confirm that you want to delete your account." in messages_of(response)
    assert User.objects.filter(pk=user.pk).exists()
