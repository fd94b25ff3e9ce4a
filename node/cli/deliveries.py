"""`sportnode deliveries list|retry`: the deliveries the worker gave up, for the operator (docs/federation.md,
"Delivery")."""

from __future__ import annotations

import argparse
from typing import Any

from node.cli.commands import ConfigOption, say
from node.config import load_config
from node.errors import SportnodeError


def add_parser(sub: Any, config_option: ConfigOption) -> None:
    parser = sub.add_parser(
        "deliveries", help="list the deliveries given up, or queue them again",
        description="A delivery is given up after about 9 days of retries, or at once when the peer refuses it "
        "for good (a 4xx). `list` shows each with its number; `retry` puts them back in the queue, due now, and "
        "the running node sends them within a second. Given-up deliveries are forgotten after 30 days.",
    )
    actions = parser.add_subparsers(dest="deliveries_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="the deliveries given up, oldest first")
    config_option(listing)
    retry = actions.add_parser("retry", help="queue given-up deliveries again: these numbers, or --all")
    config_option(retry)
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("ids", type=int, nargs="*", default=[], metavar="N", help="numbers from `deliveries list`")
    which.add_argument("--all", action="store_true", help="every delivery given up")


async def deliveries_command(args: argparse.Namespace) -> int:
    from node.cli.commands import _with_node
    from node.store.hygiene import failed_deliveries, retry_failed

    node = await _with_node(load_config(args.config))
    try:
        if args.deliveries_command == "list":
            async with node.db.read() as db:
                found = await failed_deliveries(db)
            for item in found:
                say(f"{item.id}\t{item.failed}\t{item.attempts} attempts\t{item.inbox}\t{item.activity_id}\t"
                    f"{item.last_error or ''}")
            say(f"{len(found)} given up.")
            return 0
        if not args.all and not args.ids:
            raise SportnodeError(2, "usage", "name the deliveries to retry (numbers from `deliveries list`), or --all")
        async with node.db.write() as db:
            queued = await retry_failed(db, None if args.all else list(args.ids), node.now())
        say(f"{queued} queued again; the running node sends them.")
        return 0 if queued or args.all else 1
    finally:
        await node.close()
