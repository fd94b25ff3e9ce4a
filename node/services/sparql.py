"""The node's side of the SPARQL endpoint: a small pool of worker processes, each asked one query at a
time, with a deadline on every answer.

The pool has `size` slots ([limits] sparql_concurrency). A slot's worker starts when the slot is first
needed: queries take the slot used last first, so a second worker (with its own copy of the graph)
starts only when queries overlap. Waiting queries get the next free slot in the order they came, so
one slow query no longer holds up every other, and no client can jump the line.

The worker (sparql_worker.py) stops a runaway query itself. This side guards against the worker: if it
does not answer within the query's time limit plus what catching up may take, it is killed and the next
query on that slot starts a new one (which rebuilds the graph from `objects`). Queries wait for a slot
at most `queue_s`; past that the client gets 503 and may retry.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

from node.paths import vocab_dir
from node.services.sparql_worker import Answer, Limits, Request, error

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0
GRACE_S = 2.0


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    connection: Connection


@dataclass
class Slot:
    worker: Worker | None = None


@dataclass
class SparqlService:
    db_path: Path
    limits: Limits = field(default_factory=Limits)
    queue_s: float = 10.0
    size: int = 2
    _idle: asyncio.LifoQueue[Slot] | None = None

    @property
    def idle(self) -> asyncio.LifoQueue[Slot]:
        if self._idle is None:  # made on first use, inside the running loop
            self._idle = asyncio.LifoQueue()
            for _ in range(max(1, self.size)):
                self._idle.put_nowait(Slot())
        return self._idle

    async def query(self, request: Request) -> Answer:
        try:
            async with asyncio.timeout(self.queue_s):
                slot = await self.idle.get()
        except TimeoutError:
            return error(503, "sparql-busy", "The SPARQL endpoint is busy with other queries; try again.", 2)
        try:
            return await asyncio.to_thread(self._ask, slot, request)
        finally:
            self.idle.put_nowait(slot)

    def _ask(self, slot: Slot, request: Request) -> Answer:
        """Send one request and wait for its answer (in a thread: it blocks)."""
        try:
            worker = slot.worker or self._start(slot)
        except (RuntimeError, OSError) as failed:
            log.error("the SPARQL worker does not start: %s", failed)
            return error(503, "sparql-unavailable", "The SPARQL worker could not be started.", 30)
        try:
            worker.connection.send(request)
            wait = self.limits.timeout_s + self.limits.sync_budget_s + GRACE_S
            if worker.connection.poll(wait):
                answer: Answer = worker.connection.recv()
                return answer
            log.warning("the SPARQL worker did not answer within %.1f s; stopping it", wait)
        except (EOFError, OSError) as failed:
            log.warning("the SPARQL worker is gone (%s); a new one starts with the next query", failed)
        self._stop(slot, kill=True)
        return error(503, "sparql-unavailable", "The SPARQL worker stopped; the next query starts a new one.", 5)

    def _start(self, slot: Slot) -> Worker:
        # A fresh interpreter (not a fork): the worker must inherit none of the node's threads, event
        # loop or connections, and (unlike multiprocessing's spawn) it does not re-import __main__.
        ours, theirs = socket.socketpair()
        command = [
            sys.executable, "-c", "from node.services.sparql_worker import run_from_argv; run_from_argv()",
            str(theirs.fileno()),
            str(self.db_path), str(vocab_dir()), json.dumps(asdict(self.limits)),
        ]
        process = subprocess.Popen(command, pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        theirs.close()
        connection = Connection(ours.detach())
        if not connection.poll(START_TIMEOUT_S) or connection.recv() != "ready":
            process.kill()
            process.wait()
            raise RuntimeError("the SPARQL worker did not start")
        slot.worker = Worker(process, connection)
        return slot.worker

    def _stop(self, slot: Slot, kill: bool) -> None:
        worker, slot.worker = slot.worker, None
        if worker is None:
            return
        if not kill:
            try:
                worker.connection.send(None)
            except OSError:
                kill = True
        if kill:
            worker.process.kill()
        try:
            worker.process.wait(5)
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()
        worker.connection.close()

    async def close(self) -> None:
        if self._idle is None:
            return  # never asked: no worker was started
        for _ in range(max(1, self.size)):  # each slot once its query is done
            slot = await self._idle.get()
            await asyncio.to_thread(self._stop, slot, False)
