"""Hostile spreadsheets for `sportnode import`: hypothesis fills the cells of well-formed CSV and JSON
files (any text, control characters, other scripts' digits, huge cells, numbers that are not numbers,
impossible dates and times) and the import reads them on a real node with a real SQLite file.

Whatever a cell holds, no exception escapes: every refusal names its row and column ("row 3 / price"),
and a dry run stores nothing. Example counts are bounded so that the file runs in well under half a minute.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_inbox_fuzz import JSON, on_loop

from node.services import import_rows, importing
from node.services.import_rows import COLUMNS, ImportFileError
from node.services.node import Node

ORGANISATION = "Buurtsportcoach Amersfoort"
VALID = {
    "organisation": ORGANISATION, "activity": "Walking football", "description": "Rustig aan.\nMet koffie.",
    "sport": "walking-football", "place": "Sportpark Zuid", "street": "Sportlaan 12", "postal_code": "3811 AB",
    "city": "Amersfoort", "municipality": "Amersfoort", "neighbourhood": "WK030701", "latitude": "52,1486",
    "longitude": "5,3878", "days": "di en do", "start_time": "10.00", "end_time": "11:00", "price": "€ 2,50",
    "target_groups": "senioren", "age_min": "65", "age_max": "", "accessibility": "", "contact_name": "Ans",
    "contact_email": "ans@example.org", "contact_phone": "", "website": "", "valid_from": "", "valid_through": "",
    "date": "", "id": "",
}
HEADERS = list(VALID)
PATH = re.compile(r"^row (\d+) / (\w+)$")

TRICKY = st.sampled_from([
    "", " ", "nan", "NaN", "inf", "-inf", "1e309", "-0", "0x1A", "١٢", "١٢:٣٠", "12:٣٠", "²", "24:00", "23:60",
    "7.5", "-1", "99999999999999999999999", "2026-02-30", "30-02-2026", "0-0-0", "99999-01-01", "31/12/9999",
    "€", "€ -1", ",-", "gratis", "di en en do", "en", ",,,", ";", "\x00", "\ufeff", "\u2028", "a\nb", "\r",
    "<script>alert(1)</script>", "javascript:alert(1)", "WK", "BU", "WK9999", "BU0307XXXX", "GM0000", "GM0307",
    "ma, di, wo, do, vr, za, zo", "https://", "mailto:", "@", "x" * 5000,
])
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
CELL = TRICKY | TEXT | st.integers(100, 20_000).map(lambda n: "é" * n)
FUZZ = settings(deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@st.composite
def sheets(draw: st.DrawFn) -> list[dict[str, str]]:
    """One to three rows: each a valid row with some of its cells made hostile."""
    rows = []
    for _ in range(draw(st.integers(1, 3))):
        changed = draw(st.dictionaries(st.sampled_from(HEADERS), CELL, max_size=6))
        rows.append({**VALID, **changed})
    return rows


def write_csv(path: Path, rows: list[dict[str, str]], delimiter: str) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, delimiter=delimiter)
        writer.writerow(HEADERS)
        writer.writerows([[row[h] for h in HEADERS] for row in rows])
    return path


def assert_named(errors: list[Any], numbers: set[int]) -> None:
    """Every problem names one of the file's rows and a column of the spreadsheet."""
    for error in errors:
        match = PATH.match(error.path)
        assert match, error.path
        assert int(match[1]) in numbers, (error.path, numbers)
        assert match[2] in COLUMNS or match[2] == "row", error.path
        assert isinstance(error.message, str) and error.message.strip(), error


@pytest.fixture
async def imported(node: Node, tmp_path: Path) -> Node:
    """A node that holds the organisation the rows name, so that a dry run need not make its keys."""
    report = await importing.import_file(node, write_csv(tmp_path / "first.csv", [VALID], ";"))
    assert report.ok, report.summary()
    return node


async def objects(node: Node) -> list[Any]:
    async with node.db.read() as db, db.execute("SELECT id, document, deleted FROM objects ORDER BY id") as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


def test_a_cell_can_hold_a_line_break() -> None:
    """Spreadsheets write a cell with a line break quoted, over two lines: one row, not two broken ones."""
    text = io.StringIO()
    csv.writer(text, delimiter=";").writerows([HEADERS, [VALID[h] for h in HEADERS]])
    [row] = import_rows._csv_rows(text.getvalue())
    assert row.number == 2 and row.cells["description"] == "Rustig aan.\nMet koffie."


async def test_any_cells_are_read_or_refused_by_row_and_column(node: Node, tmp_path: Path) -> None:
    """The parser alone (no database): many examples."""
    files = iter(range(10**9))

    @settings(FUZZ, max_examples=300)
    @given(rows=sheets(), delimiter=st.sampled_from([";", ","]))
    def fuzz(rows: list[dict[str, str]], delimiter: str) -> None:
        path = write_csv(tmp_path / f"sheet{next(files)}.csv", rows, delimiter)
        try:
            source = import_rows.read_rows(path)
        except ImportFileError as error:
            raise AssertionError(f"a well-formed file was refused as a whole: {error}") from None
        assert [r.number for r in source] == list(range(2, len(rows) + 2))
        parsed, errors = import_rows.parse_rows(source, node.areas)
        assert_named(errors, {r.number for r in source})
        refused = {int(PATH.match(e.path)[1]) for e in errors}  # type: ignore[index]
        assert {p.number for p in parsed} == {r.number for r in source} - refused

    await asyncio.to_thread(fuzz)


async def test_a_dry_run_of_any_cells_reports_by_row_and_column_and_stores_nothing(
    imported: Node, tmp_path: Path
) -> None:
    """The whole import, through the write API's checks, on a real node."""
    node, run = imported, on_loop(asyncio.get_running_loop())
    before = await objects(node)
    files = iter(range(10**9))

    def check(path: Path, numbers: set[int]) -> None:
        report = run(importing.import_file(node, path, dry_run=True))
        assert_named(report.errors, numbers)
        assert report.rows == len(numbers)
        assert run(objects(node)) == before, "a dry run stored something"

    @settings(FUZZ, max_examples=60)
    @given(rows=sheets())
    # Found by this test: float() takes these, and the document they made could not be stored (a crash).
    @example(rows=[{**VALID, "price": "nan"}])
    @example(rows=[{**VALID, "latitude": "NaN", "longitude": "nan"}])
    @example(rows=[{**VALID, "age_min": "9" * 5000, "age_max": "9" * 400}])
    def csv_sheets(rows: list[dict[str, str]]) -> None:
        check(write_csv(tmp_path / f"sheet{next(files)}.csv", rows, ";"), set(range(2, len(rows) + 2)))

    @settings(FUZZ, max_examples=40)
    @given(rows=st.lists(st.dictionaries(st.sampled_from(HEADERS), JSON | CELL, max_size=6), min_size=1, max_size=3))
    def json_sheets(rows: list[dict[str, Any]]) -> None:
        path = tmp_path / f"sheet{next(files)}.json"
        path.write_text(json.dumps([{**VALID, **row} for row in rows]), encoding="utf-8")
        check(path, set(range(1, len(rows) + 1)))

    fuzzers: list[Callable[[], None]] = [csv_sheets, json_sheets]
    for fuzz in fuzzers:
        await asyncio.to_thread(fuzz)
