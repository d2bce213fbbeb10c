"""Word and sentence banks that make plausible, non-repetitive English news copy.

Everything takes an explicit `random.Random` so a site is a pure function of its seed.
The banks are plain ASCII (plus a few Hangul sentences) so that legacy pages can be
served as EUC-KR without loss.
"""

from __future__ import annotations

import random

SURNAMES = [
    "Kim",
    "Lee",
    "Park",
    "Choi",
    "Jung",
    "Kang",
    "Cho",
    "Yoon",
    "Jang",
    "Lim",
    "Han",
    "Oh",
    "Seo",
    "Shin",
    "Kwon",
    "Hwang",
    "Ahn",
    "Song",
    "Yoo",
    "Hong",
    "Jeon",
    "Ko",
    "Moon",
    "Yang",
    "Son",
    "Bae",
    "Baek",
    "Heo",
    "Nam",
    "Shim",
    "Noh",
    "Ha",
    "Kwak",
    "Sung",
    "Cha",
    "Joo",
    "Woo",
    "Koo",
    "Min",
]
GIVEN_A = [
    "Ji",
    "Min",
    "Seo",
    "Hye",
    "Jae",
    "Sung",
    "Hyun",
    "Eun",
    "Yeon",
    "Do",
    "Ha",
    "Soo",
    "Young",
    "Joon",
    "Ye",
    "Da",
    "Na",
    "Woo",
    "Kyung",
    "Jin",
]
GIVEN_B = [
    "hyun",
    "ji",
    "woo",
    "jin",
    "young",
    "min",
    "yeon",
    "soo",
    "eun",
    "hee",
    "won",
    "ho",
    "bin",
    "kyung",
    "a",
    "jun",
    "seok",
    "hoon",
    "rim",
    "sun",
]

