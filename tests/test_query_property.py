"""Query correctness as a property: for random combinations of filters and sorts, every page of
/api/search, followed by its cursors, equals a brute-force filter in plain Python over the same objects.

The objects (a few hundred: our own, built by the same builders the write API uses; remote ones as the
inbox maps them, with location lists, no sport or no coordinates; Tombstones; expired and non-public
ones) are written once per module with `put_object`, so the index is kept only by the triggers. The
brute force below reads the documents directly and shares no code with the index or the query service,
except the vocabulary's narrower-concept closure, which is the definition of "balsport finds korfbal".
"""

from __future__ import annotations

import asyncio
import math
import random
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.config import Config
from node.protocol.jsonld import AS_PUBLIC, OBJECT_CONTEXT
from node.protocol.objects import (
    CRITERIA,
    DAYS,
    activity_document,
    course_document,
    organisation_document,
    place_document,
    tombstone_document,
)
from node.services.node import Node, open_node
from node.store import query as store_query
from node.store.objects import bury_object, put_object
from node.web.app import create_app

BASE = "http://node.test"
NOW = datetime(2026, 5, 13, 8, 17, tzinfo=UTC)  # a Wednesday, 10:17 in Amsterdam
AMS = ZoneInfo("Europe/Amsterdam")
SP = "https://w3id.org/sportnode/sports#"
TG = "https://w3id.org/sportnode/target-groups#"
AC = "https://w3id.org/sportnode/accessibility#"
SCHEMA_DAYS = [f"https://schema.org/{d.capitalize()}" for d in DAYS]

SPORTS = ["korfbal", "voetbal", "walking-football", "hockey", "tennis", "padel", "zwemmen", "yoga", "judo", "atletiek"]
SPORT_QUERIES = [*SPORTS, "balsport", "racketsport", "watersport", "vechtsport"]
GROUPS = ["jeugd", "kinderen", "jongeren", "senioren", "volwassenen", "lage-inkomens", "nieuwkomers"]
ACCESS = ["rolstoeltoegankelijk", "invalidentoilet", "prikkelarm", "ringleiding", "lift"]
# (municipality, [wijken]) in two provinces: Amersfoort and Utrecht (Utrecht), Zwolle (Overijssel).
AREAS = {"GM0307": ["WK030701", "WK030702", "WK030715"], "GM0344": ["WK034401", "WK034402"], "GM0193": ["WK019310", "WK019311"]}
CENTRES = {"GM0307": (52.156, 5.387), "GM0344": (52.090, 5.121), "GM0193": (52.512, 6.094)}
WORDS = ["korfbal", "zuid", "avond", "club", "buurt", "sporthal", "training", "ochtend", "park", "plein"]


# ---- generating the objects ---------------------------------------------------------------------------


def _stamp(rng: random.Random) -> str:
    moment = NOW - timedelta(days=rng.randint(0, 400), seconds=rng.randint(0, 86400))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize()


def _place(rng: random.Random, i: int, owner: str) -> dict[str, Any]:
    code = rng.choice(list(AREAS))
    lat, lon = CENTRES[code]
    wijk = rng.choice(AREAS[code])
    neighbourhood = rng.choice([wijk, f"BU{wijk[2:]}{rng.randint(0, 3):02d}", None])
    stamp = _stamp(rng)
    return place_document(
        {
            "name": f"{_text(rng, 2)} {i}",
            "address": {"streetAddress": f"Laan {i}", "postalCode": "3811 AB", "addressLocality": rng.choice(["Amersfoort", "Utrecht", "Zwolle"])},
            "latitude": round(lat + rng.uniform(-0.08, 0.08), 6),
            "longitude": round(lon + rng.uniform(-0.08, 0.08), 6),
            "municipalityCode": code,
            "neighbourhoodCode": neighbourhood,
        },
        object_id=f"{BASE}/places/p{i}",
        owner=owner,
        accessibility=[AC + a for a in rng.sample(ACCESS, rng.randint(0, 2))],
        published=stamp,
        updated=stamp,
    )


