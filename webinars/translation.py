"""The content kept in English and Japanese (django-modeltranslation).

Each field listed here gains ``<field>_en`` and ``<field>_ja`` columns in its own table;
reading ``seminar.title`` gives the reader's language, else the other one. Forms and
services write the language columns by name; see ARCHITECTURE.md, "Content in two
languages".
"""

from modeltranslation.translator import TranslationOptions, register

from webinars.models import (
    Recording,
    RegistrationQuestion,
    Seminar,
    Series,
    Speaker,
    SurveyQuestion,
    Topic,
)


@register(Topic)
class TopicTranslation(TranslationOptions):
    fields = ("name",)


@register(Series)
class SeriesTranslation(TranslationOptions):
    fields = ("name", "tagline", "description")


@register(Speaker)
class SpeakerTranslation(TranslationOptions):
    fields = ("title", "organisation", "bio")


@register(Seminar)
class SeminarTranslation(TranslationOptions):
    fields = ("title", "summary", "description")


@register(Recording)
class RecordingTranslation(TranslationOptions):
    fields = ("title", "description")


@register(RegistrationQuestion)
class RegistrationQuestionTranslation(TranslationOptions):
    fields = ("label", "help_text", "choices")


@register(SurveyQuestion)
class SurveyQuestionTranslation(TranslationOptions):
    fields = ("label", "help_text", "choices")
