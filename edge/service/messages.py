"""Refusals of the service desk in Chinese and English (the page merges these into its
catalog; the CLI prints both)."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
    "ticket.bad_kind": ("工单类型无效：{kind}", "Unknown ticket kind: {kind}"),
    "ticket.bad_category": ("问题分类无效：{category}", "Unknown category: {category}"),
    "ticket.bad_state": ("工单状态无效：{state}", "Unknown ticket state: {state}"),
    "ticket.no_going_back": (
        "工单已是“{current}”，不能改回“{target}”",
        "The ticket is already {current}: it cannot go back to {target}",
    ),
    "ticket.words_needed": ("请记录客户的原话", "Write down what the customer said"),
    "ticket.link_needed": (
        "请填写运单号或手机后四位（至少一项）",
        "Give a waybill or the phone's last 4 (at least one)",
    ),
    "ticket.not_found": ("没有这个工单：{id}", "No ticket {id}"),
    "ticket.changed": (
        "工单刚被别人更新过，请刷新后再试",
        "Someone else just updated this ticket: reload and try again",
    ),
    "ticket.follow_up_both": (
        "回访：满意度和“联系不上”只能选一个",
        "Follow-up: give a satisfaction or 'unreachable', not both",
    ),
    "ticket.satisfaction_needed": (
        "回访要记录满意度（1-5），或记一次“联系不上”",
        "A follow-up records satisfaction (1-5), or one 'unreachable' try",
    ),
    "ticket.satisfaction_range": ("满意度应为 1 到 5", "Satisfaction is 1 to 5"),
    "ticket.bad_waybill": ("运单号不对：{waybill}", "Not a waybill number: {waybill}"),
    "receipt.bad_requirement": ("回单要求无法识别：{error}", "Receipt requirement: {error}"),
    "receipt.not_required": ("这个包裹不需要回单：{waybill}", "No receipt is needed for {waybill}"),
    "receipt.already_signed": ("回单已签：{waybill}", "The receipt is already signed: {waybill}"),
    "receipt.missing": (
        "回单不合格，缺少：{missing}",
        "Receipt refused, missing: {missing}",
    ),
    "receipt.none_to_send": (
        "没有可装袋的已签回单（同一快递公司）",
        "No signed receipts of that carrier to send",
    ),
    "receipt.batch_not_found": ("没有这个回单批次：{id}", "No receipt batch {id}"),
    "send.bad_province": ("省份无法识别：{province}", "Not a province: {province}"),
    "send.no_rate": (
        "价格表没有 {carrier} 到 {zone} 区的价格：请主管补上",
        "No price for {carrier} to zone {zone}: ask a supervisor to add it",
    ),
    "send.bad_weight": (
        "重量应在 1 克到 {max} 克之间：请放上电子秤",
        "Weight must be 1 g to {max} g: put the parcel on the scale",
    ),
    "send.bad_carrier": ("快递公司无效：{carrier}", "Unknown carrier: {carrier}"),
    "send.bad_payment": ("付款方式应为现金或扫码", "Payment is cash or QR code"),
    "send.duplicate": ("这个运单号已经寄过：{waybill}", "Already sent under {waybill}"),
    "send.bad_waybill": ("运单号不对：{waybill}", "Not a waybill number: {waybill}"),
    "send.bad_last4": ("{field}：应为 4 位数字", "{field}: four digits"),
}


def text(key: str, lang: str, **params: Any) -> str:
    zh, en = MESSAGES[key]
    template = en if lang == "en" else zh
    return template.format(**params) if params else template
