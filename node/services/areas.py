"""The CBS municipalities and neighbourhoods (wijken) of 2025 that ship in vocab/areas/."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from node.paths import areas_dir


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    province_code: str
    province_name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class Neighbourhood:
    code: str
    name: str
    municipality_code: str
    lat: float
    lon: float


def default_areas_dir() -> Path:
    return areas_dir()


def load_municipalities(path: Path) -> list[Municipality]:
    with path.open(encoding="utf-8", newline="") as file:
        return [
            Municipality(r["code"], r["name"], r["province_code"], r["province_name"], float(r["lat"]), float(r["lon"]))
            for r in csv.DictReader(file)
        ]


def load_neighbourhoods(path: Path) -> list[Neighbourhood]:
    with path.open(encoding="utf-8", newline="") as file:
        return [
            Neighbourhood(r["code"], r["name"], r["gemeente_code"], float(r["lat"]), float(r["lon"]))
            for r in csv.DictReader(file)
        ]
