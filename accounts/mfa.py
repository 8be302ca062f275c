"""Second factors: what counts as one, and their secrets encrypted at rest (allauth.mfa's
adapter, with a key from SECRET_KEY).

allauth stores the TOTP key and the recovery-code seed through ``MFAAdapter.encrypt``,
which by default keeps them in the clear. Then a copy of the database (a backup, a leaked
dump) would be enough to pass every organiser's second factor. Encrypted with Fernet
under a key derived from ``SECRET_KEY``, the copy is useless without the settings too.
``SECRET_KEY_FALLBACKS`` are tried when reading, so rotating the key does not lock staff
out; a secret is re-encrypted under the new key when it is next set up.
"""

import base64

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import salted_hmac

# What counts as a second factor: recovery codes alone are a fallback, not a factor.
SECOND_FACTOR_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
KEY_SALT = "accounts.mfa.secret-encryption"
# Marks what this adapter wrote, so a value from anywhere else is refused, not misread.
PREFIX = "fernet:"


def has_second_factor(user: AbstractBaseUser) -> bool:
    """Whether ``user`` set up an authenticator app or a security key (staff must, before
    anything an organiser may do: accounts/middleware.py, recording access)."""
    return is_mfa_enabled(user, types=SECOND_FACTOR_TYPES)


def _fernet_key(secret_key: str) -> bytes:
    digest = salted_hmac(KEY_SALT, "fernet", secret=secret_key, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest)


def _fernet() -> MultiFernet:
    secret_keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_fernet_key(key)) for key in secret_keys])


class MFAAdapter(DefaultMFAAdapter):
    """allauth.mfa's adapter with its secrets encrypted (``MFA_ADAPTER``)."""

    def encrypt(self, text: str) -> str:
        return PREFIX + _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(PREFIX):
            raise ImproperlyConfigured("A second-factor secret is stored unencrypted.")
        try:
            return _fernet().decrypt(encrypted_text.removeprefix(PREFIX).encode()).decode()
        except InvalidToken as error:
            # Neither SECRET_KEY nor a fallback wrote it: say so rather than "wrong code".
            raise ImproperlyConfigured(
                "A second-factor secret cannot be read with SECRET_KEY or "
                "SECRET_KEY_FALLBACKS: was the key changed without keeping the old one?"
            ) from error
