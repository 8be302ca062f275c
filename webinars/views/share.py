"""The share link builder: a seminar's address with the UTM fields of one partner's
newsletter or mailing, so its registrations can be counted by source (webinars.sources).

Under /organiser/, so staff reach it only with a second factor (accounts.middleware).
"""

from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from config.http import personal_page
from webinars import selectors
from webinars.sources import MAX_LENGTH, clean_source_value


class ShareLinkForm(forms.Form):
    utm_source = forms.CharField(
        label=_("Source"),
        max_length=MAX_LENGTH,
        help_text=_("Who sends it, e.g. visit-kyushu or abta-newsletter."),
    )
    utm_medium = forms.CharField(
        label=_("Medium"),
        max_length=MAX_LENGTH,
        required=False,
        initial="email",
        help_text=_("How, e.g. email, social, partner-site."),
    )
    utm_campaign = forms.CharField(
        label=_("Campaign"),
        max_length=MAX_LENGTH,
        required=False,
        help_text=_("Which mailing, e.g. november-2026."),
    )

    def clean(self) -> dict:
        cleaned_data = super().clean()
        for name, value in list(cleaned_data.items()):
            cleaned_data[name] = clean_source_value(value)
        return cleaned_data


@personal_page
@login_required
@require_safe
def seminar_share_link(request: HttpRequest, slug: str) -> HttpResponse:
    """``/organiser/share/<slug>/``: build the seminar's link for one partner's mailing."""
    if not (request.user.is_staff and request.user.has_perm("webinars.change_seminar")):
        raise PermissionDenied
    seminar = selectors.seminar_for_page(slug)
    if seminar is None:
        raise Http404(_("No seminar found."))
    form = ShareLinkForm(request.GET or None)
    link = ""
    if form.is_valid():
        fields = {name: value for name, value in form.cleaned_data.items() if value}
        link = f"{seminar.public_url}?{urlencode(fields)}"
    return render(
        request, "webinars/share_link.html", {"seminar": seminar, "form": form, "link": link}
    )
