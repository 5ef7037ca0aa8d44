"""The fixed test corpus: plain testimony dicts as the database side would send them."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

PLACES_CSV = Path(__file__).resolve().parents[2] / "archive" / "data" / "places.csv"

# Words that occur only in restricted segments or non-public testimonies: the public
# audience must never be able to find, count, complete or be offered them.
RESTRICTED_WORD = "zorbatek"
RESTRICTED_KOREAN = "김비밀"
RESEARCHER_WORD = "quarrystone"
STAFF_WORD = "quillfeather"


def _seg(
    seg_id: int, start: float, text: str, restricted: bool = False, language: str = "en"
) -> dict[str, Any]:
    return {
        "id": seg_id,
        "start": start,
        "end": start + 9.5,
        "speaker": "Narrator",
        "text": text,
        "language": language,
        "restricted": restricted,
    }


def _doc(doc_id: int, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": doc_id,
        "external_id": f"demo-{doc_id:03d}",
        "title": "",
        "summary": "",
        "pseudonym": f"Narrator {doc_id}",
        "public_name": None,
        "origin_province": None,
        "origin_place": None,
        "place_names": [],
        "route_countries": [],
        "tags": [],
        "languages": ["en"],
        "gender": None,
        "birth_year": None,
        "left_north_year": None,
        "arrived_south_year": None,
        "age_group": None,
        "occupation": None,
        "education": None,
        "residence_region": None,
        "interview_date": None,
        "visibility": "public",
        "stamp": f"v1-{doc_id}",
        "segments": [],
    }
    doc.update(fields)
    return doc


CORPUS: list[dict[str, Any]] = [
    _doc(
        1,
        title="Crossing the Tumen at night",
        summary="A mother describes escaping from Chongjin with her daughter.",
        origin_province="north-hamgyong",
        origin_place="chongjin",
        place_names=["North Hamgyong", "Chongjin", "Yanji"],
        route_countries=["china", "laos", "thailand", "south-korea"],
        tags=["famine", "brokers"],
        gender="female",
        birth_year=1975,
        left_north_year=2008,
        arrived_south_year=2009,
        age_group="30-39",
        occupation="workers",
        education="secondary",
        residence_region="seoul",
        interview_date="2019-05-14",
        segments=[
            _seg(101, 0.0, "Where did you grow up?"),
            _seg(102, 10.0, "I grew up in Chongjin. During the famine we ate grass and tree bark."),
            _seg(
                103,
                20.0,
                "In 2008 I escaped across the Tumen river with a broker. The broker took us to Yanji.",
            ),
            _seg(
                104,
                30.0,
                f"My cousin Sunhee still trades at the Hoeryong market through {RESTRICTED_WORD}.",
                restricted=True,
            ),
            _seg(105, 40.0, "We travelled through Laos to Thailand and reached the embassy."),
        ],
    ),
    _doc(
        2,
        title="두만강을 건너서",
        summary="함경북도 청진에서 온 노동자의 이야기",
        languages=["ko"],
        origin_province="north-hamgyong",
        origin_place="chongjin",
        place_names=["함경북도", "청진", "연길"],
        route_countries=["china", "south-korea"],
        tags=["prison"],
        gender="male",
        birth_year=1960,
        left_north_year=1998,
        arrived_south_year=2002,
        age_group="40-49",
        occupation="workers",
        education="college",
        residence_region="gyeonggi",
        interview_date="2018",
        segments=[
            _seg(201, 0.0, "저는 청진에서 태어났습니다.", language="ko"),
            _seg(202, 10.0, "공장에서 로동자로 일했어요. 량강도 혜산에도 갔습니다.", language="ko"),
            _seg(203, 20.0, "녀성들은 장마당에서 장사를 했습니다.", language="ko"),
            _seg(204, 30.0, f"제 진짜 이름은 {RESTRICTED_KOREAN}입니다.", restricted=True, language="ko"),
        ],
    ),
    _doc(
        3,
        title="Prison camp memories",
        summary="A former prisoner remembers Yodok.",
        visibility="researchers",
        origin_province="south-pyongan",
        place_names=["South Pyongan", "Yodok"],
        route_countries=["china", "south-korea"],
        tags=["prison"],
        gender="male",
        left_north_year=2011,
        arrived_south_year=2012,
        age_group="50-59",
        occupation="soldiers",
        education="college",
        residence_region="seoul",
        interview_date="2020-02",
        segments=[
            _seg(301, 0.0, f"At Yodok we quarried stone; the guards called it {RESEARCHER_WORD}."),
            _seg(302, 10.0, "Brokers later helped me escape through China."),
        ],
    ),
    _doc(
        4,
        title="An unpublished interview",
        summary="Recorded in Seoul.",
        visibility="staff",
        origin_province="ryanggang",
        place_names=["Ryanggang", "Hyesan"],
        route_countries=["china"],
        tags=["family"],
        gender="female",
        left_north_year=2016,
        arrived_south_year=2017,
        age_group="20-29",
        interview_date="2021",
        segments=[_seg(401, 0.0, f"The code word was {STAFF_WORD} and we left from Hyesan.")],
    ),
    _doc(
        5,
        title="Life in Hyesan",
        summary="Markets and smuggling on the Yalu.",
        origin_province="ryanggang",
        origin_place="hyesan",
        place_names=["Ryanggang", "Hyesan"],
        route_countries=["china", "mongolia", "south-korea"],
        tags=["markets", "famine"],
        gender="female",
        left_north_year=2014,
        arrived_south_year=2015,
        age_group="20-29",
        occupation="traders",
        education="secondary",
        residence_region="busan",
        interview_date="2022-08",
        segments=[
            _seg(501, 0.0, "My mother sold rice in the Hyesan market during the famine."),
            _seg(502, 10.0, "Smuggling across the Yalu river paid for our food."),
        ],
    ),
    _doc(
        6,
        title="A long winter",
        summary="Memories of school and hunger.",
        place_names=["Hamhung"],
        route_countries=["china", "vietnam", "south-korea"],
        tags=["famine", "family"],
        gender="male",
        left_north_year=2006,
        arrived_south_year=2007,
        age_group="10-19",
        interview_date="2016-11",
        segments=[
            _seg(601, 0.0, "The famine years were hard and the school closed."),
            _seg(602, 10.0, "My grandmother told stories every night."),
        ],
    ),
    _doc(
        7,
        title="Two languages",
        summary="Mixed Korean and English interview.",
        languages=["en", "ko"],
        place_names=["Musan"],
        route_countries=["china", "south-korea"],
        tags=["brokers"],
        gender="unspecified",
        left_north_year=2010,
        arrived_south_year=2013,
        age_group="30-39",
        interview_date="2019",
        segments=[
            _seg(
                701,
                0.0,
                "We crossed the 두만강 near Musan. 무산에서 살았어요. A broker waited.",
                language="ko",
            )
        ],
    ),
    _doc(
        8,
        title="Spelling variants",
        summary="Transcribed with McCune-Reischauer.",
        place_names=["Hamgyŏng-bukto"],
        route_countries=["china", "south-korea"],
        tags=["family"],
        gender="female",
        left_north_year=2001,
        arrived_south_year=2004,
        age_group="40-49",
        interview_date="2017-03",
        segments=[_seg(801, 0.0, "She was born in Ch'ŏngjin, Hamgyŏng-bukto, and lived near the coast.")],
    ),
    _doc(
        9,
        title="Kitchen memories",
        summary="Cooking with little.",
        tags=["family"],
        gender="female",
        left_north_year=2003,
        arrived_south_year=2005,
        age_group="60+",
        interview_date="2015-06",
        segments=[_seg(901, 0.0, "We made porridge from corn husks and shared it with neighbours.")],
    ),
]


def corpus() -> list[dict[str, Any]]:
    """Return a fresh deep copy of the fixed corpus."""
    return copy.deepcopy(CORPUS)
