"""The node's side of the SPARQL endpoint: one worker process, started on first use, asked one query at
a time, with a deadline on every answer.

The worker (sparql_worker.py) stops a runaway query itself. This side guards against the worker: if it
does not answer within the query's time limit plus what catching up may take, it is killed and the next
query starts a new one (which rebuilds the graph from `objects`). Queries wait for each other at most
`queue_s`; past that the client gets 503 and may retry.
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
class SparqlService:
    db_path: Path
    limits: Limits = field(default_factory=Limits)
    queue_s: float = 10.0
    _worker: Worker | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def query(self, request: Request) -> Answer:
        try:
            async with asyncio.timeout(self.queue_s):
                await self._lock.acquire()
        except TimeoutError:
            return error(503, "sparql-busy", "The SPARQL endpoint is busy with other queries; try again.", 2)
        try:
            return await asyncio.to_thread(self._ask, request)
        finally:
            self._lock.release()

    def _ask(self, request: Request) -> Answer:
        """Send one request and wait for its answer (in a thread: it blocks)."""
        try:
            worker = self._worker or self._start()
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
        self._stop(kill=True)
        return error(503, "sparql-unavailable", "The SPARQL worker stopped; the next query starts a new one.", 5)

    def _start(self) -> Worker:
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
        self._worker = Worker(process, connection)
        return self._worker

    def _stop(self, kill: bool) -> None:
        worker, self._worker = self._worker, None
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
        async with self._lock:
            await asyncio.to_thread(self._stop, False)
