"""How a field kept in both languages is named in forms: "title (English)", "タイトル（日本語）"."""

from django.utils.functional import lazy
from django.utils.translation import gettext

_LANGUAGE_NAMES = {"en": "English", "ja": "Japanese"}


def _localized_verbose_name(verbose_name: str, language: str) -> str:
    return gettext("%(field)s (%(language)s)") % {
        "field": verbose_name,
        "language": gettext(_LANGUAGE_NAMES.get(language, language)),
    }


# Lazy, so the admin shows it in the reader's language, not the one of start-up.
localized_verbose_name = lazy(_localized_verbose_name, str)
