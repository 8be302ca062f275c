"""The site mounted under /kizuna/: what a deployment under a path prefix reverses to."""

from django.urls import include, path

urlpatterns = [path("kizuna/", include("config.urls"))]
