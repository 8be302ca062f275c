"""The filter and search forms of the catalogue lists (the recording archive's builds on them).

Its input is a query string anyone can type or mangle, so it never fails:
a value it does not know (``?series=nope``, ``?prefecture=JP-99``) is ignored,
and the search text is cleaned and shortened rather than rejected.
"""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.utils import ErrorDict
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from accounts.models import Language
from webinars import selectors
from webinars.models import Series, Topic
from webinars.prefectures import Prefecture

MAX_SEARCH_LENGTH = 100


class SearchField(forms.CharField):
    """Free text for a search: NFKC-normalised, control characters dropped, cut to a
    sensible length."""

    def to_python(self, value: Any) -> str:
        text = selectors.search_text_normalised(super().to_python(value))
        return " ".join(text.split())[:MAX_SEARCH_LENGTH]


# Form fields whose selector argument has another name; the others keep theirs.
FILTER_ARGUMENTS = {"q": "query", "audience": "audience_type"}


class CatalogueFilterForm(forms.Form):
    """Search and filters of a catalogue list: a search, series, topic and prefecture.

    Subclasses add fields and say which topics to offer (``topic_choices``).
    """

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
    topic = forms.ChoiceField(label=_("Topic"), required=False)
    prefecture = forms.ChoiceField(
        label=_("Prefecture"),
        required=False,
        choices=[("", _("All prefectures")), *Prefecture.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["series"].choices = [
            ("", _("All series")),
            *Series.objects.order_by("position", "name").values_list("slug", "name"),
        ]
        self.fields["topic"].choices = [
            ("", _("All topics")),
            *self.topic_choices().values_list("slug", "name"),
        ]

    def topic_choices(self) -> QuerySet[Topic]:
        raise NotImplementedError

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
        return {FILTER_ARGUMENTS.get(name, name): data.get(name) or None for name in self.fields}


class SeminarFilterForm(CatalogueFilterForm):
    audience = forms.ChoiceField(label=_("Audience"), required=False)
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("Any language")), *Language.choices],
    )
    field_order = ["q", "series", "audience", "topic", "prefecture", "language"]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["audience"].choices = [
            ("", _("Any audience")),
            *selectors.audience_types_offered().values_list("slug", "name"),
        ]

    def topic_choices(self) -> QuerySet[Topic]:
        return selectors.topics_in_use()
