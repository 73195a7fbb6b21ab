"""What goes into a print job, and asking for a reprint (the page, the CLI). Light: the
page imports it without the renderers."""

from __future__ import annotations

import fnmatch
import sqlite3

from edge.devices.printers.settings import PrinterSection
from edge.store import Store


def printer_for(device: str, printers: list[PrinterSection]) -> PrinterSection | None:
    """The printer a desk's labels go to: the first naming it (globs allowed, e.g.
    web:*), else the first naming no desk; None when no printer takes them."""
    for printer in printers:
        if any(fnmatch.fnmatchcase(device, pattern) for pattern in printer.desks):
            return printer
    return next((p for p in printers if not p.desks), None)


def queue_reprint(
    store: Store, waybill: str, printer: str, device: str, actor: str | None, at: str
) -> int | None:
    """Queue a reprint of ``waybill``'s label; None when it has no pickup code."""
    row = store.printing_label_of(waybill)
    if row is None:
        return None
    return store.printing_enqueue(
        {
            "printer": printer,
            "kind": "reprint",
            "device": device,
            "requested_by": actor,
            "created_at": at,
            **label_fields(row),
        }
    )


def label_fields(row: sqlite3.Row) -> dict[str, str | None]:
    """The words of a label, from a read or an earlier job."""
    keys = row.keys()
    return {
        "waybill": row["waybill"],
        "pickup_code": row["pickup_code"],
        "shelf": row["shelf"],
        "phone_last4": row["phone_last4"],
        **({"received_at": row["received_at"]} if "received_at" in keys else {}),
    }
