from django.urls import path

from webinars.views import (
    attendee,
    catalogue,
    certificates,
    feeds,
    follows,
    insights,
    my_seminars,
    recording_files,
    recordings,
    regions,
    registration,
    share,
    surveys,
)

app_name = "webinars"

urlpatterns = [
    path("", catalogue.home, name="home"),
    path("seminars/", catalogue.seminar_list, name="seminar_list"),
    path("seminars/past/", catalogue.seminar_past, name="seminar_past"),
    path("seminars/<slug:slug>/", catalogue.seminar_detail, name="seminar_detail"),
    path("seminars/<slug:slug>/calendar.ics", feeds.seminar_calendar, name="seminar_calendar"),
    path("series/<slug:slug>/", catalogue.series_detail, name="series_detail"),
    path("series/<slug:slug>/calendar.ics", feeds.series_calendar, name="series_calendar"),
    path("calendar.ics", feeds.all_calendar, name="all_calendar"),
    path("speakers/<slug:slug>/", catalogue.speaker_detail, name="speaker_detail"),
    path("regions/", regions.region_index, name="region_index"),
    path("regions/<slug:slug>/", regions.region_detail, name="region_detail"),
    path("regions/<slug:slug>/calendar.ics", feeds.region_calendar, name="region_calendar"),
]

# A registrant's own pages (webinars.views.attendee, .my_seminars): by emailed token or
# account (webinars.views.access).
urlpatterns += [
    path("r/<str:token>/", attendee.registration_manage, name="registration_manage"),
    path(
        "r/<str:token>/cancel/",
        attendee.registration_cancel_view,
        name="registration_cancel",
    ),
    path(
        "r/<str:token>/invite.ics",
        attendee.registration_invite,
        name="registration_invite",
    ),
    path(
        "r/<str:token>/new-links/",
        attendee.registration_new_links,
        name="registration_new_links",
    ),
    path("j/<str:token>/", attendee.registration_join, name="registration_join"),
    # Organisers' tools (a second factor required under /organiser/).
    path("organiser/share/<slug:slug>/", share.seminar_share_link, name="seminar_share_link"),
    path("organiser/", insights.organiser_insights, name="organiser_insights"),
    path("organiser/report.xlsx", insights.organiser_insights_xlsx, name="organiser_insights_xlsx"),
    path(
        "organiser/tables/<slug:table>.csv",
        insights.organiser_insights_csv,
        name="organiser_insights_csv",
    ),
    path(
        "organiser/seminars/<slug:slug>/",
        insights.organiser_seminar_insights,
        name="organiser_seminar_insights",
    ),
    path(
        "organiser/seminars/<slug:slug>/report.xlsx",
        insights.organiser_seminar_insights_xlsx,
        name="organiser_seminar_insights_xlsx",
    ),
    path(
        "organiser/seminars/<slug:slug>/tables/<slug:table>.csv",
        insights.organiser_seminar_insights_csv,
        name="organiser_seminar_insights_csv",
    ),
    path("me/", my_seminars.my_seminars, name="my_seminars"),
    path("me/calendar/renew/", my_seminars.my_calendar_renew, name="my_calendar_renew"),
    path("me/calendar/<slug:token>.ics", my_seminars.my_calendar, name="my_calendar"),
    path("me/registrations/<int:pk>/", attendee.my_registration, name="my_registration"),
    path(
        "me/registrations/<int:pk>/cancel/",
        attendee.my_registration_cancel,
        name="my_registration_cancel",
    ),
    path(
        "me/registrations/<int:pk>/invite.ics",
        attendee.my_registration_invite,
        name="my_registration_invite",
    ),
    path(
        "me/registrations/<int:pk>/join/",
        attendee.my_registration_join,
        name="my_registration_join",
    ),
]

# Certificates of attendance and presentation, and their public check.
urlpatterns += [
    path(
        "r/<str:token>/certificate.pdf",
        certificates.registration_certificate,
        name="registration_certificate",
    ),
    path(
        "me/registrations/<int:pk>/certificate.pdf",
        certificates.my_registration_certificate,
        name="my_registration_certificate",
    ),
    path(
        "me/speaking/<int:pk>/certificate.pdf",
        certificates.my_speaker_certificate,
        name="my_speaker_certificate",
    ),
    path("certificates/<str:code>/", certificates.certificate_verify, name="certificate_verify"),
]

# Post-seminar surveys (webinars.views.surveys): after the seminar, and months later.
urlpatterns += [
    path(
        "r/<str:token>/survey/<slug:round>/",
        surveys.registration_survey,
        name="registration_survey",
    ),
    path(
        "me/registrations/<int:pk>/survey/<slug:round>/",
        surveys.my_registration_survey,
        name="my_registration_survey",
    ),
]

# Following places, topics and series, and the alerts it brings (webinars.views.follows).
urlpatterns += [
    path("follow/", follows.follow, name="follow"),
    path("follow/confirm/<str:token>/", follows.follow_confirm, name="follow_confirm"),
    path("alerts/<str:token>/", follows.alerts_manage, name="alerts_manage"),
    path("alerts/<str:token>/stop/", follows.alerts_stop, name="alerts_stop"),
    path("me/follows/", follows.my_follows, name="my_follows"),
]

# Registering for a seminar (see webinars.views.registration), and the notice it links to.
urlpatterns += [
    path(
        "seminars/<slug:slug>/register/",
        registration.register,
        name="register",
    ),
    path("privacy/", registration.privacy, name="privacy"),
]

# The recording archive (see webinars.views.recordings) and its access-checked files
# (webinars.views.recording_files); a registrant's emailed link to the recording.
urlpatterns += [
    path("recordings/", recordings.recording_list, name="recording_list"),
    path("recordings/<slug:slug>/", recordings.recording_detail, name="recording_detail"),
    path(
        "recordings/<slug:slug>/progress/",
        recordings.recording_progress,
        name="recording_progress",
    ),
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
        recordings.registration_recording,
        name="registration_recording",
    ),
]
