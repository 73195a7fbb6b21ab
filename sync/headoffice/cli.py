"""`station head-office`: the reference receiver, with `token add` and `manifest import`.

Only argparse is imported up front: the station's commands must not load Flask or a
database driver they never use.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge.cli_support import Context, add_command, need_action
from edge.notify import notify
from sync.headoffice import records_cli
from sync.headoffice.dashboard import cli as dashboard_cli
from sync.headoffice.notify import cli as notify_cli
from sync.service import watchdog_s

log = logging.getLogger(__name__)

RECEIVER_DIR = "head-office"  # inside the data folder unless --data says otherwise


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ho = add_command(
        sub,
        "head-office",
        cmd_head_office,
        "run the reference head-office receiver (HTTP API for stations)",
    )
    _receiver_options(ho, None)
    ho.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    ho.add_argument("--port", type=int, default=8090, help="port (default 8090)")
    ho.add_argument("--threads", type=int, default=8, help="threads per process (default 8)")
    ho.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="N processes under granian, one database pool each: the fleet's server "
        "(default: one waitress process, the smallest footprint)",
    )
    ho.add_argument(
        "--max-in-flight",
        type=int,
        default=4,
        metavar="N",
        help="uploads one process works on at once; beyond them it answers 503 with a "
        "jittered Retry-After (default 4)",
    )
    ho_sub = ho.add_subparsers(dest="ho_command", metavar="ACTION")
    token = add_command(ho_sub, "token", need_action, "manage station tokens")
    token_sub = token.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    token_add = add_command(
        token_sub,
        "add",
        cmd_token_add,
        "make a token for a station and print it (kept only hashed)",
    )
    token_add.add_argument("station", metavar="STATION", help="station code, e.g. SZ-NS-0042")
    token_add.add_argument(
        "--query", action="store_true", help="a token for the query API instead of a station"
    )
    _receiver_options(token_add, argparse.SUPPRESS)
    manifest = add_command(ho_sub, "manifest", need_action, "manage the manifest (预报)")
    manifest_sub = manifest.add_subparsers(dest="manifest_command", metavar="ACTION", required=True)
    imp = add_command(
        manifest_sub, "import", cmd_manifest_import, "import parcels on their way from a CSV file"
    )
    imp.add_argument(
        "file",
        metavar="FILE.csv",
        help="CSV with a header: station,waybill[,carrier,phone_last4,"
        "recipient_masked,declared_weight_g,valuable,phone,consent]; phone (the full "
        "number) is kept only at head office, encrypted",
    )
    _receiver_options(imp, argparse.SUPPRESS)
    records_cli.register(ho_sub, _receiver_options, _open_storage)
    dashboard_cli.register(ho, ho_sub, _receiver_options, _open_storage)
    notify_cli.register(ho_sub, _receiver_options, _open_storage, _receiver_dir)


def _receiver_options(parser: argparse.ArgumentParser, default: Any) -> None:
    # dest differs from the global --data (the station's folder), which it must not clobber.
    parser.add_argument(
        "--data",
        dest="receiver_data",
        metavar="DIR",
        default=default,
        help="the receiver's data folder (default: $HEAD_OFFICE_DATA, then "
        f"DIR/{RECEIVER_DIR} under the global --data folder)",
    )
    parser.add_argument(
        "--db",
        metavar="URL",
        default=default,
        help="postgresql://user@host/dbname to keep everything in PostgreSQL (default: "
        "$HEAD_OFFICE_DB, then db in head-office.toml, then SQLite in the data folder)",
    )


def _receiver_dir(args: argparse.Namespace, ctx: Context) -> Path:
    chosen = getattr(args, "receiver_data", None) or os.environ.get("HEAD_OFFICE_DATA")
    return Path(chosen) if chosen else ctx.data_dir / RECEIVER_DIR


def _db(args: argparse.Namespace, ctx: Context) -> str | None:
    """The database URL: --db, then $HEAD_OFFICE_DB, then head-office.toml's db."""
    chosen = getattr(args, "db", None) or os.environ.get("HEAD_OFFICE_DB")
    if chosen:
        return str(chosen)
    from sync.headoffice.config import load

    return load(_receiver_dir(args, ctx)).db or None


def _where(db: str | None, data: Path) -> str:
    """Where the data is, for a log line: never the database URL, which may hold a password."""
    return "PostgreSQL" if db else f"data {data}"


