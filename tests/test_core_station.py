"""The scan core end to end through a real store: each case a row of what a clerk does."""

from __future__ import annotations

from datetime import timedelta

import pytest

from edge.config import Config
from edge.station import Desk, ScanRequest, Station
from edge.store import Store
from tests.conftest import ManualClock

ZTO = "75123456789012"
ZTO2 = "75123456789013"
SF = "SF1234567890123"


def scan(station: Station, kind: str, code: str, **kw: object) -> dict:
    return station.scan(
        ScanRequest(type=kind, code=code, device=str(kw.pop("device", "d1")), **kw)
    ).to_json()  # type: ignore[arg-type]


def test_receive_assigns_shelf_and_pickup_code(station: Station, store: Store) -> None:
    out = scan(station, "receive", ZTO, weight_g=800, phone_last4="5678")
    assert out["status"] == "accepted"
    assert out["shelf"] == "1-1"
    # 2026-11-23 is a Monday: weekday 1, first parcel of the day.
    assert out["pickup_code"] == "1-1-1001"
    assert out["event_id"] and out["seq"] == 1
    assert out["carrier"] == "zto"
    parcel = store.parcel(ZTO)
    assert parcel is not None and parcel["state"] == "on_shelf" and parcel["phone_last4"] == "5678"
    assert store.one("SELECT state FROM scan_sync WHERE seq = 1")[0] == "pending"  # type: ignore[index]


def test_receive_again_answers_where_it_is_and_does_not_move_it(
    station: Station, store: Store, clock: ManualClock
) -> None:
    first = scan(station, "receive", ZTO)
    clock.advance(60)
    again = scan(station, "receive", ZTO)
    assert again["status"] == "duplicate"
    assert again["event_id"] is None
    assert first["pickup_code"] in again["message_zh"]
    assert "11-23 09:00" in again["message_en"]
    assert store.one("SELECT COUNT(*) FROM scans")[0] == 1  # type: ignore[index]
    assert store.one("SELECT COUNT(*) FROM reads WHERE status = 'duplicate'")[0] == 1  # type: ignore[index]


def test_double_read_within_window_is_ignored(station: Station, clock: ManualClock) -> None:
    desk = Desk("gun-1", mode="stocktake")
    assert station.read(ZTO, desk).status == "accepted"
    clock.advance(1.5)
    second = station.read(ZTO + "\r\n", desk)
    assert (second.status, second.message_key) == ("duplicate", "double_read")
    clock.advance(1.0)  # measured from the last read: a label held under the gun stays ignored
    assert station.read(ZTO, desk).status == "duplicate"
    clock.advance(2.1)
    assert station.read(ZTO, desk).status == "accepted"
    # Another gun reading the same label is no double read.
    assert station.read(ZTO, Desk("gun-2", mode="stocktake")).status == "accepted"


def test_double_read_uses_monotonic_time_not_wall(station: Station, clock: ManualClock) -> None:
    desk = Desk("gun-1", mode="stocktake")
    station.read(ZTO, desk)
    clock.wall += timedelta(hours=5)  # the wall clock jumps on NTP sync
    clock.mono_ns += 100_000_000
    assert station.read(ZTO, desk).message_key == "double_read"


