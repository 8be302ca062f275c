from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.forms import ProfileForm
from accounts.language import language_cookie_set


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """Let a signed-in person edit their name, audience type and preferences."""
    data = request.POST if request.method == "POST" else None
    form = ProfileForm(data, instance=request.user)
    if request.method == "POST" and form.is_valid():
        if "audience_type" in form.changed_data:
            # An organiser confirmed the old type, not this one.
            form.instance.audience_type_confirmed_at = None
        form.save()
        response = redirect("accounts:profile")
        if "preferred_language" in form.changed_data:
            # The site turns to the chosen language now, and stays in it in this browser.
            translation.activate(form.instance.preferred_language)
            language_cookie_set(response, form.instance.preferred_language)
        messages.success(request, _("Your profile has been saved."))
        return response
    return render(request, "accounts/profile.html", {"form": form})
