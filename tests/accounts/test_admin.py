import pytest
from django.urls import reverse

from accounts.models import AudienceType, User
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

USER_ADD = reverse("admin:accounts_user_add")
USER_CHANGELIST = reverse("admin:accounts_user_changelist")


def _form_errors(response) -> dict[str, list[str]]:
    form = response.context["adminform"].form
    return {name: list(errors) for name, errors in form.errors.items()}


def _change_data(user: User, **overrides) -> dict[str, object]:
    data = {
        "email": user.email,
        "full_name": user.full_name,
        "audience_type": user.audience_type_id or "",
        "organisation": user.organisation,
        "job_title": user.job_title,
        "country": user.country.code or "",
        "preferred_language": user.preferred_language,
        "time_zone": user.time_zone,
        "is_active": "on",
        "groups": [],
        "user_permissions": [],
        "_save": "Save",
    }
    data.update(overrides)
    return data


def test_pytest_django_admin_user_signs_in_with_email(admin_user):
    assert (admin_user.email, admin_user.is_superuser, admin_user.is_staff) == (
        "admin@example.com",
        True,
        True,
    )


def test_add_form_asks_for_email_and_password_not_username(admin_client):
    response = admin_client.get(USER_ADD)

    form = response.context["adminform"].form
    assert list(form.fields) == ["email", "full_name", "usable_password", "password1", "password2"]
    assert 'name="username"' not in response.content.decode()


def test_add_user_with_email_and_password(admin_client):
    response = admin_client.post(
        USER_ADD,
        {
            "email": "Hana.Suzuki@Example.org",
            "full_name": "Hana Suzuki",
            "usable_password": "true",
            "password1": "kumamoto castle 1607",
            "password2": "kumamoto castle 1607",
            "_save": "Save",
        },
    )

    assert response.status_code == 302, _form_errors(response)
    user = User.objects.get(full_name="Hana Suzuki")
    assert user.email == "hana.suzuki@example.org"
    assert user.check_password("kumamoto castle 1607")
    assert (user.is_staff, user.is_superuser) == (False, False)
    assert response["Location"] == reverse("admin:accounts_user_change", args=[user.pk])


def test_add_user_without_a_usable_password(admin_client):
    response = admin_client.post(
        USER_ADD,
        {"email": "guest@example.org", "full_name": "Guest", "usable_password": "false"},
    )

    assert response.status_code == 302, _form_errors(response)
    assert User.objects.get(email="guest@example.org").has_usable_password() is False


def test_add_user_with_mismatched_passwords_shows_the_error(admin_client):
    response = admin_client.post(
        USER_ADD,
        {
            "email": "hana@example.org",
            "full_name": "Hana",
            "usable_password": "true",
            "password1": "kumamoto castle 1607",
            "password2": "kumamoto castle 1608",
        },
    )

    assert _form_errors(response) == {
        "password2": ["The two password fields didn\N{RIGHT SINGLE QUOTATION MARK}t match."]
    }


def test_add_user_with_an_email_taken_in_other_case_shows_the_error(admin_client):
    UserFactory(email="hana@example.org")

    response = admin_client.post(
        USER_ADD,
        {
            "email": "HANA@Example.org",
            "full_name": "Hana again",
            "usable_password": "true",
            "password1": "kumamoto castle 1607",
            "password2": "kumamoto castle 1607",
        },
    )

    assert _form_errors(response) == {"email": ["A user with this email address already exists."]}
    assert "A user with this email address already exists." in response.content.decode()
    assert User.objects.filter(email__iexact="hana@example.org").count() == 1


def test_change_user_profile(admin_client):
    user = UserFactory(email="kenji@example.org", full_name="Kenji")
    agents = AudienceType.objects.get(slug="travel-agent")

    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        _change_data(
            user,
            email="Kenji.Sato@Example.org",
            full_name="Kenji Sato",
            audience_type=agents.pk,
            country="JP",
            time_zone="Asia/Tokyo",
        ),
    )

    assert response.status_code == 302, _form_errors(response)
    user.refresh_from_db()
    assert (user.email, user.full_name, user.audience_type, user.country.code, user.time_zone) == (
        "kenji.sato@example.org",
        "Kenji Sato",
        agents,
        "JP",
        "Asia/Tokyo",
    )


def test_change_user_keeps_own_email_in_other_case(admin_client):
    user = UserFactory(email="kenji@example.org")

    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        _change_data(user, email="KENJI@example.org"),
    )

    assert response.status_code == 302, _form_errors(response)
    user.refresh_from_db()
    assert user.email == "kenji@example.org"


def test_change_user_to_another_accounts_email_shows_the_error(admin_client):
    UserFactory(email="taken@example.org")
    user = UserFactory(email="kenji@example.org")

    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        _change_data(user, email="Taken@Example.org"),
    )

    assert _form_errors(response) == {"email": ["A user with this email address already exists."]}


def test_change_user_with_unknown_time_zone_shows_the_error(admin_client):
    user = UserFactory()

    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        _change_data(user, time_zone="Asia/Tokio"),
    )

    assert _form_errors(response) == {
        "time_zone": [
            "“Asia/Tokio” is not a known time zone. Use an IANA name such as Europe/London."
        ]
    }


def test_user_list_searches_by_email_and_name(admin_client):
    UserFactory(email="hana@example.org", full_name="Hana Suzuki")
    UserFactory(email="tom@example.org", full_name="Tom Baker")

    response = admin_client.get(USER_CHANGELIST, {"q": "suzuki"})

    assert [user.email for user in response.context["cl"].result_list] == ["hana@example.org"]


