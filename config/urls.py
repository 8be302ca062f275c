from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config import health, media

# The admin's own login form calls authenticate() directly: no rate limits, no second
# factor. Every sign-in goes through allauth's login instead.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", media.public_media, name="public_media"),
    path("", include("privacy.urls")),
    path("", include("notifications.urls")),
    path("", include("webinars.urls")),
]
