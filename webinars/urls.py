from django.urls import path

from webinars import (
    feeds,
    recording_files,
    views,
    views_attendee,
    views_recordings,
    views_registration,
)

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

# A registrant's own pages (see webinars.views_attendee): by emailed token, or by account.
urlpatterns += [
    path("r/<str:token>/", views_attendee.registration_manage, name="registration_manage"),
    path(
        "r/<str:token>/cancel/",
        views_attendee.registration_cancel_view,
        name="registration_cancel",
    ),
    path(
        "r/<str:token>/invite.ics",
        views_attendee.registration_invite,
        name="registration_invite",
    ),
    path("j/<str:token>/", views_attendee.registration_join, name="registration_join"),
    path("me/", views_attendee.my_seminars, name="my_seminars"),
    path("me/calendar/renew/", views_attendee.my_calendar_renew, name="my_calendar_renew"),
    path("me/calendar/<slug:token>.ics", views_attendee.my_calendar, name="my_calendar"),
    path("me/registrations/<int:pk>/", views_attendee.my_registration, name="my_registration"),
    path(
        "me/registrations/<int:pk>/cancel/",
        views_attendee.my_registration_cancel,
        name="my_registration_cancel",
    ),
    path(
        "me/registrations/<int:pk>/invite.ics",
        views_attendee.my_registration_invite,
        name="my_registration_invite",
    ),
    path(
        "me/registrations/<int:pk>/join/",
        views_attendee.my_registration_join,
        name="my_registration_join",
    ),
]

# Registering for a seminar (see webinars.views_registration), and the notice it links to.
urlpatterns += [
    path(
        "seminars/<slug:slug>/register/",
        views_registration.register,
        name="register",
    ),
    path("privacy/", views_registration.privacy, name="privacy"),
]

# The recording archive (see webinars.views_recordings) and its access-checked files
# (webinars.recording_files); a registrant's emailed link to the recording.
urlpatterns += [
    path("recordings/", views_recordings.recording_list, name="recording_list"),
    path("recordings/<slug:slug>/", views_recordings.recording_detail, name="recording_detail"),
    path(
        "recordings/<slug:slug>/transcript.vtt",
        recording_files.recording_transcript,
        name="recording_transcript",
    ),
    path("recordings/<slug:slug>/video/", recording_files.recording_video, name="recording_video"),
    path(
        "recordings/<slug:slug>/materials/<int:pk>/",
        recording_files.recording_material,
        name="recording_material",
    ),
    path(
        "r/<str:token>/recording/",
        views_recordings.registration_recording,
        name="registration_recording",
    ),
]
