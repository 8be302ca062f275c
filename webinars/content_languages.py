"""Content kept in English and Japanese: the column names, and reading which one is shown.

``webinars.translation`` (django-modeltranslation) gives each listed field ``<field>_en``
and ``<field>_ja`` columns; ``seminar.title`` reads the reader's language, else the other.
This module is what the rest of the code needs to know about that, in one place: the
columns and lookups, which language a text is shown in, and the admin's side-by-side
forms (the admin of notifications uses them too, so they live here, not in webinars.admin).
"""

from typing import Any

from django import forms
from django.db.models import Model, Q, TextField
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline
from modeltranslation.translator import NotRegistered, translator

CONTENT_LANGUAGES = ("en", "ja")


def language_columns(field: str) -> list[str]:
    """``"title"`` → ``["title_en", "title_ja"]``."""
    return [f"{field}_{language}" for language in CONTENT_LANGUAGES]


def translated_fields(model: type[Model]) -> tuple[str, ...]:
    """The fields of ``model`` kept in both languages (none if it has none)."""
    try:
        return tuple(translator.get_options_for_model(model).fields)
    except NotRegistered:
        return ()


def with_language_columns(fields: set[str] | frozenset[str]) -> frozenset[str]:
    """Field names plus their language columns, for "did any of these change" checks."""
    return frozenset(fields).union(*(language_columns(field) for field in fields))


def contains_in_any_language(path: str, term: str) -> Q:
    """``path__icontains=term`` on every language column (``seminar__title`` → both
    ``seminar__title_en`` and ``seminar__title_ja``), so a search finds text in either.

    Spelled out because modeltranslation rewrites a bare ``title`` lookup to the reader's
    language only: an English reader would never find a Japanese-only title.
    """
    condition = Q()
    for column in language_columns(path):
        condition |= Q(**{f"{column}__icontains": term})
    return condition


def shown_order(field: str) -> Coalesce:
    """Order by ``field`` as the reader sees it: their language's column, else the other's.

    modeltranslation rewrites ``order_by("name")`` to the reader's column only, where
    every text not yet translated is NULL: those would tie, in no stable order. Give
    ``"pk"`` after it, for pages that slice.
    """
    current = _reader_language()
    order = [current, *(language for language in CONTENT_LANGUAGES if language != current)]
    # Each language column is its own field class to Django: name the result's type.
    return Coalesce(*(f"{field}_{language}" for language in order), output_field=TextField())


def _reader_language() -> str:
    current = (get_language() or CONTENT_LANGUAGES[0]).split("-")[0]
    return current if current in CONTENT_LANGUAGES else CONTENT_LANGUAGES[0]


def shown_language(obj: Model, field: str) -> str:
    """The language of the text ``getattr(obj, field)`` shows the reader now: theirs if
    filled, else the one it falls back to. Empty when neither is filled."""
    current = _reader_language()
    order = [current, *(language for language in CONTENT_LANGUAGES if language != current)]
    for language in order:
        if getattr(obj, f"{field}_{language}", None):
            return language
    return ""


def fallback_language(obj: Model, field: str) -> str:
    """The language of the shown text when it is not the reader's (a fallback), else ""."""
    shown = shown_language(obj, field)
    current = (get_language() or "").split("-")[0]
    return shown if shown and shown != current else ""


def in_its_language(text: str, language: str) -> SafeString:
    """``text`` escaped, in a ``<span lang>`` when ``language`` (a fallback) is given.

    A Japanese page showing an English title must mark it ``lang="en"`` so screen readers
    pronounce it right (WCAG 3.1.2, language of parts).
    """
    if language:
        return format_html('<span lang="{}">{}</span>', language, text)
    return format_html("{}", text)


# --- The admin: both languages side by side, a required field in at least one ---------
#
# django-modeltranslation's admin classes do the field work (one form field per
# language, the original field left out). Two things are ours:
# - ``both("title")`` puts the two languages of a field on one line of the form, so an
#   organiser sees the English and the Japanese together and notices one missing;
# - a field the model requires (a title, a name, a question) must be given in at least
#   one language. modeltranslation would require the English one, but a seminar for
#   Japanese local governments may be written in Japanese only; the other falls back.


def both(field: str) -> tuple[str, ...]:
    """The field's language columns as one line of an admin fieldset."""
    return tuple(language_columns(field))


def one_language_required(form_class: type[forms.ModelForm]) -> type[forms.ModelForm]:
    """``form_class`` requiring each field the model requires in at least one language."""
    model = form_class._meta.model
    required = [
        field for field in translated_fields(model) if not model._meta.get_field(field).blank
    ]

    class OneLanguageRequiredForm(form_class):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            for field in translated_fields(model):
                for column in language_columns(field):
                    if column in self.fields:
                        self.fields[column].required = False

        def clean(self) -> dict[str, Any]:
            cleaned_data = super().clean()
            for field in required:
                columns = [column for column in language_columns(field) if column in self.fields]
                if columns and not any(
                    str(cleaned_data.get(column) or "").strip() for column in columns
                ):
                    self.add_error(
                        columns[0],
                        forms.ValidationError(
                            gettext("Give this in English or Japanese, or in both."),
                            code="required",
                        ),
                    )
            return cleaned_data

    OneLanguageRequiredForm.__name__ = form_class.__name__
    return OneLanguageRequiredForm


class BothLanguagesAdmin(TranslationAdmin):
    """A ModelAdmin whose model has fields in both languages."""

    class Media:
        css = {"all": ["css/content-languages.css"]}

    def get_form(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        return one_language_required(super().get_form(request, obj, **kwargs))


class BothLanguagesStackedInline(TranslationStackedInline):
    """A stacked inline whose model has fields in both languages (a table would be too
    wide for each field twice)."""

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        formset.form = one_language_required(formset.form)
        return formset
