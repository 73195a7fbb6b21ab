"""`station demo`: a complete station on one machine, for a first look.

It prepares a demo data folder (config, operators, a head-office token), starts the four
processes a real station runs — the local head office, the scanning process with a
simulated gun and scale, the tablet page and sync — and types what you enter at the
terminal through the simulated gun. Each answer is read back from the store, as the
page reads it, and each accepted scan is followed until head office holds it.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO

from edge import config as config_mod
from edge import demo_history, demo_notify
from edge.cli_support import Context, add_command
from edge.devices.printers.settings import PrinterSection
from edge.pins import hash_pin
from edge.store import Store

log = logging.getLogger(__name__)

COLOURS = {"accepted": "\033[32m", "duplicate": "\033[33m", "refused": "\033[31m"}
OPERATORS = (
    ("admin", "Demo Supervisor", "supervisor", "1234"),
    ("clerk", "Demo Clerk", "clerk", "0000"),
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = add_command(
        sub,
        "demo",
        cmd_demo,
        "run a complete demo station: simulated gun and scale, tablet page, local head office",
    )
    p.add_argument("--web-port", type=int, default=8080, help="tablet page port (default 8080)")
    p.add_argument("--web-host", default="127.0.0.1", help="tablet page address (127.0.0.1)")
    p.add_argument(
        "--head-office-port", type=int, default=8090, help="local head office port (default 8090)"
    )
    p.add_argument(
        "--printer-port", type=int, default=9100, help="simulated label printer (default 9100)"
    )
    p.add_argument(
        "--head-office-db",
        metavar="URL",
        help="run the local head office on PostgreSQL (postgresql://user@host/db) instead of "
        "SQLite in the demo folder",
    )
    p.add_argument(
        "--wait",
        type=float,
        default=30.0,
        help="when input ends (not a terminal): seconds to wait for head office to hold "
        "every scan before stopping (default 30)",
    )


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path


@dataclass
class Demo:
    ctx: Context
    args: argparse.Namespace
    children: list[Child] = field(default_factory=list)
    query_token: str = ""
    stopping: threading.Event = field(default_factory=threading.Event)

    @property
    def head_office_dir(self) -> Path:
        return self.ctx.data_dir / "head-office"

    def station_cmd(self, *words: str) -> list[str]:
        return [sys.executable, "-m", "edge.cli", "--data", str(self.ctx.data_dir),
                "--config", str(self.ctx.config_path), *words]  # fmt: skip

    def prepare(self) -> None:
        """Data folder, config pointing at the local head office, tokens, operators."""
        data = self.ctx.data_dir.resolve()
        data.mkdir(parents=True, exist_ok=True)
        token_file = data / "head-office.token"
        if not token_file.exists():
            token = self._token_add("DEMO-0001")
            token_file.write_text(token + "\n")
            token_file.chmod(0o600)
        query_file = data / "head-office-query.token"
        if not query_file.exists():
            query_file.write_text(self._token_add("demo-query", "--query") + "\n")
            query_file.chmod(0o600)
        self.query_token = query_file.read_text().strip()
        if not self.ctx.config_path.exists():
            cfg = config_mod.Config()
            cfg.head_office.url = f"http://127.0.0.1:{self.args.head_office_port}"
            cfg.head_office.token_file = str(token_file)
            cfg.head_office.poll_s = 0.5
            # A dev machine may have no timesyncd: send at once instead of waiting to correct.
            cfg.head_office.hold_unsynced_s = 0.0
            cfg.web.port = self.args.web_port
            cfg.printers = [
                PrinterSection("label-sim", f"tcp://127.0.0.1:{self.args.printer_port}")
            ]
            cfg.head_office.manifest_interval_s = 3.0  # messages' status back within seconds
            self.ctx.config_path.write_text(config_mod.commented_template(cfg), encoding="utf-8")
        demo_notify.prepare(
            self.head_office_dir, config_mod.load(self.ctx.config_path).station.code,
            f"http://127.0.0.1:{self.args.head_office_port}", self.station_cmd,
        )  # fmt: skip
        with Store(self.ctx.db_path, create=True) as store:  # the demo sets its station up
            for op_id, name, role, pin in OPERATORS:
                if store.operator(op_id) is None:
                    store.add_operator(op_id, name, role, hash_pin(pin))
            config = config_mod.load(self.ctx.config_path)
            added = demo_history.seed(store, config, datetime.now(config.tz))
        if added:
            print(f"  added {added} scans of made-up history (device {demo_history.DEVICE})")

    def _token_add(self, name: str, *extra: str) -> str:
        out = subprocess.run(
            [
                *self.station_cmd("head-office", "token", "add", name, *extra),
                "--data",
                str(self.head_office_dir),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip().splitlines()[-1]

    def start(self, name: str, command: list[str], stdin: int | None = None) -> Child:
        logs = self.ctx.data_dir / "logs"
        logs.mkdir(exist_ok=True)
        log_path = logs / f"{name}.log"
        with log_path.open("ab") as out:
            process = subprocess.Popen(
                command, stdin=stdin, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        child = Child(name, process, log_path)
        self.children.append(child)
        return child

    def start_all(self) -> Child:
        ho_port = str(self.args.head_office_port)
        self.start(
            "head-office",
            [
                *self.station_cmd("head-office", "--host", "127.0.0.1", "--port", ho_port),
                "--data",
                str(self.head_office_dir),
            ],
        )
        # Sync's first manifest pull would fail against a head office still starting.
        self.wait_listening(self.args.head_office_port, "head-office")
        scanner = self.start(
            "scanner", self.station_cmd("scanner", "--simulate"), stdin=subprocess.PIPE
        )
        self.start(
            "web",
            self.station_cmd(
                "web", "--host", self.args.web_host, "--port", str(self.args.web_port)
            ),
        )
        self.start("sync", self.station_cmd("sync", "run"))
        self.start(
            "printer-sim",
            self.station_cmd("label", "simulate", "--port", str(self.args.printer_port)),
        )
        self.start("printer", self.station_cmd("printer"))
        self.start("notify", [*self.station_cmd("head-office", "notify", "run"),
                              "--data", str(self.head_office_dir)])  # fmt: skip
        return scanner

    def wait_listening(self, port: int, name: str, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        child = next(c for c in self.children if c.name == name)
        while time.monotonic() < deadline and child.process.poll() is None:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        log.warning("%s is not listening on port %d yet; starting the rest anyway", name, port)

    def stop(self) -> None:
        self.stopping.set()
        for child in self.children:
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for child in self.children:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.process.kill()

    def check_children(self) -> None:
        for child in self.children:
            code = child.process.poll()
            if code is not None and not self.stopping.is_set():
                tail = child.log_path.read_text(errors="replace").splitlines()[-5:]
                print(f"\n!! {child.name} stopped (exit {code}); last lines of {child.log_path}:")
                for line in tail:
                    print(f"   {line}")
                self.children.remove(child)

    def head_office_count(self, waybill: str) -> int | None:
        url = f"http://127.0.0.1:{self.args.head_office_port}/v1/query/parcels/{waybill}/timeline"
        request = urllib.request.Request(
            url, headers={"Authorization": f"Bearer {self.query_token}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=3) as answer:
                body = json.load(answer)
        except (OSError, ValueError):
            return None
        return len(body.get("events", []))


def follow(demo: Demo, lang: str, tty: bool, answered: threading.Event) -> None:
    """Print each new read's answer, then tell when head office holds the scan."""
    with Store(demo.ctx.db_path) as store:
        row = store.one("SELECT COALESCE(MAX(id), 0) FROM reads")
        last = int(row[0]) if row else 0
        waiting: dict[int, str] = {}
        while not demo.stopping.is_set():
            for read in store.all("SELECT * FROM reads WHERE id > ? ORDER BY id", (last,)):
                last = read["id"]
                colour, reset = (COLOURS[read["status"]], "\033[0m") if tty else ("", "")
                where = f"  {read['pickup_code']}" if read["pickup_code"] else ""
                if read["weight_g"]:
                    where += f"  {read['weight_g'] / 1000:.3f} kg"
                message = read["message_en"] if lang == "en" else read["message_zh"]
                print(
                    f"{colour}{read['status'].upper():9}{reset} {read['device']}: {message}{where}",
                    flush=True,
                )
                if read["seq"] and read["status"] == "accepted":
                    waiting[read["seq"]] = read["waybill"]
                answered.set()
            for seq, waybill in list(waiting.items()):
                state = store.one("SELECT state FROM scan_sync WHERE seq = ?", (seq,))
                if state and state[0] == "sent":
                    held = demo.head_office_count(waybill)
                    print(
                        f"          → head office holds {held if held is not None else '?'} "
                        f"scan(s) of {waybill}",
                        flush=True,
                    )
                    del waiting[seq]
            demo.check_children()
            time.sleep(0.05)


