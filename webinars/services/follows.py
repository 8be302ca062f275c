"""Following places, topics and series: asking, confirming, stopping.

A guest's follow is confirmed by the link emailed to the address (double opt-in); an
account holder's follow of their account's address is confirmed at once. Stopping
deletes the follow, so following the same thing again needs a fresh confirmation.
"Email me about future seminars" on the registration form is a follow of every
seminar, and unticking it (or stopping all alerts) withdraws it, with the consent
ledger told in the same transaction.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from notifications import services as notices
from webinars.follow_links import ConfirmationClaim
from webinars.models import ConsentRecord, Follow, Registration
from webinars.selectors.follows import FollowTarget


@dataclass(frozen=True)
class FollowRequest:
    """What came of asking to follow: ``state`` is "following" (confirmed now or before),
    "sent" (a confirmation link went out) or "waiting" (one went out a moment ago)."""

    follow: Follow
    state: str


def follow_request(
    *,
    email: str,
    target: FollowTarget,
    language: str,
    time_zone: str = "",
    user: User | None = None,
    source: str = Follow.Source.PAGE,
) -> FollowRequest:
    """Follow ``target`` from ``email``; confirmed at once only for an account's own address.

    Anyone may type any address, so a guest's follow waits for its confirmation link,
    sent at most once per ``FOLLOW_CONFIRMATION_RESEND_SECONDS`` for one follow (asking
    again later sends the link again). A follow already confirmed changes nothing.
    """
    email = email.strip().lower()
    proven = user is not None and user.email.strip().lower() == email
    now = timezone.now()
    with transaction.atomic():
        follow = _follow_get_or_create(
            email=email,
            target=target,
            defaults={
                "user": user if proven else None,
                "language": language,
                "time_zone": time_zone,
                "source": source,
                "confirmed_at": now if proven else None,
            },
        )
        if follow.is_confirmed:
            return FollowRequest(follow=follow, state="following")
        if proven:
            follow.confirmed_at = now
            follow.user = user
            follow.save(update_fields=["confirmed_at", "user"])
            return FollowRequest(follow=follow, state="following")
        recently = now - timedelta(seconds=settings.FOLLOW_CONFIRMATION_RESEND_SECONDS)
        if follow.confirmation_sent_at is not None and follow.confirmation_sent_at > recently:
            return FollowRequest(follow=follow, state="waiting")
        # The latest ask decides the language and zone the confirmation is written in.
        follow.language = language
        follow.time_zone = time_zone or follow.time_zone
        follow.confirmation_sent_at = now
        follow.save(update_fields=["language", "time_zone", "confirmation_sent_at"])
        notices.follow_confirmation_queue(follow=follow, target_name=target.name)
        return FollowRequest(follow=follow, state="sent")


def _follow_get_or_create(*, email: str, target: FollowTarget, defaults: dict) -> Follow:
    existing = target.follows().filter(email=email).select_for_update().first()
    if existing is not None:
        return existing
    try:
        # A savepoint: a concurrent follow of the same target wins and ours reads it.
        with transaction.atomic():
            return Follow.objects.create(email=email, **target.fields(), **defaults)
    except IntegrityError:
        return target.follows().get(email=email)


def follow_confirm(*, claim: ConfirmationClaim) -> Follow | None:
    """Confirm the follow a confirmation link names; None when it no longer exists.

    Confirming again changes nothing. A follow stopped since (deleted) is not brought
    back by its old link: following again sends a new one.
    """
    with transaction.atomic():
        follow = (
            Follow.objects.select_for_update().filter(pk=claim.follow_id, email=claim.email).first()
        )
        if follow is None:
            return None
        if follow.confirmed_at is None:
            follow.confirmed_at = timezone.now()
            follow.save(update_fields=["confirmed_at"])
        return follow


def follow_stop(*, follow: Follow) -> None:
    """Stop one follow; a follow of every seminar also withdraws "future seminars"."""
    with transaction.atomic():
        Follow.objects.filter(pk=follow.pk).delete()
        if follow.kind == Follow.Kind.ALL:
            _news_consent_withdraw(email=follow.email, source=ConsentRecord.Source.MANAGE_PAGE)
        _alerts_withdraw_if_following_nothing(email=follow.email)


def follows_stop_all(*, email: str, source: str = ConsentRecord.Source.UNSUBSCRIBE) -> int:
    """Stop every alert to ``email``: its follows, its "future seminars" consent, the
    alerts waiting for its next digest. Returns how many follows there were; repeating
    it changes nothing."""
    email = email.strip().lower()
    with transaction.atomic():
        deleted, _by_model = Follow.objects.of_address(email).delete()
        _news_consent_withdraw(email=email, source=source)
        notices.alert_items_withdraw(email=email)
    return deleted


def _news_consent_withdraw(*, email: str, source: str) -> None:
    """Untick "future seminars" on each registration of the address, in the ledger too."""
    registrations = list(
        Registration.objects.filter(
            email__iexact=email, marketing_opt_in=True, anonymised_at=None
        ).values_list("pk", flat=True)
    )
    if not registrations:
        return
    Registration.objects.filter(pk__in=registrations).update(
        marketing_opt_in=False, updated_at=timezone.now()
    )
    ConsentRecord.objects.append(
        registration_ids=registrations,
        consents={ConsentRecord.Consent.NEWS: False},
        source=source,
    )


def follow_every_seminar_from_registration(*, registration: Registration) -> Follow:
    """ "Email me about future seminars" ticked: the address follows every seminar.

    The registrant gave the address and the consent in the same form, so the follow is
    confirmed; an existing follow of every seminar is kept as it is.
    """
    target = FollowTarget(kind=Follow.Kind.ALL)
    with transaction.atomic():
        follow = _follow_get_or_create(
            email=registration.email,
            target=target,
            defaults={
                "user": registration.user,
                "language": registration.language or settings.LANGUAGE_CODE,
                "time_zone": registration.time_zone,
                "source": Follow.Source.REGISTRATION,
                "confirmed_at": timezone.now(),
            },
        )
        if follow.confirmed_at is None:
            follow.confirmed_at = timezone.now()
            follow.save(update_fields=["confirmed_at"])
    return follow


def follow_every_seminar_withdraw(*, email: str) -> None:
    """ "Email me about future seminars" unticked: the follow of every seminar goes."""
    with transaction.atomic():
        Follow.objects.of_address(email).filter(kind=Follow.Kind.ALL).delete()
        _alerts_withdraw_if_following_nothing(email=email)


def _alerts_withdraw_if_following_nothing(*, email: str) -> None:
    # Seminars already found for the address's next alert were found through a follow;
    # with none left, they must not be sent.
    if not Follow.objects.confirmed().of_address(email).exists():
        notices.alert_items_withdraw(email=email)
