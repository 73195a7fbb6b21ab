"""The core's subcommands: init, config, scan, waybill, parcel(s), export, report,
operator, cards and demo."""

from __future__ import annotations

import argparse
import getpass
import json
import re
import sys
from datetime import date, datetime, time, timedelta

from edge import barcode, carriers, csvsafe
from edge import config as config_mod
from edge.cli_support import Context, add_command, need_action, print_json
from edge.pins import hash_pin, pin_problem
from edge.service.sends_desk import day_counts
from edge.station import ScanRequest, Station

Sub = argparse._SubParsersAction


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    p = add_command(
        sub, "init", cmd_init, "create the data folder, database and a commented config"
    )
    p.add_argument("--station", metavar="CODE", help="station code to write into the new config")
    p.add_argument("--force", action="store_true", help="overwrite an existing config file")

    add_command(
        sub,
        "migrate",
        cmd_migrate,
        "bring the database's schema up to this version (each service runs it first)",
    )

    p = add_command(sub, "config", need_action, "check or show the configuration")
    csub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    add_command(csub, "check", cmd_config_check, "validate the config file and say what is wrong")
    add_command(csub, "show", cmd_config_show, "print the effective config, commented")

    p = add_command(sub, "scan", cmd_scan, "record scans typed at the terminal, in order")
    p.add_argument("--type", required=True, choices=barcode.SCAN_TYPES, help="scan type")
    p.add_argument("--device", default="terminal", help="device name recorded (default terminal)")
    p.add_argument("--operator", help="operator id recorded with the scans")
    p.add_argument("--weight-g", type=int, help="stable weight in grams")
    p.add_argument("--phone-last4", help="last four digits of the recipient's phone")
    p.add_argument(
        "--reason",
        metavar="CODE",
        help="dispatch reason ("
        + ", ".join(barcode.DISPATCH_REASONS)
        + ") or problem code ("
        + ", ".join(barcode.PROBLEM_CODES)
        + ")",
    )
    p.add_argument("--relation", choices=("self", "proxy", "courier"), help="signer relation")
    p.add_argument("--id-last4", help="last four of the signer's ID (valuable parcels)")
    p.add_argument("--carrier", help="carrier of this batch, to settle ambiguous numbers")
    p.add_argument("--note", help="free text, at most 500 characters")
    p.add_argument("--json", action="store_true", help="one JSON object per code")
    p.add_argument("codes", nargs="+", metavar="CODE", help="barcodes, processed in order")

    p = add_command(sub, "waybill", cmd_waybill, "which carriers a waybill number may belong to")
    p.add_argument("code", metavar="CODE")
    p.add_argument("--carrier", help="batch carrier to weigh against the number")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add_command(sub, "parcel", cmd_parcel, "a parcel's state and full history")
    p.add_argument("waybill", metavar="WAYBILL")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = add_command(sub, "parcels", cmd_parcels, "list parcels, e.g. those left too long")
    p.add_argument("--state", choices=("registered", "on_shelf", "signed", "dispatched"))
    p.add_argument("--older-than", metavar="AGE", help="received longer ago than this: 3d, 12h")
    p.add_argument("--json", action="store_true", help="one JSON object per parcel")

    p = add_command(sub, "export", cmd_export, "export scans as CSV or JSON lines")
    p.add_argument("--since", metavar="WHEN", help="date or ISO time (station time zone)")
    p.add_argument("--format", choices=("csv", "jsonl"), default="csv")

    p = add_command(sub, "report", need_action, "reports")
    rsub = p.add_subparsers(dest="report_command", metavar="REPORT", required=True)
    r = add_command(
        rsub,
        "daily",
        cmd_report_daily,
        "per carrier: received, signed, dispatched, problems and on shelf for one day",
    )
    r.add_argument("--date", metavar="YYYY-MM-DD", help="default: today")
    r.add_argument("--json", action="store_true", help="print JSON")

    p = add_command(sub, "operator", need_action, "manage operators")
    osub = p.add_subparsers(dest="operator_command", metavar="ACTION", required=True)
    o = add_command(osub, "add", cmd_operator_add, "add an operator (or reset their PIN)")
    o.add_argument("id", metavar="ID")
    o.add_argument("--name", required=True, help="the name shown on the page and in the audit log")
    o.add_argument(
        "--pin",
        help="4 to 12 digits, stored only as a hash; leave it out to be asked for it "
        "(so it stays out of the shell history)",
    )
    o.add_argument("--role", choices=("clerk", "supervisor"), default="clerk")

    p = add_command(sub, "cards", cmd_cards, "write a printable page of command barcodes")
    p.add_argument("--out", default="cards.html", help="output HTML file (default cards.html)")


