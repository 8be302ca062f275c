"""The search and filter form of the recording archive.

Like the seminar lists' form (whose base it shares), it never fails: an unknown series,
topic or prefecture is ignored and the search text is cleaned and shortened.
"""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from webinars import selectors
from webinars.forms import MAX_SEARCH_LENGTH, CatalogueFilterForm, SearchField
from webinars.models import Topic
from webinars.recording_access import ANONYMOUS, Viewer


class RecordingFilterForm(CatalogueFilterForm):
    """No audience filter (who may watch is decided per viewer) nor language."""

    q = SearchField(
        label=_("Search recordings"),
        required=False,
        help_text=_("Words said in the seminar, a title or a speaker. Use quotes for a phrase."),
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "maxlength": MAX_SEARCH_LENGTH,
                "placeholder": _("e.g. “local attractions”, onsen, Kumamoto"),
                "autocomplete": "off",
            }
        ),
    )

    def __init__(self, *args: Any, viewer: Viewer = ANONYMOUS, **kwargs: Any):
        self.viewer = viewer
        super().__init__(*args, **kwargs)

    def topic_choices(self) -> QuerySet[Topic]:
        # Only topics of recordings this viewer may watch: a restricted recording's topic
        # would tell anonymous visitors (and the cached page) that it exists.
        return selectors.recording_topics(self.viewer)
