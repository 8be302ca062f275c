"""``upsert``: the one write every demo seeder makes, so that seeding twice changes nothing."""

from typing import Any, TypeVar

from django.db import models

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
