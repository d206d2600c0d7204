"""Korean transit sentences with their gloss sequences, for the demo corpus.

Passenger questions and station-worker answers across 27 scenarios (asking the way,
transfers, fares, transport cards, tickets, refunds, lost items, emergencies, delays,
accessibility, exits, first/last trains, taxis, buses, airports, trains, facilities,
checking the line, ticket gates, heating and air conditioning, travel time, seats,
police, injuries, courtesies, announcements, bicycles and boats). Sentences come from
templates with slot fillers (stations, lines, items, exits, places, amounts) chosen so
that each reads naturally; the glosses follow the style of the real AI Hub data
("서울역까지 가려면 지하철 몇호선으로 환승 해야하나요?" -> "서울 기차 가다 목적 지하철
바꾸다 몇호"): content words in base form, no particles, numbers as number glosses
("1,400원" -> "1000 4 100 원"), subway stations as "명동 지하철", railway stations as
"서울 기차".

``python -m training.corpus.sentences`` prints them with their scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from sign_pipeline.inventory import load_inventory


@dataclass(frozen=True)
class Sentence:
    """One corpus sentence: Korean text, gloss sequence, scenario name."""

    text: str
    glosses: tuple[str, ...]
    scenario: str


def _batchim(word: str) -> int | None:
    """Final consonant index of the last Hangul syllable (0 = none), None if not Hangul."""
    ch = word[-1]
    code = ord(ch) - 0xAC00
    if 0 <= code < 11172:
        return code % 28
    return None


def josa(word: str, pair: str) -> str:
    """``word`` + the right particle of ``pair`` ("을/를", "이/가", "은/는", "으로/로", ...)."""
    with_final, without = pair.split("/")
    b = _batchim(word)
    if pair == "으로/로":
        return word + ("로" if b in (0, 8) else "으로")  # ㄹ-final takes 로
    return word + (with_final if b else without)


# ---------------------------------------------------------------------------- slot values

# (Korean name without 역, gloss of the station)
SUBWAY = [
    ("명동", "명동 지하철"), ("강남", "강남 지하철"), ("시청", "시청 지하철"),
    ("동대문", "동대문 지하철"), ("잠실", "잠실 지하철"), ("여의도", "여의도 지하철"),
    ("홍대입구", "홍대 지하철"), ("종로3가", "종로 3 지하철"),
]  # fmt: skip
CITIES = [("부산", "부산"), ("대전", "대전"), ("대구", "대구"), ("광주", "광주"), ("천안", "천안")]
PLACES = [
    ("병원", "병원"), ("경찰서", "경찰서"), ("은행", "은행"), ("학교", "학교"), ("호텔", "호텔"),
    ("시장", "시장"), ("공원", "공원"), ("회사", "회사"), ("편의점", "편의점"),
]  # fmt: skip
ITEMS = [
    ("가방", "가방"), ("지갑", "지갑"), ("휴대폰", "핸드폰"), ("우산", "우산"), ("옷", "옷"),
    ("교통카드", "교통카드"),
]  # fmt: skip
FARES = [
    ("1,400", "1000 4 100"), ("1,500", "1000 5 100"), ("2,000", "2 1000"),
    ("1,250", "1000 2 100 50"), ("3,000", "3 1000"), ("4,800", "4 1000 8 100"),
    ("12,000", "10000 2 1000"), ("59,800", "5 10000 9 1000 8 100"),
]  # fmt: skip
CHARGES = [("만", "10000"), ("5천", "5 1000"), ("2만", "2 10000"), ("3만", "3 10000")]
MINUTES = [("5", "5"), ("10", "10"), ("20", "20"), ("30", "30"), ("3", "3"), ("7", "7")]
FACILITIES = [
    ("화장실", "화장실"),
    ("편의점", "편의점"),
    ("안내소", "안내소"),
    ("보관함", "보관함"),
]
SIDES = [("왼쪽", "왼쪽"), ("오른쪽", "오른쪽"), ("앞쪽", "앞"), ("뒤쪽", "뒤"), ("위층", "위 층"), ("아래층", "아래 층")]  # fmt: skip
NUMBER_GLOSS = {n: str(n) for n in range(11)}


def _rot(values: list, k: int, offset: int = 0) -> list:
    """k values of ``values`` starting at ``offset`` (wrapping): varied, deterministic."""
    return [values[(offset + i) % len(values)] for i in range(k)]


# ---------------------------------------------------------------------------- templates


def _build() -> list[Sentence]:
    out: list[Sentence] = []

    def add(scenario: str, text: str, glosses: str) -> None:
        out.append(Sentence(text, tuple(glosses.split()), scenario))

    s = "길 묻기"
    for i, (st, g) in enumerate(SUBWAY):
        add(s, f"{st}역에 어떻게 가요?", f"{g} 가다 어떻게")
        if i % 2 == 0:
            add(s, f"여기서 {st}역까지 멀어요?", f"여기 {g} 멀다")
        else:
            add(s, f"{st}역까지 걸어서 갈 수 있어요?", f"{g} 걷다 가다 가능")
        if i < 5:
            add(s, f"{st}역은 어느 방향으로 가야 해요?", f"{g} 가다 방향 어디")
    for pl, g in PLACES[:7]:
        add(s, f"{pl}에 가려면 어떻게 가야 하나요?", f"{g} 가다 어떻게")
    for pl, g in PLACES[:6]:
        add(s, f"근처에 {josa(pl, '이/가')} 있나요?", f"근처 {g} 있다")

    s = "환승"
    add(
        s,
        "서울역까지 가려면 지하철 몇 호선으로 환승해야 하나요?",
        "서울 기차 가다 목적 지하철 바꾸다 몇호",
    )
    for st, g in SUBWAY[:6]:
        add(s, f"{st}역까지 가려면 몇 호선으로 갈아타야 하나요?", f"{g} 가다 목적 바꾸다 몇호")
    for line in range(1, 10):
        add(s, f"{line}호선으로 갈아타려면 어디로 가야 해요?", f"{line} 호선 바꾸다 어디")
    for i, (st, g) in enumerate(SUBWAY):
        line = (i * 3) % 9 + 1
        add(s, f"{st}역에서 {line}호선으로 갈아타세요.", f"{g} {line} 호선 바꾸다")
    add(s, "갈아타는 곳이 어디예요?", "바꾸다 곳 어디")
    add(s, "갈아탈 때 요금을 또 내야 하나요?", "바꾸다 요금 또 내다 해야하다")
    add(s, "환승은 30분 안에 하셔야 해요.", "바꾸다 30 분 안 해야하다")

    s = "요금"
    for city, g in CITIES:
        add(s, f"{city}까지 기차 요금이 얼마예요?", f"{g} 가다 기차 요금 얼마")
    add(s, "지하철 기본요금은 얼마예요?", "지하철 기본 요금 얼마")
    add(s, "택시 기본요금이 얼마예요?", "택시 기본 요금 얼마")
    for who in ("어린이", "학생", "어른", "노인"):
        add(s, f"{who} 요금은 얼마예요?", f"{who} 요금 얼마")
    for fare, g in FARES:
        add(s, f"요금은 {fare}원입니다.", f"요금 {g} 원")
    add(s, "노인은 무료예요.", "노인 무료")
    add(s, "장애인은 요금이 무료인가요?", "장애인 요금 무료")
    add(s, "버스 요금은 카드로 내면 할인돼요.", "버스 요금 카드 내다 할인")

    s = "교통카드"
    add(s, "교통카드를 어디서 충전해요?", "교통카드 충전하다 어디")
    add(s, "교통카드를 충전하고 싶어요.", "교통카드 충전하다 싶다")
    for amount, g in CHARGES:
        add(s, f"{amount} 원 충전해 주세요.", f"{g} 원 충전하다 부탁")
    add(s, "카드 잔액이 부족해요.", "카드 잔액 부족")
    add(s, "카드가 잘 안 찍혀요.", "카드 불량 잘 안되다")
    add(s, "카드 잔액을 확인하고 싶어요.", "카드 잔액 확인 싶다")
    add(s, "현금으로 충전할 수 있나요?", "현금 충전하다 가능")
    add(s, "카드를 한 번만 찍으면 돼요.", "카드 1 회 되다")
    add(s, "어린이 교통카드는 어디서 사요?", "어린이교통카드 사다 어디")

    s = "표 구매"
    for city, g in CITIES:
        add(s, f"{city}에 가는 기차표를 사고 싶어요.", f"{g} 가다 기차 표 사다 싶다")
    add(s, "표는 어디서 사요?", "표 사다 어디")
    add(s, "매표소가 어디에 있나요?", "매표소 어디")
    for n, m in ((2, 1), (1, 2), (3, 1)):
        add(s, f"어른 {n}명, 어린이 {m}명이에요.", f"어른 {n} 어린이 {m}")
    for (when, wg), (city, g) in zip(
        (
            ("내일 아침", "내일 아침"),
            ("오늘 저녁", "오늘 저녁"),
            ("주말", "주말"),
            ("내일 저녁", "내일 저녁"),
        ),
        CITIES,
    ):
        text_when = when + ("에" if when != "주말" else "에")
        add(
            s, f"{text_when} {city}에 가는 기차를 예약하고 싶어요.", f"{wg} {g} 가다 기차 예약 싶다"
        )
    add(s, "정기권을 사고 싶어요.", "정기권 사다 싶다")

    s = "환불"
    add(s, "표를 환불할 수 있나요?", "표 환불 가능")
    add(s, "교통카드 잔액을 환불받고 싶어요.", "교통카드 잔액 환불 받다 싶다")
    add(s, "영수증을 주세요.", "영수증 주다 부탁")
    add(s, "요금이 잘못 계산됐어요.", "돈 계산 잘못하다")
    add(s, "표를 잘못 샀어요. 바꿀 수 있나요?", "표 사다 잘못하다 바꾸다 가능")

    s = "분실물"
    for item, g in ITEMS:
        add(s, f"지하철에 {josa(item, '을/를')} 두고 내렸어요.", f"지하철 {g} 두다 내리다")
        add(s, f"{josa(item, '을/를')} 잃어버렸어요.", f"{g} 잃어버리다")
    for item, g in ITEMS[:5]:
        add(s, f"지하철 환풍구에 {josa(item, '이/가')} 빠졌어요!", f"지하철 환풍구 {g} 빠지다")
    for item, g in _rot(ITEMS, 4, 1):
        add(s, f"버스에 {josa(item, '을/를')} 놓고 내렸어요.", f"버스 {g} 두다 내리다")
    for item, g in _rot(ITEMS, 4, 3):
        add(s, f"{josa(item, '을/를')} 찾으면 연락해 주세요.", f"{g} 찾다 연락 부탁")
    add(s, "분실물 센터는 어디에 있나요?", "분실 물건 곳 어디")
    add(s, "휴대폰 번호가 필요해요.", "핸드폰 번호 필요")
    add(s, "몇 번째 칸에 타셨어요?", "몇 칸 타다")
    add(s, "이름과 전화번호가 필요해요.", "이름 번호 필요")

    s = "비상"
    add(s, "사람이 쓰러졌어요! 도와주세요.", "사람 쓰러지다 돕다 부탁")
    add(s, "불이 났어요! 빨리 나가세요.", "불 위험 빨리 나가다")
    add(s, "비상벨이 어디에 있어요?", "비상 벨 어디")
    add(s, "다친 사람이 있어요.", "사람 다치다 있다")
    add(s, "구급차를 불러 주세요.", "응급 차 부르다 부탁")
    add(s, "경찰을 불러 주세요.", "경찰 부르다 부탁")
    add(s, "여기 위험해요. 조심하세요.", "여기 위험 조심")
    add(s, "괜찮으세요?", "괜찮다")
    add(s, "비상구는 어디예요?", "비상 출구 어디")
    add(s, "열차가 왜 멈췄어요?", "지하철 멈추다 왜")

    s = "지연"
    for line in range(1, 10):
        add(s, f"{line}호선 열차가 지연되고 있나요?", f"{line} 호선 지하철 지연")
    add(s, "열차가 왜 늦어요?", "지하철 늦다 왜")
    for m, g in MINUTES[:4]:
        add(s, f"열차 고장으로 {m}분 지연되고 있습니다.", f"지하철 고장 {g} 분 지연")
    add(s, "다음 열차는 언제 와요?", "다음 지하철 오다 언제")
    for m, g in _rot(MINUTES, 4, 2):
        add(s, f"다음 열차는 {m}분 후에 도착합니다.", f"다음 지하철 {g} 분 후 도착")
    add(s, "길이 막혀서 버스가 늦어요.", "길 막히다 버스 늦다")
    add(s, "사고 때문에 운행이 멈췄어요.", "사고 지하철 멈추다")
    for m, g in _rot(MINUTES, 3, 0):
        add(s, f"기차가 {m}분 늦게 출발해요.", f"기차 {g} 분 늦다 출발")

    s = "장애인 편의"
    add(s, "엘리베이터는 어디에 있나요?", "엘리베이터 어디")
    add(s, "휠체어를 타고 있는데 도와주실 수 있나요?", "휠체어 타다 돕다 가능")
    add(s, "휠체어로 갈 수 있는 길이 있나요?", "휠체어 가다 길 있다")
    add(s, "에스컬레이터가 고장 났어요.", "에스컬레이터 고장")
    add(s, "엘리베이터가 고장 났어요.", "엘리베이터 고장")
    add(s, "장애인 화장실은 어디에 있어요?", "장애인 화장실 어디")
    add(s, "장애인복지카드가 있으면 무료예요.", "장애인복지카드 있다 무료")
    add(s, "저는 농인이에요. 글로 써 주세요.", "나 농인 쓰다 부탁")
    add(s, "수어로 안내해 주실 수 있나요?", "수어 안내 가능")
    add(s, "계단 말고 엘리베이터로 가고 싶어요.", "계단 아니다 엘리베이터 가다 싶다")
    add(s, "천천히 말해 주세요.", "천천히 말하다 부탁")

    s = "출구"
    for n in range(1, 11):
        add(s, f"{n}번 출구가 어디예요?", f"{n} 번 출구 어디")
    for pl, g in PLACES[:7]:
        add(s, f"{pl}에 가려면 몇 번 출구로 나가야 해요?", f"{g} 가다 출구 몇 번")
    for n in (1, 2, 3, 4, 5, 6, 7, 8):
        add(s, f"{n}번 출구로 나가세요.", f"{n} 번 출구 나가다")
    for n, (side, g) in zip((2, 5, 7, 9), (("왼쪽", "왼쪽"), ("오른쪽", "오른쪽")) * 2):
        add(
            s,
            f"{n}번 출구로 나가서 {josa(side, '으로/로')} 가세요.",
            f"{n} 번 출구 나가다 {g} 가다",
        )
    for n in (3, 6):
        add(s, f"{n}번 출구로 나가서 똑바로 가세요.", f"{n} 번 출구 나가다 똑바로 가다")
    for (pl, g), n in zip(PLACES[2:8], (4, 1, 6, 10, 3, 8)):
        add(s, f"{josa(pl, '은/는')} {n}번 출구 쪽에 있어요.", f"{g} {n} 번 출구 있다")

    s = "첫차 막차"
    for st, g in SUBWAY[:6]:
        add(s, f"{st}역 가는 막차가 몇 시예요?", f"{g} 가다 막차 몇 시")
    add(s, "첫차는 몇 시에 있어요?", "첫차 몇 시")
    add(s, "막차가 벌써 지나갔나요?", "막차 지나다")
    add(s, "주말에도 같은 시간에 다녀요?", "주말 시간 같다")
    add(s, "지하철 막차는 밤 12시쯤 있어요.", "지하철 막차 밤 10 2 시")
    add(s, "첫차는 아침 5시 30분에 출발해요.", "첫차 아침 5 시 30 분 출발")
    add(s, "평일에는 막차가 밤 11시에 있어요.", "평일 막차 밤 10 1 시")

    s = "택시"
    add(s, "택시 정류장은 어디에 있어요?", "택시 정류장 어디")
    for pl, g in _rot(PLACES, 5, 3):
        add(s, f"{pl}까지 가 주세요.", f"{g} 가다 부탁")
    add(s, "여기서 세워 주세요.", "여기 멈추다 부탁")
    add(s, "카드로 계산할 수 있어요?", "카드 계산 가능")
    for pl, g in _rot(PLACES, 4, 0):
        add(s, f"{pl}까지 택시로 얼마나 걸려요?", f"{g} 택시 시간 얼마나")
    add(s, "택시를 불러 주세요.", "택시 부르다 부탁")

    s = "버스"
    for n in (1, 3, 5, 7, 9, 10):
        add(s, f"{n}번 버스는 어디서 타요?", f"{n} 번 버스 타다 어디")
    for pl, g in _rot(PLACES, 5, 1):
        add(s, f"이 버스 {pl}에 가요?", f"여기 버스 {g} 가다")
    add(s, "공항 가는 버스가 있나요?", "공항 가다 버스 있다")
    add(s, "버스 정류장이 어디예요?", "버스 정류장 어디")
    for pl, g in _rot(PLACES, 5, 4):
        add(s, f"{pl}에 가려면 어디서 내려야 해요?", f"{g} 가다 내리다 어디")
    add(s, "다음 정류장에서 내리세요.", "다음 정류장 내리다")
    add(s, "마을버스 타는 곳이 어디예요?", "마을버스 타다 곳 어디")
    add(s, "고속버스 터미널은 어떻게 가요?", "고속버스 터미널 가다 어떻게")
    add(s, "버스가 몇 분마다 와요?", "버스 몇 분 오다")

    s = "공항"
    add(s, "공항에서 내려서 어디로 가요?", "공항 내리다 가다 어디")
    for ap in ("김포", "인천"):
        add(s, f"{ap}공항 가는 지하철이 있어요?", f"{ap} 공항 가다 지하철 있다")
        add(s, f"{ap}공항까지 얼마나 걸려요?", f"{ap} 공항 가다 시간 얼마나")
    add(s, "공항버스는 어디서 타요?", "공항 버스 타다 어디")

    s = "기차"
    for city, g in CITIES:
        add(s, f"{city}에 가는 기차는 몇 번 승강장이에요?", f"{g} 가다 기차 승강장 몇 번")
    for n in (1, 3, 4, 6, 8):
        add(s, f"{n}번 승강장으로 가세요.", f"{n} 번 승강장 가다")
    add(s, "천안아산역에 가요.", "천안아산역 가다")
    for city, g in CITIES[:4]:
        add(s, f"이 기차 {city}에 서요?", f"여기 기차 {g} 서다")
    for city, g in CITIES[:3]:
        add(s, f"{city}까지 기차로 몇 시간 걸려요?", f"{g} 기차 시간 몇")

    s = "편의시설"
    add(s, "화장실이 어디에 있어요?", "화장실 어디")
    add(s, "근처에 카페가 있어요?", "근처 카페 있다")
    add(s, "역 안에 카페가 있어요?", "지하철 곳 카페 있다")
    add(s, "물품보관함은 어디에 있나요?", "보관함 어디")
    add(s, "보관함을 이용하고 싶어요.", "보관함 이용 싶다")
    for (fac, g), (inout, ig) in zip(FACILITIES, (("안", "안"), ("밖", "밖")) * 2):
        add(s, f"{josa(fac, '은/는')} 개찰구 {inout}에 있어요.", f"{g} 개찰구 {ig} 있다")
    for i, (side, sg) in enumerate(SIDES):
        fac, g = FACILITIES[i % len(FACILITIES)]
        add(s, f"{josa(fac, '은/는')} {side}에 있어요.", f"{g} {sg} 있다")
    add(s, "물을 마실 수 있는 곳이 있나요?", "물 마시다 곳 있다")
    add(s, "안내소에 물어보세요.", "안내소 묻다")

    s = "노선 확인"
    for st, g in SUBWAY[:5]:
        add(s, f"이 열차 {st}역에 가요?", f"여기 지하철 {g} 가다")
    for st, _ in _rot(SUBWAY, 4, 3):
        add(
            s,
            f"{st} 방향 열차를 타세요.",
            f"{st.removesuffix('입구').replace('3가', ' 3')} 방향 지하철 타다",
        )
    add(s, "반대 방향으로 타셨어요.", "반대 방향 타다")
    add(s, "노선도를 볼 수 있을까요?", "노선도 보다 가능")
    for st, g in _rot(SUBWAY, 4, 5):
        add(s, f"여기가 {st}역 맞아요?", f"여기 {g} 맞다")
    for (st, g), k in zip(_rot(SUBWAY, 4, 1), (2, 3, 4, 5)):
        add(s, f"{st}역까지 {k}정거장 남았어요.", f"{g} 역 {k} 남다")

    s = "개찰구"
    add(s, "개찰구 문이 안 열려요.", "개찰구 문 열다 안되다")
    add(s, "개찰구를 잘못 나왔어요.", "개찰구 나가다 잘못하다")
    add(s, "개찰구에서 카드를 찍으세요.", "개찰구 카드 찍다")

    s = "냉난방"
    add(s, "너무 더워요. 에어컨을 켜 주세요.", "덥다 에어컨 켜다 부탁")
    add(s, "너무 더워요. 난방을 꺼 주세요.", "덥다 난방 끄다 부탁")
    add(s, "추워요. 에어컨을 꺼 주세요.", "춥다 에어컨 끄다 부탁")
    add(s, "추워요. 난방을 켜 주세요.", "춥다 난방 켜다 부탁")
    add(s, "열차 안이 너무 시끄러워요.", "지하철 안 시끄럽다")

    s = "소요 시간"
    for st, g in _rot(SUBWAY, 5, 2):
        add(s, f"{st}역까지 얼마나 걸려요?", f"{g} 가다 시간 얼마나")
    for m, g in MINUTES[:4]:
        add(s, f"{m}분 정도 걸려요.", f"{g} 분 걸리다")
    add(s, "지금 몇 시예요?", "지금 몇 시")

    s = "좌석 혼잡"
    add(s, "여기 앉아도 돼요?", "여기 앉다 되다")
    add(s, "빈자리가 있어요?", "자리 있다")
    add(s, "여기는 노약자석이에요.", "여기 노인 자리")
    add(s, "사람이 너무 많아요.", "사람 많다")
    add(s, "다음 열차는 사람이 적어요.", "다음 지하철 사람 적다")

    s = "도난 신고"
    for item, g in ITEMS[:4]:
        add(s, f"{josa(item, '을/를')} 도둑맞았어요.", f"{g} 도둑")
    add(s, "경찰서가 어디에 있어요?", "경찰서 어디")
    add(s, "경찰에 신고하고 싶어요.", "경찰 신고 싶다")
    add(s, "수상한 물건이 있어요.", "이상하다 물건 있다")

    s = "부상"
    add(s, "계단에서 넘어졌어요.", "계단 넘어지다")
    add(s, "다쳤어요. 병원에 가고 싶어요.", "다치다 병원 가다 싶다")
    add(s, "에스컬레이터에서 사고가 났어요.", "에스컬레이터 사고 있다")
    add(s, "몸이 아파요.", "나 아프다")

    s = "인사 응답"
    add(s, "도와주셔서 감사합니다.", "돕다 감사")
    add(s, "잘 모르겠어요. 다시 말해 주세요.", "모르다 다시 말하다 부탁")
    add(s, "네, 알겠습니다.", "네 알다")
    add(s, "죄송합니다. 여기는 없어요.", "미안 여기 없다")
    add(s, "안녕하세요. 무엇을 도와드릴까요?", "안녕 무엇 돕다")
    add(s, "괜찮아요. 천천히 하세요.", "괜찮다 천천히")
    add(s, "직원에게 물어보세요.", "직원 묻다")

    s = "안내 방송"
    for st, g in SUBWAY:
        add(s, f"이번 역은 {st}역입니다.", f"여기 {g}")
    for side, g in (("왼쪽", "왼쪽"), ("오른쪽", "오른쪽")):
        add(s, f"내리실 문은 {side}입니다.", f"내리다 문 {g}")
    for st, g in _rot(SUBWAY, 5, 4):
        add(s, f"{st}역에서 내리세요.", f"{g} 내리다")
    add(s, "도착했어요. 내리세요.", "도착 내리다")
    for st, g in _rot(SUBWAY, 3, 0):
        add(s, f"{st}역에 도착했어요.", f"도착 곳 {g}")
    for line in (2, 4, 5, 7):
        add(s, f"이번 역에서 {line}호선으로 갈아타실 수 있습니다.", f"여기 {line} 호선 바꾸다 가능")

    s = "자전거 배"
    add(s, "자전거를 가지고 타도 되나요?", "자전거 타다 되다")
    add(s, "배 타는 곳이 어디예요?", "배 타다 곳 어디")
    add(s, "주말에는 자전거를 가지고 탈 수 있어요.", "주말 자전거 가능")
    add(s, "여의도에 가는 배가 있어요?", "여의도 가다 배 있다")
    return out


@lru_cache(maxsize=1)
def all_sentences() -> tuple[Sentence, ...]:
    """Every corpus sentence, in a fixed order; checked against the gloss inventory."""
    sentences = _build()
    inventory = load_inventory()
    seen: set[str] = set()
    for sent in sentences:
        if sent.text in seen:
            raise ValueError(f"sentence listed twice: {sent.text}")
        seen.add(sent.text)
        missing = [g for g in sent.glosses if g not in inventory]
        if missing:
            raise ValueError(f"{sent.text!r}: glosses not in the inventory: {missing}")
    return tuple(sentences)


def scenarios() -> list[str]:
    """Scenario names in order of first appearance."""
    return list(dict.fromkeys(s.scenario for s in all_sentences()))


def main() -> None:
    for i, sent in enumerate(all_sentences(), 1):
        print(f"{i:04d}\t{sent.scenario}\t{sent.text}\t{' '.join(sent.glosses)}")
    print(f"{len(all_sentences())} sentences, {len(scenarios())} scenarios")


if __name__ == "__main__":
    main()
