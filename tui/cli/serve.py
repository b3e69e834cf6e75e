"""`bayops serve` (the site's service) and `bayops token` (bearer tokens, on its host)."""
from __future__ import annotations

import argparse
import getpass
import os
import time
from typing import TYPE_CHECKING

from tui.cli.output import confirm, emit, table
from tui.cli.parsing import Parser, command, confirmable
from tui.model.errors import BadInput, OperationFailed

if TYPE_CHECKING:
    from tui.cli.parsing import Subparsers
    from tui.core.api import Core
    from tui.core.config import Config
    from tui.model.stateref import StateRef

def register(sub: Subparsers) -> None:
    c = command(sub, "serve", "run the site's service: the dashboard and the CLI connect to it",
                json_flag=False)
    c.add_argument("--socket", help="Unix socket path (default: [serve] socket, else "
                   "/run/bayops/bayops.sock)")
    c.add_argument("--listen", help="host:port for TLS clients with bearer tokens "
                   "(default: [serve] listen; needs tls_cert and tls_key)")
    c.add_argument("--advertise", help="where clients reach this service, told by a standby "
                   "(default: [serve] advertise, else its socket); with --socket and --listen, "
                   "what differs between the two hosts of an HA pair")
    c.set_defaults(handler=None, serve=True)
    t = sub.add_parser("token", help="bearer tokens for remote (TLS) clients: create, list, revoke")
    tsub = t.add_subparsers(dest="action", parser_class=Parser, metavar="ACTION", required=True)
    c = tsub.add_parser("create", help="make a token for a user; its secret is shown once")
    c.add_argument("--user", required=True)
    c.add_argument("--expires", default="30d", help="e.g. 30d, 12h, 90m (default 30d)")
    c.add_argument("--json", action="store_true")
    confirmable(c)
    c = tsub.add_parser("list", help="every token: user, expiry, revoked, last used")
    c.add_argument("--json", action="store_true")
    c = tsub.add_parser("revoke", help="revoke a token by its id")
    c.add_argument("id", type=int)
    c.add_argument("--json", action="store_true")
    confirmable(c)
    t.set_defaults(handler=_token)


def token_store(config: Config, args: argparse.Namespace) -> StateRef:
    """The store `bayops token` may write: when a server is configured or found (the same
    search as every command), only the server's own store, or tokens would be made and
    revoked where the server never looks. Refused (exit 2) otherwise, naming both."""
    from tui.client import connect, find_server
    from tui.core.statepath import find_state

    mine = find_state(args.state, config)
    address, origin = find_server(args.server, config)
    if address is None:
        return mine
    try:
        remote = connect(address, config, read_only=True)
    except OperationFailed as exc:
        if exc.code != "server-unreachable":
            raise
        if args.state:
            return mine
        raise BadInput(f"the server {address} ({origin}) does not answer, so which store it "
                       f"uses is unknown; give --state PATH to write that store (default here "
                       f"would be {mine})", code="server-store") from None
    try:
        theirs = str(remote.server_info().get("state") or "")
    finally:
        remote.close()
    if not _same_file(mine, theirs):
        raise BadInput(f"the server {address} ({origin}) uses the store {theirs or '(not said)'}, "
                       f"but this would write {mine}: run it with --state {theirs or 'PATH'} "
                       "on the server's host (--server none: a private store)",
                       code="server-store")
    return mine


def _same_file(mine: StateRef, theirs: str) -> bool:
    if not theirs:
        return False
    if mine.kind == "postgresql":  # the server shows its URL without the password
        return mine.shown == theirs
    try:
        return os.path.samefile(mine.path, theirs)
    except OSError:
        return False


def _when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts)) if ts else "-"


def _planned(args: argparse.Namespace, plan: str) -> bool:
    """--dry-run says what would happen (True: stop); otherwise confirm on a terminal."""
    if args.dry_run:
        emit(args, {"dry_run": True, "plan": plan}, plan)
        return True
    confirm(args, plan)
    return False


def _token(core: Core, args: argparse.Namespace) -> int:
    from tui.core import tokens
    from tui.core.roles import check_person

    store = core.store
    by = getpass.getuser()
    if args.action == "create":
        seconds = tokens.parse_expiry(args.expires)
        check_person(args.user, "token user")
        plan = f"create a bearer token for {args.user}, valid for {args.expires}"
        if _planned(args, plan):
            return 0
        token_id, secret = tokens.create(store, args.user, seconds, by)
        core.event("info", "server", "token.created",
                   f"token {token_id} for {args.user} made by {by}, expires in {args.expires}",
                   user=args.user, token=token_id)
        emit(args, {"id": token_id, "user": args.user, "token": secret,
                     "expires": time.time() + seconds, "store": store.where},
              f"token {token_id} for {args.user} in the store {store.where} "
              f"(shown once; keep it secret):\n{secret}")
        return 0
    if args.action == "revoke":
        live = [r for r in store.tokens() if r.id == args.id and r.valid(time.time())]
        if not live:
            raise BadInput(f"no live token {args.id} (bayops token list)", code="unknown-token")
        if _planned(args, f"revoke token {args.id} of {live[0].user}; it stops working at once"):
            return 0
        if not store.revoke_token(args.id, time.time()):
            raise BadInput(f"no live token {args.id} (bayops token list)", code="unknown-token")
        core.event("info", "server", "token.revoked", f"token {args.id} revoked by {by}",
                   token=args.id)
        emit(args, {"id": args.id, "revoked": True, "store": store.where},
              f"token {args.id} revoked in the store {store.where}")
        return 0
    now = time.time()
    rows = store.tokens()
    emit(args, [{"id": r.id, "user": r.user, "created": r.created, "expires": r.expires,
                  "revoked": r.revoked, "last_used": r.last_used, "valid": r.valid(now),
                  "created_by": r.created_by} for r in rows],
          lambda: table(("ID", "USER", "CREATED", "EXPIRES", "STATE", "LAST USED", "BY"),
                        [(r.id, r.user, _when(r.created), _when(r.expires),
                          "live" if r.valid(now) else ("revoked" if r.revoked else "expired"),
                          _when(r.last_used), r.created_by) for r in rows]))
    return 0