@pytest.mark.parametrize(
    ("steps", "final", "key"),
    [
        ([], ("sign", "refused"), "sign_unknown"),
        ([("receive", "accepted"), ("sign", "accepted")], ("sign", "refused"), "already_signed"),
        (
            [("receive", "accepted"), ("sign", "accepted")],
            ("dispatch", "refused"),
            "dispatch_signed",
        ),
        ([("receive", "accepted")], ("dispatch", "accepted"), "dispatched"),
        (
            [("receive", "accepted"), ("dispatch", "accepted")],
            ("dispatch", "duplicate"),
            "already_dispatched",
        ),
        (
            [("receive", "accepted"), ("dispatch", "accepted")],
            ("sign", "refused"),
            "sign_dispatched",
        ),
        ([], ("problem", "accepted"), "problem_recorded"),
        (
            [("receive", "accepted"), ("sign", "accepted")],
            ("problem", "accepted"),
            "problem_recorded",
        ),
        ([("problem", "accepted")], ("sign", "refused"), "sign_not_on_shelf"),
        ([("receive", "accepted")], ("stocktake", "accepted"), "stocktake_ok"),
        (
            [("receive", "accepted"), ("sign", "accepted")],
            ("stocktake", "accepted"),
            "stocktake_unexpected",
        ),
        # Signed today and scanned at receive again: amber, no second pickup code.
        (
            [("receive", "accepted"), ("sign", "accepted")],
            ("receive", "duplicate"),
            "signed_today",
        ),
        ([], ("dispatch", "accepted"), "dispatched_unreceived"),
        ([("problem", "accepted")], ("dispatch", "accepted"), "dispatched_unreceived"),
    ],
)
def test_state_machine(
    station: Station, clock: ManualClock, steps: list, final: tuple, key: str
) -> None:
    for kind, expected in steps:
        assert scan(station, kind, ZTO)["status"] == expected, kind
        clock.advance(5)
    out = scan(station, final[0], ZTO)
    assert (out["status"], out["message_key"]) == (final[1], key)
    assert out["message_zh"] and out["message_en"]
    assert (out["event_id"] is not None) == (final[1] == "accepted")


def test_sorting_rules_weight_carrier_and_capacity(station: Station, clock: ManualClock) -> None:
    assert scan(station, "receive", "75100000000001", weight_g=6000)["shelf"] == "9-1"
    assert scan(station, "receive", SF)["shelf"].startswith("2-")
    # Unknown weight never goes to the heavy shelf.
    assert scan(station, "receive", "75100000000002")["shelf"].startswith("1-")
    # Shelf 9 holds 2; the third heavy parcel falls through to the general rule.
    scan(station, "receive", "75100000000003", weight_g=7000)
    assert scan(station, "receive", "75100000000004", weight_g=8000)["shelf"][0] in "12"


def test_no_room_is_refused_and_nothing_recorded(station: Station, store: Store) -> None:
    results = [scan(station, "receive", f"7510000000{i:04}") for i in range(13)]
    # 1-1, 1-2, 2-1, 2-2 hold 3 each: 12 parcels fit.
    assert [r["status"] for r in results].count("accepted") == 12
    assert results[-1]["status"] == "refused" and results[-1]["message_key"] == "no_room"
    assert store.one("SELECT COUNT(*) FROM scans")[0] == 12  # type: ignore[index]
    slots = store.all("SELECT shelf, COUNT(*) n FROM parcels GROUP BY shelf")
    assert all(r["n"] <= 3 for r in slots)


def test_pickup_codes_unique_on_shelves_and_daily_reset(
    station: Station, store: Store, clock: ManualClock
) -> None:
    a = scan(station, "receive", "75100000000001")
    b = scan(station, "receive", "75100000000002")
    assert a["pickup_code"] != b["pickup_code"]
    clock.advance(7 * 24 * 3600)  # next Monday: the sequence restarts at 1
    c = scan(station, "receive", "75100000000003")
    assert c["pickup_code"].endswith("1002") or c["pickup_code"].endswith("1001")
    codes = [r[0] for r in store.all("SELECT pickup_code FROM parcels WHERE state = 'on_shelf'")]
    assert len(codes) == len(set(codes)) == 3


def test_keep_together_by_phone(station: Station) -> None:
    first = scan(station, "receive", "75100000000001", phone_last4="1234")
    scan(station, "receive", "75100000000002", phone_last4="9999")
    third = scan(station, "receive", "75100000000003", phone_last4="1234")
    assert third["shelf"] == first["shelf"]


