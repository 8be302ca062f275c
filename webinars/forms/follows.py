"""The follow forms: a guest's address (confirmed by email), and an account's choice."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.forms import HumanCheckMixin
from accounts.human_check import HumanCheck
from accounts.validators import validate_time_zone
from webinars.models import Follow, Series, Topic
from webinars.regions import regions
from webinars.selectors.follows import FollowTarget, follow_target


class FollowForm(HumanCheckMixin, forms.Form):
    """A guest's address for alerts of one target; ``email`` is left out for an account."""

    email = forms.EmailField(
        label=_("Your email"),
        max_length=Follow._meta.get_field("email").max_length,
        help_text=_("We send a link to confirm; nothing more until you click it."),
    )
    # The honeypot: hidden from people by CSS, filled in by naive bots.
    website = forms.CharField(label=_("Leave this empty"), required=False, max_length=200)
    # The browser's IANA zone (site.js): alerts show times in the reader's own zone too.
    time_zone = forms.CharField(
        required=False, widget=forms.HiddenInput(attrs={"data-browser-time-zone": ""})
    )

    def __init__(self, *args, human_check: HumanCheck | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.human_check = human_check
        self.fields["email"].widget.attrs["autocomplete"] = "email"
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    @property
    def honeypot_filled(self) -> bool:
        return bool(self.data.get("website", "").strip())

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_time_zone(self) -> str:
        """A known zone, else "": a hint from the browser, never an error."""
        value = (self.cleaned_data.get("time_zone") or "").strip()
        try:
            validate_time_zone(value)
        except forms.ValidationError:
            return ""
        return value


class AccountFollowForm(forms.Form):
    """What an account holder adds to their follows, from one list of every target."""

    target = forms.ChoiceField(label=_("Follow"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = follow_choices()

    def clean_target(self) -> FollowTarget:
        kind, _sep, value = self.cleaned_data["target"].partition(":")
        target = follow_target(
            place=value if kind == "place" else "",
            topic=value if kind == "topic" else "",
            series=value if kind == "series" else "",
            every=kind == "all",
        )
        if target is None:
            raise forms.ValidationError(_("Choose something to follow from the list."))
        return target


def follow_choices() -> list[tuple[str, object]]:
    """Grouped options: regions with their prefectures, topics, series, every seminar."""
    places = []
    for region in regions():
        places.append((f"place:{region.slug}", str(region.name)))
        places.extend((f"place:{part.slug}", f"— {part.name}") for part in region.parts)
    return [
        ("", _("Choose…")),
        (_("Regions and prefectures"), places),
        (_("Topics"), [(f"topic:{t.slug}", str(t.name)) for t in Topic.objects.order_by("name")]),
        (_("Series"), [(f"series:{s.slug}", str(s.name)) for s in Series.objects.all()]),
        (_("Everything"), [("all:1", _("Every new seminar"))]),
    ]
