"""Label printing on the page: each printer's state and queue, reprints, cancels, a
preview, and the alert the sorting screen and the status page show while a printer
fails. The printing itself is `station printer`'s: this only reads and queues."""

from __future__ import annotations

import io
import logging
import sqlite3
from typing import Any

from flask import Blueprint, g, jsonify, redirect, render_template, request, send_file, url_for
from werkzeug.wrappers import Response

from edge.devices.printers.queue import printer_for, queue_reprint
from web import context
from web.context import PageError, bad

log = logging.getLogger(__name__)
bp = Blueprint("labels", __name__)

KIND_KEYS = {
    "receive": "labels.kind_receive",
    "reprint": "labels.kind_reprint",
    "test": "labels.kind_test",
}
STATE_KEYS = {
    "pending": "labels.job_pending",
    "printed": "labels.job_printed",
    "cancelled": "labels.job_cancelled",
}


def trouble() -> list[dict[str, Any]]:
    """Printers failing now, each with the alert's words."""
    out = []
    for row in context.store().printing_trouble():
        text = context.t(
            "labels.alert", name=row["name"], detail=row["detail"] or "", n=row["waiting"]
        )
        out.append({**dict(row), "text": text})
    return out


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {"printer_trouble": trouble}


@bp.get("/labels")
def index() -> str:
    configured = [p.name for p in context.config().printers]
    seen = {r["name"]: dict(r) for r in context.store().printing_printers()}
    printers = [seen.get(name, {"name": name, "state": None, "waiting": 0}) for name in configured]
    printers += [row for name, row in seen.items() if name not in configured]
    return render_template(
        "labels.html",
        printers=printers,
        jobs=[
            {
                **dict(j),
                "kind_text": context.t(KIND_KEYS[j["kind"]]),
                "state_text": context.t(STATE_KEYS[j["state"]]),
                "can_cancel": j["state"] == "pending" and may_cancel(j),
            }
            for j in context.store().printing_jobs(50)
        ],
        queued=request.args.get("queued", ""),
    )


@bp.post("/labels/reprint")
def reprint() -> Response:
    waybill = (request.form.get("waybill") or "").strip()
    if not waybill:
        raise bad("labels.no_code", waybill="—")
    device = context.desk_device()
    printer = printer_for(device, context.config().printers)
    if printer is None:
        log.info("reprint of %s refused: no printer serves %s", waybill[:40], device)
        raise PageError(409, "labels.no_printer")
    job = queue_reprint(
        context.store(), waybill, printer.name, device, context.operator_id(), context.now_iso()
    )
    if job is None:
        log.info("reprint of %s refused: no pickup code", waybill[:40])
        raise PageError(404, "labels.no_code", waybill=waybill[:40])
    return redirect(url_for("labels.index", queued=waybill))


def may_cancel(job: sqlite3.Row) -> bool:
    """A waiting label is cancelled by whoever asked for it (the receive's or reprint's
    operator) or by a supervisor: a clerk cannot drop another clerk's labels."""
    return g.operator["role"] == "supervisor" or job["requested_by"] == context.operator_id()


@bp.post("/labels/cancel/<int:job_id>")
def cancel(job_id: int) -> Response:
    store, operator = context.store(), context.operator_id()
    job = store.printing_job(job_id)
    if job is None:
        log.info("cancel of print job %d refused: no such job", job_id)
        raise PageError(404, "labels.no_job", job=job_id)
    if not may_cancel(job):
        log.info("cancel of print job %d by %s refused: not theirs", job_id, operator)
        raise PageError(403, "labels.not_yours")
    detail = {"printer": job["printer"], "kind": job["kind"], "waybill": job["waybill"] or ""}
    if not store.printing_cancel(job_id, operator, context.now_iso(), **detail):
        raise PageError(409, "labels.not_waiting", state=context.t(STATE_KEYS[job["state"]]))
    return redirect(url_for("labels.index"))


@bp.get("/labels/preview/<waybill>.png")
def preview(waybill: str) -> Response:
    from edge.devices.printers.render import label_data
    from edge.devices.printers.render import preview as draw_label
    from edge.devices.printers.settings import PrinterSection

    row = context.store().printing_label_of(waybill)
    if row is None:
        raise PageError(404, "labels.no_code", waybill=waybill[:40])
    config = context.config()
    printer = printer_for(context.desk_device(), config.printers) or PrinterSection(
        name="preview", device="/dev/null"
    )
    out = io.BytesIO()
    draw_label(label_data(row, config.tz), printer, config.printing).save(out, format="PNG")
    out.seek(0)
    return send_file(out, mimetype="image/png", max_age=0)


@bp.get("/api/labels/trouble")
def api_trouble() -> Any:
    return jsonify(printers=trouble())