def cmd_init(args: argparse.Namespace, ctx: Context) -> int:
    ctx.data_dir.mkdir(parents=True, exist_ok=True)
    (ctx.data_dir / "photos").mkdir(exist_ok=True)
    path = ctx.config_path
    if path.exists() and not args.force:
        print(f"kept existing config {path} (use --force to overwrite)")
    else:
        cfg = config_mod.Config()
        if args.station:
            cfg.station.code = args.station
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(config_mod.commented_template(cfg), encoding="utf-8")
        print(f"wrote config {path}")
    ctx.config  # noqa: B018 - validates before the database is made
    ctx.store(create=True)
    print(f"database ready at {ctx.db_path}")
    return 0


def cmd_migrate(args: argparse.Namespace, ctx: Context) -> int:
    applied = ctx.store(check=False).migrate()
    print(f"applied {', '.join(applied)}" if applied else f"{ctx.db_path}: schema up to date")
    return 0


def cmd_config_check(args: argparse.Namespace, ctx: Context) -> int:
    if not ctx.config_path.exists():
        print(f"no config file at {ctx.config_path}: all defaults apply (run `station init`)")
        return 0
    cfg = ctx.config
    print(
        f"{ctx.config_path}: ok (station {cfg.station.code}, {len(cfg.shelves)} shelves, "
        f"{len(cfg.scanners)} scanners, {len(cfg.scales)} scales)"
    )
    return 0


def cmd_config_show(args: argparse.Namespace, ctx: Context) -> int:
    sys.stdout.write(config_mod.commented_template(ctx.config))
    return 0


def cmd_scan(args: argparse.Namespace, ctx: Context) -> int:
    station = Station(ctx.store(), ctx.config)
    lang = ctx.config.station.language
    ok = True
    for code in args.codes:
        outcome = station.scan(
            ScanRequest(
                type=args.type,
                code=code,
                device=args.device,
                operator=args.operator,
                weight_g=args.weight_g,
                phone_last4=args.phone_last4,
                reason=args.reason,
                signer_relation=args.relation,
                signer_id_last4=args.id_last4,
                note=args.note,
                carrier_hint=args.carrier,
            )
        )
        ok = ok and outcome.status == "accepted"
        if args.json:
            print_json(outcome.to_json(lang))
        else:
            where = f"  [{outcome.pickup_code}]" if outcome.pickup_code else ""
            print(
                f"{outcome.status.upper():9} {outcome.waybill or code}: "
                f"{outcome.message(lang)}{where}"
            )
    return 0 if ok else 1


def cmd_waybill(args: argparse.Namespace, ctx: Context) -> int:
    norm = barcode.normalise(args.code)
    if args.carrier is not None and args.carrier not in carriers.CARRIERS:
        print(f"unknown carrier {args.carrier!r}", file=sys.stderr)
        return 2
    if isinstance(norm, barcode.Code):
        manifest = None
        if ctx.db_path.exists():  # a look-up, not a station command: no database is fine
            entry = ctx.store().manifest_entry(carriers.recognise(norm.text).waybill)
            manifest = entry["carrier"] if entry else None
        data = carriers.explain(norm.text, batch=args.carrier, manifest=manifest)
    else:
        data = {"waybill": None, "carriers": [], "check_digit": "none", "carrier": None}
        data.update(confidence="none", error=norm.en)
    if args.json:
        print_json(data)
    else:
        print(f"waybill:     {data['waybill']}")
        print(f"carriers:    {', '.join(data['carriers']) or '(unknown)'}")
        print(f"carrier:     {data['carrier'] or '(unknown)'} ({data['confidence']})")
        print(f"check_digit: {data['check_digit']}")
        for fmt in data.get("formats", []):
            print(f"  matched {fmt['format']}: {fmt['source']}")
    return 0


