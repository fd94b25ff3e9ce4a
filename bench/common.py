"""Shared pieces of the benchmark scenarios: machine facts, process memory, child processes, clocks."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import socket
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var"
PYTHON = sys.executable


def machine() -> dict[str, Any]:
    """What the figures were measured on, from /proc and platform."""
    facts: dict[str, Any] = {"python": platform.python_version(), "kernel": platform.release(),
                             "system": platform.system(), "cpus": os.cpu_count()}
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
        facts["cpu"] = models[0] if models else platform.processor()
        meminfo = Path("/proc/meminfo").read_text()
        total = next(line for line in meminfo.splitlines() if line.startswith("MemTotal"))
        facts["memory_gb"] = round(int(total.split()[1]) / 1024 / 1024, 1)
        facts["load_average_at_start"] = Path("/proc/loadavg").read_text().split()[:3]
    except (OSError, StopIteration):
        pass
    facts["affinity"] = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return facts


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (VmRSS), in MB."""
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmRSS"))
    return int(line.split()[1]) / 1024


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid or os.getpid()}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port




def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


class Child:
    """A child Python process speaking JSON lines: commands on stdin, answers and events on stdout."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name
        self._next = 0
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self.events: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, name: str, module: str, *args: str, env: Mapping[str, str] | None = None) -> Child:
        process = await asyncio.create_subprocess_exec(
            PYTHON, "-m", module, *args, cwd=ROOT, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            env={**os.environ, **(env or {})}, limit=256 * 1024 * 1024,
        )
        return cls(process, name)

    @property
    def pid(self) -> int:
        return self.process.pid

    async def _read(self) -> None:
        assert self.process.stdout is not None
        while True:
            line = await self.process.stdout.readline()
            if not line:
                break
            try:
                message = json.loads(line)
            except ValueError:
                sys.stderr.write(f"[{self.name}] {line.decode(errors='replace')}")
                continue
            if "reply" in message and message["reply"] in self._waiting:
                future = self._waiting.pop(message["reply"])
                if "error" in message:
                    future.set_exception(RuntimeError(f"{self.name}: {message['error']}"))
                else:
                    future.set_result(message.get("result"))
            else:
                await self.events.put(message)
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(RuntimeError(f"{self.name} exited ({self.process.returncode})"))
        self._waiting.clear()

    async def call(self, command: str, timeout: float = 1800.0, **args: Any) -> Any:
        assert self.process.stdin is not None
        self._next += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[self._next] = future
        self.process.stdin.write(json.dumps({"id": self._next, "cmd": command, **args}).encode() + b"\n")
        await self.process.stdin.drain()
        return await asyncio.wait_for(future, timeout)

    async def stop(self) -> None:
        if self.process.returncode is None:
            if self.process.stdin is not None:
                self.process.stdin.close()
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self._reader.cancel()

    def kill(self) -> None:
        if self.process.returncode is None:
            self.process.kill()


async def serve_commands(handlers: Mapping[str, Any]) -> None:
    """The child side of `Child`: read JSON-line commands from stdin, run them, answer on stdout.
    Commands run concurrently; the loop ends when stdin closes."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=256 * 1024 * 1024)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    running: set[asyncio.Task[None]] = set()

    async def run(message: dict[str, Any]) -> None:
        try:
            result = await handlers[message["cmd"]](**{k: v for k, v in message.items() if k not in ("id", "cmd")})
            emit({"reply": message["id"], "result": result})
        except Exception as error:  # reported to the parent, which fails the scenario
            emit({"reply": message["id"], "error": f"{type(error).__name__}: {error}"})

    while True:
        line = await reader.readline()
        if not line:
            break
        task = asyncio.create_task(run(json.loads(line)))
        running.add(task)
        task.add_done_callback(running.discard)
    await asyncio.gather(*running, return_exceptions=True)


def emit(message: Mapping[str, Any]) -> None:
    sys.stdout.write(json.dumps(message, separators=(",", ":")) + "\n")
    sys.stdout.flush()


def now() -> float:
    return time.time()
