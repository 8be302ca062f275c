"""Being written in this session (issue 5): the archive, the watch page, the emailed link."""

from django.http import Http404


def recording_list(request, *args, **kwargs):
    raise Http404


recording_detail = registration_recording = recording_list