def _one_off_times(rng: random.Random) -> tuple[str, str | None]:
    # Local starts between 06:00 and 22:00 on whole minutes, so no wall-clock time is ambiguous (DST).
    day = NOW.date() + timedelta(days=rng.randint(-30, 300))
    start = datetime(day.year, day.month, day.day, rng.randint(6, 21), rng.choice([0, 15, 30, 45]), tzinfo=AMS)
    length = timedelta(minutes=rng.choice([45, 90, 180, 600]))
    offset = rng.choice(["Z", "local", "+05:30"])
    def text(moment: datetime) -> str:
        if offset == "Z":
            return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if offset == "local":
            return moment.isoformat()
        return moment.astimezone(ZoneInfo("Asia/Kolkata")).isoformat()
    return text(start), text(start + length) if rng.random() < 0.85 else None


def _schedule(rng: random.Random) -> dict[str, Any]:
    start = rng.randint(8 * 60, 21 * 60) // 15 * 15
    schedule: dict[str, Any] = {
        "days": rng.sample(DAYS, rng.randint(1, 3)),
        "startTime": f"{start // 60:02d}:{start % 60:02d}",
        "endTime": f"{(start + 60) // 60:02d}:{(start + 60) % 60:02d}",
    }
    roll = rng.random()
    if roll < 0.15:
        schedule["startDate"] = (NOW.date() + timedelta(days=rng.randint(1, 40))).isoformat()
    elif roll < 0.3:
        schedule["endDate"] = (NOW.date() + timedelta(days=rng.randint(-20, 10))).isoformat()
    return schedule


def _own_activity(rng: random.Random, i: int, owner: str, place: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"name": f"{_text(rng, 3)} {i}", "criteria": {c: rng.random() < 0.4 for c in CRITERIA if rng.random() < 0.7}}
    if rng.random() < 0.7:
        data["description"] = _text(rng, 6)
    if rng.random() < 0.65:
        data["schedule"] = _schedule(rng)
    else:
        data["startTime"], end = _one_off_times(rng)
        data["endTime"] = end or data["startTime"]
    if rng.random() < 0.8:
        data["price"] = rng.choice([0, 0, 2.5, 5, 7.5, 12])
    if rng.random() < 0.6:
        low = rng.choice([None, 4, 8, 12, 18, 55, 65])
        high = rng.choice([None, 12, 17, 30, 99])
        if low is None or high is None or low <= high:
            data["ageRange"] = {k: v for k, v in (("min", low), ("max", high)) if v is not None}
    if rng.random() < 0.1:
        data["validThrough"] = (NOW.date() - timedelta(days=rng.randint(1, 30))).isoformat()
    elif rng.random() < 0.2:
        data["validThrough"] = NOW.date().isoformat()  # today still counts
    stamp = _stamp(rng)
    return activity_document(
        data,
        object_id=f"{BASE}/activities/a{i}",
        owner=owner,
        sport=SP + rng.choice(SPORTS),
        place=place,
        target_groups=[TG + g for g in rng.sample(GROUPS, rng.randint(0, 2))],
        accessibility=[AC + a for a in rng.sample(ACCESS, rng.randint(0, 1))],
        published=stamp,
        updated=stamp,
    )


