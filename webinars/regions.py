"""Japan's regions and prefectures as places with pages: ``/regions/kyushu/``, ``/regions/oita/``.

Nine regions, as the seminars present Japan to the UK travel trade (Okinawa apart from
Kyushu; Mie in Kansai), each with its prefectures from :class:`~webinars.prefectures.Prefecture`.
Slugs are lower-case romaji. Hokkaido and Okinawa are each a region of one prefecture: the
region's page is the prefecture's, so their slugs name one place.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from webinars.prefectures import Prefecture

REGION = "region"
PREFECTURE = "prefecture"


@dataclass(frozen=True)
class Place:
    """A region or a prefecture: what its page shows seminars, recordings and speakers of."""

    slug: str
    kind: str  # REGION or PREFECTURE
    name: str | Promise
    prefectures: tuple[str, ...]  # the ISO 3166-2 codes it covers
    region_slug: str  # its own slug for a region

    @property
    def is_region(self) -> bool:
        return self.kind == REGION

    @property
    def region(self) -> "Place":
        return PLACES[self.region_slug]

    @property
    def parts(self) -> list["Place"]:
        """A region's prefectures as places (none for a prefecture, or a one-prefecture region)."""
        if not self.is_region or len(self.prefectures) == 1:
            return []
        return [place_for_prefecture(code) for code in self.prefectures]


_P = Prefecture
# (slug, name, prefectures): regions north to south, prefectures in ISO code order.
_REGIONS: tuple[tuple[str, str | Promise, tuple[str, ...]], ...] = (
    ("hokkaido", _("Hokkaido"), (_P.HOKKAIDO,)),
    ("tohoku", _("Tohoku"), (_P.AOMORI, _P.IWATE, _P.MIYAGI, _P.AKITA, _P.YAMAGATA, _P.FUKUSHIMA)),
    (
        "kanto",
        _("Kanto"),
        (_P.IBARAKI, _P.TOCHIGI, _P.GUNMA, _P.SAITAMA, _P.CHIBA, _P.TOKYO, _P.KANAGAWA),
    ),
    (
        "chubu",
        _("Chubu"),
        (
            _P.NIIGATA,
            _P.TOYAMA,
            _P.ISHIKAWA,
            _P.FUKUI,
            _P.YAMANASHI,
            _P.NAGANO,
            _P.GIFU,
            _P.SHIZUOKA,
            _P.AICHI,
        ),
    ),
    (
        "kansai",
        _("Kansai"),
        (_P.MIE, _P.SHIGA, _P.KYOTO, _P.OSAKA, _P.HYOGO, _P.NARA, _P.WAKAYAMA),
    ),
    ("chugoku", _("Chugoku"), (_P.TOTTORI, _P.SHIMANE, _P.OKAYAMA, _P.HIROSHIMA, _P.YAMAGUCHI)),
    ("shikoku", _("Shikoku"), (_P.TOKUSHIMA, _P.KAGAWA, _P.EHIME, _P.KOCHI)),
    (
        "kyushu",
        _("Kyushu"),
        (_P.FUKUOKA, _P.SAGA, _P.NAGASAKI, _P.KUMAMOTO, _P.OITA, _P.MIYAZAKI, _P.KAGOSHIMA),
    ),
    ("okinawa", _("Okinawa"), (_P.OKINAWA,)),
)


def _prefecture_slug(code: str) -> str:
    # The enum's names are the romaji (OITA, HYOGO), the slugs their lower case.
    return Prefecture(code).name.lower()


def _build() -> dict[str, Place]:
    places: dict[str, Place] = {}
    for slug, name, codes in _REGIONS:
        places[slug] = Place(
            slug=slug, kind=REGION, name=name, prefectures=tuple(codes), region_slug=slug
        )
        for code in codes:
            prefecture_slug = _prefecture_slug(code)
            if prefecture_slug == slug:
                continue  # Hokkaido, Okinawa: the region's page is the prefecture's
            places[prefecture_slug] = Place(
                slug=prefecture_slug,
                kind=PREFECTURE,
                name=Prefecture(code).label,
                prefectures=(str(code),),
                region_slug=slug,
            )
    return places


PLACES: dict[str, Place] = _build()
# Every prefecture has a page: its own, or for Hokkaido and Okinawa their region's.
_BY_PREFECTURE: dict[str, str] = {str(code): _prefecture_slug(code) for code in Prefecture}


def regions() -> list[Place]:
    """The nine regions, north to south."""
    return [PLACES[slug] for slug, _name, _codes in _REGIONS]


def place_for_slug(slug: str) -> Place | None:
    return PLACES.get(slug)


def place_for_prefecture(code: str) -> Place | None:
    """The page of a prefecture (``JP-44``), or None for an empty or unknown code."""
    slug = _BY_PREFECTURE.get(code)
    return PLACES[slug] if slug else None
