"""The service desk's words on the page (tickets, receipts, sendings), zh and en;
``web.catalog`` merges them into its tables."""

from __future__ import annotations

from edge.service.messages import MESSAGES

STRINGS: dict[str, tuple[str, str]] = {
    **MESSAGES,
    "nav.tickets": ("工单", "Tickets"),
    "nav.receipts": ("回单", "Receipts"),
    "nav.sends": ("寄件", "Send"),
    # tickets
    "ticket.title": ("工单（查件 / 投诉 / 索赔）", "Tickets (inquiries, complaints, claims)"),
    "ticket.new": ("新建工单", "New ticket"),
    "ticket.kind": ("类型", "Kind"),
    "ticket.category": ("问题分类", "Category"),
    "ticket.waybills": ("运单号（可多个，空格分开）", "Waybills (several: separate by spaces)"),
    "ticket.words": ("客户原话", "The customer's words"),
    "ticket.open_button": ("建单", "Open ticket"),
    "ticket.open_list": ("未完结工单（按时间）", "Open tickets, oldest first"),
    "ticket.none": ("没有未完结的工单", "No open tickets"),
    "ticket.age": ("已过", "Age"),
    "ticket.minutes": ("{n} 分钟", "{n} min"),
    "ticket.due": ("期限", "Due"),
    "ticket.state": ("状态", "State"),
    "ticket.overdue": ("超时", "overdue"),
    "ticket.late": ("曾超时：{stages}", "Deadline missed: {stages}"),
    "ticket.follow_up_rate": ("回访率 {rate}", "Follow-up rate {rate}"),
    "ticket.rules": (
        "首次答复 {minutes} 分钟内；投诉当天办结；办结后回访",
        "First answer within {minutes} min; complaints settled the same day; every case "
        "followed up",
    ),
    "ticket.heading": ("工单 #{id}", "Ticket #{id}"),
    "ticket.history": ("处理记录", "History"),
    "ticket.next": ("下一步", "Next step"),
    "ticket.note": ("说明（答复内容、处理结果）", "What was said or done"),
    "ticket.satisfaction": ("满意度（1-5）", "Satisfaction (1-5)"),
    "ticket.unreachable": ("联系不上（记一次）", "Not reachable (count a try)"),
    "ticket.tries": ("已回访 {n} 次未接通", "{n} follow-up calls unanswered"),
    "ticket.done": ("已完结", "Closed"),
    "ticket.opened": ("建单 {at}（{who}）", "Opened {at} by {who}"),
    "ticket.phone": ("手机后四位 {last4}", "Phone last 4 {last4}"),
    "ticket.outcome": ("回访结果", "Follow-up"),
    # receipts
    "receipt.title": ("回单", "Signed receipts"),
    "receipt.mark": ("登记需要回单的包裹", "Mark a parcel as needing a receipt"),
    "receipt.mark_button": ("登记", "Mark"),
    "receipt.hops": ("路段数（直达 1，中转一次 2）", "Hops (direct 1, one transfer 2)"),
    "receipt.needs_signature": ("签名", "Signature"),
    "receipt.needs_id": ("证件号（只存后四位）", "ID number (last 4 kept)"),
    "receipt.needs_stamp": ("公司盖章", "Company stamp"),
    "receipt.copies": ("份数", "Copies"),
    "receipt.waiting": ("待签回单", "Waiting to be signed"),
    "receipt.outstanding": ("待寄回 / 待确认", "To send back / awaiting confirmation"),
    "receipt.none": ("没有", "None"),
    "receipt.sign": ("签回单", "Sign with receipt"),
    "receipt.sign_title": ("回单签收 {waybill}", "Receipt signing: {waybill}"),
    "receipt.required": ("本件要求", "This receipt needs"),
    "receipt.signed_check": ("客户已在回单上签名", "The customer signed the receipt"),
    "receipt.stamp_check": ("回单已盖公司章", "The receipt carries the company stamp"),
    "receipt.copies_got": ("签好的份数", "Copies signed"),
    "receipt.recipient_id": ("收件人证件后四位", "Recipient's ID last 4"),
    "receipt.proxy_name": ("代取人姓名（只存姓）", "Proxy's name (first character kept)"),
    "receipt.proxy_id": ("代取人证件后四位", "Proxy's ID last 4"),
    "receipt.photo": ("拍下签好的回单", "Photograph the signed receipt"),
    "receipt.submit": ("核对并签收", "Check and sign"),
    "receipt.accepted": (
        "回单合格，已签收；{days} 天内寄回（{due} 前）",
        "Receipt accepted and parcel signed; due back within {days} days ({due})",
    ),
    "receipt.due": ("寄回期限", "Due back"),
    "receipt.batch": ("装袋寄回", "Send back in an envelope"),
    "receipt.branch": ("寄往网点", "Sending branch"),
    "receipt.batch_button": ("生成回单批次", "Make the batch"),
    "receipt.batches": ("回单批次", "Receipt batches"),
    "receipt.batch_line": ("第 {id} 批 · {n} 份", "Batch {id} · {n} receipts"),
    "receipt.confirm": ("总部已确认收到", "Head office confirmed"),
    "receipt.overdue": ("超期", "overdue"),
    "receipt.days_left": ("剩 {n} 天", "{n} days left"),
    "receipt.fields": ("缺少：", "Missing:"),
    "receipt.link": ("回单件", "Receipt"),
    # sendings
    "send.title": ("寄件", "Send a parcel"),
    "send.sender": ("寄件人", "Sender"),
    "send.receiver": ("收件人", "Receiver"),
    "send.name": ("姓名（只存姓）", "Name (first character kept)"),
    "send.province": ("省", "Province"),
    "send.city": ("市", "City"),
    "send.district": ("区县", "District"),
    "send.weight": ("重量（克）", "Weight (g)"),
    "send.weight_hint": ("默认取电子秤稳定重量", "the scale's stable weight when left empty"),
    "send.payment": ("付款", "Payment"),
    "send.quote": ("算价格", "Price it"),
    "send.record": ("收款并登记", "Paid: record it"),
    "send.price": ("¥{yuan}", "¥{yuan}"),
    "send.priced": (
        "{zone}区 · {weight} 克 · {hours} 小时内应签收",
        "zone {zone} · {weight} g · to be signed within {hours} h",
    ),
    "send.recorded": ("已登记寄件 {waybill}", "Sending recorded: {waybill}"),
    "send.today": (
        "今日寄件 {n} 件，收款 ¥{yuan}（现金 ¥{cash}，扫码 ¥{qr}）",
        "Today: {n} sendings, ¥{yuan} taken (cash ¥{cash}, QR ¥{qr})",
    ),
    "send.open_list": ("未签收的寄件", "Sent, not signed yet"),
    "send.chase": ("需催查", "chase"),
    "send.sign_by": ("应签收", "Sign by"),
    "send.price_col": ("运费", "Price"),
    "send.none": ("没有", "None"),
    "send.weight_needed": (
        "没有重量：请把包裹放上电子秤或填写重量",
        "No weight: put the parcel on the scale or type it",
    ),
}

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "ticket_kind": {
        "inquiry": ("查件", "inquiry"),
        "complaint": ("投诉", "complaint"),
        "claim": ("索赔", "claim"),
    },
    "ticket_category": {
        "signed_not_received": ("签收未收到", "signed but not received"),
        "wrong_address": ("地址错 / 电话错 / 查无此人", "wrong address, phone or person"),
        "damaged_outer": ("外包装破损", "damaged outer packing"),
        "damaged_refused": ("派送中破损拒收", "broken in delivery, refused"),
        "lost_label": ("掉面单", "lost label"),
        "items_missing": ("内件短少", "items missing"),
        "wrong_item": ("错件", "wrong item"),
        "delay": ("延误", "delay"),
        "attitude": ("服务态度", "staff attitude"),
        "other": ("其他", "other"),
    },
    "ticket_state": {
        "open": ("待答复", "open"),
        "answered": ("已答复", "answered"),
        "settled": ("已办结", "settled"),
        "followed_up": ("已回访", "followed up"),
        "follow_up_try": ("回访未接通", "follow-up unanswered"),
    },
    "late_stage": {
        "answer": ("首次答复", "first answer"),
        "settle": ("办结", "settling"),
        "follow_up": ("回访", "follow-up"),
    },
    "outcome": {"satisfied": ("已回访", "reached"), "unreachable": ("联系不上", "unreachable")},
    "receipt_state": {
        "required": ("待签", "to sign"),
        "signed": ("已签待寄回", "signed, to send"),
        "sent": ("已寄回", "sent"),
        "confirmed": ("总部已确认", "confirmed"),
    },
    "receipt_field": {
        "signature": ("签名", "signature"),
        "id_last4": ("收件人证件后四位", "recipient's ID last 4"),
        "stamp": ("公司章", "company stamp"),
        "copies": ("份数不够", "copies"),
        "proxy_name": ("代取人姓名", "proxy's name"),
        "proxy_id_last4": ("代取人证件后四位", "proxy's ID last 4"),
        "photo": ("回单照片", "photo of the receipt"),
    },
    "zone": {
        "local": ("省内", "local"),
        "near": ("邻省", "near"),
        "far": ("外省", "far"),
        "remote": ("偏远", "remote"),
    },
    "payment": {"cash": ("现金", "cash"), "qr": ("扫码", "QR code")},
    "send_state": {"open": ("未签收", "not signed"), "signed": ("已签收", "signed")},
}


def merge_into(
    strings: dict[str, tuple[str, str]], labels: dict[str, dict[str, tuple[str, str]]]
) -> None:
    strings.update(STRINGS)
    labels.update(LABELS)
