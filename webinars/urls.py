from django.urls import path

from webinars import feeds, views

app_name = "webinars"

urlpatterns = [
    path("", views.home, name="home"),
    path("seminars/", views.seminar_list, name="seminar_list"),
    path("seminars/past/", views.seminar_past, name="seminar_past"),
    path("seminars/<slug:slug>/", views.seminar_detail, name="seminar_detail"),
    path("seminars/<slug:slug>/calendar.ics", feeds.seminar_calendar, name="seminar_calendar"),
    path("series/<slug:slug>/", views.series_detail, name="series_detail"),
    path("series/<slug:slug>/calendar.ics", feeds.series_calendar, name="series_calendar"),
    path("calendar.ics", feeds.all_calendar, name="all_calendar"),
    path("speakers/<slug:slug>/", views.speaker_detail, name="speaker_detail"),
]
