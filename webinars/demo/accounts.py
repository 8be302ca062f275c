"""The demo accounts: the organiser (staff, in the Organisers group) and one attendee, each
with a login that always works."""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import decrypt
from django.conf import settings
from django.contrib.auth.models import Group

from accounts.models import User
from webinars.demo.rows import upsert

ORGANISER_EMAIL = "organiser@example.org"
ORGANISER_PASSWORD = "kizuna-demo"
ORGANISER_NAME = "Demo Organiser"
ORGANISERS_GROUP = "Organisers"
# Staff need a second factor (accounts.middleware). The demo organiser's authenticator
# app secret is printed by seed_demo so a newcomer can add it to their app; being
# public, it is set only with DEBUG on and removed wherever DEBUG is off.
ORGANISER_TOTP_SECRET = "KIZUNADEMOTOTPSECRETFORLOCALONLY"


# An attendee who came to "Kyushu by rail" (attended live, in content.registrations):
# signed in, /me/ offers her certificate of attendance.
ATTENDEE_EMAIL = "olivia.bennett@kestrel-crane.example"
ATTENDEE_NAME = "Olivia Bennett"


class DemoSetupError(Exception):
    """The database lacks what the demo builds on (run ``manage.py migrate`` first)."""


def seed_organiser() -> User:
    """A staff user in the Organisers group who can sign in to the admin and the site.

    The password is reset to the demo password whenever it differs, so the printed login
    always works.
    """
    group = Group.objects.filter(name=ORGANISERS_GROUP).first()
    if group is None:
        raise DemoSetupError(
            f'The "{ORGANISERS_GROUP}" group is missing: run "manage.py migrate" first.'
        )
    organiser = User.objects.filter(email__iexact=ORGANISER_EMAIL).first()
    if organiser is None:
        organiser = User.objects.create_user(
            email=ORGANISER_EMAIL,
            password=ORGANISER_PASSWORD,
            full_name=ORGANISER_NAME,
            is_staff=True,
        )
    elif not (
        organiser.is_staff and organiser.is_active and organiser.check_password(ORGANISER_PASSWORD)
    ):
        organiser.is_staff = True
        organiser.is_active = True
        organiser.set_password(ORGANISER_PASSWORD)
        organiser.save()
    organiser.groups.add(group)
    # allauth signs in only with a verified address (mandatory verification).
    EmailAddress.objects.filter(user=organiser, primary=True).exclude(email=organiser.email).update(
        primary=False
    )
    upsert(
        EmailAddress,
        lookup={"user": organiser, "email": organiser.email},
        values={"verified": True, "primary": True},
    )
    seed_organiser_second_factor(organiser)
    return organiser


def seed_organiser_second_factor(organiser: User) -> None:
    """With DEBUG on, the demo organiser's authenticator app uses ORGANISER_TOTP_SECRET.

    With DEBUG off (``seed_demo --force``) a published secret is no factor at all: it is
    removed, and the organiser sets up their own app at their first admin visit.
    """
    totp = Authenticator.objects.filter(user=organiser, type=Authenticator.Type.TOTP).first()
    has_demo_secret = totp is not None and decrypt(totp.data["secret"]) == ORGANISER_TOTP_SECRET
    if not settings.DEBUG:
        if has_demo_secret:
            totp.delete()
        return
    if has_demo_secret:
        return
    if totp is not None:
        totp.delete()
    TOTP.activate(organiser, ORGANISER_TOTP_SECRET)


def seed_attendee() -> User:
    """The demo attendee's account (the same password as the organiser's), not staff."""
    attendee = User.objects.filter(email__iexact=ATTENDEE_EMAIL).first()
    if attendee is None:
        attendee = User.objects.create_user(
            email=ATTENDEE_EMAIL, password=ORGANISER_PASSWORD, full_name=ATTENDEE_NAME
        )
    elif not (attendee.is_active and attendee.check_password(ORGANISER_PASSWORD)):
        attendee.is_active = True
        attendee.set_password(ORGANISER_PASSWORD)
        attendee.save()
    upsert(
        EmailAddress,
        lookup={"user": attendee, "email": attendee.email},
        values={"verified": True, "primary": True},
    )
    return attendee
