"""The demo catalogue: series, topics, speakers and seminars, written to read like the real thing.

Every person and company here is invented. Places, the JET Programme and the two seminar
series are real. Content is data, not interface text, so it is not marked for translation.
"""

from dataclasses import dataclass
from datetime import time

from webinars.demo.dates import (
    LONDON,
    TOKYO,
    AroundUkClockChange,
    DaysFromToday,
    Schedule,
)
from webinars.models import Seminar, SeminarSpeaker
from webinars.prefectures import Prefecture

PRESENTER = SeminarSpeaker.Role.PRESENTER
MODERATOR = SeminarSpeaker.Role.MODERATOR
PANELLIST = SeminarSpeaker.Role.PANELLIST


@dataclass(frozen=True)
class DemoSeries:
    slug: str
    name: str
    tagline: str
    description: str
    default_audience_slugs: tuple[str, ...]
    position: int


@dataclass(frozen=True)
class DemoSpeaker:
    slug: str
    name: str
    title: str
    organisation: str
    bio: str
    name_ja: str = ""
    jet_prefecture: str = ""
    jet_municipality: str = ""
    jet_years: tuple[int, int] | None = None
    website: str = ""
    links: str = ""

    @property
    def is_jet_participant(self) -> bool:
        return self.jet_years is not None


@dataclass(frozen=True)
class DemoSeminar:
    slug: str
    series_slug: str
    title: str
    summary: str
    description: str
    schedule: Schedule
    duration_minutes: int
    speakers: tuple[tuple[str, str], ...]  # (speaker slug, role) in running order
    topic_slugs: tuple[str, ...]
    meeting_id: str
    timezone: str = LONDON
    prefecture: str = ""
    partner_organisations: tuple[str, ...] = ()
    language: str = "en"
    capacity: int | None = None
    status: str = Seminar.Status.PUBLISHED
    cancellation_message: str = ""
    passcode: str = "kizuna"


JLGC = "jlgc-seminars"
# The Tono workshop is deliberately tiny, so the demo has a full seminar with a waiting list.
TONO_WORKSHOP_SEATS = 5
LOCAL_ATTRACTION = "japan-local-attraction-seminars"

SERIES: tuple[DemoSeries, ...] = (
    DemoSeries(
        slug=JLGC,
        name="JLGC Seminars",
        tagline="Knowledge exchange between Japanese and European local governments.",
        description=(
            "The Japan Local Government Centre (JLGC) in London brings together officers of "
            "Japanese and European local authorities to compare how they tackle the same "
            "challenges.\n\n"
            "Each seminar pairs a speaker from a Japanese prefecture or city with a "
            "counterpart from a European council, followed by open questions. Recent themes:\n\n"
            "- digital transformation of public services\n"
            "- ageing and shrinking populations\n"
            "- disaster preparedness and recovery\n"
            "- town twinning and international partnerships\n"
        ),
        default_audience_slugs=(
            "local-government-japan",
            "local-government-europe",
            "public-sector-partner",
            "academic",
            "media",
            "other",
        ),
        position=10,
    ),
    DemoSeries(
        slug=LOCAL_ATTRACTION,
        name="Japan Local Attraction Seminars",
        tagline="Japan's regions, presented by the people who live and work there.",
        description=(
            "Short online seminars showcasing Japan beyond the Golden Route. Japanese local "
            "authorities and JET Programme participants placed in the regions present their "
            "area's food, festivals, onsen, nature and culture, with practical advice on "
            "access, seasons and the products that sell.\n\n"
            "Made for UK **travel agents**, **tour operators**, **destination marketing "
            "organisations**, public sector partners and Japan enthusiasts. Sessions run at "
            "UK breakfast time, which is the Japanese evening, so speakers can join from "
            "Japan.\n"
        ),
        default_audience_slugs=(
            "travel-agent",
            "tour-operator",
            "destination-marketing-organisation",
            "public-sector-partner",
            "japan-enthusiast",
            "media",
            "other",
        ),
        position=20,
    ),
)

