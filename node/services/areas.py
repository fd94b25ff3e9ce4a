"""The CBS municipalities and neighbourhoods (wijken) of 2025 that ship in vocab/areas/.

Plain data only: nothing is read at import; callers load the CSV files when they need them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from node.paths import areas_dir


@dataclass(frozen=True)
class Municipality:
    code: str  # GMxxxx
    name: str
    province_code: str  # PVxx
    province_name: str
    lat: float  # centroid, WGS 84
    lon: float


@dataclass(frozen=True)
class Neighbourhood:
    code: str  # WKxxxxxx (a CBS wijk)
    name: str
    municipality_code: str  # GMxxxx
    lat: float  # centroid, WGS 84
    lon: float


def default_areas_dir() -> Path:
    """The checkout's vocab/areas (`node.paths.areas_dir`, which honours SPORTNODE_HOME)."""
    return areas_dir()


def load_municipalities(path: Path) -> list[Municipality]:
    """The rows of a municipalities.csv (code,name,province_code,province_name,lat,lon), in file order."""
    with path.open(encoding="utf-8", newline="") as file:
        return [
            Municipality(r["code"], r["name"], r["province_code"], r["province_name"], float(r["lat"]), float(r["lon"]))
            for r in csv.DictReader(file)
        ]


def load_neighbourhoods(path: Path) -> list[Neighbourhood]:
    """The rows of a neighbourhoods.csv (code,name,gemeente_code,lat,lon), in file order."""
    with path.open(encoding="utf-8", newline="") as file:
        return [
            Neighbourhood(r["code"], r["name"], r["gemeente_code"], float(r["lat"]), float(r["lon"]))
            for r in csv.DictReader(file)
        ]
