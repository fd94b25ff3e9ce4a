"""`sportnode import`: the real CLI on a real node's SQLite file, with the spreadsheets teams keep."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from node.cli.main import main
from node.config import load_config

HEADER = ("Organisatie;Activiteit;Sport;Locatie;Adres;Postcode;Plaats;Gemeente;Wijk;Lat;Lon;Dagen;Begintijd;"
          "Eindtijd;Datum;Prijs;Doelgroep;Leeftijd van;Contactpersoon;E-mail")
ROWS = [
    "Buurtsportcoach Amersfoort;Walking football;walking-football;Sportpark Zuid;Sportlaan 12;3811 AB;Amersfoort;"
    "Amersfoort;WK030701;52,1486;5,3878;di en do;10.00;11:00;;gratis;senioren;65;Ans de Vries;ans@example.org",
    "Buurtsportcoach Amersfoort;Zitgym;stoelgym;Buurthuis De Kruiden;Kruidenlaan 3;3815 BC;Amersfoort;GM0307;;;;"
    "wo;14:00;15:00;;€ 2,50;senioren, mensen met een beperking;;;",
    "Korfbalvereniging Oranje;Korfbal voor kinderen;korfbal;Sportpark Zuid;Sportlaan 12;3811 AB;Amersfoort;"
    "GM0307;;52.1486;5.3878;;18:30;19:30;12-09-2026;0;kinderen;6;;",
]


def write_csv(folder: Path, rows: list[str], name: str = "aanbod.csv") -> Path:
    path = folder / name
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "node" / "sportnode.toml"
    assert main(["init", "--config", str(path), "--base-url", "http://127.0.0.1:8097", "--name", "Import",
                 "--development"]) == 0
    capsys.readouterr()
    return path


def table(config: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(load_config(config).db_path) as db:
        return db.execute("SELECT id, kind, document, updated, deleted FROM objects ORDER BY id").fetchall()


def live(config: Path, kind: str) -> list[dict[str, Any]]:
    return [json.loads(row[2]) for row in table(config) if row[1] == kind and row[4] is None]


def run_import(config: Path, path: Path, *extra: str) -> int:
    # main() runs its own event loop; the tests are sync so that it may.
    return main(["import", "--config", str(config), *extra, str(path)])


def test_import_creates_everything_from_a_dutch_spreadsheet(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_import(config, write_csv(tmp_path, ROWS)) == 0
    out = capsys.readouterr().out
    assert "3 row(s) imported: created 2 organisation(s), 3 place(s), 3 activity(s)" in out
    assert "row 3: no coordinates: placed at the centre of Amersfoort" in out
    activities = {a["name"]: a for a in live(config, "activity")}
    walking = activities["Walking football"]
    assert walking["sport"].endswith("#walking-football") or walking["sport"].endswith("/walking-football")
    assert walking["eventSchedule"]["byDay"] == ["https://schema.org/Tuesday", "https://schema.org/Thursday"]
    assert (walking["eventSchedule"]["startTime"], walking["eventSchedule"]["endTime"]) == ("10:00", "11:00")
    assert walking["isAccessibleForFree"] is True and walking["ageRange"]["minValue"] == 65
    assert walking["location"]["neighbourhoodCode"] == "WK030701"
    assert walking["contactPoint"]["email"] == "ans@example.org"
    assert activities["Zitgym"]["offers"][0]["price"] == 2.5
    assert len(activities["Zitgym"]["targetGroup"]) == 2
    korfbal = activities["Korfbal voor kinderen"]
    assert korfbal["startTime"] == "2026-09-12T18:30:00+02:00" and korfbal["endTime"] == "2026-09-12T19:30:00+02:00"
    # The same place name and street under another organisation is that organisation's own place.
    assert korfbal["location"]["id"] != walking["location"]["id"]
    assert korfbal["attributedTo"] != walking["attributedTo"]


def test_reimport_updates_and_never_duplicates(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_csv(tmp_path, ROWS)
    assert run_import(config, path) == 0
    before = table(config)
    assert run_import(config, path) == 0
    assert "unchanged 3 place(s), 3 activity(s)" in capsys.readouterr().out
    assert table(config) == before  # not even `updated` moved
    changed = [ROWS[0].replace(";10.00;11:00;", ";10.30;11:30;"), *ROWS[1:]]
    assert run_import(config, write_csv(tmp_path, changed)) == 0
    assert "updated 0 place(s), 1 activity(s)" in capsys.readouterr().out
    assert len(live(config, "activity")) == 3 and len(live(config, "organisation")) == 2
    walking = next(a for a in live(config, "activity") if a["name"] == "Walking football")
    assert walking["eventSchedule"]["startTime"] == "10:30"


def test_json_file_with_the_same_columns(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [{"organisation": "Jeu de boules club De Kaatsbaan", "activity": "Jeu de boules", "sport": "jeu-de-boules",
             "place": "Boulodrome", "street": "Parkweg 1", "postal_code": "3812 AA", "city": "Amersfoort",
             "municipality": "GM0307", "latitude": 52.16, "longitude": 5.39, "days": ["maandag", "vrijdag"],
             "start_time": "13:30", "end_time": "16:00", "price": 1.5, "id": "boules-1"}]
    path = tmp_path / "aanbod.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    assert run_import(config, path) == 0
    assert run_import(config, path) == 0
    [boules] = live(config, "activity")
    assert boules["offers"][0]["price"] == 1.5 and len(boules["eventSchedule"]["byDay"]) == 2


def test_dry_run_checks_but_stores_nothing(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = table(config)
    assert run_import(config, write_csv(tmp_path, ROWS), "--dry-run") == 0
    out = capsys.readouterr().out
    assert "Dry run, nothing was stored" in out and "created 2 organisation(s), 3 place(s), 3 activity(s)" in out
    assert table(config) == before


def test_a_bad_row_is_named_and_nothing_is_stored(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_import(config, write_csv(tmp_path, ROWS[:1])) == 0
    capsys.readouterr()
    before = table(config)
    bad = [
        ROWS[0].replace(";10.00;11:00;", ";10.00;11:00;").replace(";di en do;", ";dinsdag;"),  # fine, changes
        ROWS[1].replace(";stoelgym;", ";quidditch;").replace(";€ 2,50;", ";twee euro;"),
        ROWS[2].replace(";18:30;19:30;", ";19:30;18:30;").replace(";GM0307;", ";Atlantis;"),
    ]
    assert run_import(config, write_csv(tmp_path, bad)) == 1
    out = capsys.readouterr().out
    assert "row 3 / price: 'twee euro' is not a price" in out
    assert "row 4 / municipality: 'Atlantis' is not a municipality" in out
    assert "nothing was stored" in out
    assert table(config) == before
    # Semantic checks of the write API are reported by column too, once the cells parse.
    assert run_import(config, write_csv(tmp_path, [bad[1].replace(";twee euro;", ";2;")])) == 1
    assert "row 2 / sport: unknown sport 'quidditch'" in capsys.readouterr().out
    assert run_import(config, write_csv(tmp_path, [ROWS[2].replace(";18:30;19:30;", ";19:30;18:30;")])) == 1
    assert "row 2 / end_time: is not after startTime" in capsys.readouterr().out
    assert table(config) == before


def test_bad_files_are_clear_cli_errors(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    typo = tmp_path / "typo.csv"
    typo.write_text(HEADER.replace("Sport;", "Sprot;") + "\n" + ROWS[0] + "\n", encoding="utf-8")
    assert run_import(config, typo) == 2
    assert "unknown column(s): 'Sprot'" in capsys.readouterr().err
    latin = tmp_path / "latin.csv"
    latin.write_bytes((HEADER + "\n" + ROWS[1] + "\n").encode("cp1252"))
    assert run_import(config, latin) == 2
    assert "not UTF-8" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text('[{"organisation": ', encoding="utf-8")
    assert run_import(config, broken) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert run_import(config, tmp_path / "missing.csv") == 2
    assert "no file at" in capsys.readouterr().err


def test_duplicate_ids_in_one_file(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    header = HEADER + ";id"
    rows = [ROWS[0] + ";a1", ROWS[1] + ";a1"]
    path = tmp_path / "dup.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    assert run_import(config, path) == 1
    assert "row 3 / id: the same id as row 2" in capsys.readouterr().out



def test_an_organisation_the_checks_refuse_is_an_error_at_its_rows(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A name too long for an organisation (found by tests/test_import_fuzz.py) was an exception that
    stopped the import; it is an error at the organisation column of each row that names it."""
    before = table(config)
    long_name = "Sportvereniging " + "é" * 300
    rows = [ROWS[0].replace("Buurtsportcoach Amersfoort", long_name), ROWS[2]]
    assert run_import(config, write_csv(tmp_path, rows)) == 1
    out = capsys.readouterr().out
    assert "row 2 / organisation:" in out and "is too long" in out
    assert "row 3 /" not in out and "nothing was stored" in out
    assert table(config) == before