def _remote_activity(rng: random.Random, i: int) -> dict[str, Any]:
    host = rng.choice(["https://mobilizon.example", "https://gancio.example", "https://other-node.example"])
    stamp = _stamp(rng)
    document: dict[str, Any] = {
        "@context": OBJECT_CONTEXT,
        "id": f"{host}/events/r{i}",
        "type": "Event",
        "published": stamp,
        "updated": stamp,
        "name": f"{_text(rng, 2)} remote {i}",
        "attributedTo": f"{host}/@org",
        "to": [AS_PUBLIC],
    }
    if rng.random() < 0.5:
        document["content"] = f"<p>{_text(rng, 4)}</p>"
    if rng.random() < 0.6:
        document["sport"] = SP + rng.choice(SPORTS)
    code = rng.choice(list(AREAS))
    lat, lon = CENTRES[code]
    place: dict[str, Any] = {"type": "Place", "name": f"{_text(rng, 1)} zaal"}
    if rng.random() < 0.6:
        place.update(latitude=round(lat + rng.uniform(-0.1, 0.1), 6), longitude=round(lon + rng.uniform(-0.1, 0.1), 6))
    if rng.random() < 0.4:
        place["municipalityCode"] = code
    shape = rng.random()
    if shape < 0.3:
        document["location"] = [{"type": "VirtualLocation", "url": f"{host}/live"}, place]
    elif shape < 0.85:
        document["location"] = place
    if rng.random() < 0.5:
        document["startTime"], end = _one_off_times(rng)
        if end:
            document["endTime"] = end
    else:
        s = _schedule(rng)
        document["eventSchedule"] = {
            "type": "Schedule", "byDay": [SCHEMA_DAYS[DAYS.index(d)] for d in s["days"]],
            "startTime": s["startTime"], "endTime": s["endTime"], "repeatFrequency": "P1W",
            "scheduleTimezone": "Europe/Amsterdam",
            **{k: s[k] for k in ("startDate", "endDate") if k in s},
        }
    if rng.random() < 0.5:
        document["offers"] = [{"type": "Offer", "price": rng.choice([0.0, 3.0, 8.0]), "priceCurrency": "EUR"}]
    if rng.random() < 0.3:
        document["isAccessibleForFree"] = True
    if rng.random() < 0.4:
        document["targetGroup"] = [TG + rng.choice(GROUPS)]
    for criterion in CRITERIA:
        if rng.random() < 0.3:
            document[criterion] = rng.random() < 0.5
    return document


def _course(rng: random.Random, i: int, owner: str, places: list[dict[str, Any]]) -> dict[str, Any]:
    chosen = rng.sample(places, 2)
    instances = []
    for n in range(rng.randint(1, 3)):
        day = NOW.date() + timedelta(days=rng.randint(-60, 200))
        instance: dict[str, Any] = {"startDate": day.isoformat(), "courseMode": rng.choice(["onsite", "online"]), "price": rng.choice([0, 45, 95])}
        if instance["courseMode"] == "onsite":
            instance["place"] = chosen[n % 2]["id"]
        instances.append(instance)
    stamp = _stamp(rng)
    return course_document(
        {"name": f"Cursus {_text(rng, 2)} {i}", "instances": instances},
        object_id=f"{BASE}/courses/c{i}",
        owner=owner,
        sport=SP + rng.choice(SPORTS) if rng.random() < 0.7 else None,
        places={p["id"]: p for p in chosen},
        published=stamp,
        updated=stamp,
    )


def _organisation(rng: random.Random, i: int) -> dict[str, Any]:
    stamp = _stamp(rng)
    return organisation_document(
        {"name": f"Vereniging {_text(rng, 2)} {i}", "isClub": rng.random() < 0.5, "municipalityCode": rng.choice(list(AREAS)),
         "summary": _text(rng, 5)},
        object_id=f"{BASE}/organisations/o{i}", slug=f"o{i}", focus_areas=[], public_key_pem="-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----",
        shared_inbox=f"{BASE}/inbox", published=stamp, updated=stamp,
    )


@dataclass(frozen=True, repr=False)
class Stored:
    kind: str
    document: dict[str, Any]
    origin: str | None


def generate(seed: int = 20261) -> tuple[list[Stored], list[dict[str, Any]]]:
    """(objects to store, tombstones to bury some of them with)."""
    rng = random.Random(seed)
    stored: list[Stored] = []
    organisations = [_organisation(rng, i) for i in range(12)]
    stored += [Stored("organisation", o, None) for o in organisations]
    places = [_place(rng, i, rng.choice(organisations)["id"]) for i in range(40)]
    stored += [Stored("place", p, None) for p in places]
    stored += [Stored("activity", _own_activity(rng, i, rng.choice(organisations)["id"], rng.choice(places)), None) for i in range(170)]
    stored += [Stored("activity", (d := _remote_activity(rng, i)), d["id"].split("/events")[0] + "/@org") for i in range(90)]
    stored += [Stored("course", _course(rng, i, organisations[0]["id"], places), None) for i in range(8)]
    # Addressed to followers only: never searchable.
    hidden = {**_remote_activity(rng, 999), "to": ["https://other-node.example/@org/followers"]}
    stored.append(Stored("activity", hidden, "https://other-node.example/@org"))
    victims = rng.sample([s for s in stored if s.kind == "activity"], 12)
    tombstones = [
        tombstone_document(v.document["id"], "Event", published=v.document["published"], deleted=NOW.strftime("%Y-%m-%dT%H:%M:%SZ"))
        for v in victims
    ]
    return stored, tombstones


