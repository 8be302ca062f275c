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
from tests.factories import (
    AudienceTypeFactory,
    RegistrationFactory,
    SeminarFactory,
    StaffFactory,
    UserFactory,
)
from tests.privacy.test_services import text_columns_holding
from tests.utils import (
    assert_received_page,
    emailed_manage_path,
    mark_reauthenticated,
    messages_of,
    sign_in_staff,
)
from webinars.errors import RegistrationBusy
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


def test_after_cancelling_a_guest_can_still_download_and_erase_from_the_manage_link(client):
    registration = RegistrationFactory(email="pell@example.org", name="Ada Pell")
    manage = registration_token_issue(
        registration=registration, scope=RegistrationToken.Scope.MANAGE
    )
    join = registration_token_issue(registration=registration, scope=RegistrationToken.Scope.JOIN)
    client.post(reverse("webinars:registration_cancel", args=[manage]))

    inert = client.get(reverse("webinars:registration_manage", args=[manage]))
    inert_by_join = client.get(reverse("webinars:registration_join", args=[join]))
    download = client.get(reverse("privacy:registration_data", args=[manage]))
    erased = client.post(reverse("privacy:registration_erase", args=[manage]))

    assert inert.status_code == 410
    assert reverse("privacy:registration_erase", args=[manage]) in inert.content.decode()
    # A join link (the one in calendars) of the same registration offers nothing.
    assert inert_by_join.status_code == 410
    assert "/erase/" not in inert_by_join.content.decode()
    assert json.loads(download.content)["registrations"][0]["name"] == "Ada Pell"
    assert "Your registration was erased" in erased.content.decode()
    registration.refresh_from_db()
    assert registration.anonymised_at is not None
    # Once erased, the link offers nothing more.
    again = client.get(reverse("privacy:registration_data", args=[manage]))
    assert again.status_code == 410
    assert "/erase/" not in again.content.decode()


def test_a_seat_lock_during_erasure_asks_to_try_again_and_loses_nothing(client, monkeypatch):
    registration = RegistrationFactory(email="pell@example.org", name="Ada Pell")
    manage = registration_token_issue(
        registration=registration, scope=RegistrationToken.Scope.MANAGE
    )

    def busy(**kwargs):
        raise RegistrationBusy

    monkeypatch.setattr("privacy.services.registration_cancel", busy)
    response = client.post(reverse("privacy:registration_erase", args=[manage]))

    assert response.status_code == 503
    assert "Nothing was lost" in response.content.decode()
    registration.refresh_from_db()
    assert (registration.name, registration.anonymised_at) == ("Ada Pell", None)


def test_a_seat_lock_during_account_deletion_keeps_the_person_signed_in(client, monkeypatch):
    user = UserFactory(email="ines@example.org")
    RegistrationFactory(user=user, email=user.email)
    _signed_in(client, user)
    session = client.session
    session["account_authentication_methods"][-1]["reauthenticated"] = True
    session.save()

    def busy(**kwargs):
        raise RegistrationBusy

    monkeypatch.setattr("privacy.services.registration_cancel", busy)
    response = client.post(reverse("privacy:account_delete"), {"confirm": "delete"})

    assert response.status_code == 503
    assert User.objects.filter(pk=user.pk).exists()
    assert client.session["_auth_user_id"] == str(user.pk)


def test_staff_cannot_delete_their_own_account(client):
    staff = StaffFactory()
    sign_in_staff(client, staff)
    mark_reauthenticated(client, staff)

    page = client.get(reverse("privacy:account_privacy")).content.decode()
    response = client.post(reverse("privacy:account_delete"), {"confirm": "delete"}, follow=True)

    assert 'action="/accounts/privacy/delete/"' not in page
    assert "ask an administrator to close your account" in page
    assert response.redirect_chain == [(reverse("privacy:account_privacy"), 302)]
    assert "Organiser and administrator accounts cannot delete themselves" in (
        response.content.decode()
    )
    assert User.objects.filter(pk=staff.pk).exists()
