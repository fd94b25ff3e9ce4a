"""`sportnode backup`, `sportnode restore` (docs/operator.md, "Backups") and `sportnode keys rotate`
("Rotating keys")."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from node.cli.commands import ConfigOption, say
from node.config import load_config


def add_parsers(sub: Any, config_option: ConfigOption) -> None:
    backup = sub.add_parser(
        "backup", help="write a consistent backup (database with keys, uploaded files, config) to a tar file",
        description="Copy the node's database with SQLite's online backup (safe while the node runs), with "
        "the uploaded files and the config file, into one tar file readable by its owner only. A name "
        "ending in .tar.gz or .tgz is gzipped.",
    )
    config_option(backup)
    backup.add_argument("--out", type=Path, required=True, help="the archive to write, e.g. /var/backups/sportnode/sportnode-2026-01-31.tar")
    restore = sub.add_parser(
        "restore", help="put a backup in place of the node's database (the node must be stopped)",
        description="Check the archive, then replace the node's database and uploaded files by its contents. "
        "Refused while the node or another sportnode command has the database open; an existing database "
        "is replaced only with --force, and kept beside it as sportnode.sqlite3.before-restore.",
    )
    config_option(restore)
    restore.add_argument("archive", type=Path, help="a file written by `sportnode backup`")
    restore.add_argument("--force", action="store_true", help="replace an existing database")
    keys = sub.add_parser("keys", help="the signing keys of the node and its organisations")
    keys_sub = keys.add_subparsers(dest="keys_command", required=True, metavar="ACTION")
    rotate = keys_sub.add_parser(
        "rotate", help="replace a signing key (the node's, or an organisation's with --org) and tell followers",
        description="Make a new key pair for the node actor (or an organisation), store it in place of the old "
        "one and send an Update of the actor to every follower. The running node signs with the new key from "
        "its next delivery; peers accept the old key only until they have the new one.",
    )
    config_option(rotate)
    rotate.add_argument("--org", metavar="SLUG", help="rotate this organisation's key instead of the node's")


async def backup_command(args: argparse.Namespace) -> int:
    from node.services import backup

    summary = await backup.create(load_config(args.config), args.out, config_file=args.config)
    say(f"Wrote {args.out}: {summary.text()}")
    return 0


async def restore_command(args: argparse.Namespace) -> int:
    from node.services import backup

    summary = await backup.restore(load_config(args.config), args.archive, force=args.force)
    say(f"Restored the {summary.text()}.")
    if summary.kept:
        say(f"The replaced database is kept as {summary.kept}; delete it once the node runs well.")
    say("Start the node: at its next reconcile it reads on in every followed outbox and catches up with its peers.")
    return 0


async def keys_command(args: argparse.Namespace) -> int:
    from node.cli.commands import _with_node
    from node.services import organisations
    from node.services.key_rotation import rotate

    node = await _with_node(load_config(args.config))
    try:
        actor_id = await organisations.organisation_by_slug(node, args.org) if args.org else node.config.node_id
        await rotate(node, actor_id)
    finally:
        await node.close()
    say(f"New key for {actor_id}; an Update of the actor is queued for its followers (the running node sends it).")
    return 0
