from django.urls import path

from accounts import language, views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("language/", language.language_set, name="language_set"),
]
