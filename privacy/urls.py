from django.urls import path

from privacy import views

app_name = "privacy"

urlpatterns = [
    path("accounts/privacy/", views.account_privacy, name="account_privacy"),
    path("accounts/privacy/data.json", views.account_data, name="account_data"),
    path("accounts/privacy/delete/", views.account_delete_view, name="account_delete"),
    path("r/<str:token>/data.json", views.registration_data, name="registration_data"),
    path("r/<str:token>/erase/", views.registration_erase_view, name="registration_erase"),
]
