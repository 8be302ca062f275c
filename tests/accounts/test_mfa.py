"""Second-factor secrets are stored encrypted (accounts/mfa.py)."""

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.utils import decrypt
from django.core.exceptions import ImproperlyConfigured

from tests.factories import STAFF_TOTP_SECRET, OrganiserFactory

pytestmark = pytest.mark.django_db

OLD_KEY = "the-key-this-deployment-started-with-0123456789-abcdefghij"
NEW_KEY = "the-key-it-was-rotated-to-later-0123456789-abcdefghijklmnop"


def test_a_copy_of_the_database_holds_no_totp_key_or_recovery_seed():
    organiser = OrganiserFactory()
    recovery = RecoveryCodes.activate(organiser).instance

    totp = Authenticator.objects.get(user=organiser, type=Authenticator.Type.TOTP)

    assert totp.data["secret"].startswith("fernet:")
    assert STAFF_TOTP_SECRET not in str(totp.data)
    assert decrypt(totp.data["secret"]) == STAFF_TOTP_SECRET
    seed = recovery.data["seed"]
    assert seed.startswith("fernet:")
    assert len(RecoveryCodes(recovery).get_unused_codes()) == 10


def test_rotating_the_key_keeps_secrets_readable_through_the_fallbacks(settings):
    settings.SECRET_KEY = OLD_KEY
    totp = Authenticator.objects.get(user=OrganiserFactory(), type=Authenticator.Type.TOTP)

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = NEW_KEY, [OLD_KEY]
    assert decrypt(totp.data["secret"]) == STAFF_TOTP_SECRET

    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ImproperlyConfigured, match="was the key changed without keeping"):
        decrypt(totp.data["secret"])


def test_a_secret_stored_in_the_clear_is_refused():
    with pytest.raises(ImproperlyConfigured, match="stored unencrypted"):
        decrypt(STAFF_TOTP_SECRET)
