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