def test_manifest_fills_phone_and_flags_weight_mismatch(station: Station, store: Store) -> None:
    with store.transaction():
        store.conn.execute(
            "INSERT INTO manifest (waybill, carrier, phone_last4, recipient_masked,"
            " declared_weight_g, fetched_at) VALUES (?, 'zto', '4321', '张**', 1000, 'x')",
            (ZTO,),
        )
    out = scan(station, "receive", ZTO, weight_g=1500)
    assert out["status"] == "accepted" and out["warnings"] == ["weight_mismatch"]
    assert out["message_key"] == "weight_mismatch"
    parcel = store.parcel(ZTO)
    assert parcel["phone_last4"] == "4321" and parcel["recipient_masked"] == "张**"  # type: ignore[index]
    assert parcel["problem_code"] == "weight_mismatch"  # type: ignore[index]
    kinds = [r["type"] for r in store.history(ZTO)]
    assert kinds == ["receive", "problem"]


def test_valuable_parcel_needs_id_last4(station: Station, store: Store, clock: ManualClock) -> None:
    scan(station, "receive", ZTO)
    with store.transaction():
        store.conn.execute("UPDATE parcels SET valuable = 1 WHERE waybill = ?", (ZTO,))
    clock.advance(5)
    assert scan(station, "sign", ZTO)["message_key"] == "id_required"
    out = scan(station, "sign", ZTO, signer_relation="proxy", signer_id_last4="0012")
    assert out["status"] == "accepted"
    row = store.history(ZTO)[-1]
    assert (row["signer_relation"], row["signer_id_last4"]) == ("proxy", "0012")


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("RB123456784GB", "check_digit"),
        ("hello world!", "not_waybill"),
        ("运单123456", "not_waybill"),
    ],
)
def test_bad_waybills_are_refused_and_journaled(
    station: Station, store: Store, code: str, key: str
) -> None:
    out = station.read(code, Desk("gun-1"))
    assert (out.status, out.message_key) == ("refused", key)
    assert store.one("SELECT status FROM reads WHERE id = ?", (out.read_id,))[0] == "refused"  # type: ignore[index]


def test_gs1_sscc_is_received_by_its_number(station: Station) -> None:
    out = station.read("]C100376130321109103420", Desk("gun-1"))
    assert out.status == "accepted" and out.waybill == "376130321109103420"


def test_commands_change_only_that_gun(station: Station, store: Store) -> None:
    from edge.pins import hash_pin

    store.add_operator("li", "Li Na", "clerk", hash_pin("1234"))
    a, b = station.desk("gun-a"), station.desk("gun-b")
    assert station.read("OP:li", a).message_key == "operator_in"
    assert station.read("MODE:SIGN", a).status == "accepted"
    assert station.read("OP:nobody", b).message_key == "operator_unknown"
    assert (a.mode, a.operator) == ("sign", "li")
    assert (b.mode, b.operator) == ("receive", None)
    # The desk state survives a restart of the scanning process.
    reloaded = Station(store, station.config, station.clock).desk("gun-a")
    assert (reloaded.mode, reloaded.operator) == ("sign", "li")
    assert station.read("PROBLEM:DAMAGED", b).status == "accepted"
    out = station.read(ZTO, b)
    assert out.type == "problem" and store.history(ZTO)[-1]["problem_code"] == "damaged"


def test_undo_cancels_the_last_scan_at_this_device(
    station: Station, store: Store, clock: ManualClock
) -> None:
    desk = station.desk("gun-1")
    received = station.read(ZTO, desk)
    clock.advance(3)
    undone = station.read("UNDO", desk)
    assert undone.status == "accepted" and undone.seq == received.seq
    assert store.parcel(ZTO) is None
    assert store.one("SELECT state FROM scan_sync WHERE seq = ?", (received.seq,))[0] == "withheld"  # type: ignore[index]
    assert store.one("SELECT COUNT(*) FROM audit WHERE action = 'scan.undo'")[0] == 1  # type: ignore[index]
    clock.advance(3)
    assert station.read("UNDO", desk).message_key == "nothing_to_undo"
    # The code is free again and the parcel can be received anew.
    assert station.read(ZTO, desk).status == "accepted"