@pytest.mark.parametrize("control_character", ["\x01", "\x1b"])
def test_user_list_search_takes_control_characters_as_spaces(admin_client, control_character):
    UserFactory(email="hana@example.org", full_name="Hana Suzuki")
    UserFactory(email="tom@example.org", full_name="Tom Baker")

    alone = admin_client.get(USER_CHANGELIST, {"q": control_character})
    between_words = admin_client.get(USER_CHANGELIST, {"q": f"hana{control_character}suzuki"})

    assert (alone.status_code, between_words.status_code) == (200, 200)
    assert [user.email for user in alone.context["cl"].result_list] == [
        "admin@example.com",
        "hana@example.org",
        "tom@example.org",
    ]
    assert [user.email for user in between_words.context["cl"].result_list] == ["hana@example.org"]


def test_audience_type_list_search_takes_control_characters_as_spaces(admin_client):
    response = admin_client.get(
        reverse("admin:accounts_audiencetype_changelist"), {"q": "travel\x01agent"}
    )

    assert [audience.name for audience in response.context["cl"].result_list] == ["Travel agent"]


@pytest.mark.parametrize("count", [1, 20])
def test_user_list_query_count_does_not_grow(admin_client, django_assert_max_num_queries, count):
    agents = AudienceType.objects.get(slug="travel-agent")
    for _ in range(count):
        UserFactory(audience_type=agents)

    with django_assert_max_num_queries(9):
        response = admin_client.get(USER_CHANGELIST)

    assert len(response.context["cl"].result_list) == count + 1  # and the admin


def test_organiser_can_view_but_not_change_users(organiser_client):
    user = UserFactory(email="kenji@example.org", full_name="Kenji")
    change_url = reverse("admin:accounts_user_change", args=[user.pk])

    assert organiser_client.get(USER_CHANGELIST).status_code == 200
    assert organiser_client.get(change_url).status_code == 200
    response = organiser_client.post(change_url, _change_data(user, is_superuser="on"))

    assert response.status_code == 403
    user.refresh_from_db()
    assert (user.full_name, user.is_superuser) == ("Kenji", False)


def test_organiser_cannot_add_users(organiser_client):
    assert organiser_client.get(USER_ADD).status_code == 403


def test_organiser_can_edit_audience_types(organiser_client):
    response = organiser_client.post(
        reverse("admin:accounts_audiencetype_add"),
        {"name": "Student", "slug": "student", "position": "85", "is_active": "on"},
    )

    assert response.status_code == 302
    assert list(AudienceType.objects.values_list("name", flat=True))[-2:] == ["Student", "Other"]


def test_audience_type_list_orders_by_position(admin_client):
    response = admin_client.get(reverse("admin:accounts_audiencetype_changelist"))

    names = [audience.name for audience in response.context["cl"].result_list]
    assert names[:2] == ["Travel agent", "Tour operator"]
    assert names[-1] == "Other"


@pytest.fixture
def user_editor_client(client):
    """Staff who may view and change people, without being a superuser."""
    from django.contrib.auth.models import Permission

    editor = StaffFactory(email="editor@jlgc.example")
    editor.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_user", "change_user"])
    )
    client.force_login(editor)
    return client


def test_staff_who_may_change_people_cannot_grant_superuser_groups_or_permissions(
    user_editor_client,
):
    from django.contrib.auth.models import Group, Permission

    user = UserFactory(email="kenji@example.org", full_name="Kenji")
    change_url = reverse("admin:accounts_user_change", args=[user.pk])
    page = user_editor_client.get(change_url).content.decode()
    response = user_editor_client.post(
        change_url,
        _change_data(
            user,
            full_name="Kenji Sato",
            is_superuser="on",
            groups=[Group.objects.get(name="Organisers").pk],
            user_permissions=[Permission.objects.get(codename="delete_user").pk],
        ),
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.full_name, user.is_superuser) == ("Kenji Sato", False)
    assert (list(user.groups.all()), list(user.user_permissions.all())) == ([], [])
    # Shown, not editable: no inputs for the three fields.
    assert 'name="is_superuser"' not in page
    assert 'name="groups"' not in page
    assert 'name="user_permissions"' not in page
    assert 'name="is_staff"' in page


def test_superusers_may_grant_superuser_status_and_groups(admin_client):
    from django.contrib.auth.models import Group

    user = UserFactory(email="kenji@example.org", full_name="Kenji")
    organisers = Group.objects.get(name="Organisers")

    response = admin_client.post(
        reverse("admin:accounts_user_change", args=[user.pk]),
        _change_data(user, is_staff="on", is_superuser="on", groups=[organisers.pk]),
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.is_superuser, list(user.groups.all())) == (True, [organisers])


def test_organisers_confirm_audience_types_and_a_change_of_type_clears_it(organiser_client, client):
    from tests.factories import AudienceTypeFactory

    media, academic = AudienceTypeFactory(), AudienceTypeFactory()
    person = UserFactory(audience_type=media)
    untyped = UserFactory(audience_type=None)

    response = organiser_client.post(
        reverse("admin:accounts_user_changelist"),
        {
            "action": "confirm_audience_type",
            "index": 0,
            "_selected_action": [person.pk, untyped.pk],
        },
        follow=True,
    )

    assert "Audience type confirmed for 1 person." in [str(m) for m in response.context["messages"]]
    person.refresh_from_db()
    untyped.refresh_from_db()
    assert person.audience_type_confirmed_at is not None
    assert untyped.audience_type_confirmed_at is None  # nothing to confirm
    # The person changes their type: the confirmation was for the old one.
    client.force_login(person)
    data = {
        "full_name": person.full_name,
        "audience_type": academic.pk,
        "preferred_language": "en",
        "time_zone": "Europe/London",
    }
    assert client.post(reverse("accounts:profile"), data).status_code == 302
    person.refresh_from_db()
    assert (person.audience_type, person.audience_type_confirmed_at) == (academic, None)
