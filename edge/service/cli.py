"""The service desk's subcommands: ticket(s), receipt(s), send(s). edge.cli calls
register()."""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Callable
from datetime import date, datetime, time
from functools import wraps
from typing import Any

from edge.cli_support import Context, add_command, need_action, print_json, whole
from edge.service import messages, receipts_desk, sends, sends_desk, tickets, tickets_desk
from edge.service.errors import ServiceError

log = logging.getLogger(__name__)
Sub = argparse._SubParsersAction
Command = Callable[[argparse.Namespace, Context], int]


def register(sub: Sub[argparse.ArgumentParser]) -> None:
    p = add_command(sub, "ticket", need_action, "open or move on a customer ticket (工单)")
    tsub = p.add_subparsers(dest="ticket_command", metavar="ACTION", required=True)
    t = add_command(tsub, "open", cmd_ticket_open, "open an inquiry, complaint or claim")
    t.add_argument("--kind", required=True, choices=tickets.KINDS)
    t.add_argument("--waybill", action="append", default=[], help="linked waybill (repeatable)")
    t.add_argument("--phone-last4", help="last four digits of the customer's phone")
    t.add_argument("--text", required=True, help="the customer's words")
    t.add_argument("--category", choices=tickets.CATEGORIES, help="problem category")
    _operator_json(t)
    t = add_command(tsub, "update", cmd_ticket_update, "answer, settle or follow up a ticket")
    t.add_argument("id", type=whole(), metavar="ID")
    t.add_argument("--state", required=True, choices=tickets.STATES[1:])
    t.add_argument("--text", help="what was said or done")
    t.add_argument("--satisfaction", type=int, choices=range(1, 6), metavar="1-5")
    t.add_argument(
        "--unreachable", action="store_true", help="follow-up call not answered (counts a try)"
    )
    _operator_json(t)
    t = add_command(tsub, "show", cmd_ticket_show, "a ticket with its whole history")
    t.add_argument("id", type=whole(), metavar="ID")
    t.add_argument("--json", action="store_true", help="print JSON")

    p = add_command(sub, "tickets", cmd_tickets, "list tickets, oldest first")
    _list_flags(p, ("--open", "not followed up yet"), ("--overdue", "past their deadline"))

    p = add_command(sub, "receipt", need_action, "signed receipts (回单): mark, send back")
    rsub = p.add_subparsers(dest="receipt_command", metavar="ACTION", required=True)
    r = add_command(rsub, "require", cmd_receipt_require, "mark a parcel as needing a receipt")
    r.add_argument("waybill", metavar="WAYBILL")
    r.add_argument(
        "--needs",
        default="signature",
        help="what it must carry: signature,id,stamp,copies=N (default signature)",
    )
    r.add_argument(
        "--hops", type=whole(1, 1_000_000), help="transfers + 1 (default [service] setting)"
    )
    _operator_json(r)
    r = add_command(rsub, "batch", cmd_receipt_batch, "send signed receipts back in an envelope")
    r.add_argument("--carrier", required=True)
    r.add_argument("--branch", help="the sending branch it goes to")
    r.add_argument("waybills", nargs="*", metavar="WAYBILL", help="default: all signed")
    _operator_json(r)
    r = add_command(rsub, "confirm", cmd_receipt_confirm, "head office confirmed an envelope")
    r.add_argument("batch", type=whole(), metavar="BATCH")
    _operator_json(r)

    p = add_command(sub, "receipts", cmd_receipts, "list receipts and when they are due")
    _list_flags(p, ("--due", "not confirmed yet"), ("--overdue", "past their due date"))
    p.add_argument(
        "--month",
        metavar="YYYY-MM",
        type=month,
        help="outstanding receipts per carrier at that month's end",
    )

    p = add_command(sub, "send", cmd_send, "record a parcel sent from the station, print its price")
    p.add_argument("--carrier", required=True)
    p.add_argument("--weight-g", type=int, required=True, help="weight from the scale, grams")
    p.add_argument("--to-province", required=True, help="destination province, e.g. 湖南")
    p.add_argument("--to-city")
    p.add_argument("--to-district")
    p.add_argument("--waybill", required=True, help="the carrier's waybill, scanned")
    p.add_argument("--payment", choices=sends.PAYMENTS, default="cash")
    for who in ("sender", "receiver"):
        p.add_argument(f"--{who}-name", help="kept masked: first character only")
        p.add_argument(f"--{who}-phone-last4")
    _operator_json(p)

    p = add_command(sub, "sends", cmd_sends, "list parcels sent; the chase list with --overdue")
    _list_flags(p, ("--open", "no sign record yet"), ("--overdue", "past their sign deadline"))
    p.add_argument(
        "--day",
        metavar="YYYY-MM-DD",
        type=day,
        help="that day's count and takings instead",
    )


