"""A real bovine-herd ActivityPub server on loopback, with one account `alice`, for interop tests.

bovine-herd (PyPI, https://codeberg.org/bovine/bovine) lives in its own virtualenv, `.venv-bovine`
beside the project, built from deploy/bovine-requirements.txt on first use: its pins (aiohttp,
cryptography<46, quart 0.19) must not meet ours. Set BOVINE_VENV to use another place.

    async with BovinePeer(tmp_path) as peer:
        await peer.webfinger()
        created = await peer.post_as_alice({"type": "Create", "object": {...}, "to": [...]})

What the peer does, so that nothing of it needs looking up again:

* `python -m bovine_store create|register|key --add` (with BOVINE_DB_URL) make the SQLite store and
  alice; hypercorn then serves a two-line Quart app (`BovineHerd(app)`) on http://127.0.0.1:PORT.
  Her actor id is http://127.0.0.1:PORT/endpoints/<random>, found through WebFinger.
* We act as alice through bovine's client-to-server authentication, Moo-Auth-1: an Ed25519 key
  made here, registered with `key --add did:key:z6Mk...`; each request carries
  `Authorization: Moo-Auth-1 did:key:...` and `X-Moo-Signature` over (request-target), host, date
  and (POST) digest. POST to her outbox answers 201 with the new activity's id in Location.
* bovine fetches JSON-LD contexts with `requests` and caches them in `bovine_jsonld_cache.sqlite`
  in its working directory. We seed that cache with the contexts our documents use, and point
  HTTP(S)_PROXY at a closed loopback port (NO_PROXY for 127.0.0.1), so it never reaches outside;
  an unknown context then fails at once and bovine reads it as empty.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import hashlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Mapping
from email.utils import formatdate
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote, urlencode, urlsplit

import aiohttp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "deploy" / "bovine-requirements.txt"
DEFAULT_VENV = Path(os.environ.get("BOVINE_VENV", ROOT / ".venv-bovine"))
AS_PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
ACTIVITY_JSON = "application/activity+json"

# The served app (hypercorn --workers 0: one process, no master). It also ends itself when the
# process that started it is gone, so a killed test run leaves no server behind.
APP_SOURCE = """\
import logging
import os
import threading
import time

from quart import Quart

from bovine_herd import BovineHerd

logging.basicConfig(level=os.environ.get("BOVINE_LOG_LEVEL", "INFO"),
                    format="%(asctime)s %(levelname)s %(name)s: %(message)s")

app = Quart(__name__)
BovineHerd(app, db_url=os.environ["BOVINE_DB_URL"])


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1)
        try:
            os.kill(parent, 0)
        except ProcessLookupError:
            os._exit(3)


