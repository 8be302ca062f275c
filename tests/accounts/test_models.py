import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import AudienceType, User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# SPEC §2, in this order.
SEEDED_AUDIENCE_TYPES = [
    "Travel agent",
    "Tour operator",
    "Destination marketing organisation",
    "Public sector partner",
    "Japan enthusiast",
    "Local government (Japan)",
    "Local government (Europe)",
    "Media",
    "Academic",
    "Other",
]


def test_audience_types_are_seeded_in_spec_order():
    assert list(AudienceType.objects.values_list("name", flat=True)) == SEEDED_AUDIENCE_TYPES


def test_seeded_audience_types_are_offered_with_slugs():
    assert list(AudienceType.objects.values_list("slug", "is_active"))[:3] == [
        ("travel-agent", True),
        ("tour-operator", True),
        ("destination-marketing-organisation", True),
    ]


def test_database_refuses_emails_differing_only_in_case():
    User.objects.create(email="Kenji.Sato@Example.org", full_name="Kenji Sato")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(email="kenji.sato@example.org", full_name="Kenji Sato")


def test_create_user_stores_the_email_in_lower_case():
    user = User.objects.create_user("Emma.Wilson@Example.ORG", "a long passphrase", full_name="E")

    assert User.objects.get(pk=user.pk).email == "emma.wilson@example.org"


def test_create_user_refuses_an_email_taken_in_other_case():
    User.objects.create_user("emma@example.org", full_name="Emma")

    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create_user("EMMA@example.org", full_name="Emma again")


def test_login_lookup_ignores_case():
    user = UserFactory(email="yuki@example.org")

    assert User.objects.get_by_natural_key("Yuki@Example.org") == user


def test_full_clean_lowercases_the_email():
    user = User(email="Hana@Example.org", full_name="Hana")
    user.set_unusable_password()

    user.full_clean()

    assert user.email == "hana@example.org"


def test_full_clean_refuses_an_unknown_time_zone():
    user = UserFactory.build(time_zone="Asia/Tokio")

    with pytest.raises(ValidationError) as raised:
        user.full_clean(exclude=["password"])

    assert raised.value.message_dict == {
        "time_zone": [
            "“Asia/Tokio” is not a known time zone. Use an IANA name such as Europe/London."
        ]
    }


def test_create_superuser_is_staff_and_superuser():
    user = User.objects.create_superuser("root@example.org", "a long passphrase")

    assert (user.is_staff, user.is_superuser, user.check_password("a long passphrase")) == (
        True,
        True,
        True,
    )


def test_create_user_without_email_is_refused():
    with pytest.raises(ValueError, match=r"^An email address is required\.$"):
        User.objects.create_user("", "a long passphrase")


@pytest.mark.parametrize(
    ("full_name", "short_name", "shown"),
    [("Kenji Sato", "Kenji", "Kenji Sato"), ("", "k@example.org", "k@example.org")],
)
def test_names_fall_back_to_the_email(full_name, short_name, shown):
    user = User(email="k@example.org", full_name=full_name)

    assert (user.get_short_name(), str(user)) == (short_name, shown)
