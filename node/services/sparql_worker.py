"""The SPARQL worker: a process of its own that holds the graph, keeps it in step, and runs queries.

Why a process: Oxigraph cannot cancel a query, and a query runs inside Rust where no Python timeout can
reach it. So the worker never runs a query itself: it forks a child for each one. The child sees the
graph as it was at the fork (copy-on-write, no copying of the store), parses, checks and runs the query
with a memory cap, and writes its answer to a pipe; the worker reads it until the deadline and then
kills the child. A runaway query costs its child, never the graph, and the worker goes on at once.

Keeping in step: before each query, and whenever it is idle, the worker applies the change log
(`sparql_changes`, kept by triggers) in seq order, so the answer reflects every committed write.
The worker is single-threaded (forking a process with other threads is not safe) and is started with
the `spawn` method, so it inherits none of the node's event loop, threads or connections.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import resource
import select
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from node.store.sparql import changes_after, connect_readonly, latest_seq, pending

if TYPE_CHECKING:
    from node.store.graph import GraphStore

# Oxigraph, the graph store and the SPARQL parser (rdflib's, with pyparsing) are imported inside the
# functions that only the worker process runs: the node imports this module for Request, Answer and
# Limits, and must not carry ~16 MB and ~0.2 s of imports for an endpoint that may never be asked.

log = logging.getLogger(__name__)

BATCH = 1000
IDLE_POLL_S = 0.5


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 5.0  # per query, parse to last byte
    max_rows: int = 10_000  # solutions of a SELECT, triples of a CONSTRUCT or DESCRIBE
    max_result_bytes: int = 64 * 2**20
    query_memory_mib: int = 1024  # what one query may allocate beyond the graph
    sync_budget_s: float = 2.0  # catching up before a query; past it the client is told to retry


@dataclass(frozen=True)
class Request:
    text: str
    result_media: str | None  # the client's choice for SELECT/ASK (None: it accepts none of ours)
    graph_media: str | None  # ... for CONSTRUCT/DESCRIBE


@dataclass(frozen=True)
class Answer:
    status: int
    media: str = ""
    body: bytes = b""
    truncated: bool = False
    code: str = ""  # for errors: the problem code and detail
    detail: str = ""
    retry_after: int | None = None


def error(status: int, code: str, detail: str, retry_after: int | None = None) -> Answer:
    return Answer(status, code=code, detail=detail, retry_after=retry_after)


# --- keeping in step -----------------------------------------------------------------------------------


def sync(graph: GraphStore, db: sqlite3.Connection, budget_s: float) -> bool:
    """Apply the change log until caught up (True) or `budget_s` is spent (False)."""
    from node.protocol.sparql import is_public, jsonld_batches

    deadline = time.monotonic() + budget_s
    while True:
        changes = changes_after(db, graph.seq, BATCH)
        if not changes:
            return True
        live = [c.document for c in changes if c.document is not None and is_public(c.document)]
        graph.replace([c.object_id for c in changes], jsonld_batches(live))
        graph.seq = changes[-1].seq
        if time.monotonic() > deadline:
            return latest_seq(db) <= graph.seq


# --- one query, in a child -----------------------------------------------------------------------------


def evaluate(graph: GraphStore, request: Request, limits: Limits) -> Answer:
    """Parse, check and run one query: runs in the forked child."""
    import pyoxigraph as ox

    from node.protocol.sparql import Refused, boolean_body, graph_body, query_form, solutions_body

    try:
        form = query_form(request.text)
    except Refused as refused:
        return error(refused.status, refused.code, refused.detail)
    media = request.result_media if form in ("SELECT", "ASK") else request.graph_media
    if media is None:
        return error(406, "not-acceptable", f"No acceptable format for the results of a {form} query.")
    try:
        results = graph.query(request.text)
        if isinstance(results, ox.QueryBoolean):
            return Answer(200, media, boolean_body(bool(results), media))
        rows: list[Any] = []
        for row in results:
            if len(rows) == limits.max_rows:
                break
            rows.append(row)
        truncated = len(rows) == limits.max_rows and next(iter(results), None) is not None
        if isinstance(results, ox.QuerySolutions):
            body = solutions_body([v.value for v in results.variables], rows, media)
        else:
            body = graph_body(rows, media)
    except SyntaxError as bad:
        return error(400, "bad-query", f"The query does not parse: {bad}")
    except (OSError, ValueError, TypeError) as failed:
        return error(400, "query-failed", f"The query failed: {failed}")
    return Answer(200, media, body, truncated)


def _confine(extra_mib: int) -> None:
    """Caps for the query's child: memory, and no new file descriptors at all.

    Memory: at most `extra_mib` beyond what it shares with the worker; past that an allocation fails
    and the child dies. Descriptors: the limit is set to the lowest free number, and the kernel always
    hands out the lowest, so no socket or file can be opened. The parser refuses SERVICE already; this
    makes sure no query reaches the network even if a parser ever let one through.
    """
    with open("/proc/self/statm") as statm:
        size = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    limit = size + extra_mib * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    lowest_free = os.dup(0)
    os.close(lowest_free)
    resource.setrlimit(resource.RLIMIT_NOFILE, (lowest_free, lowest_free))


def in_child(run: Callable[[], Answer], limits: Limits) -> Answer:
    """`run()` in a forked child, stopped at the deadline; its answer, or an error saying why not."""
    started = time.monotonic()
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: answer, and leave without running any of the worker's cleanup
        os.close(reader)
        status = 0
        try:
            _confine(limits.query_memory_mib)
            payload = pickle.dumps(run())
        except MemoryError:
            payload, status = pickle.dumps(error(503, "query-too-large", "The query needed too much memory.")), 1
        except BaseException as failed:
            payload, status = pickle.dumps(error(500, "internal-error", f"The query crashed: {failed!r}")), 1
        with os.fdopen(writer, "wb") as out:
            out.write(payload)
        os._exit(status)
    os.close(writer)
    chunks: list[bytes] = []
    size = 0
    answer: Answer | None = None
    try:
        while True:
            left = limits.timeout_s - (time.monotonic() - started)
            if left <= 0:
                answer = error(
                    503, "query-timeout", f"The query ran longer than {limits.timeout_s:g} s and was stopped.", 5
                )
                break
            ready, _, _ = select.select([reader], [], [], left)
            if not ready:
                continue
            chunk = os.read(reader, 1 << 20)
            if not chunk:
                break
            size += len(chunk)
            chunks.append(chunk)
            if size > limits.max_result_bytes:
                answer = error(503, "result-too-large", f"The result passed {limits.max_result_bytes} bytes.")
                break
    finally:
        os.close(reader)
        if answer is not None:
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    if answer is not None:
        return answer
    if not chunks:  # killed from outside, or by the memory cap inside Rust (an allocation failure aborts)
        return error(503, "query-failed", "The query stopped without an answer (most likely out of memory).")
    found: Answer = pickle.loads(b"".join(chunks))
    return found


# --- the worker's loop ---------------------------------------------------------------------------------


def answer(graph: GraphStore, db: sqlite3.Connection, request: Request, limits: Limits) -> Answer:
    if not sync(graph, db, limits.sync_budget_s):
        left = pending(db, graph.seq)
        return error(
            503, "graph-catching-up", f"The SPARQL graph is being brought up to date ({left} objects to go).", 10
        )
    return in_child(lambda: evaluate(graph, request, limits), limits)


def main(connection: Connection, db_path: str, vocab_dir: str, limits: Limits) -> None:
    """The worker process: build, say "ready", then answer requests until told to stop (None) or EOF."""
    # The node stops its worker itself; a Ctrl-C in the terminal must not kill it half way.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Imported here, before the first fork (sync() brings node.protocol.sparql), so that no query's
    # child spends its time limit importing.
    from node.store.graph import GraphStore

    graph = GraphStore()
    graph.load_vocabulary(Path(vocab_dir))
    db = connect_readonly(Path(db_path))
    connection.send("ready")
    caught_up = False
    while True:
        try:
            if connection.poll(0 if not caught_up else IDLE_POLL_S):
                request = connection.recv()
                if request is None:
                    break
                connection.send(answer(graph, db, request, limits))
            caught_up = sync(graph, db, 0.5)
        except (EOFError, BrokenPipeError, ConnectionResetError):
            break  # the node is gone
        except sqlite3.Error as failed:
            log.warning("SPARQL worker cannot read the database: %s", failed)
            time.sleep(IDLE_POLL_S)
    db.close()


def run_from_argv() -> None:
    """Entry of the worker process: FD DB_PATH VOCAB_DIR LIMITS_JSON (started by services/sparql.py).

    Started with `python -c` and this import rather than `-m`, so that what it pickles names this
    module, not `__main__`.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s sparql-worker %(levelname)s %(message)s")
    fd, db_file, vocab, limits_json = sys.argv[1:5]
    main(Connection(int(fd)), db_file, vocab, Limits(**json.loads(limits_json)))
