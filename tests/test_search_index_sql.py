"""The search index's triggers of 0011 (each document parsed about once) derive exactly what 0005 did.

Every index table is built twice from the same writes, once by the migrations up to 0010 (0005's
derivation) and once by all of them, and compared row by row: search_index without its row number, and
the terms, starts, full-text rows and R*Tree points by the id they belong to. The objects are the
property test's (own and remote, location lists, courses, Tombstones, non-public ones) and documents of
odd shapes that 0011 has to tell apart the way 0005 did (a missing member and a JSON null one, a scalar
where a list belongs, a location that is not a Place); where 0005 failed on a document, 0011 must fail too.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from test_query_property import generate

from node.protocol.jsonld import AS_PUBLIC, OBJECT_CONTEXT
from node.store.database import migrations

INDEX_QUERIES = {
    "search_index": """
        SELECT id, kind, local, updated, valid_through, sport, municipality, wijk, buurt, lat, lon, x, y, z,
               age_min, age_max, price, free, recurring, days, start_min, end_min, sched_from, sched_until,
               criteria
        FROM search_index ORDER BY id""",
    "search_terms": "SELECT i.id, t.term FROM search_terms t JOIN search_index i USING (n) ORDER BY 1, 2",
    "search_starts": "SELECT i.id, s.start, s.until FROM search_starts s JOIN search_index i USING (n) ORDER BY 1, 2",
    "search_text": """
        SELECT i.id, t.name, t.description, t.place
        FROM search_text t JOIN search_index i ON i.n = t.rowid ORDER BY 1""",
    "search_geo": """
        SELECT i.id, g.lat_lo, g.lat_hi, g.lon_lo, g.lon_hi
        FROM search_geo g JOIN search_index i USING (n) ORDER BY 1""",
    # The full-text index itself, not only its stored content.
    "search_match": """
        SELECT i.id FROM search_text t JOIN search_index i ON i.n = t.rowid
        WHERE search_text MATCH 'korfbal OR zaal OR amersfoort OR café' ORDER BY 1""",
    # The stage tables are emptied by every refresh.
    "stages": """
        SELECT (SELECT count(*) FROM search_stage) + (SELECT count(*) FROM search_base_stage)
             + (SELECT count(*) FROM search_refresh)""",
}

INSERT = """
    INSERT INTO objects (id, kind, owner, document, origin, published, updated, deleted)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)"""
STAMP = "2026-05-01T10:00:00Z"
REMOTE = "https://remote.example/@org"


def database(upto: int | None) -> sqlite3.Connection:
    """A fresh in-memory database with the migrations up to `upto` (None: all of them)."""
    connection = sqlite3.connect(":memory:", isolation_level=None)
    for version, sql in migrations():
        if upto is None or version <= upto:
            connection.executescript(f"BEGIN;\n{sql}\nCOMMIT;")
    return connection


def index(connection: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    return {name: connection.execute(sql).fetchall() for name, sql in INDEX_QUERIES.items()}


def row(kind: str, document: dict[str, Any] | str, origin: str | None = REMOTE,
        object_id: str | None = None) -> tuple[Any, ...]:
    """An `objects` row; origin None: one of our own."""
    text = document if isinstance(document, str) else json.dumps(document, separators=(",", ":"))
    identifier = object_id or (document["id"] if isinstance(document, dict) else None)
    return (identifier, kind, REMOTE, text, origin, STAMP, STAMP, None)


def write(connection: sqlite3.Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    connection.execute("BEGIN")
    connection.executemany(sql, rows)
    connection.execute("COMMIT")


def both(rows: list[tuple[Any, ...]]) -> tuple[sqlite3.Connection, sqlite3.Connection]:
    old, new = database(10), database(None)
    for connection in (old, new):
        write(connection, INSERT, rows)
    return old, new


def assert_same(old: sqlite3.Connection, new: sqlite3.Connection) -> None:
    before, after = index(old), index(new)
    for name in INDEX_QUERIES:
        assert after[name] == before[name], name


def property_rows() -> tuple[list[tuple[Any, ...]], list[dict[str, Any]]]:
    stored, tombstones = generate()
    return [row(s.kind, s.document, s.origin) for s in stored], tombstones


def test_property_objects_written_updated_buried_and_deleted() -> None:
    rows, tombstones = property_rows()
    old, new = both(rows)
    assert len(index(old)["search_index"]) > 250
    assert_same(old, new)

    # Changed documents: every activity moves to the next one's place and schedule.
    activities = [json.loads(r[3]) for r in rows if r[1] == "activity"]
    changed = []
    for document, other in zip(activities, activities[1:] + activities[:1], strict=True):
        document = {**document, **{k: other[k] for k in ("location", "eventSchedule", "startTime") if k in other}}
        changed.append((json.dumps(document), document["id"]))
    for connection in (old, new):
        write(connection, "UPDATE objects SET document = ? WHERE id = ?", changed)
    assert_same(old, new)

    buried = [(json.dumps(t), t["deleted"], t["id"]) for t in tombstones]
    for connection in (old, new):
        write(connection, "UPDATE objects SET document = ?, deleted = ? WHERE id = ?", buried)
        write(connection, "DELETE FROM objects WHERE id = ?", [(r[0],) for r in rows[::7]])
    assert_same(old, new)


def _activity(i: int, **members: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "@context": OBJECT_CONTEXT,
        "id": f"https://remote.example/events/e{i}",
        "type": "Event",
        "published": STAMP,
        "updated": STAMP,
        "name": f"Korfbal {i}",
        "to": [AS_PUBLIC],
        "location": {"type": "Place", "name": "Zaal", "latitude": 52.1, "longitude": 5.3,
                     "municipalityCode": "GM0307", "neighbourhoodCode": "BU03070101",
                     "address": {"addressLocality": "Amersfoort"}, "accessibilitySupport": ["ac#lift"]},
        "startTime": "2026-06-01T18:30:00+02:00",
        "endTime": "2026-06-01T20:00:00+02:00",
    }
    return {**document, **members}


_DROP = object()  # a member left out of the document
SCHEDULE = {"type": "Schedule", "byDay": ["https://schema.org/Monday", "https://schema.org/Friday"],
            "startTime": "19:00", "endTime": "20:30", "startDate": "2026-01-05", "endDate": "2026-12-20"}
PLACE = {"type": "Place", "name": "Sporthal Noord", "latitude": 52.2, "longitude": 6.1,
         "neighbourhoodCode": "WK019310", "accessibilitySupport": "ac#ringleiding"}


def odd_documents() -> Iterator[tuple[str, dict[str, Any] | str, str | None]]:
    """(kind, document, id if the document is raw text) of shapes that take 0011 off its usual path."""
    shapes: list[dict[str, Any]] = [
        # Addressing: missing, JSON null, a string, an object, public only in cc, not public at all.
        {"to": _DROP}, {"to": _DROP, "cc": _DROP}, {"to": None}, {"to": _DROP, "cc": None}, {"to": None, "cc": None},
        {"to": AS_PUBLIC}, {"to": {"audience": "as:Public"}}, {"to": [], "cc": ["Public"]},
        {"to": ["https://remote.example/@org/followers"]}, {"to": [None, 1, ["Public"]]},
        # Locations: not a Place, a list, a list without a Place, a string, null, odd coordinates.
        {"location": {"type": "VirtualLocation", "latitude": 1.0, "longitude": 2.0, "name": "Online"}},
        {"location": [{"type": "VirtualLocation", "url": "https://x"}, PLACE, {"type": "Place", "name": "Second"}]},
        {"location": [{"type": "VirtualLocation"}]}, {"location": "Zaal"}, {"location": None}, {"location": _DROP},
        {"location": {**PLACE, "latitude": "52.2"}}, {"location": {**PLACE, "latitude": 5.21e1, "longitude": -0.0}},
        {"location": {**PLACE, "address": "Dorpsstraat 1", "neighbourhoodCode": None}},
        {"location": {**PLACE, "type": ["Place", "Thing"]}},
        # Schedules and times: no byDay, byDay as a string, a schedule that is not an object.
        {"eventSchedule": SCHEDULE}, {"eventSchedule": {**SCHEDULE, "byDay": _DROP}},
        {"eventSchedule": {**SCHEDULE, "byDay": "https://schema.org/Sunday", "startDate": "not a date"}},
        {"eventSchedule": "weekly"}, {"eventSchedule": None}, {"eventSchedule": {"type": "Schedule"}},
        {"startTime": "2026-10-25T00:30:00Z", "endTime": "2026-10-26T01:30:00Z"}, {"startTime": 20260601},
        {"startTime": _DROP, "endTime": _DROP}, {"startTime": "2026-03-29T01:00:00Z", "endTime": None},
        # Prices, ages, criteria, free.
        {"offers": [{"price": 1.50}, {"price": 0}]}, {"offers": {"price": 4}}, {"offers": []}, {"offers": None},
        {"offers": [{"price": "5"}, {"price": None}, {}]}, {"ageRange": {"minValue": 6, "maxValue": 12}},
        {"ageRange": 12}, {"ageRange": None}, {"ageRange": [6, 12]},
        # 0005 fails on these (json_extract of a string that is no JSON): so must 0011.
        {"ageRange": "6-12"}, {"offers": {"type": "Offer", "price": 4}},
        {"openToVulnerableGroups": True, "startsNewGroups": "true", "safeGuidance": 1,
         "givesFeedbackToProfessionals": True, "qualityAndContinuity": False},
        {"isAccessibleForFree": True}, {"isAccessibleForFree": "true"},
        # Terms: strings, a string, non-strings, a null.
        {"targetGroup": "tg#jeugd"}, {"targetGroup": ["tg#jeugd", 1, None, ["tg#x"], {"a": "tg#y"}, "tg#jeugd"]},
        {"accessibilitySupport": ["ac#lift", "ac#prikkelarm"]}, {"accessibilitySupport": None},
        # Text: escapes and non-ASCII, an object, content or summary, a sport that is not text.
        {"name": "Caf\u00e9 \"Noord\" \\ <p>x</p> \ud83d\ude00", "content": "<p>Een<br>twee</p>"},
        {"name": {"nl": "Naam"}, "summary": "Samenvatting"}, {"name": None, "content": None, "summary": "Alleen"},
        {"sport": ["sp#a", "sp#b"]}, {"sport": 7}, {"sport": "sp#korfbal", "validThrough": "2026-07-01"},
        {"validThrough": 20260701, "municipalityCode": "GM0344"},
    ]
    for i, members in enumerate(shapes):
        yield "activity", _clean(_activity(i, **members)), None

    def course(i: int, instances: Any, **members: Any) -> dict[str, Any]:
        return {"@context": OBJECT_CONTEXT, "id": f"https://remote.example/courses/c{i}", "type": "Course",
                "published": STAMP, "updated": STAMP, "name": f"Cursus {i}", "to": [AS_PUBLIC],
                "hasCourseInstance": instances, **members}

    instance = {"type": "CourseInstance", "startDate": "2026-09-01", "location": PLACE, "offers": [{"price": 95}]}
    courses = [
        course(0, [instance, {**instance, "startDate": "2026-09-08", "offers": [{"price": 45}]}]),
        course(1, [{**instance, "location": {"type": "VirtualLocation"}}, {**instance, "startDate": "2026-09-01"}]),
        course(2, [{"startDate": "no date"}, {"startDate": "2026-11-02T10:00:00Z"}, 7, None]),
        course(3, instance), course(4, None), course(5, []),
        course(6, [instance], location=PLACE, offers=[{"price": 1}], targetGroup=["tg#x"]),
    ]
    for document in courses:
        yield "course", _clean(document), None

    place = {"@context": OBJECT_CONTEXT, "id": "https://remote.example/places/p0", "type": "Place",
             "published": STAMP, "updated": STAMP, "to": [AS_PUBLIC], **PLACE}
    yield "place", place, None
    yield "place", _clean({**place, "id": "https://remote.example/places/p1", "to": _DROP, "latitude": None,
                    "neighbourhoodCode": "BU01931001", "address": {"addressLocality": "Zwolle"}}), None
    yield "place", {**place, "id": "https://remote.example/places/p2", "type": "Sportpark",
                    "accessibilitySupport": ["ac#lift", 3], "municipalityCode": "GM0193"}, None
    organisation = {"@context": OBJECT_CONTEXT, "id": "https://remote.example/@club", "type": "Organization",
                    "published": STAMP, "updated": STAMP, "name": "Club", "summary": "<p>Wij</p>",
                    "municipalityCode": "GM0307", "location": PLACE, "accessibilitySupport": ["ac#lift"]}
    yield "organisation", organisation, None
    # Duplicate members (not what json.dumps writes): every reading takes the first, as json_extract does.
    yield "activity", ('{"id":"https://remote.example/events/dup","name":"Eerste","name":"Tweede",'
                       '"to":["as:Public"],"startTime":"2026-06-01T10:00:00Z","startTime":"x"}'), \
        "https://remote.example/events/dup"


def _clean(value: Any) -> Any:
    """`value` without the members marked _DROP, at any depth."""
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not _DROP}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


@pytest.mark.parametrize("kind, document, object_id", list(odd_documents()))
def test_odd_shapes(kind: str, document: dict[str, Any] | str, object_id: str | None) -> None:
    values = row(kind, document, object_id=object_id)
    outcome: dict[str, Any] = {}
    for name, connection in (("old", database(10)), ("new", database(None))):
        try:
            write(connection, INSERT, [values])
        except sqlite3.Error as error:  # 0005 fails on some shapes (json_extract on a non-JSON string)
            connection.execute("ROLLBACK")
            outcome[name] = f"{type(error).__name__}: {error}"
        else:
            outcome[name] = index(connection)
    assert outcome["new"] == outcome["old"]


def test_migration_keeps_and_keeps_deriving_the_index() -> None:
    """On a database 0005 filled, 0011 keeps the rows; the writes after it derive what 0005 would."""
    rows, tombstones = property_rows()
    migrated, reference = database(10), database(10)
    for connection in (migrated, reference):
        write(connection, INSERT, rows)
    before = index(migrated)
    for version, sql in migrations():
        if version > 10:
            migrated.executescript(f"BEGIN;\n{sql}\nCOMMIT;")
    assert index(migrated) == before
    buried = [(json.dumps(t), t["deleted"], t["id"]) for t in tombstones]
    for connection in (migrated, reference):
        write(connection, "UPDATE objects SET document = ?, deleted = ? WHERE id = ?", buried)
        connection.execute("INSERT INTO search_refresh (id) SELECT id FROM objects ORDER BY id")
    assert_same(reference, migrated)
