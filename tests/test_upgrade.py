"""A database made by release 0.1.0 (tests/fixtures/release-0.1.0, made by that release's own code)
upgrades through every later migration and the node serves all it held: objects, keys, follows,
queues, tokens and settings survive, and the schema comes out the same as a new database's."""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from conftest import activity_input

from node.config import Config
from node.services.node import Node, open_node
from node.store.database import Database, migration_files
from node.web.app import create_app

FIXTURE = Path(__file__).parent / "fixtures" / "release-0.1.0"
RELEASE_SCHEMA = 11  # the last migration release 0.1.0 shipped
AS_JSON = {"Accept": "application/activity+json"}


def expected() -> dict[str, Any]:
    found: dict[str, Any] = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))
    return found


def rows(path: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return [tuple(row) for row in connection.execute(sql, args).fetchall()]


@pytest.fixture
def release_config(tmp_path: Path) -> Config:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copyfile(FIXTURE / "sportnode.sqlite3", data / "sportnode.sqlite3")
    return Config(name="Sportnode 0.1.0", base_url=expected()["base_url"], data_dir=data, development=True)


def test_the_fixture_is_what_release_0_1_0_made() -> None:
    assert expected()["release"] == "0.1.0"
    path = FIXTURE / "sportnode.sqlite3"
    assert rows(path, "SELECT max(version) FROM schema_version") == [(RELEASE_SCHEMA,)]
    assert path.stat().st_size < 1_000_000  # kept small: a few organisations


def schema(path: Path) -> list[tuple[Any, ...]]:
    return rows(path, "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
                      "ORDER BY type, name")


async def test_migrations_report_each_step_and_the_schema_matches_a_new_database(
    release_config: Config, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    before = {table: rows(release_config.db_path, f"SELECT * FROM {table} ORDER BY 1, 2")
              for table in ("keys", "settings", "organisation_access", "followers", "following")}
    caplog.set_level(logging.INFO, logger="node.store.database")
    node = await open_node(release_config)
    await node.close()
    later = [name for version, name, _ in migration_files() if version > RELEASE_SCHEMA]
    assert later, "no migration since 0.1.0: nothing to test yet"
    logged = [r.getMessage() for r in caplog.records if r.name == "node.store.database"]
    assert logged[0].startswith(f"upgrading {release_config.db_path} from schema {RELEASE_SCHEMA} to ")
    for name in later:
        assert any(line.startswith(f"migration {name} applied in ") and line.endswith(" s") for line in logged), name
    newest = migration_files()[-1][0]
    assert rows(release_config.db_path, "SELECT max(version) FROM schema_version") == [(newest,)]
    # The same tables, indexes, triggers and views as a database made new by this code.
    fresh = Database(tmp_path / "fresh" / "sportnode.sqlite3")
    await fresh.open()
    await fresh.close()
    assert schema(release_config.db_path) == schema(fresh.path)
    for table, held in before.items():
        assert rows(release_config.db_path, f"SELECT * FROM {table} ORDER BY 1, 2") == held, table
    assert rows(release_config.db_path, "PRAGMA integrity_check") == [("ok",)]


async def test_a_long_migration_reports_progress_while_it_runs(release_config: Config) -> None:
    seen: list[tuple[str, float, bool]] = []
    database = Database(release_config.db_path, progress=lambda *report: seen.append(report))
    database.progress_every, database.progress_steps = 0.0, 10  # every tick, and ticks often
    await database.open()
    await database.close()
    later = [name for version, name, _ in migration_files() if version > RELEASE_SCHEMA]
    assert [name for name, _, finished in seen if finished] == later
    assert any(not finished for _, _, finished in seen)  # reports while running, not only at the end
    assert all(seconds >= 0 for _, seconds, _ in seen)


@pytest.fixture
async def upgraded(release_config: Config) -> Node:
    return await open_node(release_config)


async def test_everything_release_0_1_0_held_survives_and_is_served(upgraded: Node, aiohttp_client: Any) -> None:
    node, want = upgraded, expected()
    try:
        # Queues and follows, read before the app's delivery worker and jobs start.
        def query(sql: str) -> list[tuple[Any, ...]]:
            return rows(node.config.db_path, sql)

        assert [list(r) for r in query("SELECT activity_id, inbox FROM deliveries")] == want["queued"]
        assert query("SELECT remote_actor, state FROM following") == [(want["following"], "accepted")]
        assert query("SELECT remote_actor FROM followers") == [(want["follower"],)]
        actors = {node.config.node_id, *want["organisations"]}
        assert {r[0] for r in query("SELECT actor_id FROM keys")} == actors
        assert query("SELECT count(*) FROM settings WHERE key = 'admin_token_sha256'") == [(1,)]

        client: TestClient[Any, Any] = await aiohttp_client(create_app(node))
        base = want["base_url"]
        for kind, ids in want["objects"].items():
            for object_id in ids:
                response = await client.get(object_id.removeprefix(base), headers=AS_JSON)
                assert response.status == 200, (object_id, await response.text())
                document = await response.json()
                assert document["id"] == object_id, kind
                if object_id in want["renamed"]:
                    assert document["name"] == want["renamed"][object_id]
                turtle = await client.get(object_id.removeprefix(base), headers={"Accept": "text/turtle"})
                assert turtle.status == 200 and object_id in await turtle.text()
        for object_id in want["deleted"]:
            assert (await client.get(object_id.removeprefix(base), headers=AS_JSON)).status == 410
        # The organisations' actors still carry the public keys peers verified them with.
        for organisation in want["organisations"]:
            actor = await (await client.get(organisation.removeprefix(base), headers=AS_JSON)).json()
            [(public_pem,)] = rows(node.config.db_path, "SELECT public_pem FROM keys WHERE actor_id = ?", organisation)
            assert actor["publicKey"]["publicKeyPem"] == public_pem

        # The query index was rebuilt by the migrations: it finds every live object, own and followed.
        response = await client.get("/api/search?limit=100")
        assert response.status == 200
        found = sorted(item["id"] for item in (await response.json())["items"])
        own = [i for ids in want["objects"].values() for i in ids]
        assert found == sorted(own + want["remote_objects"])

        # Tokens: the organisation's still writes, the admin's still administers, the invite still opens.
        zwaluwen, token = next(iter(want["organisations"].items()))
        place = want["objects"]["place"][0]
        response = await client.post("/api/activities", json=activity_input(place, validThrough="2036-12-31"),
                                     headers={"Authorization": f"Bearer {token}"})
        assert response.status == 201, await response.text()
        assert (await response.json())["attributedTo"] == zwaluwen
        response = await client.post("/api/organisations", json={"name": "Na de upgrade", "isClub": False},
                                     headers={"Authorization": f"Bearer {want['admin_token']}"})
        assert response.status == 201, await response.text()
        refused = await client.post("/api/activities", json=activity_input(place), headers={"Authorization": "Bearer nope"})
        assert refused.status == 401
        claim = await client.get(want["invite"].removeprefix(base))
        assert claim.status == 200, await claim.text()

        # The outbox and followers collections hold what the release published and who followed it.
        outbox = await (await client.get("/outbox", headers=AS_JSON)).json()
        assert outbox["totalItems"] >= len(own) + len(want["deleted"])
        followers = await (await client.get("/followers", headers=AS_JSON)).json()
        assert followers["totalItems"] == 1
    finally:
        await node.close()
