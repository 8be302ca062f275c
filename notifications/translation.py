"""The content of notifications kept in English and Japanese (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from notifications.models import Announcement


@register(Announcement)
class AnnouncementTranslation(TranslationOptions):
    fields = ("subject", "body")