# Named for argparse's answer to a bad value: "invalid month value: '2026-13'".
def month(text: str) -> date:
    return date.fromisoformat(text + "-01")


def day(text: str) -> date:
    return date.fromisoformat(text)


def _operator_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--operator", help="who does it (default: cli:<login name>)")
    p.add_argument("--json", action="store_true", help="print JSON")


def _list_flags(p: argparse.ArgumentParser, *flags: tuple[str, str]) -> None:
    group = p.add_mutually_exclusive_group()
    for flag, text in flags:
        group.add_argument(flag, dest="which", action="store_const", const=flag[2:], help=text)
    p.set_defaults(which="all")
    p.add_argument("--json", action="store_true", help="one JSON object per line")


def refusals(command: Command) -> Command:
    """A ServiceError becomes a plain answer in both languages and exit status 2."""

    @wraps(command)
    def run(args: argparse.Namespace, ctx: Context) -> int:
        try:
            return command(args, ctx)
        except ServiceError as exc:
            params = {k: v for k, v in exc.params.items() if k != "fields"}
            log.info("refused: %s", exc.key)
            zh, en = (messages.text(exc.key, lang, **params) for lang in ("zh", "en"))
            print(f"{zh}\n{en}", file=sys.stderr)
            return 2

    return run


def _operator(args: argparse.Namespace) -> str:
    return str(args.operator or f"cli:{getpass.getuser()}")


def _now(ctx: Context) -> datetime:
    return datetime.now(ctx.config.tz)


def _rows(rows: list[dict[str, Any]], as_json: bool, line: Callable[[dict[str, Any]], str]) -> None:
    for row in rows:
        print_json(row) if as_json else print(line(row))
    if not as_json:
        print(f"{len(rows)} shown", file=sys.stderr)


# --- tickets -----------------------------------------------------------------------------


def _ticket_line(t: dict[str, Any]) -> str:
    flag = " OVERDUE" if t["overdue"] else ""
    return (
        f"#{t['id']:<5} {t['kind']:9} {t['category']:19} {t['state']:11} "
        f"{','.join(t['waybills']) or '-':28} due {t['due_at'] or '-'}{flag}"
    )


@refusals
def cmd_ticket_open(args: argparse.Namespace, ctx: Context) -> int:
    store, rules, now = ctx.store(), ctx.config.service, _now(ctx)
    tid = tickets_desk.open_ticket(
        store,
        rules,
        now,
        _operator(args),
        kind=args.kind,
        words=args.text,
        waybills=args.waybill,
        phone_last4=args.phone_last4,
        category=args.category,
    )
    shown = tickets_desk.present(store, rules, now, [store.service_ticket(tid)])[0]
    print_json(shown) if args.json else print(_ticket_line(shown))
    return 0


@refusals
def cmd_ticket_update(args: argparse.Namespace, ctx: Context) -> int:
    shown = tickets_desk.update_ticket(
        ctx.store(),
        ctx.config.service,
        _now(ctx),
        _operator(args),
        args.id,
        state=args.state,
        words=args.text,
        satisfaction=args.satisfaction,
        unreachable=args.unreachable,
    )
    print_json(shown) if args.json else print(_ticket_line(shown))
    return 0


@refusals
def cmd_ticket_show(args: argparse.Namespace, ctx: Context) -> int:
    store = ctx.store()
    row = store.service_ticket(args.id)
    if row is None:
        raise ServiceError("ticket.not_found", id=args.id)
    shown = tickets_desk.present(store, ctx.config.service, _now(ctx), [row])[0]
    shown["history"] = [dict(e) for e in store.service_ticket_events(args.id)]
    if args.json:
        print_json(shown)
        return 0
    print(_ticket_line(shown))
    print(f"  {shown['words']}")
    for event in shown["history"]:
        print(f"  {event['at']} {event['operator']:12} {event['action']:14} {event['words'] or ''}")
    return 0


def cmd_tickets(args: argparse.Namespace, ctx: Context) -> int:
    rules = ctx.config.service
    rows = tickets_desk.list_tickets(ctx.store(), rules, _now(ctx), args.which)
    _rows(rows, args.json, _ticket_line)
    if not args.json:
        rate = tickets_desk.follow_up_rate(ctx.store())
        print(f"follow-up rate {'-' if rate is None else f'{rate:.0%}'}", file=sys.stderr)
    return 0