def test_undo_after_sync_tells_head_office(
    station: Station, store: Store, clock: ManualClock
) -> None:
    received = scan(station, "receive", ZTO)
    clock.advance(3)
    signed = scan(station, "sign", ZTO)
    with store.transaction():
        store.conn.execute("UPDATE scan_sync SET state = 'sent'")
    out = station.undo(signed["seq"], "boss", "wrong parcel handed over")
    assert out.status == "accepted"
    assert store.parcel(ZTO)["state"] == "on_shelf"  # type: ignore[index]
    assert store.parcel(ZTO)["pickup_code"] == received["pickup_code"]  # type: ignore[index]
    last = store.history(ZTO)[-1]
    assert last["type"] == "problem" and signed["event_id"] in last["note"]
    assert station.undo(signed["seq"], "boss", "again").message_key == "already_undone"


def test_bad_request_fields_are_refused(station: Station) -> None:
    assert scan(station, "dispatch", ZTO, reason="teleport")["message_key"] == "bad_dispatch_reason"
    assert scan(station, "problem", ZTO, reason="bored")["message_key"] == "bad_problem_code"
    assert scan(station, "receive", ZTO, phone_last4="12a4")["message_key"] == "bad_last4"
    assert scan(station, "receive", ZTO, weight_g=-5)["message_key"] == "bad_weight"
    assert scan(station, "receive", ZTO, weight_g=9_000_000)["message_key"] == "bad_weight"


def test_messages_follow_language(store: Store, config: Config, clock: ManualClock) -> None:
    out = Station(store, config, clock).scan(ScanRequest("receive", ZTO, "d"))
    assert out.message("en").startswith("Received") and out.message("zh").startswith("入库")


def test_a_double_read_still_says_where_the_parcel_is(station: Station, clock: ManualClock) -> None:
    desk = Desk("gun-1")
    first = station.read(ZTO, desk)
    clock.advance(0.3)
    again = station.read(ZTO, desk)
    assert again.message_key == "double_read"
    assert (again.shelf, again.pickup_code) == (first.shelf, first.pickup_code)


def test_pickup_code_allocation_is_bounded(
    store: Store, config: Config, clock: ManualClock
) -> None:
    # A format without {seq} is refused at load; set behind the check's back, the second
    # parcel on a layer finds every code taken and is answered, not looped on forever.
    config.pickup.code_format = "{shelf}-{layer}"
    station = Station(store, config, clock)
    assert scan(station, "receive", SF)["pickup_code"] == "2-1"
    assert scan(station, "receive", "SF1234567890124")["pickup_code"] == "2-2"
    out = scan(station, "receive", "SF1234567890125")
    assert (out["status"], out["message_key"]) == ("refused", "no_pickup_code")


# --- what a label means: recognition at the desk -----------------------------------------


@pytest.mark.parametrize("code", ["6901234567892", "9780306406157", "12345670", "036000291452"])
def test_product_barcodes_are_refused_at_receive(station: Station, store: Store, code: str) -> None:
    out = scan(station, "receive", code)
    assert (out["status"], out["message_zh"]) == ("refused", "这是商品条码，请扫面单上的运单号")
    assert store.parcel(code) is None and store.one("SELECT COUNT(*) FROM scans")[0] == 0  # type: ignore[index]


def test_a_batch_carrier_lets_in_only_its_definite_formats(station: Station) -> None:
    # Yunda's "any 13 digits" does not make a Chinese product barcode a Yunda parcel…
    refused = scan(station, "receive", "6901234567892", carrier_hint="yunda")
    assert refused["message_key"] == "product_code"
    # …but an EMS number that happens to look like a book's EAN is EMS's with an EMS batch.
    assert scan(station, "receive", "9780306406157")["message_key"] == "product_code"
    ems = scan(station, "receive", "9780306406157", carrier_hint="ems")
    assert (ems["status"], ems["carrier"]) == ("accepted", "ems")


