"""What the clerk is told, in Chinese and English: one catalog, keyed, with parameters.

Each message says what happened and what to do. The page adds its own strings to its
catalog; these are the answers to scans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

CATALOG: dict[str, tuple[str, str]] = {
    # normalising
    "empty": ("空码，请重新扫描", "Empty code: scan again"),
    # A short or garbled read is most often a label read in part (a fold, glare, lost keys).
    "incomplete_read": ("读取不完整，请重扫", "Incomplete read: scan again"),
    "too_long": ("条码太长（{length} 位），请重新扫描", "Code too long ({length}): scan again"),
    "unprintable": (
        "条码含无法识别的字符，请检查扫码枪键盘布局后重扫",
        "Code has unreadable characters: check the gun's keyboard layout and scan again",
    ),
    "product_code": (
        "这是商品条码，请扫面单上的运单号",
        "This is a product barcode: scan the waybill number on the label",
    ),
    "phone_number": (
        "这是手机号，请扫面单上的运单号",
        "This is a phone number: scan the waybill number on the label",
    ),
    "not_waybill": (
        "不是运单号：{code}，请扫描面单上的运单条码",
        "Not a waybill number: {code}. Scan the waybill barcode on the label",
    ),
    "check_digit": (
        "运单号校验位不对，请核对号码：{waybill}",
        "Check digit wrong: check the number {waybill}",
    ),
    "double_read": ("重复读取，已忽略", "Double read ignored"),
    # receive
    "received": ("入库 {pickup_code}，放 {shelf} 号架", "Received: {pickup_code}, shelf {shelf}"),
    "received_no_consent": (
        "入库 {pickup_code}，放 {shelf} 号架；收件人未同意放驿站，请联系快递员",
        "Received: {pickup_code}, shelf {shelf}. The recipient did not agree to a station:"
        " call the courier",
    ),
    "receipt_required": (
        "此包裹需要签回单：请用回单表单签收",
        "This parcel needs its signed receipt: use the 回单 form",
    ),
    "signed_today": (
        "已于 {when} 签收：如确是退回的包裹，请主管确认后重新入库",
        "Signed on {when}: if it really came back, a supervisor can receive it again",
    ),
    "already_received": (
        "已入库：{pickup_code}（{shelf}），{when} 入库，未移动",
        "Already received at {pickup_code} on {when}; not moved",
    ),
    "no_room": (
        "货架已满，没有空位：请加货架或调整分拣规则",
        "No room on the shelves for this parcel: add a shelf or change the sorting rules",
    ),
    "no_pickup_code": (
        "取件码已用完：请主管检查取件码格式（pickup.code_format）",
        "No free pickup code: ask a supervisor to check pickup.code_format",
    ),
    "weight_mismatch": (
        "重量不符：称重 {weight_g} 克，预报 {declared_g} 克，请检查是否少件",
        "Weight mismatch: weighed {weight_g} g, declared {declared_g} g. Check for missing items",
    ),
    # sign
    "signed": ("签收成功 {pickup_code}", "Signed: {pickup_code}"),
    "sign_unknown": (
        "本站没有这个包裹：{waybill}，请核对号码",
        "Not at this station: {waybill}. Check the number",
    ),
    "already_signed": ("已于 {when} 签收，不能再签", "Already signed on {when}"),
    "sign_dispatched": (
        "已于 {when} 出站，不在货架上",
        "Dispatched on {when}: not on the shelves",
    ),
    "sign_not_on_shelf": ("包裹未入库，请先入库", "Parcel not received yet: receive it first"),
    "id_required": (
        "贵重件：请在平板上核对证件后四位再签收",
        "Valuable parcel: check the last 4 of an ID on the tablet to sign",
    ),
    "bad_relation": ("签收关系无效：{relation}", "Unknown signer relation: {relation}"),
    "bad_weight": (
        "重量不对（{weight_g} 克）：请重新称重",
        "Weight {weight_g} g is not possible: weigh the parcel again",
    ),
    "bad_last4": ("后四位应为 4 位数字", "The last 4 must be four digits"),
    # dispatch
    "dispatched": ("出站（{reason}）", "Dispatched ({reason})"),
    "dispatched_unreceived": (
        "出站（{reason}）：本站没有此件的入库记录，已记下",
        "Dispatched ({reason}); never received at this station: noted",
    ),
    "dispatch_signed": (
        "已于 {when} 签收，不能出站",
        "Signed on {when}: cannot be dispatched",
    ),
    "already_dispatched": ("已于 {when} 出站", "Already dispatched on {when}"),
    "bad_dispatch_reason": ("出站原因无效：{reason}", "Unknown dispatch reason: {reason}"),
    # problem
    "problem_recorded": ("问题件已登记：{reason}", "Problem recorded: {reason}"),
    "bad_problem_code": ("问题原因无效：{reason}", "Unknown problem reason: {reason}"),
    # stocktake
    "stocktake_ok": ("盘点：在架 {pickup_code}", "Stocktake: on shelf at {pickup_code}"),
    "stocktake_unexpected": (
        "盘点：此件不应在架上（{state}），请拿出来交主管",
        "Stocktake: this parcel should not be on a shelf ({state}); hand it to a supervisor",
    ),
    # commands
    "mode_set": ("模式：{mode}", "Mode: {mode}"),
    "mode_lapsed": (
        "扫码枪空闲 {minutes} 分钟，已恢复为{mode}模式",
        "Gun idle for {minutes} min: back to {mode} mode",
    ),
    "mode_lapsed_carrier": (
        "扫码枪空闲 {minutes} 分钟，已恢复为{mode}模式，批次快递公司已清除",
        "Gun idle for {minutes} min: back to {mode} mode, batch carrier cleared",
    ),
    "operator_in": ("{name} 已登录", "{name} signed in"),
    "operator_out": ("已退出登录", "Signed out"),
    "operator_unknown": (
        "没有这个操作员：{operator}，请找主管添加",
        "Unknown operator {operator}: ask a supervisor to add you",
    ),
    "reason_set": ("原因：{reason}，已切换到{mode}", "Reason: {reason}; mode {mode}"),
    "carrier_set": ("批次快递公司：{carrier}", "Batch carrier: {carrier}"),
    "unknown_carrier": (
        "没有这个快递公司：{carrier}，请用快递公司列表中的代码",
        "Unknown carrier {carrier}: use a code from the carrier list",
    ),
    "unknown_carrier_card": (
        "无效的快递公司卡：{carrier}，批次快递公司未改变",
        "Unknown carrier card {carrier}: the batch carrier is unchanged",
    ),
    "override_supervisor": (
        "只有主管可以确认重新入库",
        "Only a supervisor can confirm receiving it again",
    ),
    "carrier_cleared": ("已清除批次快递公司", "Batch carrier cleared"),
    "reprint_asked": ("补打上一张标签", "Reprinting the last label"),
    "handover_opened": (
        "开始交接：{name}（{carrier}），请逐件扫描",
        "Handover from {name} ({carrier}): scan each parcel",
    ),
    "courier_unknown": (
        "没有这个快递员：{courier}，请在平板上添加",
        "Unknown courier {courier}: add them on the tablet",
    ),
    "bad_command": ("无效的指令条码：{code}", "Unknown command card: {code}"),
    "undone": ("已撤销：{type} {waybill}", "Undone: {type} {waybill}"),
    "nothing_to_undo": ("此设备没有可撤销的扫描", "Nothing to undo at this device"),
    "already_undone": ("这次扫描已撤销", "That scan was already undone"),
    "unknown_scan": ("没有这次扫描：{seq}", "No such scan: {seq}"),
    "read_error": ("读取出错，请重扫", "Read error: scan again"),
    # scan-to-collect (扫码取件)
    "collect_ready": (
        "取件码有效：{count} 件，货架 {shelves}，请核对后以本人签收",
        "Pickup QR valid: {count} parcel(s) on shelf {shelves}; check and sign as self",
    ),
    "collect_none": (
        "取件码有效，但本站货架上没有这些包裹",
        "Pickup QR valid, but none of its parcels is on the shelf here",
    ),
    "collect_forged": (
        "取件码无效（签名不对），请收件人刷新短信里的链接或报取件码",
        "Pickup QR not genuine: ask for the link in the text again, or the pickup code",
    ),
    "collect_expired": (
        "取件码已过期，请收件人刷新短信里的链接或报取件码",
        "Pickup QR expired: ask the recipient to open the link again, or for the pickup code",
    ),
    "collect_other_station": (
        "这是其他驿站的取件码，包裹不在本站",
        "This pickup QR is for another station: the parcels are not here",
    ),
    "collect_no_key": (
        "本站还没有总部的取件码公钥，请联网同步后再试，或报取件码",
        "No head-office key for pickup QRs yet: sync once, or use the pickup code",
    ),
    "store_failed": (
        "保存失败，本次扫描未记录：请找主管检查存储空间后重扫",
        "Not recorded (storage failed): ask a supervisor to check disk space, then scan again",
    ),
}

TYPE_NAMES: dict[str, tuple[str, str]] = {
    "receive": ("入库", "receive"),
    "dispatch": ("出站", "dispatch"),
    "sign": ("签收", "sign"),
    "problem": ("问题件", "problem"),
    "stocktake": ("盘点", "stocktake"),
}

REASON_NAMES: dict[str, tuple[str, str]] = {
    "delivery": ("派件", "delivery"),
    "return": ("退回", "return"),
    "transfer": ("转运", "transfer"),
    "damaged": ("破损", "damaged"),
    "wrong_address": ("地址错误", "wrong address"),
    "refused": ("拒收", "refused"),
    "missing_items": ("少件", "missing items"),
    "weight_mismatch": ("重量不符", "weight mismatch"),
    "unreachable": ("电话联系不上", "phone unreachable"),
    "overdue": ("滞留", "overdue"),
    "other": ("其他", "other"),
}

# Parcel states, named in messages such as stocktake_unexpected.
STATE_NAMES: dict[str, tuple[str, str]] = {
    "registered": ("已登记", "registered"),
    "on_shelf": ("在架", "on shelf"),
    "signed": ("已签收", "signed"),
    "dispatched": ("已出站", "dispatched"),
    "unknown": ("本站没有记录", "not known here"),
}


def _localise(value: Any, lang: int) -> Any:
    if isinstance(value, str):
        for table in (TYPE_NAMES, REASON_NAMES, STATE_NAMES):
            if value in table:
                return table[value][lang]
    return value


@dataclass(frozen=True)
class Message:
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self, lang: str) -> str:
        index = 1 if lang == "en" else 0
        template = CATALOG[self.key][index]
        params = {k: _localise(v, index) for k, v in self.params.items()}
        return template.format(**params)

    # Cached: the answer and the read journal both take each text; formatted once a scan.
    @cached_property
    def zh(self) -> str:
        return self.text("zh")

    @cached_property
    def en(self) -> str:
        return self.text("en")