def backlog(store: Store) -> int:
    row = store.one("SELECT COUNT(*) FROM scan_sync WHERE state = 'pending'")
    return int(row[0]) if row else 0


def feed(demo: Demo, gun: IO[bytes], tty: bool, answered: threading.Event) -> None:
    if tty:
        print(
            "Type or scan a code and press Enter. Try: SF1234567890123, then MODE:SIGN and the "
            "same code again; YT7512345678901, whose recipient has not agreed to the station "
            "(amber); 75123456789012, which needs a signed receipt. '#weight 1200' puts 1.2 kg "
            "on the scale. Ctrl-C stops."
        )
    for line in sys.stdin:
        text = line.strip()
        if not text:
            continue
        answered.clear()
        gun.write((text + "\n").encode())
        gun.flush()
        if text.startswith("#"):
            if not tty:
                time.sleep(1.5)  # piped input: let the scale settle before the next code
            continue
        answered.wait(5)  # keep answers next to their codes
        if not tty:
            time.sleep(0.3)  # piped input: let the gun's idle gap pass


def cmd_demo(args: argparse.Namespace, ctx: Context) -> int:
    if args.head_office_db:
        # Every head-office command the demo runs reads its database from here.
        os.environ["HEAD_OFFICE_DB"] = args.head_office_db
    demo = Demo(ctx, args)
    demo.prepare()
    lang = ctx.config.station.language
    tty = sys.stdin.isatty()
    scanner = demo.start_all()
    answered = threading.Event()
    print(f"Demo station {ctx.config.station.code}, data in {ctx.data_dir}/")
    print(
        f"  tablet page:  http://{args.web_host}:{args.web_port}/  "
        f"(sign in: {OPERATORS[0][0]} / PIN {OPERATORS[0][3]}, or {OPERATORS[1][0]} / "
        f"{OPERATORS[1][3]})"
    )
    print(
        f"  head office:  http://127.0.0.1:{args.head_office_port}/  "
        f"({'PostgreSQL; files' if args.head_office_db else 'data'} {demo.head_office_dir})"
    )
    print(f"  logs:         {ctx.data_dir / 'logs'}/")
    print(f"  labels:       {ctx.data_dir / 'labels'}/  (PNGs from the simulated printer)")
    with Store(ctx.db_path) as store:
        desk = store.desk_row("desk-1")
    if desk is not None:
        # A gun keeps its mode across restarts, as at a real desk.
        print(f"  the gun desk-1 is in mode {desk['mode']} (scan MODE:RECEIVE to change it)")
    follower = threading.Thread(target=follow, args=(demo, lang, tty, answered), daemon=True)
    follower.start()
    assert scanner.process.stdin is not None
    signal.signal(signal.SIGTERM, lambda *_: os.kill(os.getpid(), signal.SIGINT))
    try:
        time.sleep(1.5)  # let the processes come up before the first code
        # The manifest decides consent and receipts at receive: let sync's first pull land.
        with Store(ctx.db_path) as store:
            deadline = time.monotonic() + 15
            while store.manifest_entry(demo_notify.WAYBILLS[-1]) is None:
                if time.monotonic() > deadline:
                    log.warning("no manifest from head office yet; receiving without it")
                    break
                time.sleep(0.2)
        feed(demo, scanner.process.stdin, tty, answered)
        if not tty:
            deadline = time.monotonic() + args.wait
            with Store(ctx.db_path) as store:
                while (backlog(store) or store.printing_behind()) and time.monotonic() < deadline:
                    time.sleep(0.2)
            time.sleep(1)  # let the follower print the last arrivals
            with Store(ctx.db_path) as store:
                received = sum(store.parcel(w) is not None for w in demo_notify.WAYBILLS)
            token = demo_notify.day_three(
                demo.head_office_dir, demo.station_cmd, args.wait, received
            )
            if token:  # the recipient shows the QR; the gun reads it
                print("Scanning the recipient's pickup QR (扫码取件):")
                answered.clear()
                scanner.process.stdin.write((token + "\n").encode())
                scanner.process.stdin.flush()
                answered.wait(5)
    except KeyboardInterrupt:
        pass
    finally:
        demo.stop()
    return 0
