"""The publishing API end to end: a real app on loopback over a real SQLite file."""

from __future__ import annotations

from typing import Any

from aiohttp.test_utils import TestClient
from conftest import activity_input, course_input, create, make_organisation, place_input

from node.services.node import Node
from node.store.objects import count_all

AS_JSON = {"Accept": "application/activity+json"}


async def live_counts(node: Node) -> dict[str, int]:
    async with node.db.read() as db:
        return await count_all(db)


async def test_admin_creates_an_organisation_that_is_an_actor(
    client: TestClient[Any, Any], club: dict[str, Any]
) -> None:
    document = club["organisation"]
    assert document["type"] == ["Organization", "SportsOrganization"]
    assert document["id"] == "http://node.test/organisations/korfbalvereniging-de-zwaluwen"
    assert document["publicKey"]["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert {document["inbox"], document["outbox"]} == {document["id"] + "/inbox", document["id"] + "/outbox"}
    response = await client.get("/organisations/korfbalvereniging-de-zwaluwen", headers=AS_JSON)
    assert response.status == 200
    assert await response.json() == document


async def test_only_the_admin_creates_organisations(
    client: TestClient[Any, Any], club: dict[str, Any], node: Node
) -> None:
    before = await live_counts(node)
    no_token = await client.post("/api/organisations", json={"name": "X"})
    org_token = await client.post("/api/organisations", json={"name": "X"}, headers=club["headers"])
    assert (no_token.status, org_token.status) == (401, 403)
    assert await live_counts(node) == before


async def test_an_organisation_publishes_its_offering(
    client: TestClient[Any, Any], club: dict[str, Any]
) -> None:
    place = await create(client, club, "places", place_input())
    activity = await create(client, club, "activities", activity_input(place["id"]))
    course = await create(client, club, "courses", course_input(place["id"].rsplit("/", 1)[1]))
    assert activity["type"] == "Event"
    assert activity["attributedTo"] == club["id"]
    assert activity["sport"] == "https://w3id.org/sportnode/sports#walking-football"
    assert activity["location"]["id"] == place["id"]
    assert activity["eventSchedule"]["byDay"] == ["https://schema.org/Tuesday", "https://schema.org/Thursday"]
    assert activity["isAccessibleForFree"] is True
    assert activity["targetGroup"] == ["https://w3id.org/sportnode/target-groups#senioren"]
    assert activity["content"] == "<p>Rustig voetballen, zonder rennen.</p><p>Koffie na afloop.</p>"
    assert course["hasCourseInstance"][0]["location"]["id"] == place["id"]
    assert "location" not in course["hasCourseInstance"][1]
    for created in (place, activity, course):
        response = await client.get(created["id"].removeprefix("http://node.test"), headers=AS_JSON)
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("application/activity+json")
        assert await response.json() == created


async def test_a_one_off_activity(client: TestClient[Any, Any], club: dict[str, Any]) -> None:
    place = await create(client, club, "places", place_input())
    data = activity_input(
        place["id"], startTime="2027-05-01T10:00:00+02:00", endTime="2027-05-01T12:00:00+02:00"
    )
    del data["schedule"]
    activity = await create(client, club, "activities", data)
    assert (activity["startTime"], "eventSchedule" in activity) == ("2027-05-01T10:00:00+02:00", False)


async def test_update_keeps_published_and_moves_updated(
    client: TestClient[Any, Any], club: dict[str, Any], node: Node
) -> None:
    place = await create(client, club, "places", place_input())
    activity = await create(client, club, "activities", activity_input(place["id"]))
    node.clock = lambda: __import__("datetime").datetime(2030, 1, 1, tzinfo=__import__("datetime").UTC)
    path = activity["id"].removeprefix("http://node.test/activities/")
    response = await client.put(
        f"/api/activities/{path}", json=activity_input(place["id"], price=3.5), headers=club["headers"]
    )
    assert response.status == 200, await response.text()
    updated = await response.json()
    assert (updated["published"], updated["updated"]) == (activity["published"], "2030-01-01T00:00:00Z")
    assert updated["offers"][0]["price"] == 3.5 and updated["isAccessibleForFree"] is False


async def test_a_changed_place_reaches_the_activities_there(
    client: TestClient[Any, Any], club: dict[str, Any]
) -> None:
    place = await create(client, club, "places", place_input())
    activity = await create(client, club, "activities", activity_input(place["id"]))
    key = place["id"].rsplit("/", 1)[1]
    response = await client.put(
        f"/api/places/{key}", json=place_input(name="Sporthal Zuid (nieuw)"), headers=club["headers"]
    )
    assert response.status == 200
    served = await (await client.get(activity["id"].removeprefix("http://node.test"), headers=AS_JSON)).json()
    assert served["location"]["name"] == "Sporthal Zuid (nieuw)"


async def test_another_organisation_cannot_touch_it(
    client: TestClient[Any, Any], club: dict[str, Any], other_club: dict[str, Any]
) -> None:
    place = await create(client, club, "places", place_input())
    activity = await create(client, club, "activities", activity_input(place["id"]))
    key = activity["id"].rsplit("/", 1)[1]
    put = await client.put(
        f"/api/activities/{key}",
        json=activity_input(place["id"], name="Gekaapt"),
        headers=other_club["headers"],
    )
    delete = await client.delete(f"/api/activities/{key}", headers=other_club["headers"])
    uses_their_place = await client.post(
        "/api/activities", json=activity_input(place["id"]), headers=other_club["headers"]
    )
    assert (put.status, delete.status, uses_their_place.status) == (403, 403, 422)
    assert (await uses_their_place.json())["errors"] == [
        {"pointer": "/place", "detail": "the place belongs to another organisation"}
    ]
    served = await (await client.get(f"/activities/{key}", headers=AS_JSON)).json()
    assert served == activity


async def test_delete_leaves_a_tombstone(
    client: TestClient[Any, Any], club: dict[str, Any], node: Node
) -> None:
    place = await create(client, club, "places", place_input())
    activity = await create(client, club, "activities", activity_input(place["id"]))
    place_key, key = place["id"].rsplit("/", 1)[1], activity["id"].rsplit("/", 1)[1]
    in_use = await client.delete(f"/api/places/{place_key}", headers=club["headers"])
    assert in_use.status == 409
    assert (await client.delete(f"/api/activities/{key}", headers=club["headers"])).status == 204
    response = await client.get(f"/activities/{key}", headers=AS_JSON)
    assert response.status == 410
    tombstone = await response.json()
    assert (tombstone["type"], tombstone["formerType"], tombstone["id"]) == (
        "Tombstone",
        "Event",
        activity["id"],
    )
    assert (await client.delete(f"/api/places/{place_key}", headers=club["headers"])).status == 204
    assert (await client.delete(f"/api/activities/{key}", headers=club["headers"])).status == 410
    assert (await live_counts(node)).get("activity", 0) == 0


async def test_invite_link_claims_the_account(client: TestClient[Any, Any], admin: dict[str, str]) -> None:
    club = await make_organisation(client, admin, "Jeu de boulesclub Het Bolletje")
    code = club["invite"].rsplit("/", 1)[1]
    form = await client.get(f"/claim/{code}")
    assert form.status == 200 and "Account claimen" in await form.text()
    claimed = await client.post(f"/api/invites/{code}")
    assert claimed.status == 200
    token = (await claimed.json())["token"]
    me = await client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
    assert (await me.json())["organisation"] == club["id"]
    assert (await client.get("/api/me", headers=club["headers"])).status == 401
    assert (await client.post(f"/api/invites/{code}")).status == 403


async def test_collections_are_discoverable_from_the_base_url(
    client: TestClient[Any, Any], club: dict[str, Any]
) -> None:
    place = await create(client, club, "places", place_input())
    created = [
        await create(client, club, "activities", activity_input(place["id"], name=f"Les {i}"))
        for i in range(55)
    ]
    root = await (await client.get("/", headers=AS_JSON)).json()
    assert root["type"] == "Application" and root["id"] == "http://node.test/"
    activities_url = next(url for url in root["streams"] if url.endswith("/activities"))
    collection = await (
        await client.get(activities_url.removeprefix("http://node.test"), headers=AS_JSON)
    ).json()
    assert collection["totalItems"] == 55
    seen: list[str] = []
    page_url = collection["first"]
    while page_url:
        page = await (await client.get(page_url.removeprefix("http://node.test"), headers=AS_JSON)).json()
        seen.extend(item["id"] for item in page["orderedItems"])
        page_url = page.get("next")
    assert sorted(seen) == sorted(a["id"] for a in created)


async def test_expired_offering_leaves_the_collections_but_keeps_its_url(
    client: TestClient[Any, Any], club: dict[str, Any], node: Node
) -> None:
    place = await create(client, club, "places", place_input())
    current = await create(client, club, "activities", activity_input(place["id"], validThrough="2027-06-30"))
    expired = await create(client, club, "activities", activity_input(place["id"], validThrough="2026-02-01",
                                                                       validFrom="2026-01-01"))
    node.clock = lambda: __import__("datetime").datetime(2026, 6, 1, tzinfo=__import__("datetime").UTC)
    page = await (await client.get("/activities?page=1", headers=AS_JSON)).json()
    assert [item["id"] for item in page["orderedItems"]] == [current["id"]]
    assert (await client.get(expired["id"].removeprefix("http://node.test"), headers=AS_JSON)).status == 200


async def test_letter_coded_wijken_of_amsterdam_are_accepted(
    client: TestClient[Any, Any], club: dict[str, Any]
) -> None:
    # 110 of Amsterdam's CBS wijk codes carry letters (WK0363AF); buurt codes likewise (BU0363AF01).
    for code in ("WK0363AF", "BU0363AF01"):
        place = await create(client, club, "places", place_input(
            name=f"Sporthal {code}", municipalityCode="GM0363", neighbourhoodCode=code,
            address={"streetAddress": "Dam 1", "postalCode": "1012 JS", "addressLocality": "Amsterdam"}))
        assert place["neighbourhoodCode"] == code
    response = await client.post("/api/places", json=place_input(municipalityCode="GM0363",
                                                                 neighbourhoodCode="WK0363ZZ"), headers=club["headers"])
    assert response.status == 422
