import re
import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


@cache
def available_time_zones() -> frozenset[str]:
    """IANA "Area/Location" names, plus UTC.

    Leaves out what tzdata also ships but people should not pick: ``localtime``
    (whatever the host says, which may differ between web and worker), ``Factory``,
    legacy aliases without an area (``GB``, ``Japan``) and the inverted ``Etc/GMT+5``.
    """
    return frozenset(
        name
        for name in zoneinfo.available_timezones()
        if "/" in name and not name.startswith(("Etc/", "posix/", "right/", "SystemV/"))
    ) | {"UTC"}


def validate_time_zone(value: str) -> None:
    """Accept only IANA zone names (``Europe/London``, ``Asia/Tokyo``)."""
    if value not in available_time_zones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone. Use an IANA name such as Europe/London."),
            code="invalid_time_zone",
            params={"value": value},
        )


def time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(available_time_zones())]


# Line breaks of every kind: CR, LF, NEL, and the Unicode line and paragraph separators.
LINE_BREAKS = re.compile("[\r\n\x85\u2028\u2029]")
# C0/C1 controls (tab and the line breaks are dealt with separately), and the
# bidirectional overrides that can make text read differently from what it is.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def validate_single_line(value: str) -> None:
    """One line of plain text about a person: no line breaks, no control characters.

    Names, organisations and job titles go into email headers and calendar
    parameters; refusing these characters, with a message that says which, is clearer
    to the person than silently changing what they typed.
    """
    if LINE_BREAKS.search(value):
        raise ValidationError(_("Please keep this on one line."), code="line_break")
    if CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            _("Please remove control characters (invisible formatting or direction marks)."),
            code="control_characters",
        )


# A web address in a name: a scheme, "www.", or a domain under a top-level domain spam uses.
_URL_IN_NAME = re.compile(
    r"://|\bwww\.|\b[\w-]+\.(?:com|net|org|info|biz|xyz|top|ru|cn|io|ly|me|link|click|site|"
    r"online|shop|app|dev)\b",
    re.IGNORECASE,
)


def validate_name_without_link(value: str) -> None:
    """A person's name holds no web address.

    The name opens every email sent to them ("Dear …"): a name that is a link would turn
    a registration made in someone else's address into a branded email carrying it.
    """
    if _URL_IN_NAME.search(value):
        raise ValidationError(
            _("Please enter your name without a web address."), code="link_in_name"
        )
