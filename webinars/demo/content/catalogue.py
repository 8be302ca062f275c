"""The demo catalogue: series, topics, speakers and seminars, written to read like the real thing.

Every person and company here is invented. Places, the JET Programme and the two seminar
series are real. Content is data, not interface text, so it is not marked for translation.

Text kept in both languages is written twice, as the site keeps it: ``title`` in English
and ``title_ja`` in Japanese (the ``title_en`` and ``title_ja`` columns). The Japanese is
written as a Japanese local government or JLGC would publish it, not word for word. An
empty text is shown in the other language, marked with its ``lang``: the Japanese-first
seminar has no English description, and companies' English names have no Japanese.
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
    name_ja: str
    tagline: str
    tagline_ja: str
    description: str
    description_ja: str
    default_audience_slugs: tuple[str, ...]
    position: int


@dataclass(frozen=True)
class DemoTopic:
    slug: str
    name: str
    name_ja: str


@dataclass(frozen=True)
class DemoSpeaker:
    """A speaker. ``name_ja`` is their name in Japanese (a field of its own, not a
    translation); ``language`` and ``time_zone`` are those of their emails."""

    slug: str
    name: str
    title: str
    title_ja: str
    organisation: str
    organisation_ja: str
    bio: str
    bio_ja: str
    name_ja: str = ""
    language: str = ""
    time_zone: str = ""
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
    title_ja: str
    summary: str
    summary_ja: str
    description: str
    description_ja: str
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
        name_ja="JLGCセミナー",
        tagline="Knowledge exchange between Japanese and European local governments.",
        tagline_ja="日本と欧州の地方自治体が、知見と経験を共有する場です。",
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
        description_ja=(
            "自治体国際化協会（クレア）ロンドン事務所（JLGC）が、日本と欧州の地方自治体の"
            "職員を結び、共通の課題への取り組みを比べ、学び合うセミナーです。\n\n"
            "毎回、日本の都道府県・市区町村からの登壇者と、欧州の自治体からの登壇者が"
            "それぞれの事例を発表し、その後、質疑応答を行います。最近のテーマは次のとおり"
            "です。\n\n"
            "- 行政サービスのデジタル・トランスフォーメーション（DX）\n"
            "- 人口減少と高齢化\n"
            "- 防災と災害からの復興\n"
            "- 姉妹都市交流と国際連携\n"
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
        name_ja="日本の地域魅力発信セミナー",
        tagline="Japan's regions, presented by the people who live and work there.",
        tagline_ja="その土地で暮らし、働く人たちが、日本各地の魅力をお伝えします。",
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
        description_ja=(
            "ゴールデンルートの先にある日本を紹介する、短時間のオンラインセミナーです。"
            "日本の地方自治体や、地域に配属されたJETプログラム参加者が、その土地の食、祭り、"
            "温泉、自然、文化をご紹介し、アクセスや旅行に適した季節、売れる旅行商品について"
            "実践的なアドバイスもお届けします。\n\n"
            "英国の**旅行代理店**、**ツアーオペレーター**、**観光推進組織（DMO）**、"
            "公的機関パートナー、日本ファンの皆さまを対象としています。英国の朝、日本の"
            "夕方に開催するため、登壇者は日本から参加できます。\n"
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

TOPICS: tuple[DemoTopic, ...] = (
    DemoTopic("kyushu", "Kyushu", "九州"),
    DemoTopic("tohoku", "Tohoku", "東北"),
    DemoTopic("hokkaido", "Hokkaido", "北海道"),
    DemoTopic("onsen", "Onsen", "温泉"),
    DemoTopic("food-and-drink", "Food and drink", "食・グルメ"),
    DemoTopic("rural-tourism", "Rural tourism", "グリーン・ツーリズム"),
    DemoTopic("festivals", "Festivals", "祭り"),
    DemoTopic("snow-and-winter-sports", "Snow and winter sports", "雪・ウィンタースポーツ"),
    DemoTopic("sustainable-tourism", "Sustainable tourism", "持続可能な観光"),
    DemoTopic(
        "digital-transformation", "Digital transformation", "デジタル・トランスフォーメーション"
    ),
    DemoTopic("ageing-society", "Ageing society", "高齢化社会"),
    DemoTopic("disaster-resilience", "Disaster resilience", "防災・減災"),
    DemoTopic("town-twinning", "Town twinning", "姉妹都市交流"),
)

SPEAKERS: tuple[DemoSpeaker, ...] = (
    DemoSpeaker(
        slug="emily-hargreaves",
        name="Emily Hargreaves",
        title="Coordinator for International Relations (CIR)",
        title_ja="国際交流員（CIR）",
        organisation="Oita Prefectural Government, Tourism Promotion Division",
        organisation_ja="大分県 観光振興課",
        bio=(
            "Emily joined the JET Programme in 2023 as a Coordinator for International "
            "Relations in Oita Prefecture's tourism promotion division, after studying "
            "Japanese and Linguistics in Leeds.\n\n"
            "She writes Oita's English-language guides and social media, and has hosted "
            "familiarisation trips for travel agents from the UK and Ireland. Her favourite "
            "question from visitors: *which of Beppu's eight hot-spring areas should I pick?*"
        ),
        bio_ja=(
            "英国リーズの大学で日本語と言語学を学んだ後、2023年にJETプログラムの国際交流員"
            "（CIR）として来日し、大分県観光振興課に勤務しています。\n\n"
            "大分県の英語版ガイドブックやSNSでの発信を担当し、英国やアイルランドの旅行会社を"
            "招いたファムトリップ（視察旅行）の受け入れも行ってきました。訪れる方からよく"
            "受ける質問は、「別府八湯のうち、どの温泉地を選べばいいですか？」です。"
        ),
        jet_prefecture=Prefecture.OITA,
        jet_municipality="Oita City",
        jet_years=(2023, 2026),
    ),
    DemoSpeaker(
        slug="thomas-reid",
        name="Thomas Reid",
        title="Japan Product Manager",
        title_ja="日本担当プロダクトマネージャー",
        organisation="Kestrel & Crane Journeys",
        organisation_ja="",  # a company's own name: shown in English, marked lang="en"
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
        bio_ja=(
            "2016年から2019年まで、JETプログラムの外国語指導助手（ALT）として岩手県遠野市の"
            "学校で英語を教えました。遠野の昔話をそらで語れるほど、地域の暮らしになじみました。"
            "\n\n"
            "英国に戻ってからは独立系のツアーオペレーターで、北日本への少人数ツアーや"
            "オーダーメイドの旅を企画しています。特に力を入れているのは次のテーマです。\n\n"
            "- 農家民泊・ファームステイ\n"
            "- ウォーキングルートと地元ガイド\n"
            "- 桜の見頃を外した季節の旅"
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
        title_ja="国際交流課 課長補佐",
        organisation="Hirosaki City Hall",
        organisation_ja="弘前市役所",
        bio=(
            "Misaki Sato coordinates Hirosaki's exchanges with its partner cities abroad and "
            "looks after the city's international visitors' programme.\n\n"
            "Before joining the International Exchange Section she worked in the city's "
            "tourism office during the **Hirosaki Castle Snow Lantern Festival**, and spent a "
            "year on secondment in Europe studying how councils run twinning associations "
            "with volunteers."
        ),
        bio_ja=(
            "弘前市と海外の姉妹・友好都市との交流の調整を担当し、外国人観光客の受入れ"
            "プログラムも手がけています。\n\n"
            "国際交流課に配属される前は、**弘前城雪燈籠まつり**の時期に市の観光部門で勤務"
            "しました。また、1年間欧州に派遣され、現地の自治体がボランティアとともに姉妹都市"
            "協会をどのように運営しているかを調査しました。"
        ),
    ),
    DemoSpeaker(
        slug="gareth-pryce",
        name="Gareth Pryce",
        title="International Partnerships Officer",
        title_ja="国際連携担当",
        organisation="Wyverndale District Council",
        organisation_ja="ワイヴァーンデール地区議会",
        bio=(
            "Gareth leads Wyverndale's international partnerships, including a twinning link "
            "with a town in Tohoku renewed in 2024, and the council's work on digital public "
            "services.\n\n"
            "He has spoken at local government conferences on:\n\n"
            "1. keeping twinning alive when budgets shrink\n"
            "2. what UK councils can learn from Japanese disaster planning\n"
            "3. *digital by default* without leaving older residents behind"
        ),
        bio_ja=(
            "ワイヴァーンデールの国際連携を統括しています。2024年に提携を更新した東北の町との"
            "姉妹都市交流のほか、行政サービスのデジタル化にも携わっています。\n\n"
            "これまでに自治体関係の会議で、次のテーマについて講演しています。\n\n"
            "1. 予算が縮小する中で姉妹都市交流を続けるには\n"
            "2. 英国の自治体が日本の防災計画から学べること\n"
            "3. 高齢の住民を取り残さない*デジタル・バイ・デフォルト*"
        ),
        links="https://wyverndale.example/international",
    ),
    DemoSpeaker(
        slug="priya-natarajan",
        name="Priya Natarajan",
        title="Travel writer",
        title_ja="トラベルライター",
        organisation="Freelance",
        organisation_ja="フリーランス",
        bio=(
            "Priya spent three winters as a JET Programme Assistant Language Teacher in "
            "Kutchan, at the foot of Mount Yotei, teaching at the junior high school during "
            "the week and learning to ski at the weekends.\n\n"
            "She now writes about Japanese snow resorts for UK ski and travel magazines and "
            "advises tour operators on resorts beyond the best-known names."
        ),
        bio_ja=(
            "JETプログラムの外国語指導助手（ALT）として、羊蹄山のふもとの北海道倶知安町で"
            "三度の冬を過ごしました。平日は中学校で英語を教え、週末にはスキーを覚えました。"
            "\n\n"
            "現在は英国のスキー誌や旅行誌に日本のスノーリゾートの記事を寄稿するほか、"
            "よく知られたリゾート以外のスキー場について、ツアーオペレーターに助言しています。"
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
        title_ja="シニアコンサルタント",
        organisation="Meridian Destination Partners",
        organisation_ja="",  # a company's own name: shown in English, marked lang="en"
        bio=(
            "Seán was a Coordinator for International Relations in Kumamoto Prefecture's "
            "International Affairs Division from 2019 to 2022, where he worked on the "
            "prefecture's first English rail-and-bus itineraries across Kyushu.\n\n"
            "At Meridian he helps destination marketing organisations plan their UK trade "
            "activity, from sales missions to familiarisation trips."
        ),
        bio_ja=(
            "2019年から2022年まで、国際交流員（CIR）として熊本県国際課に勤務し、九州を巡る"
            "同県初の英語版の鉄道・バス周遊モデルコースづくりに携わりました。\n\n"
            "現在はMeridianで、観光推進組織（DMO）による英国の旅行業界向けのプロモーションを、"
            "セールスミッションからファムトリップまで企画の段階から支援しています。"
        ),
        jet_prefecture=Prefecture.KUMAMOTO,
        jet_municipality="Kumamoto City",
        jet_years=(2019, 2022),
    ),
    DemoSpeaker(
        slug="hannah-whitfield",
        name="Hannah Whitfield",
        title="Programme Manager",
        title_ja="セミナー事業担当マネージャー",
        organisation="Japan Local Government Centre (JLGC), London",
        organisation_ja="自治体国際化協会 ロンドン事務所（JLGC）",
        bio=(
            "Hannah runs the JLGC seminar programme. She first went to Japan as a JET "
            "Programme Coordinator for International Relations in Fukuoka City from 2012 to 2015 "
            "and has worked with Japanese and British local authorities ever since.\n\n"
            "She moderates most of our seminars; send her your questions in advance."
        ),
        bio_ja=(
            "JLGCのセミナー事業を担当しています。2012年から2015年までJETプログラムの"
            "国際交流員（CIR）として福岡市に勤務したことをきっかけに、日英の地方自治体と"
            "ともに仕事を続けています。\n\n"
            "多くのセミナーで司会を務めています。ご質問は事前にお寄せください。"
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
        title_ja="危機対策課 副課長",
        organisation="Miyagi Prefectural Government",
        organisation_ja="宮城県",
        bio=(
            "Naoki Takahashi has worked on disaster planning in Miyagi Prefecture since "
            "2009, and on reconstruction after the Great East Japan Earthquake of March 2011.\n\n"
            "He now leads the prefecture's work with municipalities on evacuation planning, "
            "community disaster drills and the lessons of 2011 for a rapidly ageing "
            "population."
        ),
        bio_ja=(
            "2009年から宮城県の防災計画に携わり、2011年3月の東日本大震災の後は復興業務にも"
            "従事しました。\n\n"
            "現在は、市町村とともに進める避難計画づくりや地域の防災訓練を統括し、急速に"
            "高齢化が進む地域に震災の教訓をどう生かすかに取り組んでいます。"
        ),
        # Works in Japan and reads Japanese: his invites and reminders are in Japanese,
        # with the times in Japan time.
        language="ja",
        time_zone=TOKYO,
    ),
    DemoSpeaker(
        slug="lucy-fairbairn",
        name="Lucy Fairbairn",
        title="Japan Specialist",
        title_ja="日本旅行スペシャリスト",
        organisation="Silverbirch Travel",
        organisation_ja="",  # a company's own name: shown in English, marked lang="en"
        bio=(
            "Lucy was a JET Programme Assistant Language Teacher in Kaminoyama, Yamagata, "
            "a castle and onsen town an hour from Zao's snow monsters.\n\n"
            "She sells Japan to independent travellers and is happiest sending clients to "
            "places they have never heard of: small onsen towns, local trains and family-run "
            "ryokan."
        ),
        bio_ja=(
            "JETプログラムの外国語指導助手（ALT）として山形県上山市に赴任しました。上山は"
            "城下町であると同時に温泉町でもあり、蔵王の樹氷までは車で1時間ほどです。\n\n"
            "現在は個人旅行者向けに日本旅行を販売しています。小さな温泉町やローカル線、"
            "家族経営の旅館など、お客様がまだ知らない場所へご案内するのが何よりの"
            "楽しみです。"
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
        title_ja="日本一のおんせん県・大分",
        summary=(
            "Beppu's steaming hells, Yufuin's quiet ryokan and the food of Kyushu's east "
            "coast, presented by Oita Prefecture's CIR."
        ),
        summary_ja=(
            "湯けむりの上がる別府の地獄めぐり、由布院の静かな旅館、九州東海岸の食。"
            "大分県の国際交流員がご紹介します。"
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
        description_ja=(
            "大分県は、温泉の源泉数・湧出量ともに日本一を誇る「おんせん県」です。本セミナー"
            "では、大分県観光振興課の国際交流員（CIR）エミリー・ハーグリーブス氏が、英国から"
            "の旅行者が3〜5日間で楽しめる大分の魅力をご紹介します。\n\n"
            "## 主な内容\n\n"
            "- **別府**：別府八湯、砂湯、そして*地獄めぐり*\n"
            "- **由布院**：由布岳のふもとの小さな温泉町\n"
            "- **食**：*とり天*、*だんご汁*、*かぼす*\n"
            "- 福岡からのアクセスと、九州のほかの地域との組み合わせ方\n\n"
            "## 対象\n\n"
            "日本旅行を取り扱う旅行代理店・ツアーオペレーターの皆さま、九州への旅行を"
            "計画している方におすすめです。最後に質疑応答の時間を設けます。\n"
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
        title_ja="東北の冬の灯り：弘前城雪燈籠まつり",
        summary=(
            "An evening in Hirosaki, live from Japan: the castle's snow lanterns, apples, "
            "and how to build northern Tohoku into a winter itinerary."
        ),
        summary_ja=(
            "日本から生中継で、冬の弘前の夕べへご案内します。弘前城の雪燈籠、りんご、"
            "そして北東北を冬の旅程に組み込むコツをお伝えします。"
        ),
        description=(
            "This seminar comes to you live from Hirosaki at 7 pm Japan time, as the "
            "lanterns are lit, which is breakfast time in the UK.\n\n"
            "Misaki Sato of Hirosaki City Hall presents the **Hirosaki Castle Snow Lantern "
            "Festival**, held every February in the castle park, and the city's winter "
            "programme. Lucy Fairbairn, a former JET in Yamagata, also in Tohoku, adds the view "
            "of a UK tour operator.\n\n"
            "## Programme\n\n"
            "1. Hirosaki in winter: castle, festival and apple country (Misaki Sato)\n"
            "2. Selling northern Tohoku in winter: routes, rail passes and timing "
            "(Lucy Fairbairn)\n"
            "3. Questions from the audience\n\n"
            "The session is in English, with Japanese support from the moderator.\n"
        ),
        description_ja=(
            "本セミナーは、雪燈籠に灯がともる日本時間午後7時（英国では朝食の時間）に、"
            "弘前から生中継でお届けします。\n\n"
            "弘前市役所の佐藤美咲氏が、毎年2月に弘前公園で開かれる**弘前城雪燈籠まつり**と"
            "市の冬のイベントをご紹介します。同じ東北の山形県でJETプログラムに参加していた"
            "ルーシー・フェアベアン氏が、英国の旅行会社の視点からお話しします。\n\n"
            "## プログラム\n\n"
            "1. 冬の弘前：弘前城、雪燈籠まつり、りんごの里（佐藤美咲氏）\n"
            "2. 冬の北東北の売り方：ルート、鉄道パス、時期（ルーシー・フェアベアン氏）\n"
            "3. 質疑応答\n\n"
            "セミナーは英語で行い、司会が日本語でサポートします。\n"
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
        title_ja="より良い復興をめざして：震災から15年、宮城県の防災・減災",
        summary=(
            "What Miyagi Prefecture learnt from the 2011 earthquake and tsunami about "
            "evacuation, recovery and community resilience, and what European councils can "
            "take from it."
        ),
        summary_ja=(
            "2011年の東日本大震災の地震と津波から、宮城県は避難、復興、地域の防災力について"
            "何を学んだのか。欧州の自治体が生かせる教訓とあわせてお伝えします。"
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
        description_ja=(
            "東日本大震災から15年。宮城県は防潮堤を再建し、集落ごとの高台移転を進め、"
            "避難計画を見直してきました。宮城県危機対策課の高橋直樹副課長が、その成果と、"
            "振り返って見えてきた課題をお話しします。\n\n"
            "ワイヴァーンデール地区議会のギャレス・プライス氏が、地震よりも洪水が主な"
            "リスクである英国の地域防災組織（Local Resilience Forum）の立場からコメント"
            "します。\n\n"
            "## テーマ\n\n"
            "- 高齢者や障害のある住民のための避難計画\n"
            "- 地域団体・ボランティアとの連携\n"
            "- 学校や震災伝承施設で震災の記憶を伝え続けること\n"
            "- 復興財源とその限界\n\n"
            "日本語の発表には英語の同時通訳が付きます。\n"
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
        title_ja="ニセコだけではない、北海道のパウダースノー",
        summary=(
            "Smaller ski areas, onsen towns and winter festivals for UK skiers who have "
            "already heard of Niseko."
        ),
        summary_ja=(
            "ニセコはもう知っている英国のスキーヤーに、小規模なスキー場、温泉町、"
            "冬のまつりをご紹介します。"
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
        description_ja=(
            "北海道のパウダースノーは世界的に有名ですが、いちばん有名なリゾートはリフト待ちの"
            "列でも知られています。トラベルライターで元JETプログラム参加者のプリヤ・"
            "ナタラジャン氏が、英国のツアーオペレーターがまだあまり扱っていないスキー場を"
            "紹介し、トーマス・リード氏がそれらを旅行商品にまとめる方法を解説します。\n\n"
            "## 主な内容\n\n"
            "- 札幌から2時間以内のファミリー向けリゾート\n"
            "- バックカントリーガイドと雪崩への備え\n"
            "- スキーとさっぽろ雪まつりの組み合わせ\n"
            "- スキーをしない同行者も楽しめる温泉と海の幸\n\n"
            "送迎や鉄道パス、おすすめの時期についてのご質問もお待ちしています。\n"
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
        title_ja="沖縄・島々の祭り",
        summary="Eisa dances, dragon-boat races and the island calendar of Okinawa.",
        summary_ja="エイサー、ハーリー、そして沖縄の島々の祭りごよみをご紹介します。",
        description=(
            "Okinawa's festivals follow a calendar of their own. This seminar introduces "
            "the *Eisa* drum dances of the summer Obon season, the *Haarii* dragon-boat "
            "races, and the smaller festivals of the outer islands.\n\n"
            "- when to go, and when the islands are full\n"
            "- island hopping by ferry and local flights\n"
            "- responsible visits to sacred sites\n"
        ),
        description_ja=(
            "沖縄の祭りは、独自のこよみに沿って行われます。本セミナーでは、夏の旧盆に踊られる"
            "*エイサー*、爬竜船（はりゅうせん）で速さを競う*ハーリー*、そして離島の小さな"
            "祭りをご紹介します。\n\n"
            "- 訪れるのに良い時期と、島が混み合う時期\n"
            "- フェリーと離島便でめぐる島旅\n"
            "- 御嶽（うたき）などの聖地を訪れる際のマナー\n"
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
        title_ja="遠野：民話のふるさとと農家民泊（岩手県）",
        summary=(
            "The valley of Japanese folklore, its farm stays and walking routes, presented "
            "by a former JET who taught there."
        ),
        summary_ja=(
            "日本の民話のふるさと、遠野の農家民泊とウォーキングルートを、遠野で英語を"
            "教えていた元JETプログラム参加者がご紹介します。"
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
        description_ja=(
            "岩手県の山あいにある遠野は、日本の民話が初めて書き留められた土地です。川に棲む"
            "*河童*、家に宿る*座敷わらし*、そして*遠野物語*の数々の話が伝わっています。\n\n"
            "JETプログラムで遠野の学校で教えたトーマス・リード氏は、現在、英国の旅行者に"
            "東北の農村を紹介しています。小さな地域がどのように旅行者を受け入れているか、"
            "そして地域に負担をかけずに旅程に組み込む方法をお話しします。\n\n"
            "## 見どころ\n\n"
            "- L字型の伝統的な農家住宅*南部曲り家*での農家民泊\n"
            "- 遠野盆地をめぐるサイクリング・ウォーキングルート\n"
            "- 語り部による昔話の夕べと郷土料理\n"
            "- 花巻から釜石線でのアクセス\n\n"
            "参加者全員のご質問にお答えする少人数制のワークショップです。定員に限りがあり、"
            "満席になり次第、キャンセル待ちの受付となります。\n"
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
        title_ja="新潟・酒蔵めぐり",
        summary="Breweries, rice terraces and snow country food in Japan's sake heartland.",
        summary_ja="日本酒のふるさと新潟で、酒蔵、棚田、雪国の食を訪ねます。",
        description=(
            "*Draft: speakers and programme to be confirmed with Niigata Prefecture.*\n\n"
            "Niigata has more sake breweries than any other prefecture. This seminar will "
            "introduce brewery visits, the rice that makes the sake, and the food of snow "
            "country.\n"
        ),
        description_ja=(
            "*下書き：登壇者とプログラムは新潟県と調整中です。*\n\n"
            "新潟県は全国で最も多くの酒蔵がある県です。本セミナーでは、酒蔵見学、日本酒を"
            "生む米、そして雪国の食をご紹介します。\n"
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
        title_ja="春の山形：桜と温泉町めぐり",
        summary=(
            "Late cherry blossom, mountain temples and small onsen towns: Yamagata for "
            "travellers who want spring without the crowds."
        ),
        summary_ja=(
            "遅咲きの桜、山寺、小さな温泉町。混雑を避けて春を楽しみたい旅行者に、"
            "山形をご紹介します。"
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
        description_ja=(
            "山形の桜は東京より2週間ほど遅れて咲くため、ツアーオペレーターにとっては"
            "桜の季節の「二度目のチャンス」です。元JETプログラム参加者のルーシー・"
            "フェアベアン氏が、春の山形をご紹介します。\n\n"
            "- **かみのやま温泉**：街角ごとに足湯がある城下町\n"
            "- **銀山温泉**：川沿いに木造の旅館が並ぶ温泉街\n"
            "- **山寺（立石寺）**：芭蕉の句で知られる山の寺\n"
            "- さくらんぼ、*芋煮*、地酒\n\n"
            "ご注意：本セミナーは英国が夏時間に切り替わる前の金曜日に開催するため、日本時間"
            "午後7時の開始です。翌週月曜日のセミナーは日本時間午後6時に始まります。\n"
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
        title_ja="姉妹都市交流の新たなかたち：日本と欧州のパートナーシップの今",
        summary=(
            "How Japanese and European towns keep twinning links alive with smaller budgets, "
            "online exchanges and new partners."
        ),
        summary_ja=(
            "限られた予算、オンライン交流、新たなパートナー。日本と欧州のまちが、"
            "姉妹都市交流をどのように続けているのかを探ります。"
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
        description_ja=(
            "日本と欧州の姉妹都市提携の多くは、1980年代から1990年代に結ばれました。交流が"
            "途絶えたところもあれば、学校交流や経済交流、観光に新たな役割を見いだした"
            "ところもあります。\n\n"
            "弘前市の佐藤美咲氏とワイヴァーンデール地区議会のギャレス・プライス氏が、"
            "それぞれの自治体の現在の取り組みを比べます。\n\n"
            "## パネルへの問い\n\n"
            "1. 姉妹都市交流にはどれだけの費用がかかり、誰が負担しているのか\n"
            "2. オンライン交流は相互訪問をどう補えるか\n"
            "3. 住民、学校、企業をどのように巻き込むか\n"
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
        title_ja="鉄道で巡る九州：英国からの旅行者向けモデルコース",
        summary=(
            "Seven days around Kyushu by train and bus, from Fukuoka to Kumamoto, Aso and Beppu."
        ),
        summary_ja="福岡から熊本、阿蘇、別府まで、鉄道とバスで九州を巡る7日間のモデルコース。",
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
        description_ja=(
            "九州はコンパクトで鉄道網も充実していますが、多くの英国の旅行者にとってはまだ"
            "新しい旅先です。国際交流員（CIR）として熊本県初の英語版の鉄道・バス周遊モデル"
            "コースを手がけたショーン・オコンネル氏が1週間のルートをご案内し、エミリー・"
            "ハーグリーブス氏が大分の温泉地をご紹介します。\n\n"
            "- 福岡の屋台と九州新幹線\n"
            "- 熊本城と阿蘇のカルデラ\n"
            "- 九州各地を走る観光列車\n"
            "- 旅の締めくくりは別府温泉\n"
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
        title_ja="自治体のデジタル・トランスフォーメーション：日英の比較",
        summary=(
            "Online services, data sharing and digital inclusion in Japanese cities and UK "
            "councils."
        ),
        summary_ja=(
            "日本の市と英国の自治体における、オンラインの行政サービス、データ連携、"
            "誰もがデジタルを使える環境づくり。"
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
        description_ja=(
            "日本では国がすべての市区町村に基幹業務システムの標準化を求める一方、英国の"
            "自治体は*デジタル・バイ・デフォルト*の方針をとっています。互いに何を学べる"
            "のでしょうか。\n\n"
            "ギャレス・プライス氏がワイヴァーンデールのオンラインサービスと、まだそれが"
            "届いていない住民について発表し、佐藤美咲氏が、高齢化が進む弘前市で窓口と"
            "オンラインの両方からどのように住民サービスを提供しているかをお話しします。\n\n"
            "## 論点\n\n"
            "- 標準化されたシステムか、地域ごとの選択か\n"
            "- 高齢の住民のオンライン利用をどう支えるか\n"
            "- 行政サービス間での安全なデータ連携\n"
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
        # Japanese-first: held in Japanese for Japanese local government officers and written
        # in Japanese. The English title and summary tell English readers (in lists, cards
        # and search) what it is; it has no English description, so its page shows the
        # Japanese one, marked lang="ja".
        title="Shrinking and ageing populations: how Japanese and UK local authorities respond",
        title_ja="人口減少・高齢化と自治体：日英の取り組み",
        summary=(
            "How local authorities in Japan and the UK keep services going as their "
            "populations shrink and age. Held in Japanese, with the UK presentation "
            "interpreted into Japanese."
        ),
        summary_ja=(
            "人口減少と高齢化が進む地域で、日本と英国の自治体はどのように住民サービスを"
            "維持しているのか。両国の事例を紹介します。"
        ),
        description="",
        description_ja=(
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
    DemoSeminar(
        slug="arita-and-imari-porcelain",
        series_slug=LOCAL_ATTRACTION,
        title="Arita and Imari: four centuries of porcelain in Saga",
        title_ja="有田と伊万里：佐賀の磁器400年",
        summary="Kilns, potters' towns and the spring ceramics fair, for small-group itineraries.",
        summary_ja="窯元、焼き物の町、春の陶器市。少人数ツアー向けにご紹介します。",
        description=(
            "*Draft: to be published once Saga Prefecture confirms its speaker.*\n\n"
            "Japan's first porcelain was fired in Arita in 1616. This seminar will show "
            "kiln visits, painting workshops and the Arita Ceramics Fair, and how to "
            "combine them with Fukuoka and Nagasaki in a week in Kyushu.\n"
        ),
        description_ja=(
            "*下書き：佐賀県の登壇者が決まり次第公開します。*\n\n"
            "日本で初めて磁器が焼かれたのは1616年の有田です。本セミナーでは、窯元見学、"
            "絵付け体験、有田陶器市をご紹介し、福岡・長崎と組み合わせた九州1週間の"
            "旅程もご提案します。\n"
        ),
        schedule=DaysFromToday(75, time(9, 0)),
        duration_minutes=60,
        speakers=(("hannah-whitfield", MODERATOR),),
        topic_slugs=("kyushu",),
        meeting_id="84123456013",
        prefecture=Prefecture.SAGA,
        status=Seminar.Status.DRAFT,
    ),
)
