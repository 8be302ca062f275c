"""Demo recordings: two past seminars' videos, chapters, transcript and slides, and the
registrants their follow-up emails would go to.

Content is data, not interface text, so it is not marked for translation. Everyone on the
recordings' registrant lists below is invented too. A recording's title and description
are written in English (``title``) and Japanese (``title_ja``), like the catalogue's; the
chapters, transcript and slides are those of an English seminar, in English.
"""

from dataclasses import dataclass
from datetime import timedelta

from webinars.demo.content.registrations import DemoRegistration
from webinars.models import Recording

_KYUSHU = "kyushu-by-rail"
_DIGITAL = "local-government-digital-transformation"

# Past seminars' registrants whose recordings the demo follows up: with the Kyushu attendees
# in ``content.registrations`` (three came, one did not), every attendance wording has someone
# to go to.
RECORDING_REGISTRATIONS: tuple[DemoRegistration, ...] = (
    DemoRegistration(
        seminar_slug=_KYUSHU,
        email="lena.fischer@reisewelt-fernost.example",
        name="Lena Fischer",
        audience_slug="tour-operator",
        organisation="Reisewelt Fernost",
        job_title="Product Manager, Japan",
        country="DE",
    ),
    DemoRegistration(
        seminar_slug=_DIGITAL,
        email="pieter.devries@utrecht-gemeente.example",
        name="Pieter de Vries",
        audience_slug="local-government-europe",
        organisation="Municipality of Utrecht, Digital Services",
        job_title="Service Design Lead",
        country="NL",
        attended="yes",
    ),
    DemoRegistration(
        seminar_slug=_DIGITAL,
        email="r.osei@localgovstudies.example",
        name="Dr Rachel Osei",
        audience_slug="academic",
        organisation="Institute for Local Governance Studies",
        job_title="Research Fellow",
        attended="no",
    ),
    DemoRegistration(
        seminar_slug=_DIGITAL,
        email="katarzyna.nowak@krakow-city.example",
        name="Katarzyna Nowak",
        audience_slug="local-government-europe",
        organisation="City of Kraków, Smart City Office",
        job_title="Digital Inclusion Officer",
        country="PL",
    ),
    DemoRegistration(
        seminar_slug=_DIGITAL,
        email="daniel.price@localdigital.example",
        name="Daniel Price",
        audience_slug="public-sector-partner",
        organisation="Local Digital Partnership",
        job_title="Programme Lead",
        attended="yes",
    ),
)
# (seminar, email) of registrants who unticked "tell me when the recording is available".
FOLLOWUP_OPTED_OUT = {(_DIGITAL, "daniel.price@localdigital.example")}


@dataclass(frozen=True)
class DemoRecording:
    seminar_slug: str
    title: str
    title_ja: str
    description: str
    description_ja: str
    # Made-up ids (no real video behind them): the player says the video is unavailable
    # until an organiser pastes a real YouTube or Vimeo address in the admin.
    youtube_id: str
    duration: timedelta
    access: str
    consent_note: str
    chapters: tuple[tuple[timedelta, str], ...]
    published: bool
    transcript: str = ""
    slides: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (page heading, lines)


def _at(minutes: int, seconds: int = 0) -> timedelta:
    return timedelta(minutes=minutes, seconds=seconds)


