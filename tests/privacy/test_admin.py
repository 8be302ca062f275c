"""An organiser erases a person by address: preview, confirm, and a log without names."""

import pytest
from django.urls import reverse

from accounts.models import User
from privacy.models import Erasure
from tests.factories import RegistrationFactory, StaffFactory, UserFactory
from tests.utils import messages_of, sign_in_staff
from webinars.models import Registration

pytestmark = pytest.mark.django_db

ERASE = reverse("admin:privacy_erasure_erase")
EMAIL = "wren.abernathy@example.org"


def test_organiser_previews_then_erases_a_person(organiser_client, organiser):
    UserFactory(email=EMAIL, full_name="Wren Abernathy")
    RegistrationFactory(email=EMAIL, name="Wren Abernathy")

    preview = organiser_client.post(ERASE, {"email": EMAIL})
    page = preview.content.decode()
    assert "1 registration anonymised" in page
    assert "1 place at a coming seminar cancelled first" in page
    assert "1 account deleted" in page
    assert User.objects.filter(email=EMAIL).exists()  # nothing happens before confirming

    done = organiser_client.post(ERASE, {"email": EMAIL, "confirmed": "yes"}, follow=True)

    # The cancellation email is not counted: it goes out first, then is deleted.
    assert messages_of(done) == [
        "Erased: 1 registrations (1 places cancelled), 0 emails, 1 accounts."
    ]
    assert not User.objects.filter(email=EMAIL).exists()
    assert not Registration.objects.filter(email=EMAIL).exists()
    erasure = Erasure.objects.get()
    assert (erasure.route, erasure.requested_by) == (Erasure.Route.ORGANISER, organiser)
    changelist = organiser_client.get(reverse("admin:privacy_erasure_changelist"))
    assert changelist.status_code == 200
    assert "Wren" not in changelist.content.decode()
    assert EMAIL not in changelist.content.decode()


def test_a_bad_address_is_a_form_error(organiser_client):
    response = organiser_client.post(ERASE, {"email": "not an address", "confirmed": "yes"})

    assert response.status_code == 200
    assert response.context["form"].errors == {"email": ["Enter a valid email address."]}
    assert Erasure.objects.count() == 0


def test_staff_without_the_permission_cannot_erase(client):
    sign_in_staff(client, StaffFactory())

    assert client.get(ERASE).status_code == 403
    assert client.post(ERASE, {"email": EMAIL, "confirmed": "yes"}).status_code == 403


def test_a_staff_or_superuser_address_is_refused_with_why(organiser_client):
    superuser = StaffFactory(is_superuser=True, email="root@example.org")

    response = organiser_client.post(ERASE, {"email": "ROOT@example.org", "confirmed": "yes"})

    assert response.status_code == 200
    assert response.context["form"].errors["email"] == [
        "This address belongs to an organiser or administrator account. An administrator "
        "must first remove its staff status (Users, then the account); then it can be "
        "erased here."
    ]
    assert User.objects.filter(pk=superuser.pk).exists()
    assert Erasure.objects.count() == 0
