"""The clerk scans a recipient's pickup QR with the gun: parcels listed, or a plain no."""

from __future__ import annotations

from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from edge.collect import Pickup, sign
from edge.station import Desk, ScanRequest, Station
from edge.store import Store
from tests.test_core_station import SF, ZTO

KEY = Ed25519PrivateKey.generate()


def _token(station: Station, waybills: tuple[str, ...], code: str = "SZ-NS-0042",
           days: float = 7, key: Ed25519PrivateKey = KEY) -> str:  # fmt: skip
    now = station.clock.now(station.tz).wall
    return sign(Pickup(code, waybills, now + timedelta(days=days)), key)


def _keep_key(store: Store) -> None:
    store.collect_set_key(KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def test_a_genuine_qr_lists_the_parcels_with_shelves(station: Station, store: Store) -> None:
    _keep_key(store)
    for waybill in (SF, ZTO):
        assert station.scan(ScanRequest("receive", waybill, "d1")).status == "accepted"
    out = station.read(_token(station, (SF, ZTO, "JT0000000000001")), Desk("gun-1", mode="sign"))
    assert out.status == "accepted" and out.command == "collect"
    assert {p["waybill"] for p in out.collect} == {SF, ZTO}
    assert all(p["shelf"] and p["pickup_code"] for p in out.collect)
    assert "2 件" in out.message_zh and "sign as self" in out.message_en
    assert store.parcel(SF)["state"] == "on_shelf"  # type: ignore[index]  # listed, not signed


def test_forged_expired_and_other_station_qrs_get_plain_answers(
    station: Station, store: Store
) -> None:
    desk = Desk("gun-1", mode="sign")
    station.scan(ScanRequest("receive", SF, "d1"))
    assert station.read(_token(station, (SF,)), desk).message_key == "collect_no_key"
    _keep_key(store)
    cases = {
        "collect_forged": _token(station, (SF,), key=Ed25519PrivateKey.generate()),
        "collect_expired": _token(station, (SF,), days=-1),
        "collect_other_station": _token(station, (SF,), code="BJ-CY-0001"),
        "collect_none": _token(station, ("JT0000000000001",)),
    }
    for key, code in cases.items():
        out = station.read(code, desk)
        assert (out.status, out.message_key, out.collect) == ("refused", key, []), key
