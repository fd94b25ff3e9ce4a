"""The CBS municipalities and neighbourhoods, indexed by code, to check the codes places carry."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from node.paths import areas_dir
from node.services.areas import Municipality, Neighbourhood, load_municipalities, load_neighbourhoods


class AreaIndex:
    """The two tables of a folder like vocab/areas, each read on first use: searching asks for the
    municipalities (17 kB) on every query, the wijken (167 kB, ~3,300 rows, most of the ~0.1 s and
    ~1 MB) only a place, a wijk filter or coverage needs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @cached_property
    def municipalities(self) -> dict[str, Municipality]:
        return {m.code: m for m in load_municipalities(self.folder / "municipalities.csv")}

    @cached_property
    def neighbourhoods(self) -> dict[str, Neighbourhood]:
        return {n.code: n for n in load_neighbourhoods(self.folder / "neighbourhoods.csv")}

    def neighbourhood_error(self, municipality_code: str, code: str) -> str | None:
        """Why `code` is not a neighbourhood of the municipality, or None when it is."""
        if code.startswith("BU"):
            # Buurt codes are not in the shipped list; their first six digits name the municipality and wijk.
            if f"WK{code[2:8]}" not in self.neighbourhoods:
                return f"{code} lies in no known wijk"
            code = f"WK{code[2:8]}"
        wijk = self.neighbourhoods.get(code)
        if wijk is None:
            return f"{code} is not a known CBS wijk code"
        if wijk.municipality_code != municipality_code:
            return f"{code} lies in {wijk.municipality_code}, not in {municipality_code}"
        return None


def load_area_index(folder: Path | None = None) -> AreaIndex:
    """The index of `folder` (default: vocab/areas); each table is read when first asked for."""
    return AreaIndex(folder or areas_dir())
