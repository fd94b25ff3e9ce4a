"""`sportnode backup` and `sportnode restore`: one tar file holding a consistent copy of the database
(the keys are in it), the uploaded files of `data_dir/uploads` if there are any, the config file, and a
manifest with a checksum of each.

Backup is safe while the node runs and writes (SQLite's online backup, store/backup.py). Restore
replaces the database only when no process has it open (the lock of store/lock.py), writes the new
file beside the old one, flushes it, and renames it into place, so a crash leaves one whole database
or the other. The replaced database is kept beside it as `sportnode.sqlite3.before-restore`.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

from node import __version__
from node.config import Config
from node.errors import SportnodeError
from node.store import backup as files
from node.store import lock
from node.store.database import migrations

FORMAT = "sportnode-backup"
FORMAT_VERSION = 1
MANIFEST = "backup.json"
DATABASE = "sportnode.sqlite3"
CONFIG = "sportnode.toml"
UPLOADS = "uploads"  # under data_dir: files the node keeps beside its database
KEPT = ".before-restore"
CHUNK = 1 << 20


@dataclass(frozen=True)
class Summary:
    """What an archive holds (its manifest), for the operator's one-line report."""

    created: str
    base_url: str
    schema_version: int
    objects: dict[str, int]
    files: int
    kept: Path | None = None  # the replaced database, after a restore
    notes: list[str] = field(default_factory=list)

    def text(self) -> str:
        held = ", ".join(f"{n} {kind}" for kind, n in sorted(self.objects.items())) or "no objects"
        extra = f", {self.files} uploaded files" if self.files else ""
        return f"backup of {self.base_url} taken {self.created} (schema {self.schema_version}): {held}{extra}"


def _problem(code: str, detail: str, status: int = 2) -> SportnodeError:
    return SportnodeError(status, code, detail)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _uploads(data_dir: Path) -> list[tuple[Path, str]]:
    """(file, name in the archive) of every regular file under data_dir/uploads; links are not followed."""
    root = data_dir / UPLOADS
    if not root.is_dir() or root.is_symlink():
        return []
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not (Path(folder) / d).is_symlink())
        for name in sorted(names):
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found.append((path, path.relative_to(data_dir).as_posix()))
    return found


async def create(config: Config, out: Path, config_file: Path | None = None) -> Summary:
    """Write the backup archive `out` (`.tar`, or gzipped for `.tar.gz`/`.tgz`), owner-only (0600)."""
    return await asyncio.to_thread(_create, config, out, config_file)


def _create(config: Config, out: Path, config_file: Path | None) -> Summary:
    if not config.db_path.exists():
        raise _problem("no-database", f"there is no database at {config.db_path}")
    out = out.absolute()
    if not out.parent.exists():
        out.parent.mkdir(parents=True)
        out.parent.chmod(0o700)  # the archives hold private keys
    # A restore must not swap the database while it is being copied; a running node is fine.
    try:
        held = lock.hold_shared(config.db_path)
    except lock.Busy:
        raise _problem("restoring", f"{config.db_path} is being restored; back it up when that is done", 1) from None
    work = Path(tempfile.mkdtemp(prefix=".sportnode-backup-", dir=out.parent))  # 0700, same disk as `out`
    try:
        snapshot = work / DATABASE
        files.snapshot(config.db_path, snapshot)
        check = files.integrity(snapshot)
        if check != "ok":
            raise _problem("corrupt", f"the copy of {config.db_path} fails SQLite's integrity check: {check}", 1)
        members = [(snapshot, DATABASE), *_uploads(config.data_dir)]
        if config_file is not None and config_file.is_file():
            members.append((config_file, CONFIG))
        manifest = {
            "format": FORMAT, "version": FORMAT_VERSION, "created": _now(), "sportnode": __version__,
            "node": {"name": config.name, "base_url": config.base_url},
            "schema_version": files.schema_version(snapshot), "objects": files.counts(snapshot),
            "files": {name: {"sha256": _sha256(path), "size": path.stat().st_size} for path, name in members},
        }
        partial = work / "archive"
        _write_tar(partial, manifest, members, gzip=out.name.endswith((".gz", ".tgz")))
        os.replace(partial, out)
        files.fsync(out.parent)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        lock.release(held)
    return _summary(manifest)


def _write_tar(path: Path, manifest: dict[str, Any], members: list[tuple[Path, str]], *, gzip: bool) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz" if gzip else "w") as tar:
        text = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
        tar.addfile(_info(MANIFEST, len(text)), io.BytesIO(text))
        folders: set[str] = set()
        for source, name in members:
            for parent in reversed(PurePosixPath(name).parents[:-1]):
                if str(parent) not in folders:
                    folders.add(str(parent))
                    tar.addfile(_info(str(parent), 0, folder=True))
            with source.open("rb") as f:
                tar.addfile(_info(name, source.stat().st_size), f)
        tar.close()
        raw.flush()
        os.fsync(raw.fileno())


