"""How a registrant's own pages find the registration: by emailed link or by account.

An emailed link (``/r/<token>/``) is looked up by its token's hash and scope
(:func:`access_by_token`); a signed-in person's route (``/me/registrations/<id>/``)
by the account (:func:`access_by_account`). Both give an :class:`Access`: the
registration and the links of the route it was reached by, so one view serves both.
:func:`token_route` answers the links of cancelled registrations, and links from
before links had scopes, with their plain pages.
"""

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from webinars.models import Registration, RegistrationQuerySet, RegistrationToken, Seminar
from webinars.selectors import registration_link


@dataclass(frozen=True)
class Access:
    """A registration and the links of the route it was reached by (token or account)."""

    registration: Registration
    manage_url: str
    cancel_url: str
    invite_url: str
    join_url: str
    by_account: bool
    # Emailed manage links only: the token (for the privacy app's routes under /r/)
    # and asking for fresh links (account routes need neither).
    new_links_url: str = ""
    token: str = ""
    certificate_url: str = ""

    @property
    def seminar(self) -> Seminar:
        return self.registration.seminar


MANAGE_SCOPES = (RegistrationToken.Scope.MANAGE,)
# A link from an email sent before links had scopes still joins (it is in old invites).
JOIN_SCOPES = (
    RegistrationToken.Scope.MANAGE,
    RegistrationToken.Scope.JOIN,
    RegistrationToken.Scope.EARLIER,
)
# The links emails carry beside the join link: today's manage link, and an earlier one,
# which still opens the recording and asks for fresh links (they go to the registrant's
# inbox, never to whoever asks).
EMAILED_LINK_SCOPES = (RegistrationToken.Scope.MANAGE, RegistrationToken.Scope.EARLIER)


def access_by_token(
    token: str, *, scopes: Collection[str] = MANAGE_SCOPES, cancelled_too: bool = False
) -> Access:
    """The registration behind an emailed link of one of ``scopes``; 404 otherwise.

    Raises :class:`LinkNoLongerWorks` for the link of a cancelled or erased registration:
    the token routes (:func:`token_route`) answer with a plain page that does nothing.
    ``cancelled_too`` lets a cancelled (not erased) registration through: the privacy
    routes, so a person can still download or erase what is kept after cancelling.
    """
    earlier = RegistrationToken.Scope.EARLIER
    link = registration_link(token, scopes={*scopes, earlier})
    if link is None:
        raise Http404(_("This link is not valid. Please use the latest email we sent you."))
    registration = link.registration
    if registration.anonymised_at or (registration.is_cancelled and not cancelled_too):
        manage_token = token if link.scope == RegistrationToken.Scope.MANAGE else ""
        raise LinkNoLongerWorks(registration, manage_token=manage_token)
    if link.scope == earlier and earlier not in scopes:
        raise LinkFromEarlierEmail(registration)
    if link.scope == RegistrationToken.Scope.JOIN:
        # A join link manages nothing: its pages offer no manage, cancel or invite links.
        manage_url = cancel_url = invite_url = new_links_url = ""
    elif link.scope == earlier:
        manage_url = cancel_url = invite_url = ""
        new_links_url = reverse("webinars:registration_new_links", args=[token])
    else:
        manage_url = reverse("webinars:registration_manage", args=[token])
        cancel_url = reverse("webinars:registration_cancel", args=[token])
        invite_url = reverse("webinars:registration_invite", args=[token])
        new_links_url = reverse("webinars:registration_new_links", args=[token])
    return Access(
        registration=registration,
        manage_url=manage_url,
        cancel_url=cancel_url,
        invite_url=invite_url,
        join_url=reverse("webinars:registration_join", args=[token]),
        by_account=False,
        new_links_url=new_links_url,
        token=token if manage_url else "",
        certificate_url=(
            reverse("webinars:registration_certificate", args=[token]) if manage_url else ""
        ),
    )


class LinkFromEarlierEmail(Exception):
    """A link minted before links had scopes (it travelled in calendar invites): it joins,
    but for anything else it only offers to email fresh links to the registrant."""

    def __init__(self, registration: Registration) -> None:
        super().__init__(registration.pk)
        self.registration = registration


class LinkNoLongerWorks(Exception):
    """An emailed link of a registration that was cancelled or erased: it no longer acts."""

    def __init__(self, registration: Registration, *, manage_token: str = "") -> None:
        super().__init__(registration.pk)
        self.registration = registration
        # Set for an emailed manage link: its owner may still download or erase their data.
        self.manage_token = manage_token


def token_route(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer a cancelled registration's link with the plain "was cancelled" page (410),
    and a link from an earlier email, where it may not act, with its "fresh links" page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, token: str, **kwargs: str) -> HttpResponse:
        try:
            return view(request, token, **kwargs)
        except LinkFromEarlierEmail as earlier:
            context = {
                "seminar": earlier.registration.seminar,
                "new_links_url": reverse("webinars:registration_new_links", args=[token]),
            }
            return render(request, "webinars/registration_link_earlier.html", context)
        except LinkNoLongerWorks as inert:
            seminar = inert.registration.seminar
            erased = bool(inert.registration.anonymised_at)
            context = {
                "seminar": seminar,
                "erased": erased,
                "data_token": "" if erased else inert.manage_token,
            }
            return render(request, "webinars/registration_link_inert.html", context, status=410)

    return wrapper


def registrations_of_user(user: User) -> RegistrationQuerySet:
    """Registrations that belong to a signed-in person.

    Those linked to the account, and those made as a guest with the account's email:
    email verification is mandatory, so the account holder owns that address.
    """
    return Registration.objects.filter(Q(user=user) | Q(email=user.email.lower()))


def access_by_account(request: HttpRequest, pk: int) -> Access:
    """The signed-in person's registration ``pk``, with the account routes' links; 404
    for anyone else's."""
    registration = (
        registrations_of_user(request.user)
        .select_related("seminar__series", "audience_type", "user")
        .filter(pk=pk)
        .first()
    )
    if registration is None:
        raise Http404(_("No registration of yours was found."))
    return Access(
        registration=registration,
        manage_url=reverse("webinars:my_registration", args=[pk]),
        cancel_url=reverse("webinars:my_registration_cancel", args=[pk]),
        invite_url=reverse("webinars:my_registration_invite", args=[pk]),
        join_url=reverse("webinars:my_registration_join", args=[pk]),
        by_account=True,
        certificate_url=reverse("webinars:my_registration_certificate", args=[pk]),
    )
