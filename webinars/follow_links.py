"""The signed links of following: confirming a follow, managing and stopping alerts.

- The **confirmation link** (double opt-in) names one follow and its address, signed with
  a timestamp: it works for ``FOLLOW_CONFIRMATION_DAYS``, then says it has expired.
- The **alerts links** name an address and the language its alerts are written in,
  signed without expiry (an alert opened months later must still let its reader stop
  them): one opens the page listing the address's follows, the other stops them all
  (``List-Unsubscribe`` with one-click, RFC 8058).

Each kind has its own salt, so no token of one kind is accepted as another.
"""

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

CONFIRM_SALT = "kizuna.follows.confirm"
ALERTS_SALT = "kizuna.follows.alerts"


class ConfirmationExpired(Exception):
    """The confirmation link is older than ``FOLLOW_CONFIRMATION_DAYS``."""


class ConfirmationInvalid(Exception):
    """The confirmation link was altered, cut short or made by someone else."""


@dataclass(frozen=True)
class ConfirmationClaim:
    follow_id: int
    email: str


def confirmation_token(*, follow_id: int, email: str) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign_object(
        {"f": follow_id, "e": email.strip().lower()}
    )


def confirmation_claim(token: str) -> ConfirmationClaim:
    """The follow and address a confirmation token names; raises why it cannot be used."""
    max_age = settings.FOLLOW_CONFIRMATION_DAYS * 24 * 60 * 60
    try:
        value = signing.TimestampSigner(salt=CONFIRM_SALT).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as error:
        raise ConfirmationExpired from error
    except (signing.BadSignature, ValueError, UnicodeDecodeError) as error:
        raise ConfirmationInvalid from error
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("f"), int)
        or not isinstance(value.get("e"), str)
    ):
        raise ConfirmationInvalid
    return ConfirmationClaim(follow_id=value["f"], email=value["e"])


def confirmation_url(*, follow_id: int, email: str) -> str:
    token = confirmation_token(follow_id=follow_id, email=email)
    return settings.SITE_URL + reverse("webinars:follow_confirm", args=[token])


@dataclass(frozen=True)
class AlertsClaim:
    email: str
    language: str


def alerts_token(*, email: str, language: str) -> str:
    # A Signer, not a TimestampSigner: an alert years old must still stop alerts.
    return signing.Signer(salt=ALERTS_SALT).sign_object({"e": email.strip().lower(), "l": language})


def alerts_claim(token: str) -> AlertsClaim | None:
    """The address and language an alerts token names, or None when it is not ours."""
    try:
        value = signing.Signer(salt=ALERTS_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("e"), str) or not value["e"]:
        return None
    language = value.get("l")
    known = {code for code, _name in settings.LANGUAGES}
    return AlertsClaim(
        email=value["e"],
        language=language if language in known else settings.LANGUAGE_CODE,
    )


def alerts_manage_url(*, email: str, language: str) -> str:
    token = alerts_token(email=email, language=language)
    return settings.SITE_URL + reverse("webinars:alerts_manage", args=[token])


def alerts_stop_url(*, email: str, language: str) -> str:
    token = alerts_token(email=email, language=language)
    return settings.SITE_URL + reverse("webinars:alerts_stop", args=[token])
