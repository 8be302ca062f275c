"""Helpers for data migrations, kept out of the migrations so they can be tested."""

import re

from webinars.search_tokens import JAPANESE_CHARACTERS

# Kana (with half-width forms): only Japanese writes them.
_KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
# Kana and kanji, as search reads Japanese script.
_JAPANESE = re.compile(f"[{JAPANESE_CHARACTERS}]")
# Letters only: digits and underscores say nothing of the language ("2026年度").
_LETTER = re.compile(r"[^\W\d_]")


def text_is_japanese(text: str) -> bool:
    """Most of its letters are kanji or kana ("2026年度 自治体DX"), or a quarter are and it
    has kana, which only Japanese writes ("JETプログラム 2025"); so "Kumano Kodo: walking
    熊野古道" and an English text quoting おもてなし are English."""
    letters = _LETTER.findall(text or "")
    if not letters:
        return False
    japanese = sum(1 for letter in letters if _JAPANESE.match(letter))
    share_needed = 4 if _KANA.search(text) else 2
    return japanese * share_needed >= len(letters)


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
        updates = {f"{field}_{language}": text for field in fields if (text := getattr(row, field))}
        if updates:
            model.objects.filter(pk=row.pk).update(**updates)
