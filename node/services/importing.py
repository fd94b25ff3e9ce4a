"""`sportnode import`: a whole spreadsheet in one transaction, through the same checks as the write API.

All rows or none: every row is checked inside one write transaction, and the transaction is rolled back
when any row fails (or on a dry run), so a bad file changes nothing. Re-importing the same file finds
what the earlier import made by its source keys and updates it instead of adding duplicates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiosqlite

from node.errors import FieldError, SportnodeError
from node.services import import_rows
from node.services.import_rows import ImportFileError, ParsedRow, row_error
from node.services.keys import new_key_pairs
from node.services.node import Node
from node.services.organisations import create_organisation_in, slugify
from node.services.publishing import upsert_in
from node.store.access import KeyPair
from node.store.objects import find_live_by_name, get_object

Progress = Callable[[int], None]


@dataclass
class ImportReport:
    rows: int = 0
    dry_run: bool = False
    errors: list[FieldError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=lambda: {"organisation": 0, "place": 0, "activity": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"place": 0, "activity": 0})
    unchanged: dict[str, int] = field(default_factory=lambda: {"place": 0, "activity": 0})

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        lines = [*(f"warning: {w}" for w in self.warnings)]
        lines += [f"{e.path}: {e.message}" for e in self.errors]
        if self.errors:
            lines.append(f"{len(self.errors)} problem(s) in {self.rows} row(s); nothing was stored.")
            return "\n".join(lines)
        def listed(counts: dict[str, int]) -> str:
            return ", ".join(f"{n} {kind}(s)" for kind, n in counts.items())

        outcome = (f"created {listed(self.created)}; updated {listed(self.updated)}; "
                   f"unchanged {listed(self.unchanged)}")
        if self.dry_run:
            lines.append(f"{self.rows} row(s) are valid. Dry run, nothing was stored; an import would have "
                         f"{outcome}.")
        else:
            lines.append(f"{self.rows} row(s) imported: {outcome}.")
        return "\n".join(lines)


class _RollBack(Exception):
    """Raised inside the write transaction to undo it (a dry run, or a file with problems)."""


async def _new_organisation_keys(node: Node, names: list[str]) -> dict[str, KeyPair]:
    """Key pairs for the organisations the file names that the node does not have yet (slow: ~70 ms each)."""
    missing: list[str] = []
    async with node.db.read() as db:
        for name in names:
            if await find_live_by_name(db, "organisation", name) is None:
                missing.append(name)
        slugs: dict[str, str] = {}
        for name in missing:
            slug, n = slugify(name), 1
            while slug in slugs.values() or await get_object(db, node.object_url("organisation", slug)):
                n += 1
                slug = f"{slugify(name)}-{n}"
            slugs[name] = slug
    pairs = await new_key_pairs([node.object_url("organisation", slugs[name]) for name in missing])
    return dict(zip(missing, pairs, strict=True))


async def _organisation(
    db: aiosqlite.Connection, node: Node, name: str, keys: dict[str, KeyPair], report: ImportReport
) -> str:
    found = await find_live_by_name(db, "organisation", name)
    if found:
        return found.id
    pair = keys[name]
    data = {"name": name, "slug": pair.actor_id.rsplit("/", 1)[1]}
    created = await create_organisation_in(db, node, data, pair)
    report.created["organisation"] += 1
    report.warnings.append(f"new organisation {name!r}: give it a token with `sportnode org invite "
                           f"{data['slug']}`")
    return created.object.id


async def _organisations(
    db: aiosqlite.Connection, node: Node, rows: list[ParsedRow], keys: dict[str, KeyPair], report: ImportReport
) -> dict[str, str]:
    """Each organisation the rows name, found or made; one that cannot be made (a name the organisation
    checks refuse) is an error at the organisation column of every row that names it."""
    owners: dict[str, str] = {}
    for name in dict.fromkeys(row.organisation for row in rows):
        try:
            owners[name] = await _organisation(db, node, name, keys, report)
        except SportnodeError as error:
            messages = [problem.message for problem in error.fields] or [error.detail]
            for row in rows:
                if row.organisation == name:
                    report.errors += [row_error(row.number, "organisation", message) for message in messages]
    return owners


def _count(report: ImportReport, kind: str, outcome: str) -> None:
    counts = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
    counts[outcome][kind] += 1


async def _apply_row(
    db: aiosqlite.Connection,
    node: Node,
    row: ParsedRow,
    owner: str,
    places: dict[str, str],
    report: ImportReport,
) -> None:
    """Store one row's place (once per file) and activity; problems go into the report by column."""
    try:
        if row.place_key not in places:
            place, outcome = await upsert_in(db, node, owner, "place", row.place, row.place_key)
            places[row.place_key] = place.id
            _count(report, "place", outcome)
        data = {**row.activity, "place": places[row.place_key]}
        _, outcome = await upsert_in(db, node, owner, "activity", data, row.activity_key)
        _count(report, "activity", outcome)
    except SportnodeError as error:
        if not error.fields:
            report.errors.append(row_error(row.number, "row", error.detail))
        for problem in error.fields:
            report.errors.append(row_error(row.number, import_rows.column_of(problem.path), problem.message))


async def import_file(
    node: Node, path: Path, *, dry_run: bool = False, progress: Progress | None = None
) -> ImportReport:
    """Check every row and, unless `dry_run` or a row fails, store them all in one transaction."""
    report = ImportReport(dry_run=dry_run)
    try:
        source = import_rows.read_rows(path)
    except ImportFileError as error:
        raise SportnodeError(2, "bad-import-file", f"{path}: {error}") from None
    report.rows = len(source)
    rows, report.errors = import_rows.parse_rows(source, node.areas)
    report.errors += import_rows.duplicate_ids(rows)
    for row in rows:
        report.warnings += [f"row {row.number}: {w}" for w in row.warnings]
    if report.errors:
        return report
    names = list(dict.fromkeys(row.organisation for row in rows))
    keys = await _new_organisation_keys(node, names)
    try:
        async with node.db.write() as db:
            owners = await _organisations(db, node, rows, keys, report)
            places: dict[str, str] = {}
            for row in rows:
                if row.organisation not in owners:
                    continue  # its organisation could not be made: reported at each of its rows
                await _apply_row(db, node, row, owners[row.organisation], places, report)
                if progress:
                    progress(1)
            if report.errors or dry_run:
                raise _RollBack
    except _RollBack:
        pass
    return report
