"""The national simulation's nodes and their offering: who is where, and the cached SQLite files.

Each municipal node gets its own loopback address (127.1.x.y), so its object ids are stable between
runs and its data can be generated once: loaded through the same services an organisation uses
(demo_loader.load_demo: schema and semantic checks, keys, outbox), then cached under
var/bench-cache/<fingerprint>/ and copied for each run. The fingerprint covers the code that shapes the
stored rows, so a change to it regenerates the cache.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.common import ROOT, VAR
from node.services.areas import Municipality

PORT = int(os.environ.get("BENCH_PORT", "47100"))
WIJK = re.compile(r"^WK[0-9]{6}$")


@dataclass(frozen=True)
class Spec:
    """How big: which municipalities (every `stride`-th), and the offering of each."""

    municipalities: int  # 0: all 342
    organisations: int
    activities: int
    courses: int


SCALES = {
    "full": Spec(municipalities=0, organisations=10, activities=570, courses=6),
    "small": Spec(municipalities=24, organisations=4, activities=140, courses=2),
}


@dataclass(frozen=True)
class Municipal:
    index: int
    code: str
    name: str
    province: str

    @property
    def base_url(self) -> str:
        return f"http://127.1.{self.index // 250}.{self.index % 250 + 1}:{PORT}"


def municipalities(spec: Spec) -> list[Municipal]:
    from node.services.area_index import load_area_index

    areas = load_area_index()
    every = sorted(areas.municipalities.values(), key=lambda m: m.code)
    if spec.municipalities:
        # An even spread over the provinces.
        by_province: dict[str, list[Municipality]] = {}
        for m in every:
            by_province.setdefault(m.province_code, []).append(m)
        per = max(1, spec.municipalities // len(by_province))
        every = sorted([m for ms in by_province.values() for m in ms[:per]], key=lambda m: m.code)
    return [Municipal(i, m.code, m.name, m.province_code) for i, m in enumerate(every)]


def province_url(index: int) -> str:
    return f"http://127.2.0.{index + 1}:{PORT}"


NATIONAL_URL = f"http://127.3.0.1:{PORT}"
BACKFILL_URL = f"http://127.4.0.1:{PORT}"


# The code that decides what a loaded node's database holds (besides node/store and its migrations).
SHAPING = ("node/services/demo_data.py", "node/services/demo_loader.py", "node/services/publishing.py",
           "node/services/organisations.py", "node/services/keys.py", "node/services/areas.py",
           "node/protocol/objects.py", "node/protocol/activities.py", "node/protocol/validation.py",
           "node/services/outbox.py", "bench/sim_data.py")


def fingerprint(spec: Spec) -> str:
    digest = hashlib.sha256(json.dumps(asdict(spec)).encode() + str(PORT).encode())
    for path in sorted((ROOT / "node/store").glob("*.py")) + sorted((ROOT / "node/store/migrations").glob("*.sql")):
        digest.update(path.name.encode() + path.read_bytes())
    for name in SHAPING:
        digest.update(name.encode() + (ROOT / name).read_bytes())
    for path in sorted((ROOT / "schemas").rglob("*.json")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_dir(spec: Spec) -> Path:
    return VAR / "bench-cache" / fingerprint(spec)


async def _load_one(m: Municipal, spec: Spec, folder: Path) -> dict[str, float]:
    from datetime import date

    from node.config import Config
    from node.services.area_index import load_area_index
    from node.services.demo_data import generate_offering
    from node.services.demo_loader import load_demo
    from node.services.node import open_node
    from node.services.reading import counts, ensure_node_key

    started = time.perf_counter()
    shutil.rmtree(folder, ignore_errors=True)
    config = Config(name=f"Sportnode {m.name}", base_url=m.base_url, data_dir=folder, development=True, port=PORT)
    node = await open_node(config)
    try:
        await ensure_node_key(node)
        areas = load_area_index()
        vocabulary = node.vocabulary
        # Amsterdam's wijk codes carry letters (WK0363AF), which the place schema's pattern refuses:
        # those places go without a wijk code (see docs/benchmarks.md).
        wijken = [n for n in areas.neighbourhoods.values() if WIJK.match(n.code)]
        offering = generate_offering(
            areas.municipalities[m.code], wijken,
            [c.key for c in vocabulary.sports], [c.key for c in vocabulary.target_groups],
            [c.key for c in vocabulary.accessibility], organisations=spec.organisations,
            activities=spec.activities, courses=spec.courses, seed=m.index, today=date(2026, 1, 5),
        )
        await load_demo(node, offering)
        found = await counts(node)
    finally:
        await node.close()
    return {"seconds": time.perf_counter() - started, "objects": float(sum(found.values()))}


def _load_in_worker(m: Municipal, spec: Spec, folder: str) -> dict[str, float]:
    return asyncio.run(_load_one(m, spec, Path(folder)))


def ensure_cache(spec: Spec, nodes: list[Municipal], folder: Path, workers: int = 2) -> dict[str, float]:
    """Generate what is missing in `folder` (`cache_dir(spec)`, taken once by the caller: the code may
    change while a run generates), in `workers` processes; the time it took and the objects per node."""
    missing = [m for m in nodes if not (folder / m.code / "done").exists()]
    started = time.perf_counter()
    times: list[float] = []
    if missing:
        with ProcessPoolExecutor(workers) as pool:
            futures = [(m, pool.submit(_load_in_worker, m, spec, str(folder / m.code))) for m in missing]
            for m, future in futures:
                result = future.result()
                times.append(result["seconds"])
                (folder / m.code / "done").write_text(json.dumps(result))
    objects = [json.loads((folder / m.code / "done").read_text())["objects"] for m in nodes]
    return {"generated": len(missing), "seconds": time.perf_counter() - started,
            "seconds_per_node": sum(times) / len(times) if times else 0.0,
            "objects": sum(objects), "objects_per_node": sum(objects) / len(objects)}


def copy_to(source: Path, nodes: list[Municipal], run: Path) -> None:
    for m in nodes:
        target = run / m.code
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source / m.code / "sportnode.sqlite3", target / "sportnode.sqlite3")
