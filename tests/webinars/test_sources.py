"""Where registrants came from: UTM fields and the referring site, first-party, first touch."""

import pytest
from django.urls import reverse

from accounts.models import AudienceType
from tests.factories import OrganiserFactory, SeminarFactory, UserFactory
from tests.utils import sign_in_staff
from webinars.models import Registration
from webinars.sources import SESSION_KEY

pytestmark = pytest.mark.django_db


def _register(client, seminar, email="aiko@example.org"):
    return client.post(
        reverse("webinars:register", args=[seminar.slug]),
        {
            "name": "Aiko Tanaka",
            "email": email,
            "audience_type": str(AudienceType.objects.get(slug="travel-agent").pk),
            "privacy_consent": "on",
        },
    )


def test_the_first_source_of_a_visit_is_stored_on_its_registration(client):
    seminar = SeminarFactory()
    page = seminar.get_absolute_url()

    client.get(
        page + "?utm_source=visit-kyushu&utm_medium=email&utm_campaign=nov-2026",
        HTTP_REFERER="https://mail.partner.example/newsletter/42",
    )
    client.get(page + "?utm_source=someone-else")  # first touch: not replaced
    _register(client, seminar)

    registration = Registration.objects.get()
    assert (
        registration.utm_source,
        registration.utm_medium,
        registration.utm_campaign,
        registration.referrer_host,
    ) == ("visit-kyushu", "email", "nov-2026", "mail.partner.example")


def test_a_direct_visit_stores_nothing_and_starts_no_session(client):
    seminar = SeminarFactory()

    response = client.get(seminar.get_absolute_url(), HTTP_REFERER="http://testserver/")
    _register(client, seminar)

    assert "sessionid" not in response.cookies
    registration = Registration.objects.get()
    assert (registration.utm_source, registration.referrer_host) == ("", "")


def test_source_values_are_one_short_line_of_text(client):
    seminar = SeminarFactory()

    client.get(
        seminar.get_absolute_url(),
        {"utm_source": "a\r\nBcc: x" + "y" * 300, "utm_campaign": "\x1b[31m<b>spring</b>"},
    )

    stored = client.session[SESSION_KEY]
    assert stored["utm_source"] == ("a Bcc: x" + "y" * 300)[:100]
    assert stored["utm_campaign"] == "[31m<b>spring</b>"  # text, escaped wherever shown


def test_admin_and_personal_links_are_never_a_first_page(client):
    client.get("/healthz?utm_source=probe")

    assert SESSION_KEY not in client.session


def test_organisers_build_a_share_link_with_the_utm_fields(client):
    seminar = SeminarFactory(slug="kumamoto-castles")
    sign_in_staff(client, OrganiserFactory())
    url = reverse("webinars:seminar_share_link", args=[seminar.slug])

    seminar_page = client.get(seminar.get_absolute_url()).content.decode()
    empty = client.get(url)
    built = client.get(url, {"utm_source": "ABTA news", "utm_medium": "email", "utm_campaign": ""})

    assert f'href="{url}"' in seminar_page
    assert "data-share-link" not in empty.content.decode()
    assert built.context["link"] == (
        "http://localhost:8000/seminars/kumamoto-castles/?utm_source=ABTA+news&utm_medium=email"
    )
    assert built["Cache-Control"] == "private, no-store"


def test_the_share_link_builder_is_for_organisers_only(client):
    seminar = SeminarFactory()
    url = reverse("webinars:seminar_share_link", args=[seminar.slug])

    anonymous = client.get(url)
    client.force_login(UserFactory())
    attendee = client.get(url)

    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert attendee.status_code == 403
