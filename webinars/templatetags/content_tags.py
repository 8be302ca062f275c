"""Content in the reader's language, marked with its own language where it falls back.

A seminar with no Japanese title shows its English one to a Japanese reader; the page is
still ``lang="ja"``, so the English text must carry ``lang="en"`` for screen readers to
pronounce it right (WCAG 3.1.2, language of parts). In HTML only: plain-text emails and
calendar invites use the field itself.

    <h1{{ seminar|lang_attr:"description" }}>…</h1>     an element's own attribute
    {{ seminar|in_language:"title" }}                  the text, in a span if needed
"""

from django import template
from django.db.models import Model
from django.utils.html import format_html
from django.utils.safestring import SafeString

from webinars.content_languages import fallback_language, in_its_language

register = template.Library()


@register.filter
def lang_attr(obj: Model | None, field: str) -> SafeString:
    """`` lang="en"`` for an element holding ``obj.<field>`` in the other language."""
    if obj is None:
        return SafeString("")
    language = fallback_language(obj, field)
    return format_html(' lang="{}"', language) if language else SafeString("")


@register.filter
def in_language(obj: Model | None, field: str) -> SafeString:
    """``obj.<field>`` escaped, in a ``<span lang>`` when it is in the other language."""
    if obj is None:
        return SafeString("")
    return in_its_language(getattr(obj, field) or "", fallback_language(obj, field))
