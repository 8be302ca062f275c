"""Being written in this session (issue 5): upload checks and access-checked downloads."""

from django.http import Http404


def recording_video(request, *args, **kwargs):
    raise Http404


recording_transcript = recording_material = recording_video