def _info(name: str, size: int, *, folder: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = 0 if folder else size
    info.type = tarfile.DIRTYPE if folder else tarfile.REGTYPE
    info.mode = 0o700 if folder else 0o600  # the database holds private keys
    info.mtime = int(datetime.now(UTC).timestamp())
    return info


def _summary(manifest: dict[str, Any], kept: Path | None = None) -> Summary:
    uploads = sum(1 for name in manifest["files"] if name.startswith(UPLOADS + "/"))
    return Summary(manifest["created"], manifest["node"]["base_url"], manifest["schema_version"],
                   dict(manifest["objects"]), uploads, kept)


async def restore(config: Config, archive: Path, *, force: bool = False) -> Summary:
    """Put the archive's database (and uploads) in place of the node's. Refused while any process has
    the database open; refused over an existing database unless `force`."""
    return await asyncio.to_thread(_restore, config, archive, force)


def _restore(config: Config, archive: Path, force: bool) -> Summary:
    data_dir = config.data_dir
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        held = lock.hold_exclusive(config.db_path)
    except lock.Busy:
        raise _problem("node-running", f"{config.db_path} is open: the node (or another sportnode command) is "
                       "running; stop it first (systemctl stop sportnode)", 1) from None
    try:
        if config.db_path.exists() and not force:
            raise _problem("exists", f"{config.db_path} exists; with --force it is replaced (and kept as "
                           f"{config.db_path.name}{KEPT})")
        work = Path(tempfile.mkdtemp(prefix=".restore-", dir=data_dir))
        try:
            manifest = _unpack(archive, work, config)
            kept = _swap_in(config, work, manifest)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    finally:
        lock.release(held)
    return _summary(manifest, kept)


def _safe_name(name: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise _problem("not-a-backup", f"the archive names a file outside its folder: {name!r}")
    return path.as_posix()


def _unpack(archive: Path, work: Path, config: Config) -> dict[str, Any]:
    """Check the archive against its manifest and unpack it into `work`; the manifest."""
    try:
        tar = tarfile.open(archive, "r:*")  # noqa: SIM115 (the with below closes it; an unreadable file is reported apart)
    except (OSError, tarfile.TarError) as error:
        raise _problem("not-a-backup", f"{archive} is not a readable tar archive: {error}") from None
    with tar:
        manifest = _manifest(tar, archive)
        _check_node(manifest, config)
        wanted = manifest["files"]
        for member in tar:
            name = _safe_name(member.name)
            if member.isdir() or name == MANIFEST:
                continue
            if not member.isreg() or name not in wanted:
                raise _problem("not-a-backup", f"the archive holds {name!r}, which its manifest does not list")
            if name == CONFIG:
                continue  # the config is the operator's (often root's, in /etc): copied out by hand
            target = work / name
            for folder in reversed(target.relative_to(work).parents[:-1]):
                (work / folder).mkdir(mode=0o700, exist_ok=True)
                (work / folder).chmod(0o700)  # mkdir's mode passes through the umask
            _extract(tar.extractfile(member), target, name, wanted[name]["sha256"])
    database = work / DATABASE
    if not database.exists():
        raise _problem("not-a-backup", f"{archive} holds no {DATABASE}")
    missing = [n for n in wanted if n != CONFIG and not (work / n).exists()]
    if missing:
        raise _problem("not-a-backup", f"{archive} lacks files its manifest lists: {missing}")
    check = files.integrity(database)
    if check != "ok":
        raise _problem("corrupt", f"the database in {archive} fails SQLite's integrity check: {check}")
    # Numbers the lost database may have given out after the backup must not be given out again.
    files.move_sequences_forward(database)
    return manifest


def _manifest(tar: tarfile.TarFile, archive: Path) -> dict[str, Any]:
    try:
        member = tar.getmember(MANIFEST)
        raw = tar.extractfile(member)
        manifest: dict[str, Any] = json.loads(raw.read() if raw else b"")
    except (KeyError, ValueError, tarfile.TarError):
        raise _problem("not-a-backup", f"{archive} is not a Sportnode backup (no readable {MANIFEST})") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise _problem("not-a-backup", f"{archive} is not a Sportnode backup of format {FORMAT_VERSION}")
    return manifest


def _check_node(manifest: dict[str, Any], config: Config) -> None:
    theirs = manifest["node"]["base_url"]
    if theirs != config.base_url:
        raise _problem("other-node", f"this backup is of {theirs}, and this config is of {config.base_url}: every "
                       "object id derives from the base URL; restore with that node's config")
    newest = max(version for version, _ in migrations())
    if manifest["schema_version"] > newest:
        raise _problem("newer", f"this backup was made by a newer Sportnode (schema {manifest['schema_version']}, "
                       f"this one knows up to {newest}); upgrade first")


def _extract(source: IO[bytes] | None, target: Path, name: str, sha256: str) -> None:
    if source is None:
        raise _problem("not-a-backup", f"{name} cannot be read from the archive")
    digest = hashlib.sha256()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if digest.hexdigest() != sha256:
        raise _problem("corrupt", f"{name} in the archive does not match its checksum")


def _swap_in(config: Config, work: Path, manifest: dict[str, Any]) -> Path | None:
    """Rename the unpacked database (and uploads) into place; the old database is kept beside it."""
    db = config.db_path
    wal, shm = (db.with_name(db.name + suffix) for suffix in ("-wal", "-shm"))
    kept: Path | None = None
    if db.exists():
        kept = db.with_name(db.name + KEPT)
        for stale in (kept, kept.with_name(kept.name + "-wal")):
            stale.unlink(missing_ok=True)
        os.link(db, kept)  # the same file under a second name, not a copy
        if wal.exists():  # the node crashed: its last writes are in the WAL, kept with it
            os.replace(wal, kept.with_name(kept.name + "-wal"))
    shm.unlink(missing_ok=True)  # must never meet another database's WAL
    os.replace(work / DATABASE, db)
    if any(name.startswith(UPLOADS + "/") for name in manifest["files"]):
        uploads, old = config.data_dir / UPLOADS, config.data_dir / (UPLOADS + KEPT)
        if uploads.exists():
            shutil.rmtree(old, ignore_errors=True)
            os.replace(uploads, old)
        os.replace(work / UPLOADS, uploads)
    files.fsync(config.data_dir)
    return kept
