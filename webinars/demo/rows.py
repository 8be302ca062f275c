"""``upsert``: the one write every demo seeder makes, so that seeding twice changes nothing;
and ``in_both_languages``, the language columns it writes for text kept in two languages."""

from typing import Any, TypeVar

from django.db import models

from webinars.content_languages import CONTENT_LANGUAGES, language_columns

ModelT = TypeVar("ModelT", bound=models.Model)


def upsert(model: type[ModelT], *, lookup: dict[str, Any], values: dict[str, Any]) -> ModelT:
    """Create the row, or bring it to ``values``; writes nothing when it already matches."""
    instance = model._default_manager.filter(**lookup).first()
    if instance is None:
        instance = model(**lookup, **values)
    elif all(getattr(instance, name) == value for name, value in values.items()):
        return instance
    else:
        for name, value in values.items():
            setattr(instance, name, value)
    instance.full_clean()
    instance.save()
    return instance


def in_both_languages(spec: object, *fields: str) -> dict[str, str]:
    """The language columns of ``fields``, from a demo spec whose ``title`` is the English
    text and ``title_ja`` the Japanese: ``{"title_en": …, "title_ja": …}``.

    Written by name: a bare ``title`` would fill whichever language happens to be active.
    """
    return {
        column: getattr(spec, field if language == "en" else f"{field}_{language}")
        for field in fields
        for language, column in zip(CONTENT_LANGUAGES, language_columns(field), strict=True)
    }
