"""The manifest (预报): pulled page by page when due; every field checked again here."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote

from edge.service import receipts_desk
from edge.service.errors import ServiceError
from edge.service.receipts import RequirementError, parse_requirement
from edge.service.settings import ServiceSection
from sync.client import plain
from sync.contract import (
    CARRIER,
    LAST4,
    MANIFEST_CONSENT,
    MANIFEST_MAX_HOPS,
    WAYBILL,
    mask_numbers,
)
from sync.station.common import (
    MANIFEST_MAX_PAGES,
    MANIFEST_RETRY_S,
    RetryLater,
    Transient,
    UploaderBase,
    _body,
)

log = logging.getLogger(__name__)


class ManifestPart(UploaderBase):
    service: ServiceSection  # a field of Uploader

    # -- manifest ----------------------------------------------------------------------
    def _pull_manifest(self) -> None:
        """Pull new manifest pages when due; a failure waits for the next interval."""
        interval = self.settings.manifest_interval_s
        due = self.store.sync_state().get("manifest_next_at")
        now = self.now()
        if not interval or (due and now < due <= now + interval):
            return
        wait = interval
        try:
            self._fetch_manifest()
        except (Transient, RetryLater) as exc:
            wait = min(interval, MANIFEST_RETRY_S)
            log.warning("manifest not pulled (%s); next try in %.0f s", exc, wait)
            self.store.record_side_failure(f"manifest: {exc}")
        self.store.update_sync_state(manifest_next_at=now + wait)

    def _fetch_manifest(self) -> None:
        cursor = self.store.sync_state().get("manifest_cursor") or ""
        path = f"/v1/stations/{quote(self.station, safe='')}/manifest"
        seen = {cursor}
        for _ in range(MANIFEST_MAX_PAGES):
            if self._late():
                return
            params = {"after": cursor} if cursor else None
            reply = self._call(lambda p=params: self.http.request("GET", path, params=p))  # type: ignore[misc]
            if reply.status == 404:
                return
            if reply.status != 200:
                self._other(reply, f"GET {path}", scans=False)
            data = reply.json()
            parcels = data.get("parcels") if isinstance(data, dict) else None
            if not isinstance(data, dict) or not isinstance(parcels, list):
                raise Transient(f"head office's manifest answer has no parcel list: {_body(reply)}")
            good = manifest_parcels(parcels)
            if len(good) < len(parcels):
                log.warning("manifest: %d unusable parcels skipped", len(parcels) - len(good))
            if good:
                self.store.upsert_manifest(good)
                self._mark_receipts(good)
            nxt = data.get("next")
            if nxt is None or str(nxt) in ("", cursor) or not parcels:
                return
            if not isinstance(nxt, str | int) or isinstance(nxt, bool) or len(str(nxt)) > 200:
                raise Transient("head office's manifest cursor `next` is not a short string")
            if str(nxt) in seen:
                raise Transient(f"head office's manifest cursor came back to {plain(nxt, 40)!r}")
            cursor = str(nxt)
            seen.add(cursor)
            self.store.update_sync_state(manifest_cursor=cursor)
        log.info("manifest: %d pages pulled; the rest next time", MANIFEST_MAX_PAGES)

    def _mark_receipts(self, parcels: list[dict[str, Any]]) -> None:
        """A receipt is marked when its parcel is received; one whose manifest row comes
        later (or corrects it) is marked now, if the parcel is here and not yet signed."""
        for p in parcels:
            if not p["receipt"]:
                continue
            row = self.store.parcel(p["waybill"])
            if row is None or row["state"] != "on_shelf":
                continue
            try:
                receipts_desk.require(
                    self.store, self.service, self.clock.now(self.tz).wall, "head-office",
                    p["waybill"], p["receipt"], hops=p["hops"], source="manifest",
                )  # fmt: skip
            except ServiceError as exc:  # read already; never let one stop the pull
                log.warning("manifest: receipt of %s not marked: %s", p["waybill"], exc)


def manifest_parcels(items: list[Any]) -> list[dict[str, Any]]:
    """The manifest parcels fit to store; anything else (a whole phone number, a waybill no
    scanner could read, a value of the wrong type) is dropped or blanked."""

    def text(value: Any, pattern: re.Pattern[str] | None = None, limit: int = 40) -> str | None:
        if not isinstance(value, str) or len(value) > limit:
            return None
        return value if pattern is None or pattern.fullmatch(value) else None

    def count(value: Any, top: int) -> int | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 < value <= top
        return value if ok else None

    good = []
    for p in items:
        if not isinstance(p, dict) or not text(p.get("waybill"), WAYBILL):
            continue
        good.append(
            {
                "waybill": p["waybill"],
                "carrier": text(p.get("carrier"), CARRIER),
                "phone_last4": text(p.get("phone_last4"), LAST4),
                # Checked again here: a receiver that is not ours may send whole numbers.
                "recipient_masked": mask_numbers(r)
                if (r := text(p.get("recipient_masked")))
                else None,
                "declared_weight_g": count(p.get("declared_weight_g"), 1_000_000),
                "valuable": p.get("valuable") is True,
                "consent": c if (c := p.get("consent")) in MANIFEST_CONSENT else "unknown",
                "receipt": receipt(p.get("receipt"), p["waybill"]),
                "hops": count(p.get("hops"), MANIFEST_MAX_HOPS),
            }
        )
    return good


def receipt(value: Any, waybill: str) -> str | None:
    """The receipt requirement in its own notation; one that cannot be read is logged and
    left out (the parcel still comes, and a clerk can mark the receipt at receive)."""
    if value is None:
        return None
    try:
        if not isinstance(value, str) or len(value) > 80:
            raise RequirementError("not a short text")
        return parse_requirement(value).text()
    except RequirementError as exc:
        log.warning("manifest: receipt of %s not understood (%s); left out", waybill, exc)
        return None
