"""Work at the counter from the page: receive, pickup (签收), dispatch, problems."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from flask import Blueprint, g, jsonify, render_template, request

from edge.appliance import disk
from edge.barcode import DISPATCH_REASONS, PROBLEM_CODES, SIGNER_RELATIONS
from edge.carriers import CARRIERS
from edge.privacy import valid_last4
from edge.station import Outcome
from web import catalog, context, live, photos
from web.context import PageError, bad
from web.present import hms, outcome_card

bp = Blueprint("desk", __name__)
log = logging.getLogger(__name__)


def _last4(field: str) -> str | None:
    value = (request.form.get(field) or "").strip()
    if not value:
        return None
    if not valid_last4(value):
        raise bad("err.last4", field=context.t("field." + field))
    return value


def _choice(field: str, allowed: tuple[str, ...] | frozenset[str], default: str | None) -> Any:
    value = (request.form.get(field) or "").strip() or default
    if value is not None and value not in allowed:
        raise bad("err.bad_choice", field=context.t("field." + field))
    return value


def _code() -> str:
    code = (request.form.get("code") or "").strip()
    if not code:
        raise bad("err.code_missing")
    return code


def take_photos() -> tuple[str, ...]:
    """Clean and store the request's photos; their rows exist before any scan names them."""
    config = context.config()
    web = config.web
    uploads = [u for u in request.files.getlist("photo") if u.filename]
    data_dir = context.state().data_dir
    if uploads and disk.photo_space_ok(data_dir, config) is not None:
        # Photos give way first, so the disk keeps room for scans.
        raise PageError(
            507,
            "photo.disk_full",
            free=round(disk.free_mb(data_dir)),
            limit=config.appliance.min_free_mb,
        )
    taken = []
    for upload in uploads:
        data = upload.stream.read(web.photo_max_mb * 10**6 + 1)
        try:
            jpeg = photos.clean_jpeg(
                data,
                max_px=web.photo_max_px,
                quality=web.photo_quality,
                max_bytes=web.photo_max_mb * 10**6,
            )
        except photos.PhotoError as exc:
            raise bad(exc.key, **exc.params) from None
        stored = photos.save(data_dir, jpeg)
        context.store().web_add_photo(
            stored.sha256, stored.path.as_posix(), stored.size, context.now_iso()
        )
        taken.append(stored.sha256)
    return tuple(dict.fromkeys(taken))


def _answer(outcome: Any) -> Any:
    return jsonify(outcome_card(outcome, context.lang(), hms(context.now_iso())))


# --- receive -----------------------------------------------------------------------------


@bp.get("/receive")
def receive() -> str:
    return render_template("receive.html", carriers=sorted(CARRIERS), scale=live.desk_scale())


@bp.post("/api/receive")
def api_receive() -> Any:
    code = _code()
    carrier = _choice("carrier", CARRIERS, None)
    phone = _last4("phone_last4")
    # The core refuses it unless the operator is an active supervisor, and audits it.
    override = request.form.get("override") == "1"
    weight = live.desk_scale()["stable_g"]
    outcome = context.scan(
        "receive", code, weight_g=weight, phone_last4=phone, carrier_hint=carrier,
        override=override,
    )  # fmt: skip
    answer = outcome_card(outcome, context.lang(), hms(context.now_iso()))
    answer["carrier_text"] = carrier_text(outcome)
    if outcome.message_key == "signed_today" and g.operator["role"] == "supervisor":
        answer["override"] = context.t("receive.override")
    return jsonify(answer)


def carrier_text(outcome: Outcome) -> str:
    """The carrier that was (or would be) recorded and who decided it; the candidates
    when none could be decided."""
    lang = context.lang()
    if outcome.status == "refused" and not outcome.waybill:
        return ""
    if not outcome.carrier:
        names = "、".join(catalog.label("carrier", c, lang) for c in outcome.carriers)
        unknown = context.t("report.unknown_carrier")
        return unknown + (" · " + context.t("receive.maybe", carriers=names) if names else "")
    return context.t(
        "receive.recorded",
        carrier=catalog.label("carrier", outcome.carrier, lang),
        confidence=catalog.label("confidence", outcome.confidence, lang),
    )


@bp.get("/api/weight")
def api_weight() -> Any:
    return jsonify(live.desk_scale())


# --- pickup ------------------------------------------------------------------------------