threading.Thread(target=_watch_parent, args=(int(os.environ["BOVINE_PEER_PARENT"]),), daemon=True).start()
"""

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class BovineError(RuntimeError):
    """bovine answered something other than what the helper expected."""


def _b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rest = divmod(number, 58)
        out = _B58[rest] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def default_contexts() -> dict[str, Any]:
    """The JSON-LD contexts bovine gets from its cache instead of the network: what our node uses.

    bovine's own default context also names did/v1 and multikey/v1; offline it would read them as
    empty, and so do we (no term of theirs occurs in our documents or in alice's notes).
    """
    from ap.linked_data.contexts import SEC_CONTEXT_DOCUMENT

    from node.protocol.jsonld import SECURITY_CONTEXT, SPORTNODE_CONTEXT, sportnode_context

    return {
        SECURITY_CONTEXT: SEC_CONTEXT_DOCUMENT["@context"],
        SPORTNODE_CONTEXT: sportnode_context()["@context"],
        "https://www.w3.org/ns/did/v1": [],
        "https://w3id.org/security/multikey/v1": [],
    }


def ensure_bovine_venv(venv: Path = DEFAULT_VENV, requirements: Path = REQUIREMENTS) -> Path:
    """The bovine virtualenv, built or brought up to date with `requirements` (only PyPI needed).

    A stamp with the requirements' hash says it is done; a lock keeps two test processes from
    building it at once. Returns the venv's python.
    """
    python = venv / "bin" / "python"
    stamp = venv / ".bovine-requirements.sha256"
    wanted = hashlib.sha256(requirements.read_bytes()).hexdigest()
    lock_path = (
        Path(tempfile.gettempdir())
        / f"bovine-venv-{hashlib.sha256(str(venv).encode()).hexdigest()[:16]}.lock"
    )
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.exists() and stamp.exists() and stamp.read_text().strip() == wanted:
            return python
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        result = subprocess.run([*pip, "-r", str(requirements)], capture_output=True, text=True)
        if result.returncode != 0:
            raise BovineError(
                f"installing {requirements} into {venv} failed:\n{result.stdout}\n{result.stderr}"
            )
        stamp.write_text(wanted + "\n")
    return python


def seed_jsonld_cache(workdir: Path, contexts: Mapping[str, Any]) -> None:
    """Writes bovine's JSON-LD context cache (bovine.jsonld.cache.JsonLDCache) before bovine starts."""
    with contextlib.closing(sqlite3.connect(workdir / "bovine_jsonld_cache.sqlite")) as db:
        db.execute("CREATE TABLE IF NOT EXISTS jsonld (url TEXT PRIMARY KEY, context TEXT)")
        db.executemany(
            "INSERT OR REPLACE INTO jsonld VALUES (?, ?)",
            [(url, json.dumps(ctx)) for url, ctx in contexts.items()],
        )
        db.commit()


class MooAuth:
    """Client-to-server authentication of bovine (Moo-Auth-1): an Ed25519 key known as a did:key."""

    def __init__(self, private_key: Ed25519PrivateKey | None = None) -> None:
        self.private_key = private_key or Ed25519PrivateKey.generate()
        raw_public = self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        self.did_key = "did:key:z" + _b58encode(b"\xed\x01" + raw_public)

    @property
    def secret(self) -> str:
        """The private key as bovine writes it (`key --new`, BovineClient(secret=...)): z3u2..."""
        raw = self.private_key.private_bytes(
            serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
        )
        return "z" + _b58encode(b"\x80\x26" + raw)

    def headers(self, method: str, url: str, body: bytes | None = None) -> dict[str, str]:
        parts = urlsplit(url)
        # bovine checks the path without the query string.
        fields = [("(request-target)", f"{method.lower()} {parts.path}"), ("host", parts.netloc)]
        fields.append(("date", formatdate(usegmt=True)))
        if body is not None:
            fields.append(("digest", "sha-256=" + base64.b64encode(hashlib.sha256(body).digest()).decode()))
        message = "\n".join(f"{name}: {value}" for name, value in fields).encode()
        signature = "z" + _b58encode(self.private_key.sign(message))
        return {
            **{name: value for name, value in fields if not name.startswith("(")},
            "authorization": f"Moo-Auth-1 {self.did_key}",
            "x-moo-signature": signature,
        }


class BovinePeer:
    """A bovine-herd server on 127.0.0.1:port with the account alice; an async context manager."""

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        *,
        handle: str = "alice",
        venv: Path = DEFAULT_VENV,
        contexts: Mapping[str, Any] | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.handle = handle
        self.venv = venv
        self.contexts = dict(contexts or {})
        self.startup_timeout = startup_timeout
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.auth = MooAuth()
        self.bovine_name = ""
        self.actor_document: dict[str, Any] = {}
        self._python: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._session: aiohttp.ClientSession | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        try:
            await self.start()
        except BaseException:
            await self.stop()
            raise
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    @property
    def log_path(self) -> Path:
        return self.workdir / "bovine.log"

    @property
    def db_url(self) -> str:
        return f"sqlite://{self.workdir / 'bovine.sqlite3'}"

    def log_text(self) -> str:
        """What bovine has logged so far (INFO and up): look here when a delivery goes missing."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        dead_end = "http://127.0.0.1:9"  # nothing listens: any fetch beyond loopback fails at once
        env.update(
            BOVINE_DB_URL=self.db_url,
            BOVINE_PEER_PARENT=str(os.getpid()),
            PYTHONUNBUFFERED="1",
            HTTP_PROXY=dead_end,
            HTTPS_PROXY=dead_end,
            http_proxy=dead_end,
            https_proxy=dead_end,
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
        )
        return env

    async def _bovine_store(self, *args: str) -> str:
        assert self._python is not None
        process = await asyncio.create_subprocess_exec(
            str(self._python),
            "-m",
            "bovine_store",
            *args,
            cwd=self.workdir,
            env=self._env(),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        text = output.decode(errors="replace")
        if process.returncode != 0:
            raise BovineError(f"bovine_store {' '.join(args)} failed ({process.returncode}):\n{text}")
        return text

    async def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._python = await asyncio.to_thread(ensure_bovine_venv, self.venv)
        seed_jsonld_cache(self.workdir, {**default_contexts(), **self.contexts})
        (self.workdir / "bovine_peer_app.py").write_text(APP_SOURCE)

        await self._bovine_store("create")
        registered = await self._bovine_store("register", "--domain", self.base_url, "--handle", self.handle)
        # "Registered new user with bovine name alice_<uuid4>"
        self.bovine_name = registered.strip().splitlines()[-1].rsplit(" ", 1)[-1]
        if not self.bovine_name.startswith(f"{self.handle}_"):
            raise BovineError(f"unexpected output of bovine_store register: {registered!r}")
        await self._bovine_store("key", "--add", self.auth.did_key, self.bovine_name)

        command = [str(self._python), "-m", "hypercorn", "--workers", "0", "--bind", f"127.0.0.1:{self.port}"]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [*command, "bovine_peer_app:app"],
                cwd=self.workdir,
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        await self._wait_until_up()
        webfinger = await self.webfinger()
        actor_id = next(link["href"] for link in webfinger["links"] if link.get("rel") == "self")
        self.actor_document = await self.get_as_alice(actor_id)

    async def _wait_until_up(self) -> None:
        assert self._process is not None and self._session is not None
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self._process.poll() is not None:
                raise BovineError(f"bovine exited with {self._process.returncode}:\n{self.log_text()}")
            with contextlib.suppress(aiohttp.ClientError, asyncio.TimeoutError):
                async with self._session.get(f"{self.base_url}/.well-known/nodeinfo") as response:
                    if response.status == 200:
                        return
            if time.monotonic() > deadline:
                raise BovineError(f"bovine did not answer within {self.startup_timeout}s:\n{self.log_text()}")
            await asyncio.sleep(0.2)

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await asyncio.to_thread(process.wait, 10)

    # -- alice -----------------------------------------------------------------------------------

    @property
    def actor_id(self) -> str:
        return str(self.actor_document["id"])

    @property
    def account(self) -> str:
        """alice's acct: URI; bovine puts the port in the domain part."""
        return f"acct:{self.handle}@127.0.0.1:{self.port}"

    @property
    def inbox(self) -> str:
        return str(self.actor_document["inbox"])

    @property
    def outbox(self) -> str:
        return str(self.actor_document["outbox"])

    @property
    def followers(self) -> str:
        return str(self.actor_document["followers"])

    @property
    def following(self) -> str:
        return str(self.actor_document["following"])

    @property
    def key_id(self) -> str:
        """The keyId bovine signs alice's server-to-server requests with: <actor id>#serverKey."""
        return str(self.actor_document["publicKey"]["id"])

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise BovineError("the peer is not running")
        return self._session

    async def webfinger(self, resource: str | None = None) -> dict[str, Any]:
        url = f"{self.base_url}/.well-known/webfinger?resource={quote(resource or self.account, safe=':@')}"
        async with self.session.get(url) as response:
            if response.status != 200:
                raise BovineError(f"WebFinger {url}: {response.status} {await response.text()}")
            result: dict[str, Any] = json.loads(await response.text())
            return result

    async def get_as_alice(self, url: str) -> dict[str, Any]:
        """GET with alice's Moo-Auth-1 signature (bovine answers unsigned GETs of actors with 401)."""
        headers = {"accept": ACTIVITY_JSON, **self.auth.headers("get", url)}
        async with self.session.get(url, headers=headers) as response:
            text = await response.text()
            if response.status != 200:
                raise BovineError(f"GET {url} as alice: {response.status} {text}")
            result: dict[str, Any] = json.loads(text)
            return result

    async def _post_as_alice(self, url: str, body: bytes, content_type: str) -> aiohttp.ClientResponse:
        headers = {
            "accept": ACTIVITY_JSON,
            "content-type": content_type,
            **self.auth.headers("post", url, body),
        }
        return await self.session.post(url, data=body, headers=headers)

    async def post_as_alice(self, activity: dict[str, Any]) -> dict[str, Any]:
        """Posts `activity` to alice's outbox (C2S); returns it as bovine stored it.

        `actor` and `@context` are filled in when missing; addressing is yours (bovine delivers to
        the actors in to/cc/bto/bcc/audience, with her followers collection resolved). bovine gives
        the activity a new id (also the Location header), and a Create's object too unless its id
        is already in the store. The result has `object` embedded, so `result["object"]["id"]` is
        the id to Update or Delete later. Delivery runs afterwards in the background.
        """
        activity = {"@context": "https://www.w3.org/ns/activitystreams", "actor": self.actor_id, **activity}
        body = json.dumps(activity).encode()
        async with await self._post_as_alice(self.outbox, body, ACTIVITY_JSON) as response:
            if response.status != 201:
                raise BovineError(f"POST to alice's outbox: {response.status} {await response.text()}")
            location = response.headers["location"]
        return await self.fetch_as_alice(location)

    async def fetch_as_alice(self, object_id: str) -> dict[str, Any]:
        """An object through alice's proxyUrl: from bovine's store (remote ones too), with its
        `object`, `actor` and `attributedTo` embedded where stored. Context is "about:bovine"."""
        proxy = self.actor_document["endpoints"]["proxyUrl"]
        body = urlencode({"id": object_id}).encode()
        async with await self._post_as_alice(proxy, body, "application/x-www-form-urlencoded") as response:
            text = await response.text()
            if response.status != 200:
                raise BovineError(f"proxyUrl {object_id}: {response.status} {text}")
            result: dict[str, Any] = json.loads(text)
            return result

    async def collection_ids(self, collection: str, limit: int = 1000) -> list[str]:
        """The item ids of one of alice's collections (inbox, outbox, followers...), newest first."""
        page = await self.get_as_alice(collection)
        ids: list[str] = []
        if "orderedItems" in page or "items" in page or "first" not in page:
            ids = list(page.get("orderedItems", page.get("items", [])))
            return [item if isinstance(item, str) else item["id"] for item in ids]
        page = await self.get_as_alice(page["first"])
        while True:
            items = page.get("orderedItems", page.get("items", []))
            ids.extend(item if isinstance(item, str) else item["id"] for item in items)
            if not items or "next" not in page or len(ids) >= limit:
                return ids
            page = await self.get_as_alice(page["next"])

    async def inbox_items(self) -> list[dict[str, Any]]:
        """What reached alice's inbox (and was accepted: signature checked, stored), newest first."""
        return [await self.fetch_as_alice(item) for item in await self.collection_ids(self.inbox)]

    async def outbox_items(self) -> list[dict[str, Any]]:
        return [await self.fetch_as_alice(item) for item in await self.collection_ids(self.outbox)]

    async def follower_ids(self) -> list[str]:
        return await self.collection_ids(self.followers)

    async def following_ids(self) -> list[str]:
        return await self.collection_ids(self.following)

    async def accept_follow(self, follow: str | dict[str, Any]) -> dict[str, Any]:
        """alice accepts a Follow that reached her inbox (bovine never accepts by itself).

        bovine then adds the follower to her followers collection and delivers the Accept, with the
        Follow's id as object, to the follower.
        """
        if isinstance(follow, str):
            follow = await self.fetch_as_alice(follow)
        follower = follow["actor"]["id"] if isinstance(follow["actor"], dict) else follow["actor"]
        return await self.post_as_alice({"type": "Accept", "object": follow["id"], "to": [follower]})

    async def wait_for(
        self, probe: Callable[[], Awaitable[Any]], timeout: float = 20.0, interval: float = 0.25
    ) -> Any:
        """Polls `probe` until it returns something truthy; bovine's side effects run in the background."""
        deadline = time.monotonic() + timeout
        while True:
            result = await probe()
            if result:
                return result
            if time.monotonic() > deadline:
                raise BovineError(f"gave up after {timeout}s; bovine log:\n{self.log_text()[-4000:]}")
            await asyncio.sleep(interval)

    async def wait_for_inbox(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 20.0
    ) -> dict[str, Any]:
        """The newest item in alice's inbox that satisfies `predicate`, once there is one."""

        async def probe() -> dict[str, Any] | None:
            return next((item for item in await self.inbox_items() if predicate(item)), None)

        result: dict[str, Any] = await self.wait_for(probe, timeout)
        return result
