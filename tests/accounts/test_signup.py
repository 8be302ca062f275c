"""Sign-up, email verification, sign-in, password reset and the allauth pages (django-allauth)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY

from accounts.models import AudienceType, User
from tests.factories import AudienceTypeFactory, UserFactory
from tests.utils import human_check_challenge, human_check_solution

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"
NEW_PASSWORD = "plum blossom lantern"
VERIFICATION_SENT_URL = "/accounts/confirm-email/"
PASSWORD_RESET_DONE_URL = "/accounts/password/reset/done/"


def signup_data(**overrides: str) -> dict[str, str]:
    travel_agent = AudienceType.objects.get(slug="travel-agent")
    data = {
        "full_name": "Hanako Yamada",
        "email": "hanako@example.org",
        "password1": "kyushu onsen journey",
        "password2": "kyushu onsen journey",
        "audience_type": str(travel_agent.pk),
        "organisation": "Rising Sun Travel",
        "job_title": "Product manager",
        "country": "GB",
        "preferred_language": "ja",
        "time_zone": "Asia/Tokyo",
    }
    data.update(overrides)
    return data


def verified_user(**kwargs) -> User:
    user = UserFactory(**kwargs)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def h1_text(response) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", response.content.decode(), re.S)
    assert match, "page has no <h1>"
    return " ".join(match.group(1).split())


def title_text(response) -> str:
    match = re.search(r"<title>(.*?)</title>", response.content.decode(), re.S)
    assert match, "page has no <title>"
    return " ".join(match.group(1).split())


def link_in(body: str, path_prefix: str) -> str:
    """The path of the first http(s) link in an email body that starts with ``path_prefix``."""
    match = re.search(rf"https?://testserver({re.escape(path_prefix)}\S+)", body)
    assert match, f"no {path_prefix} link in:\n{body}"
    return match.group(1)


def signed_in_user_id(client) -> str | None:
    return client.session.get(SESSION_KEY)


def assert_in_site_layout(response) -> None:
    html = response.content.decode()
    header = re.search(r'<header class="site-header">.*?</header>', html, re.S)
    assert header, "page is not inside base.html"
    assert re.search(r'<a class="brand"[^>]*>.*?Kizuna.*?</a>', header.group(0), re.S)
    assert '<footer class="site-footer">' in html


# --- The sign-up form ----------------------------------------------------------


def test_signup_page_renders_in_site_layout_with_profile_questions_in_order(client):
    response = client.get("/accounts/signup/")

    assert response.status_code == 200
    assert_in_site_layout(response)
    assert h1_text(response) == "Sign Up"
    assert title_text(response) == "Signup · Kizuna"
    # The page's own form: after the header (whose language switcher has a form too).
    main = response.content.decode().split("<main", 1)[1]
    field_names = re.findall(r'<(?:input|select)[^>]* name="([a-z_0-9]+)"', main)
    assert field_names == [
        "csrfmiddlewaretoken",
        "full_name",
        "email",
        "password1",
        "password2",
        "audience_type",
        "organisation",
        "job_title",
        "country",
        "preferred_language",
        "time_zone",
    ]


def test_signup_time_zone_defaults_to_london_with_common_zones_first(client):
    html = client.get("/accounts/signup/").content.decode()

    time_zone_select = re.search(r'<select name="time_zone".*?</select>', html, re.S).group(0)
    values = re.findall(r'<option value="([^"]*)"', time_zone_select)
    assert values[:3] == ["Europe/London", "Asia/Tokyo", "Europe/Dublin"]
    assert "Pacific/Auckland" in values
    assert re.findall(r'<option value="([^"]*)" selected>', time_zone_select) == ["Europe/London"]


def test_signup_offers_only_active_audience_types(client):
    AudienceTypeFactory(name="Retired category", slug="retired", is_active=False)

    html = client.get("/accounts/signup/").content.decode()

    select = re.search(r'<select name="audience_type".*?</select>', html, re.S).group(0)
    offered = re.findall(r'<option value="\d+">([^<]+)</option>', select)
    assert offered == list(
        AudienceType.objects.filter(is_active=True).values_list("name", flat=True)
    )
    assert "Retired category" not in offered


def test_signup_saves_profile_and_sends_verification_email(client, mailoutbox):
    response = client.post("/accounts/signup/", signup_data())

    assert response.status_code == 302
    assert response["Location"] == VERIFICATION_SENT_URL
    user = User.objects.get(email="hanako@example.org")
    assert user.full_name == "Hanako Yamada"
    assert user.audience_type.slug == "travel-agent"
    assert user.organisation == "Rising Sun Travel"
    assert user.job_title == "Product manager"
    assert user.country.code == "GB"
    assert user.preferred_language == "ja"
    assert user.time_zone == "Asia/Tokyo"
    assert user.check_password("kyushu onsen journey")
    assert signed_in_user_id(client) is None
    assert (
        EmailAddress.objects.filter(user=user, email="hanako@example.org", verified=False).count()
        == 1
    )
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["hanako@example.org"]
    assert message.subject == "[Kizuna] Please Confirm Your Email Address"
    assert message.body.startswith("Hello from Kizuna!")
    assert "Kizuna — online seminars of the Japan Local Government Centre (JLGC), London." in (
        message.body
    )
    assert link_in(message.body, "/accounts/confirm-email/").startswith("/accounts/confirm-email/")


def test_signup_with_unknown_time_zone_shows_field_error(client):
    response = client.post("/accounts/signup/", signup_data(time_zone="Mars/Olympus_Mons"))

    assert response.status_code == 200
    assert response.context["form"].errors["time_zone"] == [
        "“Mars/Olympus_Mons” is not a known time zone. Choose one from the list, such as "
        "Europe/London."
    ]
    assert not User.objects.filter(email="hanako@example.org").exists()


def test_signup_without_audience_type_shows_field_error(client):
    response = client.post("/accounts/signup/", signup_data(audience_type=""))

    assert response.status_code == 200
    assert response.context["form"].errors["audience_type"] == [
        "Please choose the description that fits you best."
    ]
    assert '<ul class="errorlist" id="id_audience_type_error">' in response.content.decode()
    assert not User.objects.filter(email="hanako@example.org").exists()


def test_signup_with_inactive_audience_type_is_refused(client):
    retired = AudienceTypeFactory(name="Retired category", slug="retired", is_active=False)

    response = client.post("/accounts/signup/", signup_data(audience_type=str(retired.pk)))

    assert response.context["form"].errors["audience_type"] == [
        "Please choose one of the listed descriptions."
    ]
    assert not User.objects.filter(email="hanako@example.org").exists()


def test_signup_with_too_long_values_shows_length_errors(client):
    response = client.post(
        "/accounts/signup/", signup_data(full_name="N" * 151, organisation="O" * 201)
    )

    errors = response.context["form"].errors
    assert errors["full_name"] == ["Ensure this value has at most 150 characters (it has 151)."]
    assert errors["organisation"] == ["Ensure this value has at most 200 characters (it has 201)."]
    assert not User.objects.filter(email="hanako@example.org").exists()


def test_signup_language_defaults_to_the_language_the_visitor_reads(client):
    html = client.get("/accounts/signup/", headers={"accept-language": "ja"}).content.decode()

    select = re.search(r'<select name="preferred_language".*?</select>', html, re.S).group(0)
    assert re.findall(r'<option value="([^"]*)" selected>', select) == ["ja"]


# --- Mandatory email verification, end to end --------------------------------------


def test_email_verification_end_to_end(client, mailoutbox):
    client.post("/accounts/signup/", signup_data())
    user = User.objects.get(email="hanako@example.org")
    confirm_path = link_in(mailoutbox[0].body, "/accounts/confirm-email/")

    # Before verification, the right password does not let them in.
    response = client.post(
        "/accounts/login/", {"login": "hanako@example.org", "password": "kyushu onsen journey"}
    )
    assert response.status_code == 302
    assert response["Location"] == VERIFICATION_SENT_URL
    assert signed_in_user_id(client) is None

    # The link shows a confirmation page; only the POST confirms.
    response = client.get(confirm_path)
    assert response.status_code == 200
    assert h1_text(response) == "Confirm Email Address"
    # allauth's HMAC key carries the second it was signed: the page's own key may be a
    # second younger than the emailed one, and both confirm.
    assert re.search(
        r'<form method="post" action="/accounts/confirm-email/[\w:-]+/">', response.content.decode()
    )
    assert EmailAddress.objects.get(user=user).verified is False

    response = client.post(confirm_path)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert EmailAddress.objects.get(user=user).verified is True
    assert signed_in_user_id(client) == str(user.pk)

    # Afterwards, signing in by email works.
    client.logout()
    response = client.post(
        "/accounts/login/", {"login": "hanako@example.org", "password": "kyushu onsen journey"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(user.pk)


def test_unverified_login_redirects_to_verification_sent_page(client):
    UserFactory(email="unverified@example.org")
    EmailAddress.objects.create(
        user=User.objects.get(email="unverified@example.org"),
        email="unverified@example.org",
        verified=False,
        primary=True,
    )

    response = client.post(
        "/accounts/login/", {"login": "unverified@example.org", "password": PASSWORD}, follow=True
    )

    assert response.redirect_chain == [(VERIFICATION_SENT_URL, 302)]
    assert h1_text(response) == "Verify Your Email Address"
    assert signed_in_user_id(client) is None


def test_verified_user_signs_in_by_email_case_insensitively(client):
    user = verified_user(email="kenji@example.org")

    response = client.post("/accounts/login/", {"login": "Kenji@Example.org", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(user.pk)


def test_wrong_password_shows_form_error(client):
    verified_user(email="kenji@example.org")

    response = client.post("/accounts/login/", {"login": "kenji@example.org", "password": "nope"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The email address and/or password you specified are not correct."
    ]
    assert signed_in_user_id(client) is None


# --- Enumeration prevention ---------------------------------------------------------


def test_signup_with_existing_email_answers_like_a_new_one_and_tells_the_owner(client, mailoutbox):
    owner = verified_user(email="taken@example.org", full_name="Original Owner")

    new_address = client.post("/accounts/signup/", signup_data(email="fresh@example.org"))
    client.cookies.clear()
    existing_address = client.post("/accounts/signup/", signup_data(email="taken@example.org"))

    assert (existing_address.status_code, existing_address["Location"]) == (
        new_address.status_code,
        new_address["Location"],
    )
    assert existing_address["Location"] == VERIFICATION_SENT_URL
    assert User.objects.filter(email="taken@example.org").count() == 1
    owner.refresh_from_db()
    assert owner.full_name == "Original Owner"
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["fresh@example.org"], "[Kizuna] Please Confirm Your Email Address"),
        (["taken@example.org"], "[Kizuna] Account Already Exists"),
    ]
    assert "/accounts/password/reset/" in mailoutbox[1].body


def test_a_busy_network_must_pass_the_human_check_to_sign_up(client, settings, mailoutbox):
    settings.HUMAN_CHECK_AFTER_PER_CLIENT = "1/3600"
    first = client.post("/accounts/signup/", signup_data(email="first@example.org"))
    client.cookies.clear()
    assert first["Location"] == VERIFICATION_SENT_URL

    form_page = client.get("/accounts/signup/").content.decode()
    refused = client.post("/accounts/signup/", signup_data(email="second@example.org"))
    challenge = human_check_challenge(refused.content.decode())
    accepted = client.post(
        "/accounts/signup/",
        signup_data(email="second@example.org", human_check=human_check_solution(challenge)),
    )

    assert human_check_challenge(form_page) is not None
    assert '<script src="/static/js/human-check.js" defer></script>' in form_page
    assert refused.status_code == 200
    assert "Please wait for the automatic check below to finish" in refused.content.decode()
    assert accepted["Location"] == VERIFICATION_SENT_URL
    assert list(User.objects.order_by("pk").values_list("email", flat=True)) == [
        "first@example.org",
        "second@example.org",
    ]
    assert [m.to for m in mailoutbox] == [["first@example.org"], ["second@example.org"]]


def test_an_address_signed_up_for_too_often_needs_the_check_even_from_a_new_network(
    client, settings, mailoutbox
):
    """A script that floods one inbox with "account already exists" mail from many networks."""
    settings.HUMAN_CHECK_AFTER_PER_ADDRESS = "1/86400"
    verified_user(email="victim@example.org")
    client.post(
        "/accounts/signup/", signup_data(email="victim@example.org"), REMOTE_ADDR="10.0.0.1"
    )
    client.cookies.clear()

    again = client.post(
        "/accounts/signup/", signup_data(email="victim@example.org"), REMOTE_ADDR="10.0.0.2"
    )

    assert again.status_code == 200
    assert "Please wait for the automatic check below to finish" in again.content.decode()
    assert [m.subject for m in mailoutbox] == ["[Kizuna] Account Already Exists"]


def test_password_reset_answers_the_same_for_unknown_and_known_email(client, mailoutbox):
    verified_user(email="known@example.org")

    known = client.post("/accounts/password/reset/", {"email": "known@example.org"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})

    assert (known.status_code, known["Location"]) == (302, PASSWORD_RESET_DONE_URL)
    assert (unknown.status_code, unknown["Location"]) == (302, PASSWORD_RESET_DONE_URL)
    # Silent for an unknown address: the form cannot send our mail to strangers.
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["known@example.org"], "[Kizuna] Password Reset Email"),
    ]


# --- Rate limits -----------------------------------------------------------------------


def test_repeated_failed_logins_lock_out_even_the_right_password(client):
    user = verified_user(email="target@example.org")
    for _attempt in range(5):
        response = client.post(
            "/accounts/login/", {"login": "target@example.org", "password": "guess"}
        )
        assert response.context["form"].non_field_errors() == [
            "The email address and/or password you specified are not correct."
        ]

    response = client.post(
        "/accounts/login/", {"login": "target@example.org", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Too many failed login attempts. Try again later."
    ]
    assert signed_in_user_id(client) != str(user.pk)


def test_too_many_login_posts_from_one_address_get_429(client):
    for attempt in range(30):
        response = client.post(
            "/accounts/login/", {"login": f"person{attempt}@example.org", "password": "guess"}
        )
        assert response.status_code == 200

    response = client.post("/accounts/login/", {"login": "last@example.org", "password": "guess"})

    assert response.status_code == 429


# --- Password reset ---------------------------------------------------------------------


def test_password_reset_link_lets_the_user_set_a_new_password(client, mailoutbox):
    user = verified_user(email="forgetful@example.org")
    client.post("/accounts/password/reset/", {"email": "forgetful@example.org"})
    reset_path = link_in(mailoutbox[0].body, "/accounts/password/reset/key/")

    response = client.get(reset_path, follow=True)
    assert response.status_code == 200
    assert h1_text(response) == "Change Password"
    set_password_path = response.redirect_chain[-1][0]

    response = client.post(
        set_password_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password/reset/key/done/"
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)

    response = client.post(
        "/accounts/login/", {"login": "forgetful@example.org", "password": NEW_PASSWORD}
    )
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(user.pk)


def test_password_reset_with_a_bad_key_says_so(client):
    response = client.get("/accounts/password/reset/key/1-not-a-real-key/")

    assert response.status_code == 200
    assert h1_text(response) == "Bad Token"


# --- Every allauth page renders inside our layout --------------------------------------


@pytest.mark.parametrize(
    ("path", "h1", "title"),
    [
        ("/accounts/login/", "Sign In", "Sign In · Kizuna"),
        ("/accounts/signup/", "Sign Up", "Signup · Kizuna"),
        (
            "/accounts/confirm-email/",
            "Verify Your Email Address",
            "Verify Your Email Address · Kizuna",
        ),
        ("/accounts/password/reset/", "Password Reset", "Password Reset · Kizuna"),
        ("/accounts/password/reset/done/", "Password Reset", "Password Reset · Kizuna"),
        ("/accounts/password/reset/key/done/", "Change Password", "Change Password · Kizuna"),
    ],
)
def test_anonymous_account_pages_render_in_site_layout(client, path, h1, title):
    response = client.get(path)

    assert response.status_code == 200
    assert_in_site_layout(response)
    assert h1_text(response) == h1
    assert title_text(response) == title


@pytest.mark.parametrize(
    ("path", "h1"),
    [
        ("/accounts/logout/", "Sign Out"),
        ("/accounts/email/", "Email Addresses"),
        ("/accounts/password/change/", "Change Password"),
    ],
)
def test_signed_in_account_pages_render_in_site_layout(client, path, h1):
    client.force_login(verified_user())

    response = client.get(path)

    assert response.status_code == 200
    assert_in_site_layout(response)
    assert h1_text(response) == h1


def test_confirm_email_page_renders_in_site_layout(client, mailoutbox):
    client.post("/accounts/signup/", signup_data())

    response = client.get(link_in(mailoutbox[0].body, "/accounts/confirm-email/"))

    assert_in_site_layout(response)
    assert title_text(response) == "Confirm Email Address · Kizuna"
    assert "is an email address for user Hanako Yamada." in response.content.decode()


def test_account_buttons_use_site_button_classes(client):
    client.force_login(verified_user())

    html = client.get("/accounts/email/").content.decode()

    assert re.search(r'<button class="button" type="submit" name="action_primary">', html)
    assert re.search(
        r'<button class="button button-secondary" type="submit" name="action_send">', html
    )
    assert re.search(
        r'<button class="button button-secondary" type="submit" name="action_remove">', html
    )
    assert ' style="' not in html


def test_signup_refuses_a_web_address_as_the_name(client, mailoutbox):
    response = client.post(
        "/accounts/signup/", signup_data(full_name="Prize at www.win-now.example")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["full_name"] == [
        "Please enter your name without a web address."
    ]
    assert not User.objects.filter(email="hanako@example.org").exists()
    assert mailoutbox == []