PLACES = (
    "Seoul",
    "Busan",
    "Incheon",
    "Daegu",
    "Gwangju",
    "Daejeon",
    "Ulsan",
    "Sejong",
    "Suwon",
    "Jeju Island",
    "Gangneung",
    "Pohang",
    "Changwon",
    "Jeonju",
    "Chuncheon",
    "Yeosu",
)
FOREIGN = (
    "Washington",
    "Beijing",
    "Tokyo",
    "Brussels",
    "Hanoi",
    "Jakarta",
    "New Delhi",
    "Canberra",
    "Berlin",
    "Paris",
    "London",
    "Ottawa",
    "Singapore",
    "Manila",
    "Bangkok",
    "Warsaw",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

#: Per-section vocabulary: organisations, topics, title subjects, title objects.
VOCAB: dict[str, dict[str, tuple[str, ...]]] = {
    "National": {
        "org": (
            "the Ministry of the Interior and Safety",
            "the Ministry of National Defense",
            "the Ministry of Unification",
            "the National Assembly",
            "the presidential office",
            "the Constitutional Court",
            "the National Police Agency",
            "the Justice Ministry",
            "the Ministry of Education",
            "the Korea Disease Control and Prevention Agency",
            "the Supreme Prosecutors' Office",
            "the National Election Commission",
        ),
        "topic": (
            "the budget bill",
            "the special counsel probe",
            "the medical school quota",
            "the housing subsidy plan",
            "the regional development package",
            "the disaster response manual",
            "the conscription reform",
            "the pension overhaul",
            "the low birth rate measures",
            "the local election rules",
            "the civil service exam",
            "the school meal program",
            "the heat wave warning system",
            "the border security plan",
        ),
        "subj": (
            "Seoul",
            "Ruling party",
            "Opposition",
            "Prime minister",
            "Defense ministry",
            "Unification ministry",
            "Police",
            "Prosecutors",
            "Top court",
            "Lawmakers",
            "Education ministry",
            "Health officials",
            "City hall",
            "Parliament",
        ),
        "obj": (
            "pension reform",
            "North Korea talks",
            "medical school quota",
            "election rules",
            "youth housing aid",
            "disaster alert system",
            "conscription rules",
            "school safety",
            "child care support",
            "anti-corruption probe",
            "border patrols",
            "flood defenses",
        ),
    },
    "Business": {
        "org": (
            "Samsung Electronics",
            "SK hynix",
            "Hyundai Motor",
            "LG Energy Solution",
            "the Bank of Korea",
            "the Financial Services Commission",
            "Korea Exchange",
            "Kakao",
            "Naver",
            "POSCO Holdings",
            "Hanwha Aerospace",
            "Korean Air",
            "the Fair Trade Commission",
            "Coupang",
            "CJ CheilJedang",
            "Doosan Enerbility",
        ),
        "topic": (
            "the chip export data",
            "the interest rate decision",
            "the battery supply deal",
            "the quarterly earnings report",
            "the won-dollar exchange rate",
            "the shipbuilding order book",
            "the household debt figures",
            "the semiconductor subsidy",
            "the short-selling ban",
            "the merger review",
            "the electric vehicle tax credit",
            "the value-up program",
            "the AI data center plan",
        ),
        "subj": (
            "Samsung",
            "SK hynix",
            "Hyundai",
            "LG",
            "BOK",
            "Kospi",
            "Kakao",
            "Naver",
            "Korean Air",
            "Shipbuilders",
            "Chipmakers",
            "Battery makers",
            "Regulators",
            "Banks",
        ),
        "obj": (
            "chip investment",
            "rate outlook",
            "EV battery output",
            "export forecast",
            "AI server demand",
            "shareholder returns",
            "household lending",
            "LNG carrier orders",
            "foreign investors",
            "supply chains",
            "data center plans",
            "won volatility",
        ),
    },
    "LifenCulture": {
        "org": (
            "the National Museum of Korea",
            "the Korea Tourism Organization",
            "the Seoul Arts Center",
            "the Ministry of Culture, Sports and Tourism",
            "the Busan International Film Festival",
            "the National Theater of Korea",
            "the Cultural Heritage Administration",
            "the Seoul Museum of Art",
        ),
        "topic": (
            "the palace night tours",
            "the autumn food festival",
            "the new hiking trail",
            "the temple stay program",
            "the traditional craft exhibition",
            "the literary award",
            "the kimchi-making class",
            "the hanok village project",
            "the wellness tourism campaign",
            "the contemporary dance season",
        ),
        "subj": (
            "Museum",
            "Festival",
            "Novelist",
            "Chef",
            "Palace",
            "Gallery",
            "Travelers",
            "Director",
            "Temple",
            "Artists",
            "Designers",
            "Pianist",
        ),
        "obj": (
            "night tours",
            "street food",
            "Joseon-era paintings",
            "coastal trails",
            "temple cuisine",
            "folk music",
            "tea culture",
            "craft beer",
            "hanbok designs",
            "island getaways",
            "book fair",
            "Buddhist art",
        ),
    },
    "Sports": {
        "org": (
            "the Korea Football Association",
            "the Korea Baseball Organization",
            "the Korean Sport and Olympic Committee",
            "the K League",
            "the Korea Professional Golfers' Association",
            "the national team",
        ),
        "topic": (
            "the World Cup qualifier",
            "the pennant race",
            "the Asian Games selection",
            "the Olympic qualifying event",
            "the transfer window",
            "the season opener",
            "the women's open",
            "the playoff series",
            "the marathon course",
        ),
        "subj": (
            "Son Heung-min",
            "Kim Ha-seong",
            "Taeguk Warriors",
            "LG Twins",
            "Kia Tigers",
            "Ulsan HD",
            "Korean golfers",
            "Archers",
            "Short track team",
            "Coach",
            "Jeonbuk",
        ),
        "obj": (
            "World Cup qualifier",
            "pennant race",
            "Asian Cup squad",
            "league title",
            "playoff berth",
            "Olympic spot",
            "season opener",
            "record contract",
            "home crowd",
        ),
    },
    "World": {
        "org": (
            "the United Nations",
            "the European Union",
            "the White House",
            "the Kremlin",
            "the World Health Organization",
            "the International Monetary Fund",
            "ASEAN",
            "the G20",
            "NATO",
            "the World Trade Organization",
        ),
        "topic": (
            "the ceasefire talks",
            "the climate pledge",
            "the tariff dispute",
            "the refugee response",
            "the election results",
            "the sanctions package",
            "the trade agreement",
            "the aid convoy",
            "the summit declaration",
        ),
        "subj": (
            "US",
            "China",
            "Japan",
            "EU",
            "UN",
            "India",
            "Vietnam",
            "Australia",
            "Germany",
            "Canada",
            "Indonesia",
            "Philippines",
        ),
        "obj": (
            "tariff talks",
            "ceasefire plan",
            "climate targets",
            "rare earth exports",
            "refugee quotas",
            "defense spending",
            "trade pact",
            "election outcome",
        ),
    },
    "Opinion": {
        "org": (
            "the government",
            "the ruling bloc",
            "the opposition",
            "regulators",
            "the central bank",
            "local councils",
            "the education authorities",
            "voters",
        ),
        "topic": (
            "the fiscal rule",
            "the pension debate",
            "the housing market",
            "the birth rate",
            "the regional divide",
            "the digital divide",
            "political polarization",
            "the energy mix",
            "the aging workforce",
        ),
        "subj": (
            "[Editorial] Seoul",
            "[Editorial] Lawmakers",
            "[Viewpoint] Korea",
            "[Column] Policymakers",
            "[Editorial] Government",
            "[Viewpoint] Asia",
        ),
        "obj": (
            "fiscal discipline",
            "pension reform",
            "housing policy",
            "demographic change",
            "energy transition",
            "political civility",
            "labor reform",
            "regional balance",
        ),
    },
    "Kpop": {
        "org": (
            "HYBE",
            "SM Entertainment",
            "JYP Entertainment",
            "YG Entertainment",
            "the Mnet Asian Music Awards",
            "the Golden Disc Awards",
            "Billboard",
        ),
        "topic": (
            "the comeback album",
            "the world tour",
            "the fan meeting",
            "the debut single",
            "the music show win",
            "the contract dispute",
            "the solo EP",
            "the music video",
        ),
        "subj": (
            "BTS",
            "Blackpink",
            "Seventeen",
            "Stray Kids",
            "NewJeans",
            "Aespa",
            "Ive",
            "Le Sserafim",
            "Twice",
            "Enhypen",
            "TXT",
            "ZB1",
        ),
        "obj": (
            "world tour",
            "comeback album",
            "Billboard chart",
            "fan meeting",
            "solo debut",
            "stadium concert",
            "music video",
            "new subunit",
            "award sweep",
        ),
    },
}
#: Legacy top-level labels borrow a current vocabulary.
LEGACY_VOCAB = {
    "National": "National",
    "Business": "Business",
    "Life&Style": "LifenCulture",
    "Entertainment": "Kpop",
    "Sports": "Sports",
    "World": "World",
    "Opinion": "Opinion",
}

VERB_PHRASES = (
    "vows to review",
    "moves to expand",
    "seeks to tighten",
    "set to overhaul",
    "eyes",
    "pushes for",
    "weighs",
    "unveils plan for",
    "faces questions over",
    "doubles down on",
    "scales back",
    "bets on",
    "warns of risks to",
    "fast-tracks",
    "delays",
    "rethinks",
)
SUBTITLES = (
    "Officials say decision expected before year-end",
    "Critics question timing as costs mount",
    "Move comes amid growing public pressure",
    "Analysts see limited impact in near term",
    "Plan to be finalized after consultations",
    "Industry watchers call it a turning point",
    "Supporters welcome change, opponents cry foul",
    "Data points to uneven recovery across regions",
)

SAID = ("said", "told reporters", "said in a statement", "noted", "added", "stressed")
TIMES = ("on {day}", "earlier this week", "last month", "this year", "on {day} morning")

SENTENCES = (
    "{Org} {said} {time} that it would announce details of {topic} within weeks.",
    "The decision follows months of debate over {topic}, which has drawn criticism from "
    "both sides.",
    "According to {org}, about {num} people took part in the process, up {pct} percent "
    "from a year earlier.",
    '"We will do our best to meet the expectations of the public," {person}, {role}, {said}.',
    "Officials in {place} said they expected {topic} to take effect by the end of the quarter.",
    "The figure marks the {ordinal} consecutive increase since records began in {year}.",
    "{Person} {said} that the plan lacked detail and called for a full review of {topic}.",
    "Critics argue that {topic} does little to address the concerns of younger people.",
    "Talks with counterparts in {foreign} resumed {time}, officials said.",
    "The measure is expected to cost around {money} won over the next {small} years.",
    "Local residents in {place} have raised questions about how the change will affect them.",
    "Observers said the timing of the announcement was closely tied to {topic}.",
    "{Org} has pledged to publish a follow-up report in {month}.",
    "Market watchers in {foreign} are closely following the outcome, analysts said.",
    "A survey of {num} adults found that {pct} percent supported the move, while the rest "
    "were undecided or opposed.",
    "The announcement came {time}, a day after a closed-door meeting in {place}.",
    "{Person}, {role}, {said} the government would not rule out further steps.",
    "Some experts warned that {topic} could face legal challenges later this year.",
    "The number is the highest since {year}, when a similar program was first introduced.",
    "Under the proposal, {org} would gain new powers to oversee {topic}.",
    '"This is only the first step," {person} {said}, adding that more work remained.',
    "Earlier, {org} had said it would consider {topic} only after a public hearing.",
    "In {place}, turnout was {pct} percent, slightly below the national average.",
    "The group plans to hold a second round of meetings in {foreign} in {month}.",
    "A final decision on {topic} is likely to be made after the holiday season.",
    "Shares of related companies rose as much as {pct} percent in early trading.",
    "The {ordinal} meeting of the joint committee ended without a written agreement.",
    "{Person} declined to comment on the details, citing ongoing discussions.",
    "Around {num} visitors are expected to attend, organizers in {place} said.",
    "The program will run until {month} and may be extended if demand stays strong.",
)
ROLES = (
    "a senior official at the ministry",
    "a professor at Seoul National University",
    "a spokesperson for the company",
    "a lawmaker of the ruling party",
    "an opposition lawmaker",
    "an economist at a local think tank",
    "the head coach",
    "a researcher at the Korea Development Institute",
    "the festival director",
    "a former diplomat",
    "an industry analyst",
    "the team captain",
)
MONTHS_FULL = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
ORDINALS = ("second", "third", "fourth", "fifth", "sixth", "seventh", "10th", "12th", "18th")

#: Hangul sentences for the EUC-KR legacy pages (all in KS X 1001).
HANGUL = (
    '"이번 협상은 양국 관계의 중요한 전환점이 될 것"이라고 말했다.',
    "정부는 다음 달까지 구체적인 대책을 발표할 예정이다.",
    '관계자는 "시민들의 안전을 최우선으로 생각하고 있다"고 밝혔다.',
    "서울시는 올해 예산을 지난해보다 늘리기로 했다.",
    "전문가들은 경제 회복이 예상보다 늦어질 수 있다고 지적했다.",
)

CAPTIONS = (
    "{Person} speaks during a press briefing in {place} on {day}.",
    "Visitors look around an exhibition hall in {place}.",
    "Officials attend a meeting in {place} on {day}.",
    "A view of downtown {place}.",
    "{Person} poses for a photo before an interview in {place}.",
)


def person_name(rng: random.Random) -> str:
    """A romanized Korean name such as "Kim Ji-hyun"."""
    first = rng.choice(GIVEN_A)
    second = rng.choice([b for b in GIVEN_B if b != first.lower()])
    return f"{rng.choice(SURNAMES)} {first}-{second}"


def unique_title(writer: Writer, taken: set[str]) -> str:
    """A headline not in `taken`, tried 50 times; then one with a place, which may still be."""
    for _ in range(50):
        title = writer.title()
        if title not in taken:
            return title
    return f"{writer.title()} in {writer.place}"


class Writer:
    """Writes the copy of one article around a fixed cast (org, people, place, topic)."""

    def __init__(self, rng: random.Random, vocab_key: str) -> None:
        self.rng = rng
        self.vocab = VOCAB[vocab_key]
        self.people = [person_name(rng) for _ in range(3)]
        self.orgs = rng.sample(self.vocab["org"], 2)
        self.topics = rng.sample(self.vocab["topic"], 2)
        self.place = rng.choice(PLACES)

    def _fill(self, template: str) -> str:
        rng = self.rng
        org = rng.choice(self.orgs)
        person = rng.choice(self.people)
        day = rng.choice(WEEKDAYS)
        values = {
            "org": org,
            "Org": org[0].upper() + org[1:],
            "person": person,
            "Person": person,
            "role": rng.choice(ROLES),
            "said": rng.choice(SAID),
            "time": rng.choice(TIMES).format(day=day),
            "day": day,
            "topic": rng.choice(self.topics),
            "place": self.place if rng.random() < 0.7 else rng.choice(PLACES),
            "foreign": rng.choice(FOREIGN),
            "num": f"{rng.randint(2, 950) * rng.choice((10, 100, 1000)):,}",
            "pct": f"{rng.randint(1, 89)}.{rng.randint(0, 9)}",
            "money": f"{rng.randint(1, 99)}.{rng.randint(1, 9)} billion",
            "small": str(rng.randint(2, 9)),
            "year": str(rng.randint(1990, 2019)),
            "month": rng.choice(MONTHS_FULL),
            "ordinal": rng.choice(ORDINALS),
        }
        return template.format(**values)

    def sentence(self) -> str:
        return self._fill(self.rng.choice(SENTENCES))

    def paragraph(self) -> str:
        """40-120 words of sentences, never repeating a sentence within the paragraph."""
        target = self.rng.randint(40, 110)
        sentences: list[str] = []
        words = 0
        for _ in range(40):
            if words >= target:
                break
            candidate = self.sentence()
            count = len(candidate.split())
            if candidate in sentences or words + count > 120:
                continue
            sentences.append(candidate)
            words += count
        return " ".join(sentences)

    def paragraphs(self, low: int = 4, high: int = 12) -> list[str]:
        return [self.paragraph() for _ in range(self.rng.randint(low, high))]

    def caption(self) -> str:
        return self._fill(self.rng.choice(CAPTIONS))

    def title(self) -> str:
        rng = self.rng
        return f"{rng.choice(self.vocab['subj'])} {rng.choice(VERB_PHRASES)} " + rng.choice(
            self.vocab["obj"]
        )

    def keywords(self) -> list[str]:
        picks = self.rng.sample(self.vocab["obj"], 3)
        return [*picks, self.place]
