"""The scan core: one code in, one durable, meaningful record and an answer out.

Every path ends in a single transaction that journals the read (what was scanned and
what the clerk was told) and, when accepted, appends the scan and updates the parcel.
The answer is returned only after that transaction commits.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from edge import barcode, carriers, collect, identify, rules, shelving
from edge.clock import Clock, Instant, SystemClock
from edge.config import Config
from edge.desk import layout
from edge.messages import Message
from edge.privacy import valid_last4
from edge.service import receipts_desk
from edge.service.errors import ServiceError
from edge.store import Store, StoreError

log = logging.getLogger(__name__)


# Heavier than any parcel a pickup station takes: a typo or a broken scale reading.
MAX_WEIGHT_G = 500_000
MAX_PICKUP_TRIES = 1000
NEVER_RECEIVED_NOTE = "dispatched without a receive at this station"


@dataclass
class Desk:
    """What one gun (or page) is doing: its mode, operator, reasons and batch carrier."""

    device: str
    mode: str = "receive"
    operator: str | None = None
    dispatch_reason: str = "delivery"
    problem_code: str = "other"
    carrier: str | None = None
    # The gun's mode from its config; a mode card lapses back to it when the gun idles.
    default_mode: str = "receive"

    def reason(self) -> str | None:
        if self.mode == "dispatch":
            return self.dispatch_reason
        if self.mode == "problem":
            return self.problem_code
        return None


@dataclass
class ScanRequest:
    type: str
    code: str
    device: str
    operator: str | None = None
    weight_g: int | None = None
    phone_last4: str | None = None
    reason: str | None = None
    signer_relation: str | None = None
    signer_id_last4: str | None = None
    note: str | None = None
    photos: tuple[str, ...] = ()
    carrier_hint: str | None = None
    raw: str | None = None
    # Notices that go with the answer (amber), e.g. the gun's mode just lapsed.
    warnings: tuple[str, ...] = ()
    # A supervisor's confirmation that a parcel signed today really came back.
    override: bool = False
    # The 回单 form checked the parcel's signed receipt before signing it.
    receipt_checked: bool = False


@dataclass
class Outcome:
    status: rules.Status
    message_key: str
    message_zh: str
    message_en: str
    event_id: str | None = None
    seq: int | None = None
    read_id: int | None = None
    type: str | None = None
    waybill: str | None = None
    carrier: str | None = None
    carriers: list[str] = field(default_factory=list)
    # Who decided the carrier: manifest, batch, check_digit, pattern or none.
    confidence: str = "none"
    shelf: str | None = None
    pickup_code: str | None = None
    weight_g: int | None = None
    warnings: list[str] = field(default_factory=list)
    command: str | None = None
    # The gun's mode after this read, so the page can colour it; first_in_mode: the
    # first scan since the mode changed (spoken by the page).
    mode: str | None = None
    first_in_mode: bool = False
    # A pickup QR's parcels on the shelf ({waybill, shelf, pickup_code}), to sign as self.
    collect: list[dict[str, Any]] = field(default_factory=list)

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh

    def to_json(self, lang: str = "zh") -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["message"] = self.message(lang)
        return data


class Station:
    def __init__(self, store: Store, config: Config, clock: Clock | None = None) -> None:
        self.store = store
        self.config = config
        self.clock: Clock = clock or SystemClock()
        self.tz = config.tz
        self.shelving = shelving.Shelving(config)
        self._layout_version = 0

    # --- desks ---

    def desk(self, device: str, default_mode: str = "receive") -> Desk:
        row = self.store.desk_row(device)
        if row is None:
            return Desk(device=device, mode=default_mode, default_mode=default_mode)
        return Desk(
            device=device,
            mode=row["mode"],
            operator=row["operator"],
            dispatch_reason=row["dispatch_reason"],
            problem_code=row["problem_code"],
            carrier=row["carrier"],
            default_mode=default_mode,
        )

    def ensure_desk(self, device: str, default_mode: str) -> Desk:
        """The desk, written to the store if it has no row yet, so the sorting screen shows
        every gun's mode and operator from the start, not only after a card."""
        if self.store.desk_row(device) is None:
            with self.store.transaction():
                desk = Desk(device, mode=default_mode, default_mode=default_mode)
                self.store.save_desk(
                    {**dataclasses.asdict(desk), "updated_at": self.clock.now(self.tz).iso}
                )
        return self.desk(device, default_mode)

    # --- entry points ---

    def read(self, raw: str, desk: Desk, *, weight_g: int | None = None) -> Outcome:
        """A code as typed by a gun or a scan field. Command cards change ``desk``.

        Every code gets an answer: an unexpected error is logged with the code and
        answered "read error, scan again" (journalled when the store allows)."""
        now = self.clock.now(self.tz)
        try:
            return self._read(now, raw, desk, weight_g)
        except Exception:  # a bug in one code's path must never leave the gun silent
            log.exception("read of %r failed unexpectedly", raw[:120])
            msg = Message("read_error")
            try:
                return self._guarded(
                    lambda: self._journal(
                        now, desk.device, desk.operator, raw, None, "invalid", None, "refused", msg
                    )
                )
            except Exception:
                log.exception("read error for %r could not be journalled", raw[:120])
                return Outcome("refused", msg.key, msg.zh, msg.en)

    def _read(self, now: Instant, raw: str, desk: Desk, weight_g: int | None) -> Outcome:
        if collect.looks_like(raw.strip()):  # a pickup QR: longer than any waybill
            return self._guarded(lambda: self._collect(now, raw.strip(), desk))
        norm = barcode.normalise(
            raw, self.config.scanning.min_length, self.config.scanning.max_length
        )
        if isinstance(norm, Message):
            return self._guarded(
                lambda: self._journal(
                    now, desk.device, desk.operator, raw, None, "invalid", None, "refused", norm
                )
            )
        command = barcode.parse_command(norm.text)
        last = self.store.last_read(desk.device)
        lapsed = command is None and self._guarded_lapse(now, desk, last)
        if command is None:
            req = ScanRequest(
                type=desk.mode,
                code=(norm.aim or "") + norm.text if barcode.aim_matters(norm.aim) else norm.text,
                device=desk.device,
                operator=desk.operator,
                weight_g=weight_g,
                reason=desk.reason(),
                carrier_hint=desk.carrier,
                raw=raw,
                warnings=("mode_lapsed",) if lapsed else (),
            )
            # The read just fetched serves the double-read check, unless a lapse
            # journalled a newer one.
            seen = None if lapsed else last
            outcome = self._guarded(lambda: self._scan(now, req, from_gun=True, last=seen))
            # The first scan in a mode other than receive is spoken, so no one misses it.
            outcome.mode = desk.mode
            outcome.first_in_mode = desk.mode != "receive" and (
                lapsed or last is None or last["type"] != desk.mode
            )
            return outcome
        if isinstance(command, Message):
            return self._guarded(
                lambda: self._desk_answer(now, desk, raw, norm.text, "refused", command)
            )
        outcome = self._guarded(lambda: self._command(now, raw, norm.text, command, desk))
        outcome.mode = desk.mode  # a mode card's answer shows the mode it set
        return outcome

    def _collect(self, now: Instant, code: str, desk: Desk) -> Outcome:
        """A recipient's pickup QR (扫码取件): their parcels here, with shelves, to sign."""
        key = self.store.collect_key()
        parcels: list[dict[str, Any]] = []
        try:
            if key is None:
                raise collect.TokenRefused("collect_no_key")
            pickup = collect.verify(code, key, self.config.station.code, now.wall)
        except collect.TokenRefused as refused:
            msg = Message(refused.key)
        else:
            for waybill in pickup.waybills:
                row = self.store.parcel(waybill)
                if row is not None and row["state"] == "on_shelf":
                    parcels.append({k: row[k] for k in ("waybill", "shelf", "pickup_code")})
            shelves = " ".join(sorted({p["shelf"] or "-" for p in parcels}))
            msg = Message("collect_ready" if parcels else "collect_none", {
                "count": len(parcels), "shelves": shelves})  # fmt: skip
        status: rules.Status = "accepted" if parcels else "refused"
        outcome = self._journal(
            now, desk.device, desk.operator, code, None, "command", None, status, msg,
            command="collect",
        )  # fmt: skip
        outcome.collect = parcels
        return outcome

    def incomplete(self, raw: str, desk: Desk, reason: str) -> Outcome:
        """A read the gun's decoder threw away (too short, too long, keys lost): the clerk
        still gets an answer and the read is journalled."""
        now = self.clock.now(self.tz)
        msg = Message("incomplete_read")
        log.info("gun %s: incomplete read %r (%s)", desk.device, raw[:120], reason)
        return self._guarded(
            lambda: self._journal(
                now, desk.device, desk.operator, raw, None, "invalid", None, "refused", msg
            )
        )

    def _guarded_lapse(self, now: Instant, desk: Desk, last: Any) -> bool:
        """Put an idle gun back to its default mode (and no batch carrier), journalling a
        notice; True when it lapsed. A parcel scanned an hour after a PROBLEM:DAMAGED
        card must not be recorded as damaged."""
        idle_ns = int(self.config.scanning.mode_idle_min * 60e9)
        changed = desk.mode != desk.default_mode or desk.carrier is not None
        if not changed or idle_ns <= 0 or last is None:
            return False
        if last["boot_id"] == now.boot_id and now.mono_ns - last["mono_ns"] < idle_ns:
            return False
        had_carrier = desk.carrier is not None
        desk.mode, desk.carrier = desk.default_mode, None
        minutes = round(self.config.scanning.mode_idle_min)
        key = "mode_lapsed_carrier" if had_carrier else "mode_lapsed"
        notice = Message(key, {"minutes": minutes, "mode": desk.mode})

        def run() -> Outcome:
            with self.store.transaction():
                self.store.save_desk({**dataclasses.asdict(desk), "updated_at": now.iso})
                self.store.audit("desk.mode_lapsed", desk.operator, desk.device, mode=desk.mode)
                return self._journal(
                    now,
                    desk.device,
                    desk.operator,
                    "",
                    None,
                    "command",
                    None,
                    "accepted",
                    notice,
                    command="mode",
                )

        self._guarded(run)
        return True

    def scan(self, req: ScanRequest) -> Outcome:
        """Record one scan with every detail given (a tap on the page, the CLI): a
        deliberate act, so no double-read check. Answers after the commit."""
        now = self.clock.now(self.tz)
        return self._guarded(lambda: self._scan(now, req, from_gun=False))

    def undo_last(self, device: str, actor: str | None, reason: str = "") -> Outcome:
        now = self.clock.now(self.tz)

        def run() -> Outcome:
            with self.store.transaction():
                seq = self.store.last_scan_seq(device)
                if seq is None:
                    return self._journal(
                        now,
                        device,
                        actor,
                        "UNDO",
                        "UNDO",
                        "command",
                        None,
                        "refused",
                        Message("nothing_to_undo"),
                    )
                return self._undo(now, seq, device, actor, reason)

        return self._guarded(run)

    def undo(self, seq: int, actor: str, reason: str, device: str | None = None) -> Outcome:
        now = self.clock.now(self.tz)

        def run() -> Outcome:
            with self.store.transaction():
                return self._undo(now, seq, device or f"web:{actor}", actor, reason)

        return self._guarded(run)

    # --- internals ---

    def _guarded(self, action: Any) -> Outcome:
        try:
            outcome: Outcome = action()
        except StoreError as exc:
            log.error("scan not recorded: %s", exc)
            msg = Message("store_failed")
            return Outcome("refused", msg.key, msg.zh, msg.en)
        return outcome

    def _journal(
        self,
        now: Instant,
        device: str,
        operator: str | None,
        raw: str,
        code: str | None,
        kind: str,
        scan_type: str | None,
        status: rules.Status,
        message: Message,
        **extra: Any,
    ) -> Outcome:
        """Record the read and build the answer (inside the caller's transaction, or its own)."""
        outcome = Outcome(
            status,
            message.key,
            message.zh,
            message.en,
            type=scan_type,
            **{k: v for k, v in extra.items() if k in _OUTCOME_FIELDS},
        )
        with self.store.transaction():
            outcome.read_id = self.store.insert_read(
                {
                    "at": now.iso,
                    "boot_id": now.boot_id,
                    "mono_ns": now.mono_ns,
                    "device": device,
                    "operator": operator,
                    "raw": raw[:500],
                    "code": code,
                    "kind": kind,
                    "type": scan_type,
                    "status": status,
                    "message_key": message.key,
                    "message_zh": message.zh,
                    "message_en": message.en,
                    "event_id": outcome.event_id,
                    "seq": outcome.seq,
                    "waybill": outcome.waybill,
                    "carrier": outcome.carrier,
                    "shelf": outcome.shelf,
                    "pickup_code": outcome.pickup_code,
                    "weight_g": outcome.weight_g,
                    "warnings": outcome.warnings,
                }
            )
        return outcome

    def _answer(
        self,
        now: Instant,
        req: ScanRequest,
        raw: str,
        status: rules.Status,
        message: Message,
        extra: dict[str, Any],
    ) -> Outcome:
        """Journal a scan's read and build its answer."""
        return self._journal(
            now, req.device, req.operator, raw, req.code, "scan", req.type, status, message, **extra
        )

    def _desk_answer(
        self,
        now: Instant,
        desk: Desk,
        raw: str,
        code: str | None,
        status: rules.Status,
        message: Message,
        **extra: Any,
    ) -> Outcome:
        """Journal a command card's read at ``desk`` and build its answer."""
        return self._journal(
            now, desk.device, desk.operator, raw, code, "command", None, status, message, **extra
        )

    def _double_read(
        self, now: Instant, device: str, code: str, scan_type: str | None, last: Any = None
    ) -> bool:
        """The gun read the same label twice: same device, code and scan type, same boot,
        within the window (monotonic time, so a clock jump cannot fake or hide one).
        ``last``: the device's last read when the caller has it."""
        if last is None:
            last = self.store.last_read(device)
        window_ns = int(self.config.scanning.double_read_window_s * 1e9)
        return (
            last is not None
            and last["code"] == code
            and last["type"] == scan_type
            and last["boot_id"] == now.boot_id
            and 0 <= now.mono_ns - last["mono_ns"] < window_ns
        )

    def _command(
        self, now: Instant, raw: str, code: str, cmd: barcode.Command, desk: Desk
    ) -> Outcome:
        with self.store.transaction():
            if self._double_read(now, desk.device, code, None):
                return self._desk_answer(
                    now, desk, raw, code, "duplicate", Message("double_read"), command=cmd.name
                )
            if cmd.name == "undo":
                seq = self.store.last_scan_seq(desk.device)
                if seq is None:
                    return self._desk_answer(
                        now, desk, raw, code, "refused", Message("nothing_to_undo"), command="undo"
                    )
                return self._undo(now, seq, desk.device, desk.operator, "UNDO card", raw=raw)
            message = self._apply_command(cmd, desk)
            status: rules.Status = "refused" if message.key.endswith("_unknown") else "accepted"
            if status == "accepted":
                self.store.save_desk({**dataclasses.asdict(desk), "updated_at": now.iso})
                self.store.audit("desk." + cmd.name, desk.operator, desk.device, value=cmd.value)
            return self._desk_answer(now, desk, raw, code, status, message, command=cmd.name)

    def _apply_command(self, cmd: barcode.Command, desk: Desk) -> Message:
        if cmd.name == "operator_in":
            row = self.store.operator(cmd.value or "")
            if row is None or not row["active"]:
                return Message("operator_unknown", {"operator": cmd.value})
            desk.operator = row["id"]
            return Message("operator_in", {"name": row["name"]})
        if cmd.name == "reprint":  # the print process acts on the journalled read
            return Message("reprint_asked")
        if cmd.name == "operator_out":
            desk.operator = None
            return Message("operator_out")
        if cmd.name == "mode":
            desk.mode = cmd.value or desk.mode
            return Message("mode_set", {"mode": desk.mode})
        if cmd.name == "problem":
            desk.mode, desk.problem_code = "problem", cmd.value or "other"
            return Message("reason_set", {"reason": desk.problem_code, "mode": desk.mode})
        if cmd.name == "courier":
            return self._open_handover(cmd.value or "", desk)
        if cmd.name == "dispatch":
            desk.mode, desk.dispatch_reason = "dispatch", cmd.value or "delivery"
            return Message("reason_set", {"reason": desk.dispatch_reason, "mode": desk.mode})
        desk.carrier = cmd.value  # checked against the vocabulary by parse_command
        return (
            Message("carrier_set", {"carrier": cmd.value})
            if cmd.value
            else Message("carrier_cleared")
        )

    def _open_handover(self, courier_id: str, desk: Desk) -> Message:
        """A COURIER: card: receive that courier's batch, counted as one handover."""
        courier = self.store.courier(courier_id)
        if courier is None or not courier["active"]:
            return Message("courier_unknown", {"courier": courier_id})
        desk.mode, desk.carrier = "receive", courier["carrier"]
        now = self.clock.now(self.tz).iso
        self.store.handover_open(courier, desk.device, desk.operator, now)
        return Message("handover_opened", {"name": courier["name"], "carrier": courier["carrier"]})

    def _check_request(self, req: ScanRequest) -> Message | None:
        if req.type not in barcode.SCAN_TYPES:
            raise ValueError(f"unknown scan type {req.type!r}")
        if req.type == "dispatch" and (req.reason or "delivery") not in barcode.DISPATCH_REASONS:
            return Message("bad_dispatch_reason", {"reason": req.reason})
        if req.type == "problem" and (req.reason or "other") not in barcode.PROBLEM_CODES:
            return Message("bad_problem_code", {"reason": req.reason})
        if req.type == "sign" and (req.signer_relation or "self") not in barcode.SIGNER_RELATIONS:
            return Message("bad_relation", {"relation": req.signer_relation})
        if req.weight_g is not None and not 0 < req.weight_g <= MAX_WEIGHT_G:
            return Message("bad_weight", {"weight_g": req.weight_g})
        for value in (req.phone_last4, req.signer_id_last4):
            if value is not None and not valid_last4(value):
                return Message("bad_last4")
        if req.carrier_hint is not None and req.carrier_hint not in carriers.CARRIERS:
            return Message("unknown_carrier", {"carrier": req.carrier_hint[:40]})
        if req.override:
            row = self.store.operator(req.operator or "")
            if row is None or row["role"] != "supervisor" or not row["active"]:
                return Message("override_supervisor")
        return None

    def _scan(self, now: Instant, req: ScanRequest, from_gun: bool, last: Any = None) -> Outcome:
        raw = req.raw if req.raw is not None else req.code
        problem = self._check_request(req)
        found = problem or identify.identify(req.code, req.type, req.carrier_hint)
        if isinstance(found, Message):
            if found.key == "phone_number":  # a station keeps a phone masked only
                raw = found.params["masked"]
                req = dataclasses.replace(req, code=raw)
            return self._answer(now, req, raw, "refused", found, {})
        waybill, recognition = found.waybill, found.recognition
        extra: dict[str, Any] = {
            "waybill": waybill,
            "carriers": list(recognition.carriers),
            "warnings": list(req.warnings),
        }
        with self.store.transaction():
            row = self.store.parcel(waybill)
            parcel = rules.Parcel.from_row(row) if row else None
            if parcel is None and not found.shaped:
                # Words and short codes are not waybills, unless the batch carrier's own
                # format says so (checked above) or the parcel is already here.
                return self._answer(
                    now, req, raw, "refused", Message("not_waybill", {"code": waybill[:40]}), extra
                )
            manifest = self.store.manifest_entry(waybill)
            choice = carriers.choose(
                waybill,
                recognition,
                manifest=manifest["carrier"] if manifest else None,
                batch=req.carrier_hint,
            )
            extra.update(carrier=choice.carrier, confidence=choice.confidence)
            if parcel:
                # Every answer says where the parcel is, so the sorting screen shows its shelf.
                extra.update(shelf=parcel.shelf, pickup_code=parcel.pickup_code)
                if choice.carrier is None or choice.confidence in ("pattern", "none"):
                    # What was settled when it arrived (manifest, batch) still holds.
                    extra.update(carrier=parcel.carrier or choice.carrier)
            if from_gun and self._double_read(now, req.device, req.code, req.type, last):
                return self._answer(now, req, raw, "duplicate", Message("double_read"), extra)
            decision = rules.decide(
                req.type,
                parcel,
                id_last4=req.signer_id_last4,
                waybill=waybill,
                today=now.wall.date().isoformat(),
                override=req.override,
            )
            if choice.mismatch:
                # Amber, not a silent override: the answer shows the carrier recorded.
                decision.warnings.append("batch_carrier_mismatch")
            if decision.status != "accepted":
                return self._answer(now, req, raw, decision.status, decision.message, extra)
            if (
                req.type == "sign"
                and not req.receipt_checked
                and self.store.service_receipts_needed([waybill])
            ):
                # Amber, nothing recorded: only the 回单 form checks what the receipt carries.
                return self._answer(now, req, raw, "duplicate", Message("receipt_required"), extra)
            return self._accept(now, req, raw, waybill, parcel, manifest, decision, extra)

    def _accept(
        self,
        now: Instant,
        req: ScanRequest,
        raw: str,
        waybill: str,
        parcel: rules.Parcel | None,
        manifest: Any,
        decision: rules.Decision,
        extra: dict[str, Any],
    ) -> Outcome:
        carrier = extra["carrier"]
        scan: dict[str, Any] = {
            "type": req.type,
            "waybill": waybill,
            "carrier": carrier,
            "scanned_at": now.iso,
            "boot_id": now.boot_id,
            "mono_ns": now.mono_ns,
            "clock_synced": int(now.synced),
            "device": req.device,
            "operator": req.operator,
            "weight_g": req.weight_g,
            "note": (req.note or None) and req.note[:500],
        }
        message = decision.message
        warnings = list(req.warnings) + decision.warnings
        stored = (parcel.state, parcel.shelf) if parcel else None
        if parcel is None and manifest is not None:
            parcel = rules.Parcel(
                waybill=waybill,
                carrier=manifest["carrier"],
                recipient_masked=manifest["recipient_masked"],
                declared_weight_g=manifest["declared_weight_g"],
                valuable=manifest["valuable"],
            )
        if req.type == "receive":
            phone = req.phone_last4 or (manifest["phone_last4"] if manifest else None)
            placed = self._place(now, carrier, req.weight_g, phone)
            if isinstance(placed, Message):
                return self._answer(now, req, raw, "refused", placed, extra)
            scan.update(shelf=placed[0], pickup_code=placed[1], phone_last4=phone)
            message = Message("received", {"shelf": placed[0], "pickup_code": placed[1]})
        elif req.type == "sign":
            scan.update(
                signer_relation=req.signer_relation or "self",
                signer_id_last4=req.signer_id_last4,
                shelf=parcel.shelf if parcel else None,
                pickup_code=parcel.pickup_code if parcel else None,
            )
        elif req.type == "dispatch":
            scan["dispatch_reason"] = req.reason or "delivery"
            message = Message("dispatched", {"reason": scan["dispatch_reason"]})
            if "never_received" in warnings:
                # Recorded with the scan, so head office sees why it left unreceived.
                scan["note"] = "; ".join(filter(None, [NEVER_RECEIVED_NOTE, scan["note"]]))
                message = Message("dispatched_unreceived", {"reason": scan["dispatch_reason"]})
        elif req.type == "problem":
            scan["problem_code"] = req.reason or "other"
            message = Message("problem_recorded", {"reason": scan["problem_code"]})
        if req.type in ("sign", "dispatch", "problem", "stocktake") and parcel:
            scan.setdefault("shelf", parcel.shelf)
            scan.setdefault("pickup_code", parcel.pickup_code)
        if req.phone_last4 and not scan.get("phone_last4"):
            scan["phone_last4"] = req.phone_last4
        if "received_after_sign" in warnings:
            self.store.audit("scan.receive_after_sign", req.operator, waybill, device=req.device)
        seq, event_id = self.store.insert_scan(scan, tuple(req.photos))
        updated = rules.apply(parcel, waybill, rules.ScanFacts.from_row({**scan, "seq": seq}))
        declared = parcel.declared_weight_g if parcel else None
        if req.type == "receive" and rules.weight_mismatch(
            req.weight_g, declared, self.config.scanning.weight_mismatch_share
        ):
            warnings.append("weight_mismatch")
            flag = {**scan, "type": "problem", "event_id": None, "problem_code": "weight_mismatch"}
            flag_seq, _ = self.store.insert_scan(flag)
            updated = rules.apply(
                updated, waybill, rules.ScanFacts.from_row({**flag, "seq": flag_seq})
            )
            message = Message("weight_mismatch", {"weight_g": req.weight_g, "declared_g": declared})
        if (
            req.type == "receive"
            and manifest is not None
            and self._manifest_asks(now, req, manifest)
        ):
            # Still received (never lose a scan), but the clerk must call the courier.
            warnings.append("no_consent")
            message = Message("received_no_consent", {k: scan[k] for k in ("shelf", "pickup_code")})
        self.store.save_parcel(updated.as_dict(), stored)
        extra.update(
            event_id=event_id,
            seq=seq,
            shelf=scan.get("shelf"),
            pickup_code=scan.get("pickup_code"),
            weight_g=req.weight_g,
            warnings=warnings,
        )
        return self._answer(now, req, raw, "accepted", message, extra)

    def _manifest_asks(self, now: Instant, req: ScanRequest, manifest: Any) -> bool:
        """At receive, in the scan's transaction: mark the signed receipt (回单) the
        manifest asks for; True when the manifest says the recipient refused a station."""
        if manifest["receipt"]:
            try:
                receipts_desk.require(
                    self.store, self.config.service, now.wall, req.operator or req.device,
                    manifest["waybill"], manifest["receipt"], hops=manifest["hops"],
                    source="manifest",
                )  # fmt: skip
            except ServiceError as exc:  # checked when pulled; a bad one never stops a scan
                log.warning("receipt of %s not marked: %s", manifest["waybill"], exc)
        return bool(manifest["consent"] == "no")

    def _place(
        self, now: Instant, carrier: str | None, weight_g: int | None, phone: str | None
    ) -> tuple[str, str] | Message:
        together = (
            self.store.slot_of_recipient(phone)
            if phone and self.config.pickup.keep_together
            else None
        )
        slot = self.current_shelving().choose(carrier, weight_g, self.store.slot_loads(), together)
        if slot is None:
            return Message("no_room")
        code = self.pickup_code_for(slot, now.wall.date())
        return (slot, code) if code else Message("no_pickup_code")

    def pickup_code_for(self, slot: str, day: date) -> str | None:
        # Bounded: codes still on the shelves from earlier days may be taken, but a
        # format that repeats (checked at load) must never loop forever.
        for _ in range(MAX_PICKUP_TRIES):
            seq = self.store.next_pickup_seq(day.isoformat())
            code = shelving.format_pickup_code(self.config.pickup.code_format, slot, day, seq)
            if not self.store.pickup_code_taken(code):
                return code
        log.error("no free pickup code after %d tries on %s", MAX_PICKUP_TRIES, day)
        return None

    def current_shelving(self) -> shelving.Shelving:
        """Shelves changed on the page apply from the next receive, without a restart."""
        version = self.store.layout_version()
        if version != self._layout_version:
            self.shelving = layout.build(
                self.config, self.store.layout_shelves(), self.store.layout_layers()
            )
            self._layout_version = version
        return self.shelving

    def _undo(
        self, now: Instant, seq: int, device: str, actor: str | None, reason: str, raw: str = "UNDO"
    ) -> Outcome:
        row = self.store.scan_row(seq)
        if row is None:
            return self._journal(
                now,
                device,
                actor,
                raw,
                "UNDO",
                "command",
                None,
                "refused",
                Message("unknown_scan", {"seq": seq}),
                command="undo",
            )
        if row["undone_at"]:
            return self._journal(
                now,
                device,
                actor,
                raw,
                "UNDO",
                "command",
                None,
                "refused",
                Message("already_undone"),
                command="undo",
            )
        waybill = row["waybill"]
        self.store.mark_undone(seq, now.iso, actor, reason)
        if row["sync_state"] in ("sent", "rejected"):
            # Head office may hold it already: tell it, with a scan of its own.
            self.store.insert_scan(
                {
                    "type": "problem",
                    "waybill": waybill,
                    "carrier": row["carrier"],
                    "scanned_at": now.iso,
                    "boot_id": now.boot_id,
                    "mono_ns": now.mono_ns,
                    "clock_synced": int(now.synced),
                    "device": device,
                    "operator": actor,
                    "problem_code": "other",
                    "note": f"UNDO {row['event_id']}: {reason}"[:500],
                }
            )
        current = self.store.parcel(waybill)
        base = rules.Parcel.from_row(current) if current else None
        scans = [rules.ScanFacts.from_row(r) for r in self.store.live_scans(waybill)]
        rebuilt = layout.keep_move(rules.fold(base, waybill, scans), self.store.last_move(waybill))
        if rebuilt is None:
            self.store.delete_parcel(waybill)
        else:
            self.store.save_parcel(rebuilt.as_dict())
        self.store.audit(
            "scan.undo",
            actor,
            waybill,
            seq=seq,
            event_id=row["event_id"],
            type=row["type"],
            reason=reason,
            device=device,
        )
        return self._journal(
            now,
            device,
            actor,
            raw,
            "UNDO",
            "command",
            None,
            "accepted",
            Message("undone", {"type": row["type"], "waybill": waybill}),
            command="undo",
            waybill=waybill,
            seq=seq,
        )


_OUTCOME_FIELDS = {f.name for f in dataclasses.fields(Outcome)}
