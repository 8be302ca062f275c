"""The search and filter form of the recording archive.

Like the seminar lists' form (whose cleaning it inherits), it never fails: an unknown
series, topic or prefecture is ignored and the search text is cleaned and shortened.
"""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from webinars import recording_selectors
from webinars.forms import MAX_SEARCH_LENGTH, SearchField, SeminarFilterForm
from webinars.models import Series


class RecordingFilterForm(SeminarFilterForm):
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
    # Recordings have no audience filter (who may watch is decided per viewer) nor language.
    audience = None
    language = None

    def __init__(self, *args: Any, **kwargs: Any):
        # Not SeminarFilterForm.__init__: its choices are the seminar lists' (audiences,
        # every topic); the archive offers only the topics of recorded seminars.
        forms.Form.__init__(self, *args, **kwargs)
        self.fields["series"].choices = [
            ("", _("All series")),
            *Series.objects.order_by("position", "name").values_list("slug", "name"),
        ]
        self.fields["topic"].choices = [
            ("", _("All topics")),
            *recording_selectors.recording_topics().values_list("slug", "name"),
        ]

    def filters(self) -> dict[str, str | None]:
        """The arguments of ``recording_selectors.recordings_archive`` from the valid input."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "series": data.get("series") or None,
            "topic": data.get("topic") or None,
            "prefecture": data.get("prefecture") or None,
            "query": data.get("q") or None,
        }
