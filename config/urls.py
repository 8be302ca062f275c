from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config import health, media

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("allauth.urls")),
    path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", media.public_media, name="public_media"),
    path("", include("notifications.urls")),
    path("", include("webinars.urls")),
]
