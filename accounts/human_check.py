"""The human check: a proof of work the browser solves in a second or two, asked only of
busy clients and addresses.

Guest registration and sign-up email whatever address is typed, so a script could use
them to flood someone's inbox or fill a seminar with made-up people from rotating
addresses. A CAPTCHA service would hand every visitor's address and behaviour to a third
party; instead the server signs an ALTCHA challenge (PoW v2, PBKDF2/SHA-256, the
``altcha`` library) that ``static/js/human-check.js`` solves with the browser's own Web
Crypto. No cookie, no third party, nothing stored about the person: the counters below
are keyed by a hash of the network or address and expire with their window.

Most people never meet it. It is asked only when the client (an IPv4 address or an IPv6
/64) sent more than ``HUMAN_CHECK_AFTER_PER_CLIENT`` forms in the window, or the address
was given more than ``HUMAN_CHECK_AFTER_PER_ADDRESS`` times; ``0/…`` asks everyone. A
solved challenge works once, for one kind of form, until it expires.
"""

from __future__ import annotations

import datetime
import json
import logging
import secrets
from dataclasses import dataclass, field
from functools import cached_property

import altcha
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from accounts import ratelimit

logger = logging.getLogger(__name__)

FIELD_NAME = "human_check"
ALGORITHM = "PBKDF2/SHA-256"
# A base64 payload of our own challenge and its solution is about 900 characters.
MAX_PAYLOAD_LENGTH = 4000

MESSAGES = {
    "missing": _(
        "Please wait for the automatic check below to finish (a second or two), "
        "then send the form again."
    ),
    "expired": _(
        "The automatic check expired, so we have started a new one. "
        "Please send the form again when it finishes."
    ),
    "invalid": _(
        "The automatic check did not pass. Please send the form again when the new check finishes."
    ),
}


def _secret(purpose: str) -> str:
    # Derived from SECRET_KEY: rotating the key retires every outstanding challenge.
    return salted_hmac("accounts.human_check", purpose).hexdigest()


def address_key(email: str) -> str:
    """The address as counted: lower case, without a "+tag" (name+1@, name+2@ … all reach
    the same inbox, so they count as one)."""
    local, at, domain = email.strip().lower().rpartition("@")
    return f"{local.split('+', 1)[0]}{at}{domain}" if at else domain


def _over(scope: str, kind: str, key: str, rate: str) -> bool:
    limit, _window = ratelimit.parse_rate(rate)
    return ratelimit.attempts(scope=f"human-check:{scope}:{kind}", key=key, rate=rate) >= limit


@dataclass
class HumanCheck:
    """Whether one form submission must prove it comes from a browser, and the proof.

    ``scope`` names the form ("register", "signup"): a challenge solved for one is
    refused by the other.
    """

    scope: str
    client: str
    required: bool = False
    reasons: list[str] = field(default_factory=list)

    @classmethod
    def for_request(cls, request: HttpRequest, *, scope: str) -> HumanCheck:
        """The check for this client: required already if its network is over the threshold."""
        client = ratelimit.client_ip(request)
        check = cls(scope=scope, client=client)
        if _over(scope, "client", client, settings.HUMAN_CHECK_AFTER_PER_CLIENT):
            check.required = True
            check.reasons.append("client")
        return check

    def require_for_address(self, email: str) -> None:
        """Also require the check if ``email`` was given too often in its window."""
        if email and _over(
            self.scope, "address", address_key(email), settings.HUMAN_CHECK_AFTER_PER_ADDRESS
        ):
            self.required = True
            self.reasons.append("address")

    def count(self, *, email: str) -> None:
        """Count one submission for this client and address (call it once per valid form)."""
        limits = [
            (f"human-check:{self.scope}:client", self.client, settings.HUMAN_CHECK_AFTER_PER_CLIENT)
        ]
        if email:
            limits.append(
                (
                    f"human-check:{self.scope}:address",
                    address_key(email),
                    settings.HUMAN_CHECK_AFTER_PER_ADDRESS,
                )
            )
        ratelimit.hit_all(limits)

    @cached_property
    def challenge_json(self) -> str:
        """A fresh signed challenge, as the JSON the page's script reads (one per page)."""
        # Deterministic mode: the server picks the counter the browser must find, so the
        # work is the same for everyone and checking it is one HMAC, not a key derivation.
        low, high = settings.HUMAN_CHECK_COUNTER_RANGE
        challenge = altcha.create_challenge(
            ALGORITHM,
            settings.HUMAN_CHECK_COST,
            counter=low + secrets.randbelow(max(high - low, 1)),
            expires_at=timezone.now()
            + datetime.timedelta(seconds=settings.HUMAN_CHECK_EXPIRES_SECONDS),
            data={"scope": self.scope},
            hmac_secret=_secret("challenge"),
            hmac_key_secret=_secret("derived-key"),
        )
        return json.dumps(challenge.to_dict(), separators=(",", ":"))

    def verify(self, payload: str) -> None:
        """Pass if no check is required or ``payload`` solves an unused challenge of ours.

        Raises ValidationError (code ``missing``, ``expired`` or ``invalid``) otherwise.
        """
        if not self.required:
            return
        try:
            self._verify(payload)
        except ValidationError as refused:
            # What operators watch for under a flood; nothing here names the person.
            logger.info(
                "Human check refused on %s (asked because of: %s): %s",
                self.scope,
                ", ".join(self.reasons),
                refused.code,
            )
            raise

    def _verify(self, payload: str) -> None:
        payload = (payload or "").strip()
        if not payload:
            raise ValidationError(MESSAGES["missing"], code="missing")
        if len(payload) > MAX_PAYLOAD_LENGTH:
            raise ValidationError(MESSAGES["invalid"], code="invalid")
        try:
            parsed = altcha.Payload.from_base64(payload)
        except (ValueError, KeyError, TypeError, RecursionError):
            raise ValidationError(MESSAGES["invalid"], code="invalid") from None
        result = altcha.verify_solution(
            parsed, _secret("challenge"), hmac_key_secret=_secret("derived-key")
        )
        if result.expired:
            raise ValidationError(MESSAGES["expired"], code="expired")
        if not result.verified:
            raise ValidationError(MESSAGES["invalid"], code="invalid")
        challenge = parsed.challenge
        data = challenge.parameters.data
        if not isinstance(data, dict) or data.get("scope") != self.scope:
            raise ValidationError(MESSAGES["invalid"], code="invalid")
        if not self._claim(challenge.signature):
            raise ValidationError(MESSAGES["invalid"], code="invalid")

    @staticmethod
    def _claim(signature: str) -> bool:
        """Mark a solved challenge used; False if it already was (a replayed solution)."""
        try:
            return cache.add(
                f"human-check:used:{signature}", 1, settings.HUMAN_CHECK_EXPIRES_SECONDS + 60
            )
        except Exception:
            # As the rate limits do: a cache outage must not stop people registering.
            logger.warning("Human check not claimed: the cache is unavailable.", exc_info=True)
            return True