TOPICS: tuple[tuple[str, str], ...] = (
    ("kyushu", "Kyushu"),
    ("tohoku", "Tohoku"),
    ("hokkaido", "Hokkaido"),
    ("onsen", "Onsen"),
    ("food-and-drink", "Food and drink"),
    ("rural-tourism", "Rural tourism"),
    ("festivals", "Festivals"),
    ("snow-and-winter-sports", "Snow and winter sports"),
    ("sustainable-tourism", "Sustainable tourism"),
    ("digital-transformation", "Digital transformation"),
    ("ageing-society", "Ageing society"),
    ("disaster-resilience", "Disaster resilience"),
    ("town-twinning", "Town twinning"),
)

SPEAKERS: tuple[DemoSpeaker, ...] = (
    DemoSpeaker(
        slug="emily-hargreaves",
        name="Emily Hargreaves",
        title="Coordinator for International Relations (CIR)",
        organisation="Oita Prefectural Government, Tourism Promotion Division",
        bio=(
            "Emily joined the JET Programme in 2023 as a Coordinator for International "
            "Relations in Oita Prefecture's tourism promotion division, after studying "
            "Japanese and Linguistics in Leeds.\n\n"
            "She writes Oita's English-language guides and social media, and has hosted "
            "familiarisation trips for travel agents from the UK and Ireland. Her favourite "
            "question from visitors: *which of Beppu's eight hot-spring areas should I pick?*"
        ),
        jet_prefecture=Prefecture.OITA,
        jet_municipality="Oita City",
        jet_years=(2023, 2026),
    ),
    DemoSpeaker(
        slug="thomas-reid",
        name="Thomas Reid",
        title="Japan Product Manager",
        organisation="Kestrel & Crane Journeys",
        bio=(
            "Thomas taught English in the schools of Tono, Iwate, as a JET Programme "
            "Assistant Language Teacher from 2016 to 2019, and stayed long enough to learn the "
            "local folk tales by heart.\n\n"
            "Back in the UK he designs small-group and tailor-made itineraries to northern "
            "Japan for an independent tour operator, with a focus on:\n\n"
            "- rural homestays and farm stays\n"
            "- walking routes and local guides\n"
            "- travelling outside the cherry-blossom peak"
        ),
        jet_prefecture=Prefecture.IWATE,
        jet_municipality="Tono City",
        jet_years=(2016, 2019),
        website="https://kestrel-crane.example/",
    ),
    DemoSpeaker(
        slug="misaki-sato",
        name="Misaki Sato",
        name_ja="佐藤 美咲",
        title="Deputy Manager, International Exchange Section",
        organisation="Hirosaki City Hall",
        bio=(
            "Misaki Sato coordinates Hirosaki's exchanges with its partner cities abroad and "
            "looks after the city's international visitors' programme.\n\n"
            "Before joining the International Exchange Section she worked in the city's "
            "tourism office during the **Hirosaki Castle Snow Lantern Festival**, and spent a "
            "year on secondment in Europe studying how councils run twinning associations "
            "with volunteers."
        ),
    ),
    DemoSpeaker(
        slug="gareth-pryce",
        name="Gareth Pryce",
        title="International Partnerships Officer",
        organisation="Wyverndale District Council",
        bio=(
            "Gareth leads Wyverndale's international partnerships, including a twinning link "
            "with a town in Tohoku renewed in 2024, and the council's work on digital public "
            "services.\n\n"
            "He has spoken at local government conferences on:\n\n"
            "1. keeping twinning alive when budgets shrink\n"
            "2. what UK councils can learn from Japanese disaster planning\n"
            "3. *digital by default* without leaving older residents behind"
        ),
        links="https://wyverndale.example/international",
    ),
    DemoSpeaker(
        slug="priya-natarajan",
        name="Priya Natarajan",
        title="Travel writer",
        organisation="Freelance",
        bio=(
            "Priya spent three winters as a JET Programme Assistant Language Teacher in "
            "Kutchan, at the foot of Mount Yotei, teaching at the junior high school during "
            "the week and learning to ski at the weekends.\n\n"
            "She now writes about Japanese snow resorts for UK ski and travel magazines and "
            "advises tour operators on resorts beyond the best-known names."
        ),
        jet_prefecture=Prefecture.HOKKAIDO,
        jet_municipality="Kutchan Town",
        jet_years=(2017, 2020),
        website="https://priya-writes.example/",
    ),
    DemoSpeaker(
        slug="sean-oconnell",
        name="Seán O'Connell",
        title="Senior Consultant",
        organisation="Meridian Destination Partners",
        bio=(
            "Seán was a Coordinator for International Relations in Kumamoto Prefecture's "
            "International Affairs Division from 2019 to 2022, where he worked on the "
            "prefecture's first English rail-and-bus itineraries across Kyushu.\n\n"
            "At Meridian he helps destination marketing organisations plan their UK trade "
            "activity, from sales missions to familiarisation trips."
        ),
        jet_prefecture=Prefecture.KUMAMOTO,
        jet_municipality="Kumamoto City",
        jet_years=(2019, 2022),
    ),
    DemoSpeaker(
        slug="hannah-whitfield",
        name="Hannah Whitfield",
        title="Programme Manager",
        organisation="Japan Local Government Centre (JLGC), London",
        bio=(
            "Hannah runs the JLGC seminar programme. She first went to Japan as a JET "
            "Programme Coordinator for International Relations in Fukuoka City from 2012 to 2015 "
            "and has worked with Japanese and British local authorities ever since.\n\n"
            "She moderates most of our seminars; send her your questions in advance."
        ),
        jet_prefecture=Prefecture.FUKUOKA,
        jet_municipality="Fukuoka City",
        jet_years=(2012, 2015),
    ),
    DemoSpeaker(
        slug="naoki-takahashi",
        name="Naoki Takahashi",
        name_ja="高橋 直樹",
        title="Deputy Director, Disaster Risk Management Division",
        organisation="Miyagi Prefectural Government",
        bio=(
            "Naoki Takahashi has worked on disaster planning in Miyagi Prefecture since "
            "2009, and on reconstruction after the Great East Japan Earthquake of March 2011.\n\n"
            "He now leads the prefecture's work with municipalities on evacuation planning, "
            "community disaster drills and the lessons of 2011 for a rapidly ageing "
            "population."
        ),
    ),
    DemoSpeaker(
        slug="lucy-fairbairn",
        name="Lucy Fairbairn",
        title="Japan Specialist",
        organisation="Silverbirch Travel",
        bio=(
            "Lucy was a JET Programme Assistant Language Teacher in Kaminoyama, Yamagata, "
            "a castle and onsen town an hour from Zao's snow monsters.\n\n"
            "She sells Japan to independent travellers and is happiest sending clients to "
            "places they have never heard of: small onsen towns, local trains and family-run "
            "ryokan."
        ),
        jet_prefecture=Prefecture.YAMAGATA,
        jet_municipality="Kaminoyama City",
        jet_years=(2015, 2018),
    ),
)

