"""The profile page at /accounts/profile/ (accounts.views.profile)."""

import re

import pytest

from accounts.models import AudienceType
from tests.factories import AudienceTypeFactory, UserFactory

pytestmark = pytest.mark.django_db

PROFILE_URL = "/accounts/profile/"


def profile_data(**overrides: str) -> dict[str, str]:
    tour_operator = AudienceType.objects.get(slug="tour-operator")
    data = {
        "full_name": "Taro Suzuki",
        "audience_type": str(tour_operator.pk),
        "organisation": "Kyushu Tours Ltd",
        "job_title": "Director",
        "country": "JP",
        "preferred_language": "ja",
        "time_zone": "Asia/Tokyo",
    }
    data.update(overrides)
    return data


def selected_values(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}".*?</select>', html, re.S).group(0)
    return re.findall(r'<option value="([^"]*)" selected>', select)


@pytest.fixture
def person():
    return UserFactory(
        email="taro@example.org",
        full_name="Taro",
        audience_type=AudienceType.objects.get(slug="travel-agent"),
        organisation="Old Agency",
        job_title="Agent",
        country="GB",
        preferred_language="en",
        time_zone="Europe/London",
    )


def test_profile_requires_sign_in(client):
    response = client.get(PROFILE_URL)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/accounts/profile/"


def test_profile_page_shows_current_details_in_site_layout(client, person):
    client.force_login(person)

    response = client.get(PROFILE_URL)

    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'<a class="brand"[^>]*>.*?Kizuna.*?</a>', html, re.S)
    assert re.search(r"<h1>\s*Your profile\s*</h1>", html)
    assert re.search(r"<title>\s*Your profile · Kizuna</title>", html)
    assert "You sign in as taro@example.org." in html
    assert 'name="full_name" value="Taro"' in html
    assert 'name="organisation" value="Old Agency"' in html
    assert selected_values(html, "audience_type") == [
        str(AudienceType.objects.get(slug="travel-agent").pk)
    ]
    assert selected_values(html, "country") == ["GB"]
    assert selected_values(html, "preferred_language") == ["en"]
    assert selected_values(html, "time_zone") == ["Europe/London"]
    assert 'name="email"' not in html


def test_profile_saves_every_field(client, person):
    client.force_login(person)

    response = client.post(PROFILE_URL, profile_data(), follow=True)

    assert response.redirect_chain == [(PROFILE_URL, 302)]
    # Japanese was chosen: the site, and the confirmation, turn to it at once.
    assert [str(m) for m in response.context["messages"]] == ["プロフィールを保存しました。"]
    person.refresh_from_db()
    assert person.full_name == "Taro Suzuki"
    assert person.audience_type.slug == "tour-operator"
    assert person.organisation == "Kyushu Tours Ltd"
    assert person.job_title == "Director"
    assert person.country.code == "JP"
    assert person.preferred_language == "ja"
    assert person.time_zone == "Asia/Tokyo"


def test_profile_ignores_an_email_in_the_post(client, person):
    client.force_login(person)

    response = client.post(PROFILE_URL, profile_data(email="hijack@example.org"))

    assert response.status_code == 302
    person.refresh_from_db()
    assert person.email == "taro@example.org"
    assert person.full_name == "Taro Suzuki"


def test_profile_with_unknown_time_zone_is_refused(client, person):
    client.force_login(person)

    response = client.post(PROFILE_URL, profile_data(time_zone="Europe/Atlantis"))

    assert response.status_code == 200
    assert response.context["form"].errors["time_zone"] == [
        "“Europe/Atlantis” is not a known time zone. Choose one from the list, such as "
        "Europe/London."
    ]
    assert '<ul class="errorlist" id="id_time_zone_error">' in response.content.decode()
    person.refresh_from_db()
    assert person.time_zone == "Europe/London"
    assert person.full_name == "Taro"


def test_profile_with_too_long_job_title_is_refused(client, person):
    client.force_login(person)

    response = client.post(PROFILE_URL, profile_data(job_title="J" * 151))

    assert response.context["form"].errors["job_title"] == [
        "Ensure this value has at most 150 characters (it has 151)."
    ]
    person.refresh_from_db()
    assert person.job_title == "Agent"


def test_profile_requires_an_audience_type(client, person):
    client.force_login(person)

    response = client.post(PROFILE_URL, profile_data(audience_type=""))

    assert response.context["form"].errors["audience_type"] == [
        "Please choose the description that fits you best."
    ]


def test_profile_keeps_a_retired_audience_type_selectable_for_its_holder(client, person):
    retired = AudienceTypeFactory(name="Retired category", slug="retired", is_active=False)
    AudienceTypeFactory(name="Another retired", slug="another-retired", is_active=False)
    person.audience_type = retired
    person.save()
    client.force_login(person)

    html = client.get(PROFILE_URL).content.decode()
    response = client.post(PROFILE_URL, profile_data(audience_type=str(retired.pk)))

    assert selected_values(html, "audience_type") == [str(retired.pk)]
    assert "Retired category" in html
    assert "Another retired" not in html
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.audience_type == retired


def test_profile_refuses_someone_elses_retired_audience_type(client, person):
    retired = AudienceTypeFactory(name="Retired category", slug="retired", is_active=False)
    client.force_login(person)

    response = client.post(PROFILE_URL, profile_data(audience_type=str(retired.pk)))

    assert response.context["form"].errors["audience_type"] == [
        "Please choose one of the listed descriptions."
    ]


def test_profile_rejects_other_methods(client, person):
    client.force_login(person)

    response = client.put(PROFILE_URL)

    assert response.status_code == 405


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Taro\r\nBcc: x@example.org", "Please keep this on one line."),
        (
            "Taro\u202eoraT",
            "Please remove control characters (invisible formatting or direction marks).",
        ),
    ],
)
@pytest.mark.parametrize("field", ["full_name", "organisation", "job_title"])
def test_profile_refuses_line_breaks_and_control_characters_as_registration_does(
    client, person, field, value, message
):
    client.force_login(person)

    response = client.post(PROFILE_URL, profile_data(**{field: value}))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    person.refresh_from_db()
    assert getattr(person, field) != value


def test_profile_turns_tabs_into_spaces_as_registration_does(client, person):
    client.force_login(person)

    client.post(PROFILE_URL, profile_data(full_name="Taro\tYamada"))

    person.refresh_from_db()
    assert person.full_name == "Taro Yamada"


def test_profile_refuses_a_web_address_as_the_name(client, person):
    client.force_login(person)

    response = client.post(PROFILE_URL, profile_data(full_name="Taro https://spam.example"))

    assert response.context["form"].errors["full_name"] == [
        "Please enter your name without a web address."
    ]
    person.refresh_from_db()
    assert person.full_name == "Taro"
