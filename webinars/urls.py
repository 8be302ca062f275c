from django.urls import path

app_name = "webinars"

urlpatterns: list = []