def _open_storage(args: argparse.Namespace, ctx: Context) -> Any:
    from sync.headoffice.server import open_storage

    return open_storage(_receiver_dir(args, ctx), _db(args, ctx))


def cmd_head_office(args: argparse.Namespace, ctx: Context) -> int:
    from sync.headoffice.app import Admission
    from sync.headoffice.server import make_server

    for name in ("threads", "workers", "max_in_flight"):
        value = getattr(args, name)
        if value is not None and not 1 <= value <= 256:
            print(f"--{name.replace('_', '-')}: expected 1 to 256", file=sys.stderr)
            return 2
    data, db = _receiver_dir(args, ctx), _db(args, ctx)
    admission = Admission(in_flight=args.max_in_flight)
    if args.workers:
        return _run_workers(args, data, db, admission, _where(db, data))
    server, storage = make_server(
        data, args.host, args.port, args.threads, db=db, admission=admission
    )
    port = server.effective_port
    # waitress gives the port as text once bound to a given one: %s, not %d.
    log.info("head office receiver on http://%s:%s (%s)", args.host, port, _where(db, data))
    _ready(args.host, port)
    try:
        server.run()
    finally:
        storage.close()
    return 0


def _run_workers(
    args: argparse.Namespace, data: Path, db: str | None, admission: Any, where: str
) -> int:
    from sync.headoffice.app import create_app
    from sync.headoffice.server import open_storage
    from sync.headoffice.workers import serve

    def factory() -> Any:
        return create_app(open_storage(data, db, args.threads), admission, data)

    log.info(
        "head office receiver on http://%s:%s, %d processes (%s)",
        args.host, args.port, args.workers, where,
    )  # fmt: skip
    serve(
        factory,
        args.host,
        args.port,
        args.workers,
        args.threads,
        lambda: _ready(args.host, args.port),
    )
    return 0


def _ready(host: str, port: int | str) -> None:
    """Tell systemd the receiver is up, and start proving it lives to the watchdog."""
    notify("READY=1")
    interval = watchdog_s() / 3
    if interval:
        local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        threading.Thread(target=_probe, args=(local, int(port), interval), daemon=True).start()


def _probe(host: str, port: int, interval: float) -> None:
    """Tell the watchdog the receiver lives only when it answers HTTP: the server's loop
    offers no hook, so a request to ourselves is the proof of progress. (http.client,
    not requests: the receiver never loads requests otherwise.)"""
    while True:
        time.sleep(interval)
        conn = http.client.HTTPConnection(host, port, timeout=interval)
        try:
            conn.request("GET", "/v1/health")
            problem = "" if conn.getresponse().status == 200 else "not HTTP 200"
        except OSError as exc:
            problem = str(exc) or type(exc).__name__
        finally:
            conn.close()
        if problem:
            log.warning("health probe failed, not telling the watchdog: %s", problem)
            continue
        notify("WATCHDOG=1")


def cmd_token_add(args: argparse.Namespace, ctx: Context) -> int:
    from sync.headoffice.app import hash_token, new_token

    storage = _open_storage(args, ctx)
    try:
        token = new_token()
        storage.add_token(args.station, hash_token(token), "query" if args.query else "station")
    finally:
        storage.close()
    print(token)
    if not args.query:
        print(
            f"give it to station {args.station}: its [head_office] token_file holds it (chmod 600)",
            file=sys.stderr,
        )
    return 0


def cmd_manifest_import(args: argparse.Namespace, ctx: Context) -> int:
    from sync.headoffice.manifest_csv import ManifestError, parse_manifest_csv, split_phones

    try:
        parcels = parse_manifest_csv(Path(args.file).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    except ManifestError as exc:
        print(f"{args.file}: {exc}; nothing imported", file=sys.stderr)
        return 2
    phones = split_phones(parcels)
    if phones:
        from sync.headoffice.phones import PhoneBook

        book = PhoneBook(_receiver_dir(args, ctx))
        try:
            book.put(phones, datetime.now(UTC))
        finally:
            book.close()
    storage = _open_storage(args, ctx)
    try:
        count = storage.import_manifest(parcels, datetime.now(UTC).isoformat(timespec="seconds"))
    finally:
        storage.close()
    print(json.dumps({"imported": count} | ({"phones": len(phones)} if phones else {})))
    return 0
