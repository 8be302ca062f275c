"""The filter and search form of the seminar lists.

Its input is a query string anyone can type or mangle, so it never fails:
a value it does not know (``?series=nope``, ``?prefecture=JP-99``) is ignored,
and the search text is cleaned and shortened rather than rejected.
"""

import unicodedata
from typing import Any

from django import forms
from django.forms.utils import ErrorDict
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.models import Language
from webinars import selectors
from webinars.models import Series
from webinars.prefectures import Prefecture

MAX_SEARCH_LENGTH = 100


class SearchField(forms.CharField):
    """Free text for a search: control characters dropped, cut to a sensible length."""

    def to_python(self, value: Any) -> str:
        text = super().to_python(value)
        # NUL and other control characters cannot be stored in PostgreSQL text
        # parameters and mean nothing in a search.
        text = "".join(" " if unicodedata.category(char).startswith("C") else char for char in text)
        return " ".join(text.split())[:MAX_SEARCH_LENGTH]


class SeminarFilterForm(forms.Form):
    q = SearchField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "maxlength": MAX_SEARCH_LENGTH,
                "placeholder": _("Title, speaker, region…"),
                "autocomplete": "off",
            }
        ),
    )
    series = forms.ChoiceField(label=_("Series"), required=False)
    audience = forms.ChoiceField(label=_("Audience"), required=False)
    topic = forms.ChoiceField(label=_("Topic"), required=False)
    prefecture = forms.ChoiceField(
        label=_("Prefecture"),
        required=False,
        choices=[("", _("All prefectures")), *Prefecture.choices],
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Any language")), *Language.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["series"].choices = [
            ("", _("All series")),
            *Series.objects.order_by("position", "name").values_list("slug", "name"),
        ]
        self.fields["audience"].choices = [
            ("", _("Any audience")),
            *selectors.audience_types_offered().values_list("slug", "name"),
        ]
        self.fields["topic"].choices = [
            ("", _("All topics")),
            *selectors.topics_in_use().values_list("slug", "name"),
        ]

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound:
            # Invalid filters are ignored rather than reported: show the form as applied,
            # with the unknown values unselected and the search text as cleaned.
            self.data = {name: self.cleaned_data.get(name) or "" for name in self.fields}
            self._errors = ErrorDict()

    def applied_query(self) -> QueryDict:
        """The applied filters as a query string, e.g. for pagination links."""
        self.is_valid()
        query = QueryDict(mutable=True)
        for name in self.fields:
            if self.cleaned_data.get(name):
                query[name] = self.cleaned_data[name]
        return query

    def filters(self) -> dict[str, str | None]:
        """The selector arguments from the valid part of the input; anything invalid is left out."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "series": data.get("series") or None,
            "audience_type": data.get("audience") or None,
            "topic": data.get("topic") or None,
            "prefecture": data.get("prefecture") or None,
            "language": data.get("language") or None,
            "query": data.get("q") or None,
        }