KYUSHU_TRANSCRIPT = """WEBVTT - Kyushu by rail: itineraries for UK travellers

00:00:04.000 --> 00:00:09.500
<v Hannah Whitfield>Good morning, everyone, and welcome to this Japan
Local Attraction Seminar from the Japan Local Government Centre in London.

00:00:09.500 --> 00:00:15.000
<v Hannah Whitfield>Today we travel around Kyushu by rail, and I'm
delighted to be joined by two former JET Programme participants.

00:00:15.500 --> 00:00:21.000
<v Hannah Whitfield>Seán O'Connell spent three years in Kumamoto, and Emily
Hargreaves joins us from Oita, where she is a Coordinator for International Relations.

00:00:21.500 --> 00:00:25.000
<v Hannah Whitfield>Please put your questions
in the Q&amp;A box as we go. Seán, over to you.

00:00:26.000 --> 00:00:32.000
<v Seán O'Connell>Thank you, Hannah. Kyushu is the third largest
of Japan's main islands, and it is compact enough to see in a week.

00:00:32.500 --> 00:00:38.000
<v Seán O'Connell>Almost everything on today's route is on the
JR Kyushu network, so one rail pass covers most of the journey.

00:04:15.000 --> 00:04:21.000
<v Seán O'Connell>We start in Fukuoka. Most UK travellers arrive on
the Shinkansen from Osaka or Hiroshima, or fly in via Tokyo or Seoul.

00:04:21.500 --> 00:04:27.500
<v Seán O'Connell>The airport is only two stops on the subway
from Hakata Station, which makes the first night very easy.

00:04:28.000 --> 00:04:34.000
<v Seán O'Connell>In the evening, take your clients to the
yatai, the open-air food stalls along the river in Nakasu.

00:04:34.500 --> 00:04:40.000
<v Seán O'Connell>Each stall seats about eight people.
Order the tonkotsu ramen and a few skewers of yakitori.

00:06:02.000 --> 00:06:08.000
<v Hannah Whitfield>I lived in Fukuoka for three
years, and I can confirm the ramen is worth the queue.

00:06:08.500 --> 00:06:14.500
<v Seán O'Connell>From Hakata, the Kyushu Shinkansen reaches Kumamoto
in about thirty-five minutes, and Kagoshima in under an hour and a half.

00:06:15.000 --> 00:06:20.000
<v Seán O'Connell>Seat reservations are included with
the pass, and I always recommend them at weekends.

00:15:30.000 --> 00:15:36.000
<v Seán O'Connell>Kumamoto Castle is one of Japan's great
castles, and it was badly damaged in the earthquakes of 2016.

00:15:36.500 --> 00:15:42.000
<v Seán O'Connell>The main keep reopened in 2021, and a raised
walkway lets visitors watch the restoration of the stone walls.

00:15:42.500 --> 00:15:48.000
<v Seán O'Connell>The walls will take many more years to
repair, and that is a story visitors find very moving.

00:16:10.000 --> 00:16:15.500
<v Seán O'Connell>Just below the castle, Sakuranobaba
Josaien has local food and souvenirs under one roof.

00:19:05.000 --> 00:19:11.000
<v Seán O'Connell>From Kumamoto, the Hohi Line climbs into the
Aso caldera, one of the largest volcanic calderas in the world.

00:19:11.500 --> 00:19:17.000
<v Seán O'Connell>Around fifty thousand people live inside the
caldera, growing rice and raising cattle on the grasslands.

00:19:17.500 --> 00:19:23.000
<v Seán O'Connell>When the volcano is quiet you can walk to the
rim of the Nakadake crater, but always check the alert level first.

00:19:23.500 --> 00:19:29.000
<v Seán O'Connell>Kusasenri, a wide meadow with horses
grazing, is where most photographs of Aso are taken.

00:28:45.000 --> 00:28:51.000
<v Seán O'Connell>Now for the part I love most: JR Kyushu's sightseeing trains.

00:28:51.500 --> 00:28:57.000
<v Seán O'Connell>Many were designed by Eiji
Mitooka, with wooden interiors, and no two are alike.

00:28:57.500 --> 00:29:03.000
<v Seán O'Connell>The Yufuin no Mori runs from Hakata to Yufuin
and Beppu, with big panoramic windows over the mountains.

00:29:03.500 --> 00:29:09.000
<v Seán O'Connell>The Ibusuki no Tamatebako, the treasure box train,
takes you from Kagoshima down the coast to the sand baths of Ibusuki.

00:31:20.000 --> 00:31:26.000
<v Seán O'Connell>These trains book out weeks ahead in
spring and autumn, so reserve seats as soon as booking opens.

00:31:26.500 --> 00:31:32.000
<v Hannah Whitfield>And for clients who want something
really special, there is the Seven Stars in Kyushu.

00:31:32.500 --> 00:31:38.000
<v Seán O'Connell>Yes, the luxury sleeper train. Places are allocated
by ballot, long in advance, so it suits a once-in-a-lifetime trip.

00:39:10.000 --> 00:39:16.000
<v Emily Hargreaves>Thank you, Seán. I'm going to finish the
journey in Oita, which calls itself Japan's onsen prefecture.

00:39:16.500 --> 00:39:22.000
<v Emily Hargreaves>Oita has more hot springs, and
more hot water, than any other prefecture in Japan.

00:39:22.500 --> 00:39:28.000
<v Emily Hargreaves>In Beppu, steam rises from the streets. There
are eight hot-spring areas, each with its own kind of water.

00:39:28.500 --> 00:39:34.000
<v Emily Hargreaves>The Hells of Beppu are hot springs for looking
at rather than bathing in: one is bright blue, another blood red.

00:41:02.000 --> 00:41:08.000
<v Emily Hargreaves>For bathing, I send visitors to the sand bath
by the sea, where you are buried up to your neck in warm sand.

00:41:08.500 --> 00:41:14.000
<v Emily Hargreaves>Yufuin, less than an hour inland, is
quieter, with small ryokan, galleries and a view of Mount Yufu.

00:41:14.500 --> 00:41:20.000
<v Emily Hargreaves>A tip for agents: many ryokan have private
baths you can book, which reassures clients with tattoos.

00:41:20.500 --> 00:41:26.000
<v Emily Hargreaves>There is a short guide to onsen etiquette
in the slides, which you can download with this recording.

00:49:20.000 --> 00:49:26.000
<v Hannah Whitfield>We have lots of questions.
The first one: is a week really enough for Kyushu?

00:49:26.500 --> 00:49:32.000
<v Seán O'Connell>For a first visit, yes. Fukuoka, Kumamoto,
Aso and Beppu fit comfortably into seven days by rail.

00:49:32.500 --> 00:49:38.000
<v Hannah Whitfield>Another question: when is the best time to go?

00:49:38.500 --> 00:49:44.000
<v Emily Hargreaves>Spring and autumn are lovely, but winter
too: the onsen are at their best when it's cold outside.

00:49:44.500 --> 00:49:50.000
<v Seán O'Connell>Just avoid the rainy season in June and
early July, and keep an eye on typhoons in late summer.

00:57:40.000 --> 00:57:46.000
<v Hannah Whitfield>That's all we have time for. Thank
you to Seán and Emily, and thank you all for joining us.

00:57:46.500 --> 00:57:50.000
<v Hannah Whitfield>The recording and the slides are on
the seminar's recording page. See you at the next seminar.
"""

