"""`sportnode backup` / `restore`: a backup taken while a writer keeps writing is consistent, restores
elsewhere and serves the same objects; restore refuses a running node, another node's backup, a
tampered archive; the command line round trip."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import sqlite3
import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from conftest import activity_input, create, place_input

from node.cli.main import main
from node.config import Config, load_config
from node.errors import SportnodeError
from node.services import backup
from node.services.node import Node, open_node
from node.web.app import create_app

Client = TestClient[Any, Any]


def rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        return [tuple(row) for row in connection.execute(sql).fetchall()]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


async def searched(client: Client) -> list[str]:
    found: list[str] = []
    url: str | None = "/api/search?limit=500"
    while url:
        response = await client.get(url)
        assert response.status == 200, await response.text()
        page = await response.json()
        found += [item["id"] for item in page["items"]]
        url = page.get("next")
        url = url[url.index("/api/"):] if url else None
    return sorted(found)


async def restored_client(config: Config, aiohttp_client: Any) -> tuple[Node, Client]:
    node = await open_node(config)
    client: Client = await aiohttp_client(create_app(node))
    return node, client


OBJECTS = "SELECT id, document FROM objects ORDER BY id"


async def test_a_backup_taken_during_writes_is_consistent_and_serves_the_same_objects(
    client: Client, node: Node, club: dict[str, Any], tmp_path: Path, aiohttp_client: Any
) -> None:
    config = node.config
    place = await create(client, club, "places", place_input())
    uploads = config.data_dir / "uploads" / "logos"
    uploads.mkdir(parents=True)
    (uploads / "zwaluwen.png").write_bytes(b"\x89PNG fake logo")

    written: list[str] = []
    during: list[int] = []  # writes committed while a backup was being taken
    stop = asyncio.Event()

    async def writer() -> None:
        while not stop.is_set():
            body = await create(client, club, "activities", activity_input(place["id"], name=f"Training {len(written)}"))
            written.append(body["id"])

    task = asyncio.create_task(writer())
    archives = []
    for i in range(3):
        while len(written) < 5 * (i + 1):
            await asyncio.sleep(0.01)
        before = len(written)
        archive = tmp_path / f"busy-{i}.tar"
        summary = await backup.create(config, archive)
        during.append(len(written) - before)
        archives.append((archive, before, len(written), summary))
    stop.set()
    await task

    for archive, before, after, summary in archives:
        assert mode(archive) == 0o600
        with tarfile.open(archive) as tar:
            names = {m.name: m for m in tar.getmembers()}
            assert {"backup.json", "sportnode.sqlite3", "uploads/logos/zwaluwen.png"} <= names.keys()
            assert all(m.mode == (0o700 if m.isdir() else 0o600) for m in names.values())
            snapshot = tmp_path / "check" / archive.stem / "sportnode.sqlite3"
            snapshot.parent.mkdir(parents=True)
            snapshot.write_bytes(tar.extractfile("sportnode.sqlite3").read())  # type: ignore[union-attr]
        assert rows(snapshot, "PRAGMA integrity_check") == [("ok",)]
        assert rows(snapshot, "PRAGMA foreign_key_check") == []
        activities = rows(snapshot, "SELECT id FROM objects WHERE kind = 'activity'")
        # One snapshot: what was committed when it was taken, and each index table agrees with it.
        assert before <= len(activities) <= after
        assert {a for (a,) in activities} <= set(written)
        assert rows(snapshot, "SELECT count(*) FROM search_index WHERE kind = 'activity'") == [(len(activities),)]
        assert summary.objects["activity"] == len(activities)
        assert rows(snapshot, "SELECT count(*) FROM keys") == rows(config.db_path, "SELECT count(*) FROM keys")
    print(f"writes committed during each backup: {during}")

    # Quiet now: a backup restored on another machine serves exactly what this node serves.
    final = tmp_path / "final.tar.gz"
    await backup.create(config, final)
    elsewhere = dataclasses.replace(config, data_dir=tmp_path / "elsewhere" / "data")
    summary = await backup.restore(elsewhere, final)
    assert summary.kept is None and summary.files == 1
    assert mode(elsewhere.db_path) == 0o600 and mode(elsewhere.data_dir / "uploads") == 0o700
    assert (elsewhere.data_dir / "uploads" / "logos" / "zwaluwen.png").read_bytes() == b"\x89PNG fake logo"
    assert rows(elsewhere.db_path, OBJECTS) == rows(config.db_path, OBJECTS)
    assert rows(elsewhere.db_path, "SELECT * FROM keys") == rows(config.db_path, "SELECT * FROM keys")
    other, other_client = await restored_client(elsewhere, aiohttp_client)
    try:
        assert await searched(other_client) == await searched(client)
        assert len(await searched(other_client)) == 2 + len(written)  # the club, its place, the activities
        for object_id in [*written[:3], place["id"], club["id"]]:
            path = object_id.removeprefix(config.base_url)
            here = await client.get(path, headers={"Accept": "application/activity+json"})
            there = await other_client.get(path, headers={"Accept": "application/activity+json"})
            assert there.status == 200 and await there.json() == await here.json()
        # The organisation's token still writes on the restored node.
        response = await other_client.post("/api/activities", json=activity_input(place["id"]), headers=club["headers"])
        assert response.status == 201, await response.text()
    finally:
        await other.close()


async def test_restore_refuses_a_running_node_an_existing_database_and_another_nodes_backup(
    node: Node, club: dict[str, Any], tmp_path: Path
) -> None:
    config = node.config
    archive = tmp_path / "b.tar"
    await backup.create(config, archive)
    with pytest.raises(SportnodeError, match="is open: the node") as running:
        await backup.restore(config, archive, force=True)  # the node fixture has the database open
    assert running.value.code == "node-running"
    other_node = dataclasses.replace(config, base_url="https://elders.example.nl", data_dir=tmp_path / "o")
    with pytest.raises(SportnodeError, match=r"this backup is of http://node\.test"):
        await backup.restore(other_node, archive)
    await node.close()
    with pytest.raises(SportnodeError, match="with --force it is replaced") as exists:
        await backup.restore(config, archive)
    assert exists.value.code == "exists"
    before = rows(config.db_path, OBJECTS)
    summary = await backup.restore(config, archive, force=True)
    assert summary.kept == config.data_dir / "sportnode.sqlite3.before-restore"
    assert rows(summary.kept, OBJECTS) == before == rows(config.db_path, OBJECTS)
    # While a restore holds the lock, the node cannot open the database.
    from node.store import lock

    held = lock.hold_exclusive(config.db_path)
    try:
        with pytest.raises(SportnodeError, match="is being restored"):
            await open_node(config)
    finally:
        lock.release(held)
    reopened = await open_node(config)
    await reopened.close()


def _rewrite(archive: Path, target: Path, change: Any) -> None:
    """Copy a tar, letting `change(name, data)` return new (name, data) for each member."""
    with tarfile.open(archive) as source, tarfile.open(target, "w") as out:
        for member in source.getmembers():
            data = source.extractfile(member).read() if member.isreg() else b""  # type: ignore[union-attr]
            name, data = change(member.name, data)
            info = tarfile.TarInfo(name)
            info.size, info.type, info.mode = len(data), member.type, member.mode
            out.addfile(info, io.BytesIO(data) if member.isreg() else None)


async def test_restore_refuses_tampered_and_foreign_archives(node: Node, tmp_path: Path) -> None:
    config = node.config
    archive = tmp_path / "b.tar"
    await backup.create(config, archive)
    await node.close()
    target = dataclasses.replace(config, data_dir=tmp_path / "target")

    def flip(name: str, data: bytes) -> tuple[str, bytes]:
        return name, (data[:-1] + bytes([data[-1] ^ 1]) if name == "sportnode.sqlite3" else data)

    def escape(name: str, data: bytes) -> tuple[str, bytes]:
        return ("../evil" if name == "sportnode.sqlite3" else name), data

    def newer(name: str, data: bytes) -> tuple[str, bytes]:
        if name == "backup.json":
            manifest = json.loads(data)
            manifest["schema_version"] = 9999
            return name, json.dumps(manifest).encode()
        return name, data

    for change, message in ((flip, "does not match its checksum"), (escape, "outside its folder"),
                            (newer, "made by a newer Sportnode")):
        bad = tmp_path / f"{change.__name__}.tar"
        _rewrite(archive, bad, change)
        with pytest.raises(SportnodeError, match=message):
            await backup.restore(target, bad)
        assert not target.db_path.exists()
        assert not (tmp_path / "evil").exists()
    (tmp_path / "plain.tar").write_bytes(b"not a tar at all")
    with pytest.raises(SportnodeError, match="not a readable tar archive"):
        await backup.restore(target, tmp_path / "plain.tar")


def test_backup_and_restore_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config_file = tmp_path / "node" / "sportnode.toml"
    assert main(["init", "--config", str(config_file), "--base-url", "http://127.0.0.1:8099", "--name", "Test",
                 "--development"]) == 0
    assert main(["org", "create", "--config", str(config_file), "Zwemvereniging De Golf", "--club"]) == 0
    out = tmp_path / "backups" / "nightly.tar"
    capsys.readouterr()
    assert main(["backup", "--config", str(config_file), "--out", str(out)]) == 0
    assert "1 organisation" in capsys.readouterr().out
    assert mode(out) == 0o600
    with tarfile.open(out) as tar:  # the config file travels along, for a machine that lost it
        assert tar.extractfile("sportnode.toml").read() == config_file.read_bytes()  # type: ignore[union-attr]
    assert main(["org", "create", "--config", str(config_file), "Later Club"]) == 0
    assert main(["restore", "--config", str(config_file), str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["restore", "--config", str(config_file), str(out), "--force"]) == 0
    assert "before-restore" in capsys.readouterr().out
    assert main(["org", "list", "--config", str(config_file)]) == 0
    listed = capsys.readouterr().out
    assert "zwemvereniging-de-golf" in listed and "later-club" not in listed
    assert load_config(config_file).db_path.with_name("sportnode.sqlite3.before-restore").exists()
