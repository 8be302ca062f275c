"""Forms of the catalogue: the public filters, and the organisers' seminar and speaker forms.

The filter and search forms of the lists (the recording archive's builds on them) read a
query string anyone can type or mangle, so they never fail: a value they do not know
(``?series=nope``, ``?prefecture=JP-99``) is ignored, and the search text is cleaned and
shortened rather than rejected.

The admin model forms carry no ``Meta``: the ModelAdmin that uses one supplies model and fields.
"""

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.utils import ErrorDict
from django.http import QueryDict
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.forms import time_zone_field
from accounts.models import Language
from webinars import selectors
from webinars.content_languages import fallback_language, shown_order
from webinars.forms.reminders import ReminderOffsetsField
from webinars.forms.seminar_times import (
    SEMINAR_TIME_FIELDS,
    WallClockDateTimeField,
    localize_seminar_times,
    wall_clock_initial,
)
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


class LanguageMarkedSelect(forms.Select):
    """A select whose options carry ``lang`` where their text is in another language."""

    def __init__(self, *args: Any, option_languages: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.option_languages = option_languages

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if language := self.option_languages.get(str(value)):
            option["attrs"]["lang"] = language
        return option


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
        self._offer(
            "series", _("All series"), Series.objects.order_by("position", shown_order("name"))
        )
        self._offer("topic", _("All topics"), self.topic_choices())

    def _offer(self, field: str, everything: str, items: QuerySet) -> None:
        """Offer ``items`` by slug and name; a name in the other language than the page's
        is marked with its own (``<option lang="en">``), as on the rest of the page."""
        items = list(items)
        # The widget first: setting a field's choices hands them to its widget.
        self.fields[field].widget = LanguageMarkedSelect(
            option_languages={item.slug: fallback_language(item, "name") for item in items}
        )
        self.fields[field].choices = [("", everything), *((item.slug, item.name) for item in items)]

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


# The same wording as the models' CheckConstraints, so one translation covers both.
ENDS_BEFORE_START = _("The seminar must end after it starts.")


REGISTRATION_CLOSES_BEFORE_OPENING = _("Registration must close after it opens.")


JET_YEARS_REVERSED = _("The JET end year cannot be before the start year.")


def _zone_field(help_text: str) -> forms.ChoiceField:
    field = time_zone_field()
    field.help_text = help_text
    return field


class SeminarAdminForm(forms.ModelForm):
    """Checks the database constraints field by field, and takes reminders as durations.

    Django would report a violated CheckConstraint at the top of the form; naming the
    field lets the organiser see at once which date to fix (and the constraint check is
    then skipped for that field, so the message is not shown twice).
    """

    reminder_offsets_minutes = ReminderOffsetsField(
        empty_means=None,
        label=_("Reminders"),
        help_text=_(
            "When registrants are reminded before the start. Tick nothing and leave the box "
            "empty to use the series' reminders."
        ),
    )
    timezone = _zone_field(
        _("Choose it first: the times below are typed as clocks show them there.")
    )
    starts_at = WallClockDateTimeField(label=_("Starts"))
    ends_at = WallClockDateTimeField(label=_("Ends"))
    rehearsal_starts_at = WallClockDateTimeField(
        label=_("Speakers' rehearsal"),
        required=False,
        help_text=_(
            "In the seminar's time zone. When speakers join for a technical check: their "
            "reminder the day before mentions it."
        ),
    )
    registration_opens_at = WallClockDateTimeField(label=_("Registration opens"), required=False)
    registration_closes_at = WallClockDateTimeField(label=_("Registration closes"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in SEMINAR_TIME_FIELDS:
                self.initial[name] = wall_clock_initial(
                    getattr(self.instance, name), self.instance.timezone
                )

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        localize_seminar_times(self, cleaned_data)
        starts_at, ends_at = cleaned_data.get("starts_at"), cleaned_data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", ENDS_BEFORE_START)
        opens_at = cleaned_data.get("registration_opens_at")
        closes_at = cleaned_data.get("registration_closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("registration_closes_at", REGISTRATION_CLOSES_BEFORE_OPENING)
        return cleaned_data


class SeriesAdminForm(forms.ModelForm):
    timezone = _zone_field(_("Where its seminars are usually planned: new seminars start in it."))
    reminder_offsets_minutes = ReminderOffsetsField(
        empty_means=[],
        label=_("Reminders"),
        help_text=_(
            "When registrants of this series' seminars are reminded before the start, unless "
            "a seminar sets its own. Tick nothing for no reminders."
        ),
    )


class SpeakerAdminForm(forms.ModelForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = time_zone_field()
        zone.required = False
        zone.choices = [("", _("Not known: the seminar's, UK and Japan times")), *zone.choices]
        zone.initial = ""
        zone.help_text = _("Where the speaker will be: their emails show the times there too.")
        self.fields["time_zone"] = zone

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        year_from, year_to = cleaned_data.get("jet_year_from"), cleaned_data.get("jet_year_to")
        if year_from and year_to and year_to < year_from:
            self.add_error("jet_year_to", JET_YEARS_REVERSED)
        return cleaned_data


class AudienceQuotaFormSet(forms.BaseInlineFormSet):
    """Quotas that fit the seminar: each one, and all of them together, within its capacity.

    ``self.instance`` is the seminar as the main form has just cleaned it, so a capacity
    changed in the same save is the one checked. No capacity means no limit.
    """

    def clean(self) -> None:
        super().clean()  # Duplicate audience types, see get_unique_error_message().
        capacity = self.instance.capacity
        if capacity is None:
            return
        total, row_over_capacity = 0, False
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or self._should_delete_form(form):
                continue
            seats = form.cleaned_data.get("seats")
            if seats is None:  # A blank extra row, or a row with its own error.
                continue
            total += seats
            if seats > capacity:
                row_over_capacity = True
                form.add_error(
                    "seats",
                    gettext("More seats than the seminar's capacity (%(capacity)d).")
                    % {"capacity": capacity},
                )
        # A row over capacity already says what to fix; the sum would repeat it.
        if total > capacity and not row_over_capacity:
            raise forms.ValidationError(
                ngettext(
                    "The quotas add up to %(total)d seat, more than the seminar's capacity "
                    "of %(capacity)d.",
                    "The quotas add up to %(total)d seats, more than the seminar's capacity "
                    "of %(capacity)d.",
                    total,
                )
                % {"total": total, "capacity": capacity},
                code="quotas_over_capacity",
            )

    def get_unique_error_message(self, unique_check: list[str]) -> str:
        # Django would name the field by its attribute name ("audience_type").
        if [name for name in unique_check if name != self.fk.name] == ["audience_type"]:
            return gettext("Each audience type can have only one quota.")
        return super().get_unique_error_message(unique_check)


class CancelSeminarsForm(forms.Form):
    """The message that goes with a cancellation (seminar page, emails to registrants)."""

    message = forms.CharField(
        label=_("Message to registrants"),
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        max_length=2000,
        help_text=_(
            "Say why the seminar is cancelled and what happens next (a new date, the "
            "recording of an earlier session…). Attendees see it with the cancellation notice."
        ),
    )


class DuplicateSeminarsForm(forms.Form):
    """How far to move the copies: whole days, at the same time in each seminar's zone."""

    days_later = forms.IntegerField(
        label=_("Days later"),
        min_value=0,
        max_value=730,
        initial=7,
        help_text=_(
            "Each copy, with its registration window, starts this many days after its "
            "original, at the same local time in the seminar's time zone (also across a "
            "clock change). 0 keeps the same date."
        ),
    )
