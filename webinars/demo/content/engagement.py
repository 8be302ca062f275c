"""The crowd at the demo's past seminars: who else registered, where from, and who came.

The named registrants (``content.registrations``, ``content.recordings``) tell stories one
person at a time; an organiser's insights need numbers. So each past seminar also draws a
crowd from a pool of invented people: staff of invented organisations (several of whom
register for more than one seminar, so "top organisations" and returning attendees mean
something) and private individuals. ``webinars.demo.engagement`` builds the pool from the
names below and plans each crowd with a fixed random seed.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoOrganisation:
    """An invented organisation and how many of its staff are in the pool."""

    name: str
    audience_slug: str
    country: str
    staff: int
    job_titles: tuple[str, ...]


@dataclass(frozen=True)
class DemoIndividuals:
    """People registering on their own account (no organisation)."""

    audience_slug: str
    country: str
    count: int


@dataclass(frozen=True)
class DemoSource:
    """Where a registrant came from, as ``webinars.sources`` stores it (all blank: direct)."""

    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    referrer_host: str = ""


@dataclass(frozen=True)
class DemoCrowd:
    """The registrants a past seminar drew beyond its named ones.

    ``attendance_rate`` is the share of the crowd's confirmed places that the imported
    attendance report marks as attended; it differs per seminar so the trend moves.
    ``sources`` are (weight, source) pairs.
    """

    seminar_slug: str
    size: int
    attendance_rate: float
    sources: tuple[tuple[int, DemoSource], ...]


# First names and surnames by country (comma-separated), for the pool's invented people.
NAMES: dict[str, tuple[str, str]] = {
    "GB": (
        "Alice, Oliver, Charlotte, Harry, Emma, George, Isla, Jack, Hannah, William, Lucy, "
        "Chloe, Samuel, Eleanor, Matthew, Freya, Priya, Aisha, Ravi, Zara, Imran, Rosie, Callum",
        "Clarke, Patel, Wright, Thompson, Walker, Roberts, Green, Hall, Wood, Khan, Edwards, "
        "Turner, Baker, Morgan, Shaw, Ali, Fraser, Lloyd",
    ),
    "JP": (
        "Yuki, Haruto, Aoi, Ren, Sakura, Kenji, Mei, Takumi, Naomi, Daisuke",
        "Tanaka, Takahashi, Watanabe, Ito, Yamamoto, Nakamura, Kobayashi, Kato",
    ),
    "FR": ("Camille, Julien, Manon, Louis, Élodie", "Martin, Bernard, Moreau, Lefèvre, Garnier"),
    "DE": ("Lukas, Anna, Jonas, Lea, Felix", "Schmidt, Weber, Becker, Krüger"),
    "IE": ("Aoife, Cian, Niamh, Ciara, Eoin", "Byrne, Kelly, O'Brien, Walsh"),
    "NL": ("Daan, Sanne, Lars, Fleur, Bram", "de Jong, Jansen, Visser, Smit"),
}

ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    # The travel trade (Japan Local Attraction Seminars); some names are the named
    # registrants' employers, so their colleagues join them in "top organisations".
    DemoOrganisation(
        "Harbour Travel, Bristol",
        "travel-agent",
        "GB",
        4,
        ("Travel Consultant", "Senior Travel Consultant", "Branch Manager"),
    ),
    DemoOrganisation(
        "Kestrel & Crane Journeys",
        "tour-operator",
        "GB",
        4,
        ("Product Manager", "Product Executive, Asia", "Reservations Supervisor"),
    ),
    DemoOrganisation(
        "Wanderwise Travel", "travel-agent", "GB", 3, ("Japan Specialist", "Travel Consultant")
    ),
    DemoOrganisation("Bluefin Travel", "travel-agent", "GB", 3, ("Travel Consultant",)),
    DemoOrganisation("Heather & Pine Tours", "tour-operator", "GB", 2, ("Tour Designer",)),
    DemoOrganisation(
        "Lantern Routes",
        "destination-marketing-organisation",
        "GB",
        2,
        ("Trade Marketing Lead", "Partnerships Executive"),
    ),
    DemoOrganisation(
        "Visit Wyverndale", "destination-marketing-organisation", "GB", 2, ("Marketing Officer",)
    ),
    DemoOrganisation("Green Isle Holidays", "travel-agent", "IE", 2, ("Travel Consultant",)),
    DemoOrganisation("Reisewelt Fernost", "tour-operator", "DE", 2, ("Product Manager, Japan",)),
    DemoOrganisation("Voyages Soleil Levant", "tour-operator", "FR", 2, ("Product Manager, Asia",)),
    DemoOrganisation("Tulip Travel Group", "travel-agent", "NL", 2, ("Travel Adviser",)),
    # Both series.
    DemoOrganisation(
        "Slow Travel Quarterly", "media", "GB", 2, ("Contributing Editor", "Staff Writer")
    ),
    DemoOrganisation(
        "North Downs Rural Partnership", "public-sector-partner", "GB", 2, ("Programme Officer",)
    ),
    # Local government and its partners (JLGC Seminars).
    DemoOrganisation(
        "Wyverndale District Council",
        "local-government-europe",
        "GB",
        4,
        ("Digital Services Manager", "Policy Officer", "Head of Customer Services"),
    ),
    DemoOrganisation(
        "Eastmere Borough Council",
        "local-government-europe",
        "GB",
        3,
        ("Economic Development Officer", "International Partnerships Officer"),
    ),
    DemoOrganisation(
        "Corrib County Council", "local-government-europe", "IE", 2, ("Senior Executive Officer",)
    ),
    DemoOrganisation(
        "Ville de Montclaire", "local-government-europe", "FR", 2, ("Digital Projects Officer",)
    ),
    DemoOrganisation(
        "Stadt Lindenfeld", "local-government-europe", "DE", 2, ("Head of Citizen Services",)
    ),
    DemoOrganisation(
        "Gemeente Westerhaven", "local-government-europe", "NL", 2, ("Policy Adviser",)
    ),
    DemoOrganisation(
        "Minamikawa Town Office",
        "local-government-japan",
        "JP",
        3,
        ("International Relations Officer", "Planning Division Officer"),
    ),
    DemoOrganisation(
        "Kitayama City Hall", "local-government-japan", "JP", 3, ("Digital Policy Officer",)
    ),
    DemoOrganisation(
        "Local Digital Partnership", "public-sector-partner", "GB", 2, ("Delivery Manager",)
    ),
    DemoOrganisation(
        "Institute for Local Governance Studies", "academic", "GB", 2, ("Research Fellow",)
    ),
    DemoOrganisation(
        "University of the Marches, School of Geography", "academic", "GB", 2, ("Lecturer",)
    ),
    DemoOrganisation("Municipal Review", "media", "GB", 1, ("Reporter",)),
)

INDIVIDUALS: tuple[DemoIndividuals, ...] = (
    DemoIndividuals("japan-enthusiast", "GB", 8),
    DemoIndividuals("japan-enthusiast", "JP", 2),
    DemoIndividuals("japan-enthusiast", "IE", 1),
    DemoIndividuals("other", "GB", 3),
)

_DIRECT = DemoSource()

TRAVEL_TRADE_SOURCES: tuple[tuple[int, DemoSource], ...] = (
    (10, _DIRECT),
    (4, DemoSource("abta-newsletter", "email", "japan-regions")),
    (3, DemoSource(referrer_host="www.jnto.go.jp")),
    (2, DemoSource("linkedin", "social", "japan-regions", "www.linkedin.com")),
    (2, DemoSource(referrer_host="www.google.com")),
)

LOCAL_GOVERNMENT_SOURCES: tuple[tuple[int, DemoSource], ...] = (
    (10, _DIRECT),
    (4, DemoSource("jlgc-newsletter", "email", "jlgc-seminars")),
    (2, DemoSource(referrer_host="www.clair.or.jp")),
    (2, DemoSource("linkedin", "social", "jlgc-seminars", "www.linkedin.com")),
    (2, DemoSource(referrer_host="www.local.gov.uk")),
)

# Oldest first; attendance rises from one seminar to the next.
CROWDS: tuple[DemoCrowd, ...] = (
    DemoCrowd("kyushu-by-rail", 40, 0.58, TRAVEL_TRADE_SOURCES),
    DemoCrowd("local-government-digital-transformation", 26, 0.66, LOCAL_GOVERNMENT_SOURCES),
    DemoCrowd("ageing-society-japan-uk", 30, 0.73, LOCAL_GOVERNMENT_SOURCES),
)