def pickup_candidates(query: str) -> list[sqlite3.Row]:
    """Every parcel on the shelves for the phone(s) behind a pickup code, phone or waybill."""
    store = context.store()
    found = store.find_parcels(query)
    phones = {r["phone_last4"] for r in found if r["state"] == "on_shelf" and r["phone_last4"]}
    rows = {r["waybill"]: r for r in found}
    for phone in sorted(phones):
        for row in store.find_parcels(phone, limit=200):
            if row["state"] == "on_shelf" and row["phone_last4"] == phone:
                rows[row["waybill"]] = row
    return sorted(rows.values(), key=lambda r: (r["state"] != "on_shelf", r["pickup_code"] or ""))


@bp.get("/pickup")
def pickup() -> str:
    query = (request.args.get("q") or "").strip()
    parcels = pickup_candidates(query) if query else []
    return render_template(
        "pickup.html", query=query, parcels=parcels, relations=SIGNER_RELATIONS, results=None
    )


def entry_kept(template: str, exc: PageError, **page: Any) -> Any:
    """A refused form shown again with its message and what the clerk entered, so no
    typing is lost (a chosen photo must be chosen again: browsers never refill files)."""
    message = context.t(exc.key, **exc.params)
    log.info("form %s refused: %s", request.path, exc.key)
    return render_template(template, error=message, form=request.form, **page), exc.status


@bp.post("/pickup")
def pickup_sign() -> Any:
    waybills = list(dict.fromkeys(w.strip() for w in request.form.getlist("waybill") if w.strip()))
    query = (request.form.get("q") or "").strip()[:64]
    try:
        return _sign(waybills)
    except PageError as exc:
        if exc.status >= 500:
            raise
        return entry_kept(
            "pickup.html",
            exc,
            query=query,
            parcels=pickup_candidates(query) if query else [],
            relations=SIGNER_RELATIONS,
            results=None,
            ticked=set(waybills),
        )


def _sign(waybills: list[str]) -> Any:
    if not waybills:
        raise bad("err.pickup_none")
    relation = _choice("relation", SIGNER_RELATIONS, "self")
    id_last4 = _last4("id_last4")
    note = (request.form.get("note") or "").strip()[:200] or None
    if relation != "self" and not note:
        raise bad("err.relation_note")
    shas = take_photos()
    results = []
    for waybill in waybills:
        outcome = context.scan(
            "sign",
            waybill,
            signer_relation=relation,
            signer_id_last4=id_last4,
            note=note,
            photos=shas,
        )
        results.append(outcome_card(outcome, context.lang()))
    status = 200 if any(r["status"] == "accepted" for r in results) else 409
    return render_template(
        "pickup.html",
        query="",
        parcels=[],
        relations=SIGNER_RELATIONS,
        results=results,
        photos=shas,
    ), status


# --- dispatch and problems -----------------------------------------------------------


@bp.get("/dispatch")
def dispatch() -> str:
    return render_template("dispatch.html", reasons=DISPATCH_REASONS)


@bp.post("/api/dispatch")
def api_dispatch() -> Any:
    code = _code()
    reason = _choice("reason", DISPATCH_REASONS, None)
    if reason is None:
        raise bad("err.bad_choice", field=context.t("field.reason"))
    outcome = context.scan("dispatch", code, reason=reason)
    return _answer(outcome)


@bp.route("/problem", methods=["GET", "POST"])
def problem() -> Any:
    if request.method == "GET":
        return render_template("problem.html", codes=PROBLEM_CODES, result=None)
    try:
        return _problem()
    except PageError as exc:
        if exc.status >= 500:
            raise
        return entry_kept("problem.html", exc, codes=PROBLEM_CODES, result=None)


def _problem() -> Any:
    code = _code()
    reason = _choice("problem_code", PROBLEM_CODES, None)
    if reason is None:
        raise bad("err.bad_choice", field=context.t("field.problem_code"))
    note = (request.form.get("note") or "").strip()[:200] or None
    if reason == "damaged" and not any(f.filename for f in request.files.getlist("photo")):
        raise bad("err.damaged_photo")
    shas = take_photos()
    outcome = context.scan("problem", code, reason=reason, note=note, photos=shas)
    result = outcome_card(outcome, context.lang())
    status = 409 if result["status"] == "refused" else 200
    return render_template("problem.html", codes=PROBLEM_CODES, result=result, photos=shas), status