def cmd_parcel(args: argparse.Namespace, ctx: Context) -> int:
    store = ctx.store()
    row = store.parcel(args.waybill)
    history = store.history(args.waybill)
    if row is None and not history:
        print(f"no parcel {args.waybill} at this station", file=sys.stderr)
        return 1
    if args.json:
        print_json(
            {
                "parcel": dict(row) if row else None,
                "history": [dict(h) for h in history],
                "notify": store.notify_status(args.waybill),
                # The manifest's word on collection at a station: yes, no, unknown; None
                # when head office announced no such parcel.
                "consent": (entry := store.manifest_entry(args.waybill)) and entry["consent"],
            }
        )
        return 0
    if row:
        print(
            f"{row['waybill']}  {row['state']}  carrier {row['carrier'] or '?'}  "
            f"shelf {row['shelf'] or '-'}  pickup {row['pickup_code'] or '-'}  "
            f"phone ****{row['phone_last4'] or '----'}"
        )
    for h in history:
        extra = h["dispatch_reason"] or h["problem_code"] or h["signer_relation"] or ""
        undone = "  (undone)" if h["undone_at"] else ""
        print(
            f"  #{h['seq']:<7} {h['scanned_at']}  {h['type']:9} {extra:14} "
            f"{h['device']}/{h['operator'] or '-'}  sync {h['sync_state']}{undone}"
        )
    return 0


_AGE = re.compile(r"^(\d+)\s*([dhm])$")


def parse_age(text: str) -> timedelta:
    match = _AGE.match(text.strip())
    if not match:
        raise SystemExit(f"--older-than: expected e.g. 3d, 12h or 30m, got {text!r}")
    n, unit = int(match.group(1)), match.group(2)
    return {"d": timedelta(days=n), "h": timedelta(hours=n), "m": timedelta(minutes=n)}[unit]


def cmd_parcels(args: argparse.Namespace, ctx: Context) -> int:
    before = None
    if args.older_than:
        before = (datetime.now(ctx.config.tz) - parse_age(args.older_than)).isoformat()
    state = args.state or ("on_shelf" if args.older_than else None)
    rows = ctx.store().parcels_where(state=state, received_before=before)
    for row in rows:
        if args.json:
            print_json(dict(row))
        else:
            print(
                f"{row['waybill']:24} {row['state']:10} {row['pickup_code'] or '-':12} "
                f"{row['carrier'] or '?':9} received {row['received_at'] or '-'}"
            )
    if not args.json:
        print(f"{len(rows)} parcels", file=sys.stderr)
    return 0