RECORDINGS: tuple[DemoRecording, ...] = (
    DemoRecording(
        seminar_slug=_KYUSHU,
        title="Kyushu by rail: itineraries for UK travellers",
        title_ja="鉄道で巡る九州：英国からの旅行者向けモデルコース",
        description=(
            "The full seminar: a week around Kyushu by train, from Fukuoka's food stalls to "
            "Kumamoto Castle, the Aso caldera, JR Kyushu's sightseeing trains and Beppu's "
            "hot springs, with the audience's questions at the end.\n\n"
            "The slides, with a sample itinerary and a short guide to onsen etiquette, are "
            "below the video."
        ),
        # A Japanese search of the archive finds it: 温泉, 九州, 別府, 熊本城, 観光列車…
        description_ja=(
            "セミナーの全編です。福岡の屋台から熊本城、阿蘇のカルデラ、JR九州の観光列車、"
            "そして別府の温泉まで、鉄道で九州を1週間で巡ります。最後に参加者からのご質問に"
            "お答えしています。\n\n"
            "モデルコースと温泉の入り方をまとめたスライドは、動画の下からダウンロードできます。"
            "セミナーは英語で行われました。"
        ),
        youtube_id="kyushuRail1",
        duration=_at(58, 12),
        access=Recording.Access.PUBLIC,
        consent_note="Both speakers signed the JLGC recording consent form before the seminar.",
        chapters=(
            (_at(0), "Welcome and introductions"),
            (_at(4, 15), "Fukuoka: food stalls and the Kyushu Shinkansen"),
            (_at(15, 30), "Kumamoto Castle and the Aso caldera"),
            (_at(28, 45), "JR Kyushu's sightseeing trains"),
            (_at(39, 10), "Beppu, Yufuin and Oita's hot springs"),
            (_at(49, 20), "Questions from the audience"),
        ),
        published=True,
        transcript=KYUSHU_TRANSCRIPT,
        slides=(
            (
                "Kyushu by rail: itineraries for UK travellers",
                (
                    "Japan Local Attraction Seminars",
                    "Seán O'Connell, Meridian Destination Partners",
                    "Emily Hargreaves, Oita Prefectural Government",
                ),
            ),
            (
                "A week around Kyushu by rail",
                (
                    "Days 1\N{EN DASH}2: Fukuoka, Hakata and the yatai food stalls of Nakasu",
                    "Day 3: Kyushu Shinkansen to Kumamoto and its castle",
                    "Day 4: the Hohi Line into the Aso caldera, Kusasenri",
                    "Day 5: a sightseeing train to Yufuin",
                    "Days 6\N{EN DASH}7: Beppu, the Hells, a sand bath and a ryokan night",
                ),
            ),
            (
                "Onsen etiquette in five lines",
                (
                    "Wash and rinse at the taps before you get in.",
                    "Small towels stay out of the water.",
                    "Tie long hair up; no swimwear in the bath.",
                    "Tattoos: book a private bath (kashikiri).",
                    "Drink water, and take it slowly in very hot baths.",
                ),
            ),
        ),
    ),
    DemoRecording(
        seminar_slug=_DIGITAL,
        title="Digital transformation in local government: Japan and the UK compared",
        title_ja="自治体のデジタル・トランスフォーメーション：日英の比較",
        description=(
            "Gareth Pryce and Misaki Sato compare how a UK council and a Japanese city move "
            "their services online without leaving older residents behind."
        ),
        description_ja=(
            "英国の自治体と日本の市が、高齢の住民を取り残さずに行政サービスをオンライン化する"
            "方法を、ギャレス・プライス氏と佐藤美咲氏が比べます。"
        ),
        youtube_id="digitalTran",
        duration=_at(73, 20),
        access=Recording.Access.REGISTRANTS,
        consent_note="Consent by email from both speakers; kept in the seminar file.",
        chapters=(
            (_at(0), "Welcome"),
            (_at(6, 30), "Wyverndale's online services"),
            (_at(31), "Hirosaki: serving older residents in person and online"),
            (_at(55), "Discussion and questions"),
        ),
        published=False,
    ),
)