def test_a_gun_saying_ean_makes_any_valid_ean_a_product(station: Station) -> None:
    out = station.read("]E01234567890128", Desk("gun-1"))
    assert out.message_key == "product_code"


@pytest.mark.parametrize("code", ["hello1234", "ABCD-EFGH", "TEST", "SF123"])
def test_words_and_short_codes_are_not_waybills(station: Station, store: Store, code: str) -> None:
    out = scan(station, "receive", code)
    assert (out["status"], out["message_key"]) == ("refused", "not_waybill")
    assert store.one("SELECT COUNT(*) FROM scans")[0] == 0  # type: ignore[index]


def test_a_code_in_the_batch_carriers_own_format_is_received(station: Station) -> None:
    assert scan(station, "receive", "hello12345")["message_key"] == "not_waybill"
    out = scan(station, "receive", "hello12345", carrier_hint="zjs")  # ZJS's old 10 characters
    assert (out["status"], out["waybill"], out["carrier"]) == ("accepted", "HELLO12345", "zjs")
    assert out["confidence"] == "batch"
    # Later scans of it need no batch carrier: the parcel is here.
    assert scan(station, "stocktake", "HELLO12345")["message_key"] == "stocktake_ok"


def test_batch_carrier_beats_a_pattern_guess_and_the_manifest_beats_both(
    station: Station, store: Store
) -> None:
    desk = Desk("gun-1")
    assert station.read("CARRIER:YUNDA", desk).message_key == "carrier_set"
    out = station.read("1234567890123", desk)  # 13 digits: Yunda, STO, EMS, China Post…
    assert (out.carrier, out.confidence) == ("yunda", "batch")
    store.upsert_manifest([{"waybill": "1234567890124", "carrier": "ems"}])
    out = station.read("1234567890124", desk)
    assert (out.carrier, out.confidence) == ("ems", "manifest")
    assert store.parcel("1234567890124")["carrier"] == "ems"  # type: ignore[index]


def test_without_evidence_the_carrier_is_unknown_with_candidates(station: Station) -> None:
    out = scan(station, "receive", "1234567890123")
    assert out["status"] == "accepted" and out["carrier"] is None
    assert out["confidence"] == "none" and {"yunda", "chinapost"} <= set(out["carriers"])
    dhl_by_chance = scan(station, "receive", "3318810036")
    # Ten digits are also Deppon's and ZJS's; the chance DHL pass names nobody.
    assert dhl_by_chance["carrier"] is None and dhl_by_chance["carriers"] == [
        "deppon",
        "dhl",
        "zjs",
    ]


def test_an_impossible_batch_carrier_answers_amber(station: Station, store: Store) -> None:
    out = scan(station, "receive", "1Z999AA10123456784", carrier_hint="zto")
    assert out["status"] == "accepted" and out["warnings"] == ["batch_carrier_mismatch"]
    assert (out["carrier"], out["confidence"]) == ("ups", "check_digit")
    out = scan(station, "receive", SF, carrier_hint="zto")
    assert out["warnings"] == ["batch_carrier_mismatch"] and out["carrier"] is None
    assert store.parcel(SF)["carrier"] is None  # type: ignore[index]


def test_unknown_carrier_cards_and_hints_are_refused(station: Station, store: Store) -> None:
    desk = Desk("gun-1")
    out = station.read("CARRIER:J&T", desk)
    assert (out.status, out.message_key) == ("refused", "unknown_carrier_card")
    assert desk.carrier is None and station.desk("gun-1").carrier is None
    out = station.read("carrier:jtexpress", desk)
    assert out.message_key == "carrier_set" and desk.carrier == "jtexpress"
    refused = scan(station, "receive", ZTO, carrier_hint="J&T")
    assert (refused["status"], refused["message_key"]) == ("refused", "unknown_carrier")
    assert store.one("SELECT COUNT(*) FROM scans")[0] == 0  # type: ignore[index]