SEMINARS: tuple[DemoSeminar, ...] = (
    DemoSeminar(
        slug="oita-japans-onsen-capital",
        series_slug=LOCAL_ATTRACTION,
        title="Oita: Japan's onsen capital",
        summary=(
            "Beppu's steaming hells, Yufuin's quiet ryokan and the food of Kyushu's east "
            "coast, presented by Oita Prefecture's CIR."
        ),
        description=(
            "Oita Prefecture has more hot springs, and more hot-spring water, than anywhere "
            "else in Japan. In this seminar Emily Hargreaves, Coordinator for International "
            "Relations at the prefecture's tourism division, shows what UK visitors can do "
            "there in three to five days.\n\n"
            "## What we will cover\n\n"
            "- **Beppu**: the eight onsen areas, sand baths and the *jigoku* (hells)\n"
            "- **Yufuin**: a small onsen town at the foot of Mount Yufu\n"
            "- **Food**: *toriten* (chicken tempura), *dango-jiru* soup, *kabosu* citrus\n"
            "- Getting there from Fukuoka and combining Oita with the rest of Kyushu\n\n"
            "## Who should attend\n\n"
            "Travel agents and tour operators selling Japan, and anyone planning a trip to "
            "Kyushu. There will be time for questions at the end.\n"
        ),
        schedule=DaysFromToday(8, time(9, 0)),
        duration_minutes=75,
        speakers=(("emily-hargreaves", PRESENTER), ("hannah-whitfield", MODERATOR)),
        topic_slugs=("kyushu", "onsen", "food-and-drink"),
        meeting_id="84123456001",
        prefecture=Prefecture.OITA,
        partner_organisations=("Oita Prefectural Government",),
        capacity=150,
    ),
    DemoSeminar(
        slug="hirosaki-winter-lights",
        series_slug=LOCAL_ATTRACTION,
        title="Winter lights of Tohoku: Hirosaki's snow lantern festival",
        summary=(
            "An evening in Hirosaki, live from Japan: the castle's snow lanterns, apples, "
            "and how to build northern Tohoku into a winter itinerary."
        ),
        description=(
            "This seminar comes to you live from Hirosaki at 7 pm Japan time, as the "
            "lanterns are lit, which is breakfast time in the UK.\n\n"
            "Misaki Sato of Hirosaki City Hall presents the **Hirosaki Castle Snow Lantern "
            "Festival**, held every February in the castle park, and the city's winter "
            "programme. Lucy Fairbairn, a former JET in neighbouring Yamagata, adds the view "
            "of a UK tour operator.\n\n"
            "## Programme\n\n"
            "1. Hirosaki in winter: castle, festival and apple country (Misaki Sato)\n"
            "2. Selling northern Tohoku in winter: routes, rail passes and timing "
            "(Lucy Fairbairn)\n"
            "3. Questions from the audience\n\n"
            "The session is in English, with Japanese support from the moderator.\n"
        ),
        schedule=DaysFromToday(13, time(19, 0), zone=TOKYO),
        timezone=TOKYO,
        duration_minutes=60,
        speakers=(
            ("misaki-sato", PRESENTER),
            ("lucy-fairbairn", PANELLIST),
            ("hannah-whitfield", MODERATOR),
        ),
        topic_slugs=("tohoku", "festivals", "snow-and-winter-sports"),
        meeting_id="84123456002",
        prefecture=Prefecture.AOMORI,
        partner_organisations=("Hirosaki City", "Japan Local Government Centre (JLGC)"),
    ),
    DemoSeminar(
        slug="miyagi-disaster-resilience",
        series_slug=JLGC,
        title="Building back better: disaster resilience in Miyagi, fifteen years on",
        summary=(
            "What Miyagi Prefecture learnt from the 2011 earthquake and tsunami about "
            "evacuation, recovery and community resilience, and what European councils can "
            "take from it."
        ),
        description=(
            "Fifteen years after the Great East Japan Earthquake, Miyagi Prefecture has "
            "rebuilt sea walls, moved whole neighbourhoods to higher ground and rewritten its "
            "evacuation plans. Naoki Takahashi, Deputy Director of the prefecture's Disaster "
            "Risk Management Division, explains what worked and what the prefecture would do "
            "differently.\n\n"
            "Gareth Pryce of Wyverndale District Council responds from the perspective of a "
            "UK local resilience forum, where flooding rather than earthquakes is the main "
            "risk.\n\n"
            "## Themes\n\n"
            "- evacuation planning for older and disabled residents\n"
            "- working with community groups and volunteers\n"
            "- keeping the memory of a disaster alive in schools and museums\n"
            "- recovery funding and its limits\n\n"
            "Simultaneous interpretation is provided for the Japanese presentation.\n"
        ),
        schedule=DaysFromToday(15, time(9, 0)),
        duration_minutes=90,
        speakers=(
            ("naoki-takahashi", PRESENTER),
            ("gareth-pryce", PANELLIST),
            ("hannah-whitfield", MODERATOR),
        ),
        topic_slugs=("disaster-resilience", "tohoku", "ageing-society"),
        meeting_id="84123456003",
        prefecture=Prefecture.MIYAGI,
        partner_organisations=("Miyagi Prefectural Government",),
    ),
    DemoSeminar(
        slug="hokkaido-powder-beyond-niseko",
        series_slug=LOCAL_ATTRACTION,
        title="Hokkaido powder beyond Niseko",
        summary=(
            "Smaller ski areas, onsen towns and winter festivals for UK skiers who have "
            "already heard of Niseko."
        ),
        description=(
            "Hokkaido's powder snow is famous, and so are the queues at its best-known "
            "resort. Travel writer and former JET Priya Natarajan introduces the ski areas "
            "that UK operators rarely sell, and Thomas Reid explains how to package them.\n\n"
            "## You will hear about\n\n"
            "- family-friendly resorts within two hours of Sapporo\n"
            "- backcountry guiding and avalanche safety\n"
            "- combining skiing with the Sapporo Snow Festival\n"
            "- onsen and seafood for the non-skiers in the group\n\n"
            "Bring your questions on transfers, rail passes and the best weeks to go.\n"
        ),
        schedule=DaysFromToday(20, time(9, 30)),
        duration_minutes=60,
        speakers=(
            ("priya-natarajan", PRESENTER),
            ("thomas-reid", PANELLIST),
            ("hannah-whitfield", MODERATOR),
        ),
        topic_slugs=("hokkaido", "snow-and-winter-sports", "onsen"),
        meeting_id="84123456004",
        prefecture=Prefecture.HOKKAIDO,
        capacity=200,
    ),
    DemoSeminar(
        slug="okinawa-island-festivals",
        series_slug=LOCAL_ATTRACTION,
        title="Okinawa's island festivals",
        summary="Eisa dances, dragon-boat races and the island calendar of Okinawa.",
        description=(
            "Okinawa's festivals follow a calendar of their own. This seminar introduces "
            "the *Eisa* drum dances of the summer Obon season, the *Haarii* dragon-boat "
            "races, and the smaller festivals of the outer islands.\n\n"
            "- when to go, and when the islands are full\n"
            "- island hopping by ferry and local flights\n"
            "- responsible visits to sacred sites\n"
        ),
        schedule=DaysFromToday(22, time(9, 0)),
        duration_minutes=60,
        speakers=(("sean-oconnell", PRESENTER), ("hannah-whitfield", MODERATOR)),
        topic_slugs=("festivals", "sustainable-tourism"),
        meeting_id="84123456005",
        prefecture=Prefecture.OKINAWA,
        capacity=120,
        cancellation_message=(
            "Our speaker from Okinawa can no longer join us on this date. We plan to run "
            "this seminar in the spring and will write to everyone who registered as soon as "
            "the new date is set. We are sorry for the inconvenience."
        ),
        status=Seminar.Status.CANCELLED,
    ),
    DemoSeminar(
        slug="tono-folk-tales-and-farm-stays",
        series_slug=LOCAL_ATTRACTION,
        title="Tono: folk tales and farm stays in rural Iwate",
        summary=(
            "The valley of Japanese folklore, its farm stays and walking routes, presented "
            "by a former JET who taught there."
        ),
        description=(
            "Tono, in the mountains of Iwate, is where Japanese folklore was first written "
            "down: *kappa* river spirits, *zashiki-warashi* house spirits and the tales of "
            "the *Tono Monogatari*.\n\n"
            "Thomas Reid taught in Tono's schools as a JET and now sells rural Tohoku to UK "
            "travellers. He shows how small communities host visitors, and how to include "
            "them in an itinerary without overwhelming them.\n\n"
            "## Highlights\n\n"
            "- farm stays in traditional *magariya* L-shaped farmhouses\n"
            "- cycling and walking routes through the valley\n"
            "- storytelling evenings and local food\n"
            "- getting there by the Kamaishi Line from Hanamaki\n\n"
            "This is a small-group workshop with time for every participant's questions: "
            "places are limited, and a waiting list opens once they are taken.\n"
        ),
        schedule=DaysFromToday(49, time(9, 0)),
        duration_minutes=60,
        speakers=(("thomas-reid", PRESENTER), ("hannah-whitfield", MODERATOR)),
        topic_slugs=("tohoku", "rural-tourism", "sustainable-tourism"),
        meeting_id="84123456006",
        prefecture=Prefecture.IWATE,
        capacity=TONO_WORKSHOP_SEATS,
    ),
    DemoSeminar(
        slug="niigata-sake-trails",
        series_slug=LOCAL_ATTRACTION,
        title="Niigata sake trails",
        summary="Breweries, rice terraces and snow country food in Japan's sake heartland.",
        description=(
            "*Draft: speakers and programme to be confirmed with Niigata Prefecture.*\n\n"
            "Niigata has more sake breweries than any other prefecture. This seminar will "
            "introduce brewery visits, the rice that makes the sake, and the food of snow "
            "country.\n"
        ),
        schedule=DaysFromToday(62, time(9, 0)),
        duration_minutes=60,
        speakers=(("hannah-whitfield", MODERATOR),),
        topic_slugs=("food-and-drink", "rural-tourism"),
        meeting_id="84123456007",
        prefecture=Prefecture.NIIGATA,
        status=Seminar.Status.DRAFT,
    ),
    DemoSeminar(
        slug="yamagata-in-spring",
        series_slug=LOCAL_ATTRACTION,
        title="Yamagata in spring: cherry blossom and onsen towns",
        summary=(
            "Late cherry blossom, mountain temples and small onsen towns: Yamagata for "
            "travellers who want spring without the crowds."
        ),
        description=(
            "Cherry blossom reaches Yamagata two weeks after Tokyo, which gives tour "
            "operators a second chance at the season. Former JET Lucy Fairbairn introduces "
            "the prefecture in spring.\n\n"
            "- **Kaminoyama**: a castle town with a footbath on every corner\n"
            "- **Ginzan Onsen**: wooden ryokan along a river\n"
            "- **Yamadera**: the mountain temple of Basho's haiku\n"
            "- cherries, *imoni* stew and local sake\n\n"
            "Note: this seminar takes place on the Friday before the UK clocks go forward, "
            "so it starts at 7 pm in Japan; the one on the following Monday starts at 6 pm "
            "Japan time.\n"
        ),
        schedule=AroundUkClockChange("spring", "friday"),
        duration_minutes=60,
        speakers=(("lucy-fairbairn", PRESENTER), ("hannah-whitfield", MODERATOR)),
        topic_slugs=("tohoku", "onsen", "food-and-drink"),
        meeting_id="84123456008",
        prefecture=Prefecture.YAMAGATA,
    ),
    DemoSeminar(
        slug="town-twinning-renewed",
        series_slug=JLGC,
        title="Town twinning renewed: Japanese and European partnerships today",
        summary=(
            "How Japanese and European towns keep twinning links alive with smaller budgets, "
            "online exchanges and new partners."
        ),
        description=(
            "Many twinning links between Japanese and European towns date from the 1980s "
            "and 1990s. Some have faded; others have found a new purpose in school exchanges, "
            "trade and tourism.\n\n"
            "Misaki Sato (Hirosaki City) and Gareth Pryce (Wyverndale District Council) "
            "compare how their authorities run partnerships today.\n\n"
            "## Questions for the panel\n\n"
            "1. What does a partnership cost, and who pays?\n"
            "2. How can online exchanges complement visits?\n"
            "3. How do you involve residents, schools and businesses?\n"
        ),
        schedule=AroundUkClockChange("spring", "monday"),
        duration_minutes=75,
        speakers=(
            ("misaki-sato", PRESENTER),
            ("gareth-pryce", PRESENTER),
            ("hannah-whitfield", MODERATOR),
        ),
        topic_slugs=("town-twinning",),
        meeting_id="84123456009",
        partner_organisations=("Hirosaki City", "Wyverndale District Council"),
        capacity=100,
    ),
    DemoSeminar(
        slug="kyushu-by-rail",
        series_slug=LOCAL_ATTRACTION,
        title="Kyushu by rail: itineraries for UK travellers",
        summary=(
            "Seven days around Kyushu by train and bus, from Fukuoka to Kumamoto, Aso and Beppu."
        ),
        description=(
            "Kyushu is compact, well served by rail and still new to most UK travellers. "
            "Seán O'Connell, who wrote Kumamoto Prefecture's first English rail-and-bus "
            "itineraries as a CIR, walks through a week-long route, and Emily Hargreaves "
            "adds Oita's onsen towns.\n\n"
            "- Fukuoka's food stalls and the Kyushu Shinkansen\n"
            "- Kumamoto Castle and the Aso caldera\n"
            "- the scenic trains across the island\n"
            "- ending in Beppu's hot springs\n"
        ),
        schedule=AroundUkClockChange("autumn", "friday"),
        duration_minutes=60,
        speakers=(
            ("sean-oconnell", PRESENTER),
            ("emily-hargreaves", PANELLIST),
            ("hannah-whitfield", MODERATOR),
        ),
        topic_slugs=("kyushu", "sustainable-tourism", "onsen"),
        meeting_id="84123456010",
        prefecture=Prefecture.KUMAMOTO,
        partner_organisations=("Kumamoto Prefectural Government", "Oita Prefectural Government"),
        capacity=120,
    ),
    DemoSeminar(
        slug="local-government-digital-transformation",
        series_slug=JLGC,
        title="Digital transformation in local government: Japan and the UK compared",
        summary=(
            "Online services, data sharing and digital inclusion in Japanese cities and UK "
            "councils."
        ),
        description=(
            "Japan's national government has asked every municipality to move its core "
            "systems to common standards, while UK councils follow a *digital by default* "
            "approach. What can each learn from the other?\n\n"
            "Gareth Pryce presents Wyverndale's online services and the residents they "
            "still do not reach; Misaki Sato describes how Hirosaki City serves an older "
            "population in person and online.\n\n"
            "## Discussion points\n\n"
            "- standard systems versus local choice\n"
            "- helping older residents online\n"
            "- sharing data between services safely\n"
        ),
        schedule=AroundUkClockChange("autumn", "monday"),
        duration_minutes=75,
        speakers=(
            ("gareth-pryce", PRESENTER),
            ("misaki-sato", PANELLIST),
            ("hannah-whitfield", MODERATOR),
        ),
        topic_slugs=("digital-transformation", "ageing-society"),
        meeting_id="84123456011",
        capacity=80,
    ),
    DemoSeminar(
        slug="ageing-society-japan-uk",
        series_slug=JLGC,
        title="人口減少・高齢化と自治体：日英の取り組み",
        summary=(
            "人口減少と高齢化が進む地域で、日本と英国の自治体はどのように住民サービスを"
            "維持しているのか。両国の事例を紹介します。"
        ),
        description=(
            "日本の多くの自治体では、人口減少と高齢化が同時に進んでいます。本セミナーでは、"
            "弘前市の佐藤美咲氏が地域の取り組みを紹介し、ワイヴァーンデール地区議会の"
            "ギャレス・プライス氏が英国の事例をお話しします。\n\n"
            "## 主なテーマ\n\n"
            "- 地域の公共交通の維持\n"
            "- 高齢者の見守りとボランティア\n"
            "- 移住の促進と関係人口\n\n"
            "英語の発表には日本語の通訳が付きます。\n"
        ),
        schedule=DaysFromToday(-20, time(10, 0)),
        duration_minutes=90,
        speakers=(
            ("misaki-sato", PRESENTER),
            ("gareth-pryce", PANELLIST),
            ("hannah-whitfield", MODERATOR),
        ),
        topic_slugs=("ageing-society", "rural-tourism"),
        meeting_id="84123456012",
        language="ja",
        prefecture=Prefecture.AOMORI,
    ),
)
