"""The ``oncelink`` command: serve, migrate, manage users and API tokens, prune, rotate keys."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from . import accounts, api_tokens, invites, note_rotation, sweep
from .config import ConfigError, load_settings
from .services import open_services
from .serving import AddressInUse, hypercorn_config, serve
from .storage.opener import database_for
from .storage.queries.users import list_users


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="oncelink", description="One-time links for secrets.")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("serve", help="run the web app under Hypercorn")
    run.add_argument("--host")
    run.add_argument("--port", type=int)
    run.add_argument("--workers", type=int)
    run.add_argument("--config", type=Path, help="a hypercorn TOML file")

    commands.add_parser(
        "migrate", help="bring the database's schema up to date (serve does this on start too)"
    )

    user = commands.add_parser("user", help="manage main users").add_subparsers(
        dest="user_command", required=True
    )
    add = user.add_parser("add", help="add a user; the password is read from stdin")
    add.add_argument("name")
    add.add_argument("--admin", action="store_true")
    add.add_argument("--password-stdin", action="store_true", required=True)
    invite = user.add_parser("invite", help="make a one-time invite link and print it, once")
    invite.add_argument("--admin", action="store_true", help="the invitee becomes an admin")
    invite.add_argument(
        "--days", type=int, default=invites.DEFAULT_DAYS, help="how long the link works"
    )
    invite.add_argument("--for", dest="label", default="", metavar="TEXT", help="a note for admins")
    user.add_parser("list", help="list users")
    for verb, text in (
        ("disable", "log a user out everywhere, revoke their links and erase their notes"),
        ("enable", "let a disabled user log in again"),
    ):
        user.add_parser(verb, help=text).add_argument("name")

    token = commands.add_parser("token", help="manage API tokens").add_subparsers(
        dest="token_command", required=True
    )
    create = token.add_parser("create", help="create an API token and print it, once")
    create.add_argument("name", metavar="USERNAME")
    create.add_argument("--name", dest="label", default="command line", metavar="LABEL")

    commands.add_parser("prune", help="erase spent notes and prune the used-link ledger now")
    commands.add_parser(
        "rotate-note-keys",
        help="wrap every note's key with the newest of ONCELINK_NOTE_KEYS (then drop the old)",
    )
    return parser


async def _migrate() -> int:
    migration = await database_for(load_settings().database).migrate()
    if migration.before == migration.after:
        print(f"the schema is up to date (version {migration.after})")
    else:
        print(f"migrated the schema from version {migration.before} to {migration.after}")
    return 0


def _refuse(problems: dict[str, str]) -> int:
    for problem in problems.values():
        print(f"oncelink: {problem}", file=sys.stderr)
    return 2


async def _add_user(name: str, password: str, *, admin: bool) -> int:
    new_user = accounts.NewUser(name, password)
    problems = accounts.problems_with(new_user)
    if problems:
        return _refuse(problems)
    async with open_services() as services:
        if await accounts.add_user(services, new_user, is_admin=admin) is None:
            print(f"oncelink: a user named {name!r} already exists", file=sys.stderr)
            return 1
    print(f"added {'admin' if admin else 'user'} {accounts.normal_name(name)}")
    return 0


async def _invite(request: invites.InviteRequest) -> int:
    problems = invites.problems_with(request)
    if problems:
        return _refuse(problems)
    async with open_services() as services:
        issued = await invites.create_invite(services, None, request)
    assert isinstance(issued, invites.IssuedInvite)
    print(issued.url)  # the only line on stdout, so `LINK=$(oncelink user invite)` works
    return 0


async def _list_users() -> int:
    async with open_services() as services:
        for user in await list_users(services.db.reader):
            print(f"{user.name}\t{'admin' if user.is_admin else 'user'}")
    return 0


async def _set_disabled(name: str, *, disabled: bool) -> int:
    async with open_services() as services:
        user = await accounts.user_named(services, name)
        if user is None:
            print(f"oncelink: no user named {name!r}", file=sys.stderr)
            return 1
        await accounts.set_disabled(services, user.id, disabled=disabled)
    print(f"{'disabled' if disabled else 'enabled'} {user.name}")
    return 0


async def _create_token(user_name: str, label: str) -> int:
    problem = api_tokens.api_token_name_problem(label)
    if problem:
        print(f"oncelink: {problem}", file=sys.stderr)
        return 2
    async with open_services() as services:
        user = await accounts.user_named(services, user_name)
        if user is None:
            print(f"oncelink: there is no user named {user_name!r}", file=sys.stderr)
            return 1
        token = await api_tokens.create_api_token(services, user.id, label)
    print(token)  # the only line on stdout, so `TOKEN=$(oncelink token create ...)` works
    return 0


async def _prune() -> int:
    async with open_services() as services:
        report = await sweep.sweep(services)
    print(f"{report.notes_erased} notes erased, {report.ledger_rows_pruned} ledger rows pruned")
    return 0


async def _rotate_note_keys() -> int:
    async with open_services() as services:
        rotation = await note_rotation.rotate_note_keys(services)
    print(f"{rotation.rewrapped} note keys rewrapped, {rotation.encrypted} notes encrypted")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            config = hypercorn_config(
                args.config, host=args.host, port=args.port, workers=args.workers
            )
            return serve(config)
        if args.command == "migrate":
            return asyncio.run(_migrate())
        if args.command == "user" and args.user_command == "add":
            password = sys.stdin.readline().rstrip("\r\n")
            return asyncio.run(_add_user(args.name, password, admin=args.admin))
        if args.command == "user" and args.user_command == "invite":
            request = invites.InviteRequest(args.admin, args.days, args.label)
            return asyncio.run(_invite(request))
        if args.command == "user" and args.user_command in ("disable", "enable"):
            disabled = args.user_command == "disable"
            return asyncio.run(_set_disabled(args.name, disabled=disabled))
        if args.command == "user":
            return asyncio.run(_list_users())
        if args.command == "token":
            return asyncio.run(_create_token(args.name, args.label))
        if args.command == "rotate-note-keys":
            return asyncio.run(_rotate_note_keys())
        return asyncio.run(_prune())
    except ConfigError as error:
        print(f"oncelink: {error}", file=sys.stderr)
        return 2
    except AddressInUse as error:
        print(f"oncelink: {error}", file=sys.stderr)
        return 1
