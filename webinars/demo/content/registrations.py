"""Demo registrations: custom questions on one seminar's form, and who registered where.

Every person and company here is invented. Content is data, not interface text, so it is
not marked for translation. The past seminars' registrants whose recordings the demo
follows up are with the recordings, in ``content.recordings``.
"""

from dataclasses import dataclass

from webinars.models import RegistrationQuestion


@dataclass(frozen=True)
class DemoQuestion:
    """A custom question on one demo seminar's registration form (keyed by its English
    label), in English and Japanese: the options match line by line, and answers are
    stored as the English option."""

    seminar_slug: str
    label: str
    label_ja: str
    kind: str
    choices: tuple[str, ...] = ()
    choices_ja: tuple[str, ...] = ()
    required: bool = False
    help_text: str = ""
    help_text_ja: str = ""


@dataclass(frozen=True)
class DemoRegistration:
    """A demo registrant (keyed by seminar and email); ``answers`` by question label.

    ``attended`` is set only on past seminars, whose registrations are history.
    """

    seminar_slug: str
    email: str
    name: str
    audience_slug: str
    organisation: str = ""
    job_title: str = ""
    country: str = "GB"
    answers: tuple[tuple[str, object], ...] = ()
    marketing_opt_in: bool = False
    attended: str = ""
    # The language they registered in: every email to them is in it.
    language: str = "en"


REGIONS_QUESTION = "Which regions interest your clients?"
SELLS_JAPAN_QUESTION = "Do you sell Japan packages today?"

QUESTIONS: tuple[DemoQuestion, ...] = (
    DemoQuestion(
        seminar_slug="oita-japans-onsen-capital",
        label=REGIONS_QUESTION,
        label_ja="お客様が関心をお持ちの地域はどちらですか？",
        kind=RegistrationQuestion.Kind.MULTIPLE_CHOICE,
        choices=(
            "Hokkaido",
            "Tohoku",
            "Kanto and Tokyo",
            "Chubu and the Japan Alps",
            "Kansai",
            "Chugoku and Shikoku",
            "Kyushu",
            "Okinawa",
        ),
        choices_ja=(
            "北海道",
            "東北",
            "関東・東京",
            "中部・日本アルプス",
            "関西",
            "中国・四国",
            "九州",
            "沖縄",
        ),
        help_text="Tick all that apply.",
        help_text_ja="当てはまるものをすべてお選びください。",
    ),
    DemoQuestion(
        seminar_slug="oita-japans-onsen-capital",
        label=SELLS_JAPAN_QUESTION,
        label_ja="現在、日本旅行の商品を販売していますか？",
        kind=RegistrationQuestion.Kind.YES_NO,
        required=True,
    ),
)

_OITA = "oita-japans-onsen-capital"
_TONO = "tono-folk-tales-and-farm-stays"
_MIYAGI = "miyagi-disaster-resilience"
_KYUSHU = "kyushu-by-rail"

