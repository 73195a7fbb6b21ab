"""`station courier`, `station handover`, `station problems`, `station fee` and
`station report monthly`."""

from __future__ import annotations

import argparse
import io
import sys
from datetime import date, datetime, time, timedelta
from typing import Any

from edge import csvsafe
from edge.cards import write_cards
from edge.carriers import CARRIERS
from edge.cli_support import Context, add_command, need_action, print_json, whole
from edge.desk import money, summaries
from edge.desk.rules import COURIER_ID
from edge.privacy import scrub, valid_last4

Sub = argparse._SubParsersAction


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    p = add_command(sub, "courier", need_action, "couriers who hand over and take parcels")
    csub = p.add_subparsers(dest="courier_command", metavar="ACTION", required=True)
    c = add_command(csub, "add", cmd_courier_add, "add a courier (or change their details)")
    c.add_argument("id", metavar="ID", help="printed on the courier's COURIER: card")
    c.add_argument("--name", required=True)
    c.add_argument("--carrier", required=True, help="carrier code, e.g. zto")
    c.add_argument("--phone-last4", help="last four digits of the courier's phone")
    c = add_command(csub, "list", cmd_courier_list, "list couriers")
    c.add_argument("--json", action="store_true", help="one JSON object per courier")
    c = add_command(csub, "cards", cmd_courier_cards, "write a printable page of courier cards")
    c.add_argument("--out", default="courier-cards.html", help="output HTML file")

    p = add_command(sub, "handover", need_action, "courier handovers (到件交接)")
    hsub = p.add_subparsers(dest="handover_command", metavar="ACTION", required=True)
    h = add_command(hsub, "list", cmd_handover_list, "handovers, newest first")
    h.add_argument("--date", metavar="YYYY-MM-DD", help="only those opened that local day")
    h.add_argument("--json", action="store_true", help="one JSON object per handover")
    h = add_command(hsub, "show", cmd_handover_show, "one handover sheet")
    h.add_argument("id", type=whole(), metavar="ID")
    h.add_argument("--json", action="store_true", help="print JSON")

    p = add_command(sub, "problems", cmd_problems, "problem parcels and how they ended")
    p.add_argument("--open", action="store_true", help="only those not resolved yet")
    p.add_argument("--json", action="store_true", help="one JSON object per problem")

    p = add_command(sub, "fee", cmd_fee_set, "set a piece fee a carrier pays (in fen)")
    p.add_argument("carrier", metavar="CARRIER")
    p.add_argument("kind", choices=money.FEE_KINDS, help="storage: per day beyond --free-days")
    p.add_argument("fen", type=int, metavar="FEN", help="fee in fen (1 yuan = 100 fen)")
    p.add_argument("--from", dest="effective_from", required=True, metavar="YYYY-MM-DD")
    p.add_argument("--free-days", type=int, help="storage: days on the shelf free of charge")

    report = sub.choices["report"]
    rsub = next(a for a in report._actions if isinstance(a, argparse._SubParsersAction))
    r = add_command(
        rsub, "monthly", cmd_report_monthly, "per carrier for one month: counts and fees due"
    )
    r.add_argument("--month", required=True, metavar="YYYY-MM")
    out = r.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print JSON")
    out.add_argument("--csv", action="store_true", help="print CSV")
    out.add_argument("--xlsx", metavar="FILE", help="write an Excel workbook")


def _fail(text: str) -> int:
    print(text, file=sys.stderr)
    return 2


def cmd_courier_add(args: argparse.Namespace, ctx: Context) -> int:
    if not COURIER_ID.match(args.id):
        return _fail("ID: letters, digits, '_', '.', '-' (at most 32)")
    carrier = args.carrier.lower()
    if carrier not in CARRIERS:
        return _fail(f"--carrier: one of {', '.join(sorted(CARRIERS))}")
    if args.phone_last4 is not None and not valid_last4(args.phone_last4):
        return _fail("--phone-last4: exactly four digits")
    now = datetime.now(ctx.config.tz).isoformat(timespec="seconds")
    name = scrub(args.name.strip())
    ctx.store().courier_save(args.id, name, carrier, args.phone_last4, now)
    print(f"courier {args.id} ({name}, {carrier}) saved; handover card: COURIER:{args.id}")
    return 0


COURIER_FIELDS = ("id", "name", "carrier", "phone_last4", "active", "created_at")


def cmd_courier_list(args: argparse.Namespace, ctx: Context) -> int:
    for row in ctx.store().couriers():
        if args.json:
            print_json({k: row[k] for k in COURIER_FIELDS})
        else:
            phone = f"****{row['phone_last4']}" if row["phone_last4"] else ""
            print(f"{row['id']:12} {row['carrier']:10} {row['name']} {phone}")
    return 0