def test_receive_after_sign_needs_a_supervisor_and_is_audited(
    station: Station, store: Store, clock: ManualClock
) -> None:
    from edge.pins import hash_pin

    store.add_operator("li", "Li Na", "clerk", hash_pin("1234"))
    store.add_operator("sup", "Wang", "supervisor", hash_pin("4321"))
    first = scan(station, "receive", ZTO)
    scan(station, "sign", ZTO)
    clock.advance(600)
    again = scan(station, "receive", ZTO)
    assert again["status"] == "duplicate" and again["message_zh"].startswith(
        "已于 11-23 09:00 签收"
    )
    assert scan(station, "receive", ZTO, operator="li", override=True)["message_key"] == (
        "override_supervisor"
    )
    back = scan(station, "receive", ZTO, operator="sup", override=True)
    assert back["status"] == "accepted" and back["warnings"] == ["received_after_sign"]
    assert back["pickup_code"] != first["pickup_code"]
    audit = store.all("SELECT * FROM audit WHERE action = 'scan.receive_after_sign'")
    assert [(a["actor"], a["subject"]) for a in audit] == [("sup", ZTO)]


def test_signed_on_an_earlier_day_is_received_again(station: Station, clock: ManualClock) -> None:
    scan(station, "receive", ZTO)
    scan(station, "sign", ZTO)
    clock.advance(86400)
    assert scan(station, "receive", ZTO)["status"] == "accepted"


def test_dispatch_of_a_parcel_never_received_warns_and_records_why(
    station: Station, store: Store
) -> None:
    out = scan(station, "dispatch", ZTO, reason="return")
    assert out["status"] == "accepted" and out["warnings"] == ["never_received"]
    assert "没有此件的入库记录" in out["message_zh"]
    note = store.history(ZTO)[-1]["note"]
    assert note == "dispatched without a receive at this station"


# --- a gun's mode is impossible to miss ----------------------------------------------------


def test_a_mode_card_lapses_after_the_idle_time_with_a_notice(
    station: Station, store: Store, clock: ManualClock
) -> None:
    desk = station.desk("gun-1")
    assert station.read("PROBLEM:DAMAGED", desk).mode == "problem"
    first = station.read(ZTO, desk)
    assert (first.type, first.mode, first.first_in_mode) == ("problem", "problem", True)
    clock.advance(5)
    second = station.read(ZTO2, desk)
    assert second.type == "problem" and not second.first_in_mode
    clock.advance(10 * 60 + 1)  # the default idle time is 10 minutes
    later = station.read(SF, desk)
    assert (later.type, later.status, later.mode) == ("receive", "accepted", "receive")
    assert later.warnings == ["mode_lapsed"] and later.shelf
    assert station.desk("gun-1").mode == "receive"
    notice = store.one("SELECT * FROM reads WHERE message_key = 'mode_lapsed'")
    assert notice is not None and "恢复为入库模式" in notice["message_zh"]


def test_the_gun_default_mode_is_what_it_lapses_to_and_a_batch_carrier_is_cleared(
    station: Station, clock: ManualClock
) -> None:
    desk = station.desk("gun-s", default_mode="sign")
    station.read("MODE:RECEIVE", desk)
    station.read("CARRIER:ZTO", desk)
    clock.advance(11 * 60)
    out = station.read(ZTO, desk)
    assert (out.type, out.message_key) == ("sign", "sign_unknown")
    reloaded = station.desk("gun-s", default_mode="sign")
    assert (reloaded.mode, reloaded.carrier) == ("sign", None)


def test_an_idle_time_of_zero_never_lapses(
    store: Store, config: Config, clock: ManualClock
) -> None:
    config.scanning.mode_idle_min = 0
    station = Station(store, config, clock)
    desk = station.desk("gun-1")
    station.read("MODE:STOCKTAKE", desk)
    clock.advance(86400)
    assert station.read(ZTO, desk).type == "stocktake"