def _local_start(text: str | None, ctx: Context) -> str | None:
    if not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise SystemExit(f"--since: expected a date or ISO time, got {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ctx.config.tz)
    return when.isoformat()


EXPORT_COLUMNS = (
    "seq",
    "event_id",
    "type",
    "waybill",
    "carrier",
    "scanned_at",
    "clock_synced",
    "device",
    "operator",
    "weight_g",
    "shelf",
    "pickup_code",
    "phone_last4",
    "dispatch_reason",
    "problem_code",
    "signer_relation",
    "signer_id_last4",
    "note",
    "sync_state",
)


def cmd_export(args: argparse.Namespace, ctx: Context) -> int:
    rows = ctx.store().scans_since(_local_start(args.since, ctx))
    if args.format == "jsonl":
        for row in rows:
            print_json({c: row[c] for c in EXPORT_COLUMNS})
        return 0
    writer = csvsafe.writer(sys.stdout)
    writer.writerow(EXPORT_COLUMNS)
    for row in rows:
        writer.writerow([row[c] for c in EXPORT_COLUMNS])
    return 0


REPORT_COLUMNS = ("received", "signed", "dispatched", "problems", "on_shelf")
_TYPE_COLUMN = {"receive": "received", "sign": "signed", "dispatch": "dispatched",
                "problem": "problems"}  # fmt: skip


def daily_report(ctx: Context, day: date) -> dict[str, dict[str, int]]:
    """Per carrier for one local day: scans by kind, and what is on the shelves now."""
    tz = ctx.config.tz
    start = datetime.combine(day, time(), tz)
    end = start + timedelta(days=1)
    store = ctx.store()
    table: dict[str, dict[str, int]] = {}
    for row in store.daily_counts(start.isoformat(), end.isoformat()):
        column = _TYPE_COLUMN.get(row["type"])
        if column:
            table.setdefault(row["carrier"], dict.fromkeys(REPORT_COLUMNS, 0))[column] += row["n"]
    for row in store.on_shelf_by_carrier():
        table.setdefault(row["carrier"], dict.fromkeys(REPORT_COLUMNS, 0))["on_shelf"] = row["n"]
    return dict(sorted(table.items()))


def cmd_report_daily(args: argparse.Namespace, ctx: Context) -> int:
    try:
        day = date.fromisoformat(args.date) if args.date else datetime.now(ctx.config.tz).date()
    except ValueError:
        print(f"--date: expected YYYY-MM-DD, got {args.date!r}", file=sys.stderr)
        return 2
    table = daily_report(ctx, day)
    start = datetime.combine(day, time(), ctx.config.tz)
    sent = day_counts(ctx.store(), start)
    refused = ctx.store().received_without_consent(
        start.isoformat(), (start + timedelta(days=1)).isoformat()
    )
    if args.json:
        print(json.dumps({"date": day.isoformat(), "carriers": table, "sendings": sent,
                          "received_without_consent": refused}, ensure_ascii=False))  # fmt: skip
        return 0
    print(f"Daily report {day.isoformat()} — station {ctx.config.station.code}")
    print(f"{'carrier':12}" + "".join(f"{c:>12}" for c in REPORT_COLUMNS))
    totals = dict.fromkeys(REPORT_COLUMNS, 0)
    for carrier, counts in table.items():
        print(f"{carrier or '(unknown)':12}" + "".join(f"{counts[c]:>12}" for c in REPORT_COLUMNS))
        for c in REPORT_COLUMNS:
            totals[c] += counts[c]
    print(f"{'total':12}" + "".join(f"{totals[c]:>12}" for c in REPORT_COLUMNS))
    print(f"sent from the station: {sent['sendings']}, takings ¥{sent['takings_yuan']}")
    print(f"received without the recipient's consent (courier to call): {refused}")
    return 0


def cmd_operator_add(args: argparse.Namespace, ctx: Context) -> int:

    pin = args.pin
    if pin is None:
        pin = getpass.getpass(f"PIN for {args.id}: ")
        if getpass.getpass("the same PIN again: ") != pin:
            print("the two PINs differ: nothing saved", file=sys.stderr)
            return 2
    problem = pin_problem(pin)
    if problem:
        print(f"--pin: {problem}", file=sys.stderr)
        return 2
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,32}", args.id):
        print(
            "ID: letters, digits, '_', '.', '-' (at most 32), printed on the OP: card",
            file=sys.stderr,
        )
        return 2
    ctx.store().add_operator(args.id, args.name, args.role, hash_pin(pin))
    print(f"operator {args.id} ({args.name}, {args.role}) saved; sign-in card: OP:{args.id}")
    return 0


def cmd_cards(args: argparse.Namespace, ctx: Context) -> int:
    from edge.cards import write_cards  # python-barcode: only this command uses it

    operators = [(r["id"], r["name"]) for r in ctx.store().active_operators()]
    path = write_cards(args.out, ctx.config.station.code, operators)
    print(f"wrote {path}: print it and keep the cards at the desk")
    return 0