# Upcoming seminars: Oita keeps plenty of seats free (and asks its questions), the Tono
# workshop is full with two people waiting. In registration order: the first five at Tono
# get its seats. Kyushu by rail is over, with attendance marked.
REGISTRATIONS: tuple[DemoRegistration, ...] = (
    DemoRegistration(
        seminar_slug=_OITA,
        email="olivia.bennett@kestrel-crane.example",
        name="Olivia Bennett",
        audience_slug="tour-operator",
        organisation="Kestrel & Crane Journeys",
        job_title="Product Executive, Asia",
        answers=((REGIONS_QUESTION, ["Kyushu", "Tohoku"]), (SELLS_JAPAN_QUESTION, True)),
        marketing_opt_in=True,
    ),
    DemoRegistration(
        seminar_slug=_OITA,
        email="raj.mistry@harbourtravel.example",
        name="Raj Mistry",
        audience_slug="travel-agent",
        organisation="Harbour Travel, Bristol",
        job_title="Senior Travel Consultant",
        answers=((REGIONS_QUESTION, ["Kansai", "Kyushu"]), (SELLS_JAPAN_QUESTION, True)),
    ),
    DemoRegistration(
        seminar_slug=_OITA,
        email="claire.dubois@visit-normandie.example",
        name="Claire Dubois",
        audience_slug="destination-marketing-organisation",
        organisation="Normandy Tourism Board",
        job_title="International Partnerships Manager",
        country="FR",
        answers=((SELLS_JAPAN_QUESTION, False),),
    ),
    DemoRegistration(
        seminar_slug=_OITA,
        email="ben.okafor@example.com",
        name="Ben Okafor",
        audience_slug="japan-enthusiast",
        answers=((REGIONS_QUESTION, ["Kyushu", "Okinawa"]), (SELLS_JAPAN_QUESTION, False)),
    ),
    DemoRegistration(
        seminar_slug=_TONO,
        email="fiona.mackay@heatherandpine.example",
        name="Fiona Mackay",
        audience_slug="tour-operator",
        organisation="Heather & Pine Tours",
        job_title="Founder",
    ),
    DemoRegistration(
        seminar_slug=_TONO,
        email="tom.hughes@wanderwise.example",
        name="Tom Hughes",
        audience_slug="travel-agent",
        organisation="Wanderwise Travel",
        job_title="Japan Specialist",
    ),
    DemoRegistration(
        seminar_slug=_TONO,
        email="sophie.laurent@example.org",
        name="Sophie Laurent",
        audience_slug="media",
        organisation="Slow Travel Quarterly",
        job_title="Contributing Editor",
    ),
    DemoRegistration(
        seminar_slug=_TONO,
        email="james.whitaker@northdownscouncil.example",
        name="James Whitaker",
        audience_slug="public-sector-partner",
        organisation="North Downs Rural Partnership",
        job_title="Rural Tourism Officer",
    ),
    DemoRegistration(
        seminar_slug=_TONO,
        email="amelia.rossi@example.com",
        name="Amelia Rossi",
        audience_slug="japan-enthusiast",
    ),
    DemoRegistration(
        seminar_slug=_TONO,
        email="daniel.kerr@bluefintravel.example",
        name="Daniel Kerr",
        audience_slug="travel-agent",
        organisation="Bluefin Travel",
        job_title="Travel Consultant",
    ),
    DemoRegistration(
        seminar_slug=_TONO,
        email="grace.lin@lanternroutes.example",
        name="Grace Lin",
        audience_slug="destination-marketing-organisation",
        organisation="Lantern Routes",
        job_title="Trade Marketing Lead",
    ),
    DemoRegistration(
        seminar_slug=_MIYAGI,
        email="ingrid.larsen@bergen-kommune.example",
        name="Ingrid Larsen",
        audience_slug="local-government-europe",
        organisation="Bergen Municipality, Emergency Planning",
        job_title="Senior Adviser",
        country="NO",
    ),
    DemoRegistration(
        seminar_slug=_MIYAGI,
        email="hanako.suzuki@city-sendai.example",
        name="鈴木 花子",
        audience_slug="local-government-japan",
        organisation="仙台市 危機管理局",
        job_title="主査",
        country="JP",
        language="ja",
    ),
    DemoRegistration(
        seminar_slug=_MIYAGI,
        email="m.evans@university.example",
        name="Dr Megan Evans",
        audience_slug="academic",
        organisation="University of the Marches, School of Geography",
        job_title="Lecturer in Disaster Risk",
    ),
    DemoRegistration(
        seminar_slug=_KYUSHU,
        email="olivia.bennett@kestrel-crane.example",
        name="Olivia Bennett",
        audience_slug="tour-operator",
        organisation="Kestrel & Crane Journeys",
        attended="yes",
    ),
    DemoRegistration(
        seminar_slug=_KYUSHU,
        email="raj.mistry@harbourtravel.example",
        name="Raj Mistry",
        audience_slug="travel-agent",
        organisation="Harbour Travel, Bristol",
        attended="yes",
    ),
    DemoRegistration(
        seminar_slug=_KYUSHU,
        email="hana.suzuki@example.com",
        name="Hana Suzuki",
        audience_slug="japan-enthusiast",
        attended="yes",
    ),
    DemoRegistration(
        seminar_slug=_KYUSHU,
        email="peter.doyle@greenisle.example",
        name="Peter Doyle",
        audience_slug="travel-agent",
        organisation="Green Isle Holidays",
        country="IE",
        attended="no",
    ),
)