def cmd_courier_cards(args: argparse.Namespace, ctx: Context) -> int:
    couriers = [(r["id"], r["name"]) for r in ctx.store().couriers() if r["active"]]
    path = write_cards(args.out, ctx.config.station.code, [], couriers)
    print(f"wrote {path}: {len(couriers)} courier cards (COURIER:ID)")
    return 0


def cmd_handover_list(args: argparse.Namespace, ctx: Context) -> int:
    start = end = None
    if args.date:
        try:
            day = date.fromisoformat(args.date)
        except ValueError:
            return _fail(f"--date: expected YYYY-MM-DD, got {args.date!r}")
        first = datetime.combine(day, time(), ctx.config.tz)
        start, end = first.isoformat(), (first + timedelta(days=1)).isoformat()
    store = ctx.store()
    for row in store.handovers(start, end):
        sheet = summaries.handover(store, row["id"])
        assert sheet is not None
        if args.json:
            print_json(_brief(sheet))
        else:
            print(_line(sheet))
    return 0


def _brief(sheet: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in sheet.items() if not k.endswith("_waybills")}


def _line(sheet: dict[str, Any]) -> str:
    return (
        f"#{sheet['id']} {sheet['opened_at']} {sheet['carrier']} {sheet['courier_name']}: "
        f"scanned {sheet['scanned']}, expected {sheet['expected']}, missing {sheet['missing']}, "
        f"extra {sheet['extra']} ({'closed' if sheet['closed_at'] else 'open'})"
    )


def cmd_handover_show(args: argparse.Namespace, ctx: Context) -> int:
    sheet = summaries.handover(ctx.store(), args.id)
    if sheet is None:
        print(f"no handover {args.id}", file=sys.stderr)
        return 1
    if args.json:
        print_json(sheet)
        return 0
    print(_line(sheet))
    for key in ("missing_waybills", "extra_waybills"):
        print(f"{key.split('_')[0]}: {' '.join(sheet[key]) or '-'}")
    print(f"signed: {'yes' if sheet['signature'] else 'no'}")
    return 0


PROBLEM_FIELDS = ("seq", "waybill", "carrier", "problem_code", "scanned_at", "operator", "note",
                  "resolution", "resolution_note", "resolved_by", "resolved_at")  # fmt: skip


def cmd_problems(args: argparse.Namespace, ctx: Context) -> int:
    for row in ctx.store().problems(open_only=args.open):
        if args.json:
            print_json({k: row[k] for k in PROBLEM_FIELDS})
        else:
            end = row["resolution"] or "open"
            print(f"{row['seq']:>6} {row['scanned_at'][:16]} {row['waybill']:20} "
                  f"{row['carrier'] or '-':10} {row['problem_code']:16} {end}")  # fmt: skip
    return 0


def cmd_fee_set(args: argparse.Namespace, ctx: Context) -> int:
    carrier = args.carrier.lower()
    if carrier not in CARRIERS:
        return _fail(f"CARRIER: one of {', '.join(sorted(CARRIERS))}")
    if not money.fee_in_range(args.fen, args.free_days):
        return _fail(f"FEN: 0 to {money.MAX_FEE_FEN}; --free-days: 0 to {money.MAX_FREE_DAYS}")
    try:
        day = date.fromisoformat(args.effective_from)
    except ValueError:
        return _fail(f"--from: expected YYYY-MM-DD, got {args.effective_from!r}")
    now = datetime.now(ctx.config.tz).isoformat(timespec="seconds")
    ctx.store().fee_set(carrier, args.kind, day.isoformat(), args.fen, args.free_days, now, None)
    print(f"{carrier} {args.kind}: {args.fen} fen from {day.isoformat()}")
    return 0


def cmd_report_monthly(args: argparse.Namespace, ctx: Context) -> int:
    month = money.parse_month(args.month)
    if month is None:
        return _fail(f"--month: expected YYYY-MM, got {args.month!r}")
    body = summaries.monthly(ctx.store(), ctx.config, month, datetime.now(ctx.config.tz))
    rows = summaries.statement_rows(body)
    if args.json:
        print_json(body)
    elif args.csv:
        out = io.StringIO()
        csvsafe.writer(out).writerows(rows)
        sys.stdout.write(out.getvalue())
    elif args.xlsx:
        from edge.desk.workbook import write_xlsx

        write_xlsx(args.xlsx, body, rows)
        print(f"wrote {args.xlsx}")
    else:
        print(f"Monthly statement {month} — station {body['station']} (fees in fen)")
        for row in rows:
            print(f"{row[0]:12}" + "".join(f"{v:>16}" for v in row[1:]))
    if body["uncorrected"]:
        print(f"note: {body['uncorrected']} scans recorded before the clock synced wait for "
              "their correction and are not counted yet", file=sys.stderr)  # fmt: skip
    return 0
