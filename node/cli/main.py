"""The `sportnode` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from node.cli import commands, deliveries, maintenance
from node.config import DEFAULT_CONFIG_PATH, ConfigError
from node.errors import SportnodeError

# The machine's state rather than the operator's input (exit 1): a port that cannot be had, a node that
# runs when it must not (restore), a database being restored, a corrupt copy.
LISTEN_ERRORS = ("port-in-use", "cannot-listen", "node-running", "restoring", "corrupt")


def _config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=Path(os.environ.get("SPORTNODE_CONFIG", DEFAULT_CONFIG_PATH)),
        help="the node's config file (default: $SPORTNODE_CONFIG or %(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sportnode",
        description="Sportnode: publish a local sport and movement offering as linked data, and federate it.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = sub.add_parser(
        "init", help="create a config file, the database and the node's key; prints the admin token"
    )
    _config_option(init)
    init.add_argument(
        "--base-url", required=True, help="the public URL of the node, e.g. https://sport.example.nl"
    )
    init.add_argument("--name", required=True, help="the node's name, e.g. 'Sportnode Amersfoort'")
    init.add_argument(
        "--data-dir", type=Path, help="where the database lives (default: beside the config file)"
    )
    init.add_argument(
        "--port", type=int,
        help="port `serve` listens on (default: the port of --base-url if it names one, else 8080)",
    )
    init.add_argument("--host", default="127.0.0.1", help="address `serve` listens on (default: %(default)s)")
    init.add_argument(
        "--development", action="store_true", help="allow http and loopback peers (tests, demos)"
    )

    serve = sub.add_parser("serve", help="run the node's web server in the foreground")
    _config_option(serve)
    serve.add_argument("--host", help="address to listen on (default: [server] host of the config file)")
    serve.add_argument("--port", type=int, help="port to listen on (default: [server] port of the config file)")

    org = sub.add_parser("org", help="manage organisations (the node admin's work)")
    org_sub = org.add_subparsers(dest="org_command", required=True, metavar="ACTION")
    create = org_sub.add_parser(
        "create", help="create an organisation; prints its token and invite link once"
    )
    _config_option(create)
    create.add_argument("name", help="the organisation's name")
    create.add_argument("--slug", help="the last part of its URL (default: made from the name)")
    create.add_argument("--club", action="store_true", help="it is a sports club")
    create.add_argument("--municipality", help="CBS code of its municipality, e.g. GM0307")
    create.add_argument(
        "--print-token", action="store_true",
        help="print only the token on stdout (the URL and invite link go to stderr): ORG_TOKEN=$(sportnode org create ...)",
    )
    listing = org_sub.add_parser("list", help="list the organisations")
    _config_option(listing)
    for action, text in (("invite", "make a new invite link"), ("token", "replace the organisation's token")):
        p = org_sub.add_parser(action, help=text)
        _config_option(p)
        p.add_argument("slug", help="the organisation's slug (the last part of its URL)")
        if action == "token":
            p.add_argument("--print-token", action="store_true", help="print only the new token")

    demo = sub.add_parser("demo", help="run a node on 127.0.0.1:PORT loaded with synthetic demo offering")
    demo.add_argument("--port", type=int, default=8080, help="port (default: %(default)s)")
    demo.add_argument("--dir", type=Path, default=Path("var/demo"), help="data folder (default: %(default)s)")
    demo.add_argument(
        "--municipality", default="GM0307", help="CBS code of the municipality (default: Amersfoort)"
    )
    demo.add_argument(
        "--organisations", type=int, default=200, help="how many organisations (default: %(default)s)"
    )
    demo.add_argument(
        "--activities", type=int, default=350, help="how many activities (default: %(default)s)"
    )
    demo.add_argument(
        "--seed", type=int, default=33, help="random seed of the generator (default: %(default)s)"
    )
    demo.add_argument("--load-only", action="store_true", help="load the data and exit instead of serving")
    demo.add_argument(
        "--federation", action="store_true",
        help="run a small federation instead: five municipal and neighbourhood nodes (Amersfoort on PORT), "
        "a regional and a national aggregator, on PORT, PORT+1, ...; each in DIR/NAME",
    )

    commands.add_import_parser(sub, _config_option)

    for name, text in (
        ("follow", "follow another node or actor: its offering comes to this node (backfill, then pushes)"),
        ("unfollow", "stop following, and drop what this node holds from that host"),
    ):
        p = sub.add_parser(name, help=text, description=text)
        _config_option(p)
        p.add_argument("target", help="an actor URL (a node's base URL with a trailing /) or user@host")
    listing_follows = sub.add_parser("following", help="list what this node follows, and the delivery queue")
    _config_option(listing_follows)
    maintenance.add_parsers(sub, _config_option)
    deliveries.add_parser(sub, _config_option)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return asyncio.run(commands.run(args))
    except (ConfigError, SportnodeError) as error:
        print(f"sportnode: {error}", file=sys.stderr)
        # A usage or input error exits 2; the machine's state (LISTEN_ERRORS) exits 1.
        return 1 if isinstance(error, SportnodeError) and error.code in LISTEN_ERRORS else 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
