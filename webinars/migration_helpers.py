"""Helpers for data migrations, kept out of the migrations so they can be tested."""

import re

# Kana and CJK ideographs (with their compatibility and half-width forms).
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_LETTER = re.compile(r"\w")


def text_is_japanese(text: str) -> bool:
    """Most of the letters are Japanese script (so "Kumano 熊野古道 walk" is English)."""
    letters = _LETTER.findall(text or "")
    if not letters:
        return False
    japanese = sum(1 for letter in letters if _JAPANESE.match(letter))
    return japanese * 2 >= len(letters)


def fill_language_columns(model, fields: tuple[str, ...]) -> None:
    """Copy each row's original column into ``<field>_ja`` or ``<field>_en``.

    Migrations' historical models have plain fields, so reading ``title`` here reads the
    original column, not modeltranslation's descriptor. Rows already filled are left alone.
    """
    rows = model.objects.all().only("pk", *fields, *[f"{f}_en" for f in fields])
    for row in rows.iterator(chunk_size=500):
        if any(getattr(row, f"{field}_en") for field in fields):
            continue
        key_text = next((getattr(row, field) for field in fields if getattr(row, field)), "")
        language = "ja" if text_is_japanese(key_text) else "en"
        updates = {f"{field}_{language}": getattr(row, field) for field in fields}
        model.objects.filter(pk=row.pk).update(**updates)
