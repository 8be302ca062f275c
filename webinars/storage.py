"""Where recordings, transcripts and materials are kept: ``settings.PRIVATE_MEDIA_ROOT``."""

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.functional import cached_property


class PrivateFileStorage(FileSystemStorage):
    """A file system storage rooted at ``PRIVATE_MEDIA_ROOT``, outside every served folder.

    The root is read from the setting, not fixed when the storage is made: file fields
    resolve their storage once, when the models load, and must still follow the setting
    when it changes (each test gets its own folder). No URL maps onto these files; only
    the access-checked views in ``webinars.views.recording_files`` serve them.
    """

    @cached_property
    def base_location(self):
        return self._value_or_setting(self._location, settings.PRIVATE_MEDIA_ROOT)

    def _clear_cached_properties(self, setting, **kwargs):
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_MEDIA_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)
