"""The project's URLs plus the bench-only views (``bench/views.py``)."""

from django.urls import path

from bench import views
from config.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("bench/trivial/", views.trivial, name="bench_trivial"),
    path("bench/insert/", views.insert, name="bench_insert"),
    *project_urlpatterns,
]