# --- receipts ----------------------------------------------------------------------------


@refusals
def cmd_receipt_require(args: argparse.Namespace, ctx: Context) -> int:
    written = receipts_desk.require(
        ctx.store(),
        ctx.config.service,
        _now(ctx),
        _operator(args),
        args.waybill,
        args.needs,
        hops=args.hops,
    )
    if not written:
        raise ServiceError("receipt.already_signed", waybill=args.waybill)
    row = ctx.store().service_receipt(args.waybill)
    print_json(dict(row)) if args.json and row else print(f"receipt required: {args.waybill}")
    return 0


@refusals
def cmd_receipt_batch(args: argparse.Namespace, ctx: Context) -> int:
    store = ctx.store()
    waybills = args.waybills or [
        r["waybill"] for r in store.service_receipts(("signed",)) if r["carrier"] == args.carrier
    ]
    bid, taken = receipts_desk.send_batch(
        store, _now(ctx), _operator(args), args.carrier, args.branch, waybills
    )
    result = {"batch": bid, "carrier": args.carrier, "count": len(taken), "waybills": taken}
    print_json(result) if args.json else print(f"batch {bid}: {len(taken)} receipts sent")
    return 0


@refusals
def cmd_receipt_confirm(args: argparse.Namespace, ctx: Context) -> int:
    receipts_desk.confirm_batch(ctx.store(), _now(ctx), _operator(args), args.batch)
    print_json({"batch": args.batch, "state": "confirmed"}) if args.json else print("confirmed")
    return 0


def _receipt_line(r: dict[str, Any]) -> str:
    flag = " OVERDUE" if r["overdue"] else ""
    return (
        f"{r['waybill']:24} {r['carrier'] or '?':9} {r['state']:9} {r['requirement']:30} "
        f"due {r['due_at'] or '-'}{flag}"
    )


def cmd_receipts(args: argparse.Namespace, ctx: Context) -> int:
    if args.month:
        return _month_summary(args, ctx)
    rows = receipts_desk.list_receipts(ctx.store(), ctx.config.service, _now(ctx), args.which)
    _rows(rows, args.json, _receipt_line)
    return 0


def _month_summary(args: argparse.Namespace, ctx: Context) -> int:
    first = args.month
    after = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    end = datetime.combine(after, time(), ctx.config.tz).isoformat(timespec="seconds")
    rows = [dict(r) for r in ctx.store().service_outstanding_receipts(end)]
    _rows(rows, args.json, lambda r: f"{r['carrier'] or '?':9} {r['n']:5} outstanding")
    return 0


# --- sendings ----------------------------------------------------------------------------


@refusals
def cmd_send(args: argparse.Namespace, ctx: Context) -> int:
    done = sends_desk.send(
        ctx.store(),
        ctx.config.service,
        _now(ctx),
        _operator(args),
        carrier=args.carrier,
        weight_g=args.weight_g,
        province=args.to_province,
        waybill=args.waybill,
        payment=args.payment,
        city=args.to_city,
        district=args.to_district,
        sender_name=args.sender_name,
        sender_phone_last4=args.sender_phone_last4,
        receiver_name=args.receiver_name,
        receiver_phone_last4=args.receiver_phone_last4,
    )
    if args.json:
        print_json(done)
    else:
        print(
            f"{done['waybill']}: ¥{done['price_yuan']} ({done['zone']}, {done['weight_g']} g), "
            f"sign by {done['sign_due_at']}"
        )
    return 0


def cmd_sends(args: argparse.Namespace, ctx: Context) -> int:
    if args.day:
        start = datetime.combine(args.day, time(), ctx.config.tz)
        counts = sends_desk.day_counts(ctx.store(), start)
        print_json(counts) if args.json else print(
            f"{counts['date']}: {counts['sendings']} sendings, ¥{counts['takings_yuan']}"
        )
        return 0
    rows = sends_desk.list_sendings(ctx.store(), _now(ctx), args.which)
    _rows(
        rows,
        args.json,
        lambda s: (
            f"{s['waybill']:24} {s['carrier']:9} {s['province']:4} ¥{s['price_yuan']:>7} "
            f"{s['state']:6} sign by {s['sign_due_at']}{' CHASE' if s['overdue'] else ''}"
        ),
    )
    return 0
