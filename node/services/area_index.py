"""The CBS municipalities and neighbourhoods, indexed by code, to check the codes places carry."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from node.paths import areas_dir
from node.services.areas import Municipality, Neighbourhood, load_municipalities, load_neighbourhoods


@dataclass(frozen=True)
class AreaIndex:
    municipalities: dict[str, Municipality]
    neighbourhoods: dict[str, Neighbourhood]

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
    folder = folder or areas_dir()
    return AreaIndex(
        municipalities={m.code: m for m in load_municipalities(folder / "municipalities.csv")},
        neighbourhoods={n.code: n for n in load_neighbourhoods(folder / "neighbourhoods.csv")},
    )