# ---- the brute force ----------------------------------------------------------------------------------


def place_of(kind: str, doc: Mapping[str, Any]) -> Mapping[str, Any]:
    if kind == "place":
        return doc
    if kind == "activity":
        location = doc.get("location")
        candidates = location if isinstance(location, list) else [location]
        return next((p for p in candidates if isinstance(p, dict) and p.get("type") == "Place"), {})
    if kind == "course":
        return next((i["location"] for i in doc.get("hasCourseInstance", []) if isinstance(i.get("location"), dict)), {})
    return {}


def local(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(AMS).replace(tzinfo=None)


def minutes(hhmm: str) -> int:
    return int(hhmm[:2]) * 60 + int(hhmm[3:5])


def lowest_price(kind: str, doc: Mapping[str, Any]) -> float | None:
    offers = doc.get("offers", []) if kind == "activity" else [o for i in doc.get("hasCourseInstance", []) for o in i.get("offers", [])] if kind == "course" else []
    prices = [o["price"] for o in offers]
    return min(prices) if prices else None


def is_free(kind: str, doc: Mapping[str, Any]) -> bool:
    return doc.get("isAccessibleForFree") is True or lowest_price(kind, doc) == 0


def day_and_times(kind: str, doc: Mapping[str, Any]) -> tuple[set[int], int | None, int | None]:
    if kind != "activity":
        return set(), None, None
    schedule = doc.get("eventSchedule")
    if schedule:
        return {SCHEMA_DAYS.index(d) for d in schedule["byDay"]}, minutes(schedule["startTime"]), minutes(schedule["endTime"])
    start = local(doc["startTime"])
    end_minute = None
    if doc.get("endTime"):
        end = local(doc["endTime"])
        end_minute = 1440 if end.date() > start.date() else end.hour * 60 + end.minute
    return {start.weekday()}, start.hour * 60 + start.minute, end_minute


def next_start(kind: str, doc: Mapping[str, Any]) -> datetime | None:
    """Naive Amsterdam wall-clock time of the next start at or after NOW (minute precision)."""
    now = NOW.astimezone(AMS).replace(tzinfo=None)
    if kind == "course":
        days = [date.fromisoformat(i["startDate"]) for i in doc.get("hasCourseInstance", [])]
        upcoming = [d for d in days if d >= now.date()]
        return datetime.combine(min(upcoming), datetime.min.time()) if upcoming else None
    if kind != "activity":
        return None
    schedule = doc.get("eventSchedule")
    if not schedule:
        start = local(doc["startTime"])
        return start if start >= now.replace(second=0) else None
    first = max(now.date(), date.fromisoformat(schedule["startDate"]) if "startDate" in schedule else now.date())
    wanted = {SCHEMA_DAYS.index(d) for d in schedule["byDay"]}
    at = minutes(schedule["startTime"])
    for k in range(8):
        day = first + timedelta(days=k)
        if day.weekday() in wanted and not (day == now.date() and at < now.hour * 60 + now.minute):
            if "endDate" in schedule and day > date.fromisoformat(schedule["endDate"]):
                return None
            return datetime.combine(day, datetime.min.time()) + timedelta(minutes=at)
    return None


def words_of(kind: str, doc: Mapping[str, Any]) -> list[str]:
    place = place_of(kind, doc)
    address = place.get("address") if isinstance(place.get("address"), dict) else {}
    texts = [doc.get("name"), doc.get("content") or doc.get("summary"), place.get("name"), address.get("addressLocality")]
    plain = " ".join(re.sub(r"</?p>|<br>", " ", t) for t in texts if t)
    return re.findall(r"[a-z0-9]+", plain.casefold())


def haversine(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def is_public(doc: Mapping[str, Any]) -> bool:
    if "to" not in doc and "cc" not in doc:
        return True
    return AS_PUBLIC in [*doc.get("to", []), *doc.get("cc", [])]


def matches(node: Node, q: Mapping[str, Any], s: Stored) -> bool:
    kind, doc = s.kind, s.document
    if "validThrough" in doc and doc["validThrough"] < NOW.date().isoformat():
        return False
    if not is_public(doc):
        return False
    place = place_of(kind, doc)
    if "q" in q:
        tokens = words_of(kind, doc)
        if not all(any(t.startswith(w) for t in tokens) for w in q["q"].split()):
            return False
    if "type" in q and kind not in q["type"]:
        return False
    if "sport" in q:
        wanted = {u for ref in q["sport"] for u in node.vocabulary.sports.narrower_closure(SP + ref)}
        if doc.get("sport") not in wanted:
            return False
    if "targetGroup" in q:
        wanted = {u for ref in q["targetGroup"] for u in node.vocabulary.target_groups.narrower_closure(TG + ref)}
        if kind != "activity" or not wanted & set(doc.get("targetGroup", [])):
            return False
    if "accessibility" in q:
        has = {*doc.get("accessibilitySupport", []), *place.get("accessibilitySupport", [])}
        if not {AC + a for a in q["accessibility"]} <= has:
            return False
    municipality = place.get("municipalityCode") or doc.get("municipalityCode")
    if "municipality" in q and municipality not in q["municipality"]:
        return False
    if "province" in q:
        in_province = {m.code for m in node.areas.municipalities.values() if m.province_name in q["province"]}
        if municipality not in in_province:
            return False
    if "neighbourhood" in q:
        code = place.get("neighbourhoodCode") or ""
        wijk = f"WK{code[2:8]}" if code.startswith("BU") else code
        if not any(n in (code, wijk) for n in q["neighbourhood"]):
            return False
    if "km" in q:
        if "latitude" not in place:
            return False
        if haversine(q["lat"], q["lon"], place["latitude"], place["longitude"]) > q["km"]:
            return False
    if "age" in q:
        age = doc.get("ageRange", {})
        if kind != "activity" or age.get("minValue", -1) > q["age"] or age.get("maxValue", 999) < q["age"]:
            return False
    if "free" in q:
        price = lowest_price(kind, doc)
        if q["free"] and not is_free(kind, doc):
            return False
        if not q["free"] and (is_free(kind, doc) or price is None or price <= 0):
            return False
    if "maxPrice" in q:
        price = lowest_price(kind, doc)
        if not is_free(kind, doc) and (price is None or price > q["maxPrice"]):
            return False
    days, start, end = day_and_times(kind, doc)
    if "day" in q and not days & {DAYS.index(d) for d in q["day"]}:
        return False
    if "startsAfter" in q and (start is None or start < minutes(q["startsAfter"])):
        return False
    if "endsBefore" in q and (end is None or end > minutes(q["endsBefore"])):
        return False
    for criterion in CRITERIA:
        if criterion in q and (kind != "activity" or (doc.get(criterion) is True) != q[criterion]):
            return False
    return True


def brute_force(node: Node, live: list[Stored], q: Mapping[str, Any]) -> list[Stored]:
    found = [s for s in live if matches(node, q, s)]
    sort = q.get("sort", "updated")
    if sort == "updated":
        return sorted(found, key=lambda s: (s.document["updated"], s.document["id"]), reverse=True)
    if sort == "distance":
        def distance(s: Stored) -> tuple[float, str]:
            place = place_of(s.kind, s.document)
            if "latitude" not in place:
                return (math.inf, s.document["id"])
            return (haversine(q["lat"], q["lon"], place["latitude"], place["longitude"]), s.document["id"])
        return sorted(found, key=distance)
    def soonest(s: Stored) -> tuple[int, datetime, str]:
        start = next_start(s.kind, s.document)
        return (start is None, start or datetime.max, s.document["id"])
    return sorted(found, key=soonest)


# ---- the node -------------------------------------------------------------------------------------------


@dataclass(repr=False)  # hypothesis prints the arguments of a failing example
class World:
    loop: asyncio.AbstractEventLoop
    client: TestClient[Any, Any]
    node: Node
    live: list[Stored]

    def get_all(self, query: Mapping[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """Every item of the query, following `next`; and the first page's body."""
        async def run() -> tuple[list[dict[str, Any]], dict[str, Any]]:
            items: list[dict[str, Any]] = []
            url: str | None = "/api/search?" + urlencode(_encode(query))
            first: dict[str, Any] = {}
            while url:
                response = await self.client.get(url)
                body = await response.json()
                assert response.status == 200, body
                first = first or body
                items += body["items"]
                url = body["next"].removeprefix(BASE) if body["next"] else None
                assert len(items) <= len(self.live)
            return items, first
        return self.loop.run_until_complete(run())


def _encode(query: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs = []
    for name, value in query.items():
        if isinstance(value, bool):
            pairs.append((name, str(value).lower()))
        elif isinstance(value, (list, tuple)):
            pairs.append((name, ",".join(value)))
        else:
            pairs.append((name, str(value)))
    return pairs


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    loop = asyncio.new_event_loop()
    data_dir: Path = tmp_path_factory.mktemp("query-property")
    config = Config(name="Property", base_url=BASE, data_dir=data_dir, development=True)
    stored, tombstones = generate()

    async def setup() -> tuple[Node, TestClient[Any, Any]]:
        node = await open_node(config, clock=lambda: NOW)
        async with node.db.write() as db:
            for s in stored:
                owner = s.document["id"] if s.kind == "organisation" else s.document["attributedTo"]
                await put_object(db, s.kind, owner, s.document, origin=s.origin)
            for tombstone in tombstones:
                await bury_object(db, tombstone)
        client: TestClient[Any, Any] = TestClient(TestServer(create_app(node)))
        await client.start_server()
        return node, client

    node, client = loop.run_until_complete(setup())
    buried = {t["id"] for t in tombstones}
    yield World(loop, client, node, [s for s in stored if s.document["id"] not in buried])

    async def teardown() -> None:
        await client.close()
        await node.close()

    loop.run_until_complete(teardown())
    loop.close()


# ---- the property -------------------------------------------------------------------------------------

TIMES = ["07:00", "09:30", "12:00", "17:00", "18:00", "19:30", "21:00", "24:00"]


@st.composite
def queries(draw: st.DrawFn) -> dict[str, Any]:
    q: dict[str, Any] = {}
    # How many filters at once: with all of them likely, nearly every query would match nothing.
    density = draw(st.sampled_from([0.5, 1.0, 1.8]))

    def maybe(name: str, strategy: st.SearchStrategy[Any], p: float = 0.25) -> None:
        # Hypothesis favours small numbers, and shrinks towards them: 0 must mean "no filter".
        if draw(st.integers(0, 999)) >= 1000 * (1 - p * density):
            q[name] = draw(strategy)

    def some(values: list[str], most: int = 3) -> st.SearchStrategy[list[str]]:
        return st.lists(st.sampled_from(values), min_size=1, max_size=most, unique=True)

    maybe("q", st.lists(st.sampled_from([*WORDS, "korf", "spo", "remote", "cursus"]), min_size=1, max_size=2).map(" ".join), 0.2)
    maybe("type", some(["activity", "organisation", "place", "course"], 2), 0.3)
    maybe("sport", some(SPORT_QUERIES), 0.3)
    maybe("targetGroup", some(GROUPS, 2))
    maybe("accessibility", some(ACCESS, 2), 0.15)
    maybe("municipality", some(list(AREAS), 2), 0.2)
    maybe("province", some(["Utrecht", "Overijssel"], 1), 0.15)
    maybe("neighbourhood", some([w for ws in AREAS.values() for w in ws] + ["BU03070101", "BU03440202"], 2), 0.1)
    if draw(st.integers(0, 999)) >= 1000 * (0.9 - 0.35 * density):
        centre = draw(st.sampled_from(list(CENTRES.values())))
        q["lat"] = round(centre[0] + draw(st.floats(-0.05, 0.05)), 5)
        q["lon"] = round(centre[1] + draw(st.floats(-0.05, 0.05)), 5)
        maybe("km", st.sampled_from([0.5, 2, 4.5, 9, 30]), 0.7)
    maybe("age", st.integers(0, 90))
    maybe("free", st.booleans(), 0.15)
    maybe("maxPrice", st.sampled_from([0, 2.5, 5, 10]), 0.15)
    maybe("day", some(list(DAYS), 2))
    maybe("startsAfter", st.sampled_from(TIMES), 0.15)
    maybe("endsBefore", st.sampled_from(TIMES), 0.15)
    for criterion in CRITERIA:
        maybe(criterion, st.booleans(), 0.07)
    sorts = ["updated", "next", *(["distance"] if "lat" in q else [])]
    q["sort"] = draw(st.sampled_from(sorts))
    q["limit"] = draw(st.sampled_from([7, 60, 500]))
    if draw(st.integers(0, 9)) >= 7:
        q["facets"] = ["sport", "municipality", "targetGroup"]
    return q


def _check_facets(world: World, expected: list[Stored], body: dict[str, Any]) -> None:
    assert body["total"] == len(expected)
    sports: dict[str, int] = {}
    municipalities: dict[str, int] = {}
    groups: dict[str, int] = {}
    for s in expected:
        if isinstance(s.document.get("sport"), str):
            sports[s.document["sport"]] = sports.get(s.document["sport"], 0) + 1
        place = place_of(s.kind, s.document)
        code = place.get("municipalityCode") or s.document.get("municipalityCode")
        if code:
            municipalities[code] = municipalities.get(code, 0) + 1
        for group in set(s.document.get("targetGroup", [])) if s.kind == "activity" else ():
            groups[group] = groups.get(group, 0) + 1
    facets = body["facets"]
    assert {f["value"]: f["count"] for f in facets["sport"]} == sports
    assert {f["value"]: f["count"] for f in facets["municipality"]} == municipalities
    assert {f["value"]: f["count"] for f in facets["targetGroup"]} == groups
    counts = [f["count"] for f in facets["sport"]]
    assert counts == sorted(counts, reverse=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(query=queries())
def test_search_equals_brute_force(world: World, query: dict[str, Any]) -> None:
    expected = brute_force(world.node, world.live, query)
    items, first = world.get_all(query)
    assert [i["id"] for i in items] == [s.document["id"] for s in expected]
    by_id = {s.document["id"]: s for s in expected}
    for item in items:
        s = by_id[item["id"]]
        assert item["document"] == s.document
        assert item["kind"] == s.kind
        assert item["origin"] == s.origin
        start = next_start(s.kind, s.document)
        if start is None:
            assert "nextOccurrence" not in item
        else:
            assert item["nextOccurrence"] == start.replace(tzinfo=AMS).isoformat(timespec="seconds")
        place = place_of(s.kind, s.document)
        if "lat" in query and "latitude" in place:
            assert item["distanceKm"] == pytest.approx(
                haversine(query["lat"], query["lon"], place["latitude"], place["longitude"]), abs=0.001
            )
    if "facets" in query:
        _check_facets(world, expected, first)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(query=queries(), budget=st.sampled_from([0, 1, 5, 40]))
def test_search_equals_brute_force_however_far_it_reads_in_order(
    world: World, query: dict[str, Any], budget: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same property when reading in order gives up early (or never starts), as it does on a large
    node for a sparse filter: the other way, collecting every match and sorting, must agree exactly."""
    monkeypatch.setattr(store_query, "SCAN_BUDGET", budget)
    expected = brute_force(world.node, world.live, query)
    items, _ = world.get_all(query)
    assert [i["id"] for i in items] == [s.document["id"] for s in expected]


def test_the_generated_world_is_varied(world: World) -> None:
    """The property is only as good as the objects: each kind, remote ones, and every shape occur."""
    kinds = {s.kind for s in world.live}
    assert kinds == {"activity", "organisation", "place", "course"}
    remote = [s for s in world.live if s.origin]
    assert len(remote) > 50
    assert any(isinstance(s.document.get("location"), list) for s in remote)
    assert any("sport" not in s.document for s in remote)
    assert any(s.kind == "activity" and "latitude" not in place_of(s.kind, s.document) for s in remote)
    assert any("eventSchedule" in s.document for s in world.live) and any("startTime" in s.document for s in world.live)
    everything, _ = world.get_all({"limit": 500})
    assert len(everything) == sum(1 for s in world.live if matches(world.node, {}, s))
    assert len(everything) < len(world.live)  # the expired and the non-public are left out
