"""What each `sportnode` subcommand does.

Each command imports what only it needs inside its handler: `sportnode serve` is the one whose start
time and memory count (docs/benchmarks.md), and it should not pay for the demo generator, the importer,
the harvester or tqdm.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from node.config import Config, check_base_url, load_config, render_config
from node.errors import SportnodeError

if TYPE_CHECKING:
    from node.services.node import Node

ConfigOption = Callable[[argparse.ArgumentParser], None]


def say(text: str) -> None:
    print(text, flush=True)


async def _with_node(config: Config) -> Node:
    from node.services.node import open_node
    from node.services.reading import ensure_node_key

    node = await open_node(config)
    await ensure_node_key(node)
    return node


async def init(args: argparse.Namespace) -> int:
    from node.services import organisations

    path: Path = args.config
    if path.exists():
        raise SportnodeError(1, "exists", f"{path} already exists; remove it first to start over")
    base_url = check_base_url(args.base_url, args.development)
    config = Config(
        name=args.name,
        base_url=base_url,
        data_dir=(args.data_dir or path.parent / "data").resolve(),
        development=args.development,
        host=args.host,
        port=_port(args.port if args.port is not None else urlsplit(base_url).port or 8080),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_config(config), encoding="utf-8")
    node = await _with_node(config)
    try:
        token = await organisations.issue_admin_token(node)
    finally:
        await node.close()
    say(f"Created {path} and the database in {config.data_dir}.")
    say(f"Admin token (shown once, keep it secret): {token}")
    return 0


def _port(port: int) -> int:
    if not 0 < port < 65536:
        raise SportnodeError(2, "usage", f"--port must be between 1 and 65535, not {port}")
    return port


async def serve_command(args: argparse.Namespace) -> int:
    from node.cli.logs import use_format
    from node.web.server import serve

    config = load_config(args.config)
    use_format(config.log_format)
    # The command line wins over the file, for this run only; base_url (what peers see) stays as configured.
    host = args.host or config.host
    port = _port(args.port) if args.port is not None else config.port
    node = await _with_node(config)
    try:
        await serve(node, host, port, lambda: say(f"Serving {config.base_url}/ on {host}:{port}"))
    finally:
        await node.close()
    return 0


async def org(args: argparse.Namespace) -> int:
    from node.services import organisations
    from node.store.objects import list_current

    node = await _with_node(load_config(args.config))
    try:
        if args.org_command == "create":
            data: dict[str, Any] = {"name": args.name, "isClub": args.club}
            data.update({k: v for k, v in (("slug", args.slug), ("municipalityCode", args.municipality)) if v})
            created = await organisations.create_organisation(node, data)
            if args.print_token:
                # For ORG_TOKEN=$(...): the token alone on stdout, the rest still shown on stderr.
                print(f"Created {created.object.id}\nInvite link (valid 14 days): {created.invite_url}",
                      file=sys.stderr, flush=True)
                say(created.token)
                return 0
            say(f"Created {created.object.id}")
            say(f"Token (shown once): {created.token}")
            say(f"Invite link (valid 14 days): {created.invite_url}")
        elif args.org_command == "list":
            async with node.db.read() as db:
                for found in await list_current(db, "organisation", node.now()[:10], offset=0, limit=1_000_000):
                    say(f"{found.document['preferredUsername']}\t{found.document['name']}")
        else:
            organisation_id = await organisations.organisation_by_slug(node, args.slug)
            if args.org_command == "invite":
                say(f"Invite link (valid 14 days): {await organisations.issue_invite(node, organisation_id)}")
            else:
                token = await organisations.rotate_token(node, organisation_id)
                say(token if args.print_token else f"New token (shown once; the old one no longer works): {token}")
    finally:
        await node.close()
    return 0


def add_import_parser(sub: Any, config_option: ConfigOption) -> None:
    parser = sub.add_parser(
        "import", help="import a spreadsheet (CSV or JSON) of activities, or harvest an OpenActive RPDE feed",
        description="Import activities from a CSV or JSON file, one row per activity: nothing is stored unless "
        "every row is valid. Or, with --rpde, harvest an OpenActive RPDE feed: its organizers, places and "
        "opportunities become organisations, places, activities and courses of this node; deleted items are "
        "deleted here, and the next run resumes where this one stopped. Either way, importing again updates "
        "what an earlier import created instead of adding duplicates.",
    )
    config_option(parser)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("file", type=Path, nargs="?", help="the CSV or JSON file")
    source.add_argument("--rpde", metavar="URL",
                        help="the URL of an OpenActive RPDE feed, e.g. https://example.org/openactive/session-series")
    parser.add_argument("--dry-run", action="store_true",
                        help="check every row of the file and report, but store nothing (not with --rpde)")


async def import_command(args: argparse.Namespace) -> int:
    if args.rpde and args.dry_run:
        raise SportnodeError(2, "usage", "--dry-run checks a file; a harvest (--rpde) stores each page as it goes")
    from tqdm import tqdm

    from node.services.harvest import harvest
    from node.services.importing import import_file

    node = await _with_node(load_config(args.config))
    try:
        if args.rpde:
            with tqdm(unit="item", desc="harvest", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
                harvested = await harvest(node, args.rpde, progress=bar.update)
            say(harvested.summary())
            return 0
        with tqdm(unit="row", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
            report = await import_file(node, args.file, dry_run=args.dry_run, progress=bar.update)
    finally:
        await node.close()
    say(report.summary())
    return 0 if report.ok else 1


async def follow_command(args: argparse.Namespace) -> int:
    from node.federation import follows
    from node.store.federation import list_following, queue_counts
    from node.store.inbox_log import ignored_counts

    node = await _with_node(load_config(args.config))
    try:
        if args.command == "follow":
            actor = await follows.follow(node, args.target)
            say(f"Follow of {actor.id} queued; the running node delivers it, and backfills once accepted.")
        elif args.command == "unfollow":
            say(f"Unfollowed {await follows.unfollow(node, args.target)}; its objects are gone from this node.")
        else:
            async with node.db.read() as db:
                for entry in await list_following(db):
                    say(f"{entry.state}\t{entry.remote_actor}\tbackfilled: {entry.backfilled or '-'}")
                found = await queue_counts(db)
                left_aside = await ignored_counts(db)
            say(f"Delivery queue: {found['pending']} pending, {found['failed']} given up.")
            if left_aside:
                say("Inbound activities answered but not acted on (docs/federation.md):")
                for label, count, last in left_aside:
                    say(f"  {label}\t{count}\tlast {last}")
    finally:
        await node.close()
    return 0


async def demo_command(args: argparse.Namespace) -> int:
    from node.cli.demo import run_demo

    return await run_demo(args)


async def maintenance_command(args: argparse.Namespace) -> int:
    from node.cli import maintenance

    handler = {"backup": maintenance.backup_command, "restore": maintenance.restore_command,
               "keys": maintenance.keys_command}[args.command]
    return await handler(args)


async def deliveries_command(args: argparse.Namespace) -> int:
    from node.cli import deliveries

    return await deliveries.deliveries_command(args)


HANDLERS: dict[str, Callable[[argparse.Namespace], Awaitable[int]]] = {
    "init": init, "serve": serve_command, "org": org, "demo": demo_command, "import": import_command,
    "follow": follow_command, "unfollow": follow_command, "following": follow_command,
    "backup": maintenance_command, "restore": maintenance_command, "keys": maintenance_command,
    "deliveries": deliveries_command,
}


async def run(args: argparse.Namespace) -> int:
    return await HANDLERS[args.command](args)


