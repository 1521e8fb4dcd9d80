"""``khp outbox list|retry``: the receiver's deliveries, and sending undelivered ones again.

khp outbox list [--state dead] [--last 50] [--json]
khp outbox retry (--id N [--id N ...] | --all)

The outbox is ``receiver.outbox`` (by default ``khp-outbox.db`` beside the store). ``retry``
makes dead letters, given-up and failed rows pending again from their first form, and makes
waiting rows due now; a running receiver sends them within a second. Exit codes: 0 done,
2 a bad option or configuration, 1 nothing matched or the outbox cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from khp.configuration import Config, format_time

from ._commands import help_of
from ._common import UsageError

STATES = ("pending", "sent", "dead", "expired", "failed")


def add_parser(sub: Any, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Register ``outbox list|retry`` on the ``khp`` subcommands."""
    parser = sub.add_parser("outbox", parents=[common], help=help_of("outbox"))
    actions = parser.add_subparsers(dest="outbox_action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", parents=[common], help="the latest deliveries, newest first")
    listing.add_argument("--state", action="append", choices=STATES, default=[], help="only this state (repeatable)")
    listing.add_argument("--last", type=int, default=50, help="how many rows (default 50)")
    listing.add_argument("--json", action="store_true", help="print the rows as a JSON array")
    retry = actions.add_parser("retry", parents=[common], help="send deliveries again now, from their first form")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=int, action="append", dest="ids", help="this row (repeatable)")
    which.add_argument("--all", action="store_true", help="every row not delivered yet")
    return parser


def run(args: argparse.Namespace, config: Config) -> int:
    """List or retry; see the module's docstring for the exit codes."""
    from kakao_receiver import OutboxError, receiver_settings
    from kakao_receiver._outbox import Outbox

    path = receiver_settings(config).outbox
    if not path.exists():
        print(f"khp outbox: {path} does not exist (receiver.outbox); has the receiver run?", file=sys.stderr)
        return 1
    try:
        outbox = Outbox(path)
        try:
            if args.outbox_action == "list":
                return _list(outbox.listing(args.state, _positive(args.last)), args.json)
            count = outbox.retry(None if args.all else args.ids)
        finally:
            outbox.close()
    except OutboxError as exc:
        print(f"khp outbox: {exc}", file=sys.stderr)
        return 1
    print(f"{count} deliveries will be sent again now" if count else "nothing to send again")
    return 0 if count else 1


def _positive(value: int) -> int:
    if value < 1:
        raise UsageError(f"--last: at least 1, got {value}")
    return value


def _list(rows: list[dict[str, Any]], as_json: bool) -> int:
    if as_json:
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    if not rows:
        print("no deliveries")
        return 0
    print(f"{'id':>6}  {'state':8} {'room':22} {'tries':>5} {'form':>4}  {'accepted':20}  status    error")
    for row in rows:
        form = "full" if not row["level"] else f"-{row['level']}"
        print(
            f"{row['id']:>6}  {row['state']:8} {row['room'][:22]:22} {row['attempts']:>5} {form:>4}  "
            f"{format_time(row['created']):20}  {row['status'] or '-':8}  {(row['error'] or '-')[:160]}"
        )
    return 0
