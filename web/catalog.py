"""Every string the page shows, in Simplified Chinese (default) and English.

Answers to scans come from the core already in both languages (reads.message_zh /
message_en); names of scan types and reasons come from the core's tables
(edge.messages); everything else is here. ``text()`` fills in ``{params}``.
"""

from __future__ import annotations

from typing import Any

from edge.messages import REASON_NAMES, STATE_NAMES, TYPE_NAMES
from web import service_strings
from web.catalog_day import LABELS as DAY_LABELS
from web.catalog_day import STRINGS as DAY_STRINGS
from web.labels_strings import LABEL_STRINGS
from web.notify_strings import NOTIFY_STRINGS

LANGUAGES = ("zh", "en")

STRINGS: dict[str, tuple[str, str]] = {
    **LABEL_STRINGS,
    **NOTIFY_STRINGS,
    "app.name": ("驿站扫描", "Station scanning"),
    "lang.other": ("English", "中文"),
    # navigation
    "nav.sorting": ("分拣屏", "Sorting"),
    "nav.receive": ("入库", "Receive"),
    "nav.pickup": ("签收出库", "Pickup"),
    "nav.dispatch": ("出站", "Dispatch"),
    "nav.problem": ("问题件", "Problems"),
    "nav.stocktake": ("盘点", "Stocktake"),
    "nav.overdue": ("滞留件", "Left too long"),
    "nav.reports": ("报表", "Reports"),
    "nav.status": ("状态", "Status"),
    "nav.labels": ("标签打印", "Labels"),
    "nav.search": ("查询", "Search"),
    "nav.scans": ("扫描记录", "Scans"),
    "nav.operators": ("操作员", "Operators"),
    "nav.config": ("配置", "Config"),
    "nav.menu": ("菜单", "Menu"),
    "nav.sign_out": ("退出", "Sign out"),
    # sign-in
    "signin.title": ("登录", "Sign in"),
    "signin.operator": ("工号", "Operator ID"),
    "signin.pin": ("密码（PIN）", "PIN"),
    "signin.submit": ("登录", "Sign in"),
    # errors
    "err.title": ("出错了", "Something went wrong"),
    "err.back": ("返回", "Back"),
    "err.csrf": (
        "页面已过期，请刷新页面后重试",
        "This page has expired: reload it and try again",
    ),
    "err.signed_out": ("请先登录", "Please sign in first"),
    "err.signin_missing": ("请输入工号和密码", "Enter your operator ID and PIN"),
    "err.signin_wrong": (
        "工号或密码不对。连续输错 {attempts} 次会锁定 {minutes} 分钟，主管可以解锁",
        "Wrong operator ID or PIN. {attempts} wrong PINs in a row lock the operator for "
        "{minutes} minutes; a supervisor can unlock",
    ),
    "err.client_locked": (
        "这台设备登录失败太多次，请 {minutes} 分钟后再试，或找主管",
        "Too many failed sign-ins from this device: wait {minutes} minutes or ask a supervisor",
    ),
    "err.signin_busy": (
        "登录的人太多，请几秒后再试",
        "Too many sign-ins at once: try again in a few seconds",
    ),
    "err.supervisor_only": ("只有主管可以操作", "Only a supervisor can do this"),
    "err.not_found": ("没有找到", "Not found"),
    "err.method": ("不支持这种请求", "This request is not supported here"),
    "err.bad_request": ("请求无效，请刷新页面后重试", "Bad request: reload the page and try again"),
    "err.http": ("出错了（{code}）", "Error {code}"),
    "err.store": (
        "保存失败，未记录：请找主管检查存储空间后重试",
        "Not saved (storage failed): ask a supervisor to check disk space, then try again",
    ),
    "err.store_full": (
        "磁盘已满，未保存：请找主管清理空间后重试",
        "Disk full, not saved: ask a supervisor to free some space, then try again",
    ),
    "err.store_busy": ("数据库忙，未保存：请稍后重试", "Database busy, not saved: try again"),
    "err.store_missing": (
        "找不到数据库文件：请找主管恢复备份",
        "Database file missing: ask a supervisor to restore a backup",
    ),
    "err.network": ("网络断开，未发送：请重扫", "No connection, not sent: scan again"),
    "err.operator_card": (
        "页面上不能换人：请退出后用自己的工号登录（工号卡只用于扫描枪）",
        "The page cannot change who is signed in: sign out and sign in as yourself "
        "(operator cards are for scan guns)",
    ),
    "err.disable_self": ("不能停用自己", "You cannot disable yourself"),
    "err.code_missing": ("请扫描或输入条码", "Scan or type a code"),
    "err.bad_choice": ("{field}：请从列表中选择", "{field}: choose one from the list"),
    "err.bad_range": (
        "{field}：应为 {low} 到 {high} 之间的数",
        "{field}: expected a number from {low} to {high}",
    ),
    "err.query_long": ("查询内容太长（最多 {max} 个字符）", "Search text too long (at most {max})"),
    "err.bad_day": ("日期应在 {low} 到 {high} 之间", "Dates run from {low} to {high}"),
    "err.bad_date": ("日期格式应为 2024-05-31", "Dates look like 2024-05-31"),
    "err.last4": ("{field}：应为 4 位数字", "{field}: four digits"),
    "err.pickup_none": ("请先勾选或扫描包裹", "Tick or scan at least one parcel first"),
    "err.relation_note": (
        "代取或快递员代签：请在备注写明关系（如 家人、同事）",
        "Someone else collecting: write the relation in the note (e.g. family, colleague)",
    ),
    "err.damaged_photo": ("破损件至少要拍一张照片", "A damaged parcel needs at least one photo"),
    "err.stocktake_closed": ("这次盘点已结束", "This stocktake is already closed"),
    "err.undo_reason": ("撤销要写明原因", "Give a reason for the undo"),
    "err.too_many_screens": (
        "打开的分拣屏太多，请关闭不用的页面",
        "Too many sorting screens open: close the ones not in use",
    ),
    # field names
    "field.carrier": ("快递公司", "Carrier"),
    "field.code": ("运单号", "Waybill"),
    "field.waybill": ("运单号", "Waybill"),
    "field.pickup_code": ("取件码", "Pickup code"),
    "field.phone_last4": ("手机后四位", "Phone last 4"),
    "field.id_last4": ("证件后四位", "ID last 4"),
    "field.relation": ("签收人", "Collected by"),
    "field.note": ("备注", "Note"),
    "field.reason": ("原因", "Reason"),
    "field.problem_code": ("问题原因", "Problem"),
    "field.shelf": ("货架", "Shelf"),
    "field.lang": ("语言", "Language"),
    # sorting screen
    "sort.scan_here": ("扫码枪扫描到这里", "Scan with the gun here"),
    "sort.mode": ("本机模式", "Mode of this page"),
    "sort.sound_on": ("声音：开", "Sound: on"),
    "sort.sound_off": ("声音：关", "Sound: off"),
    "sort.speak_on": ("播报：开", "Speak: on"),
    "sort.speak_off": ("播报：关", "Speak: off"),
    "sort.connected": ("已连接", "Live"),
    "sort.reconnecting": ("正在重连…", "Reconnecting…"),
    "sort.waiting": ("等待扫描…", "Waiting for scans…"),
    "sort.weight": ("重量", "Weight"),
    "sort.history": ("最近扫描", "Recent scans"),
    "sort.guns": ("扫码枪", "Guns"),
    "sort.no_guns": ("还没有扫码枪扫描过", "No gun has scanned yet"),
    "sort.gun_mode": ("{mode}模式", "{mode} mode"),
    "sort.nobody": ("未登录", "nobody signed in"),
    "sort.done_sign": ("签收", "SIGNED OUT"),
    "sort.done_dispatch": ("出站", "DISPATCHED"),
    "sort.done_problem": ("问题件", "PROBLEM"),
    "sort.done_stocktake": ("盘点", "STOCKTAKE"),
    "sort.keypad": ("键盘", "Keypad"),
    # receive
    "receive.title": ("入库（到件）", "Receive"),
    "receive.carrier_auto": ("自动识别", "Recognise"),
    "receive.batch": ("本批快递公司", "Carrier of this batch"),
    "receive.recorded": (
        "记录为：{carrier}（{confidence}）",
        "Recorded as: {carrier} ({confidence})",
    ),
    "receive.maybe": ("可能是：{carriers}", "could be: {carriers}"),
    "receive.override": ("主管确认：重新入库", "Supervisor: receive it again"),
    "receive.phone_hint": ("无预报时填写", "when no manifest"),
    "receive.scan": ("扫描运单号入库", "Scan a waybill to receive it"),
    "receive.help": (
        "按快递公司分批扫描；有秤时自动带上稳定重量。",
        "Scan one carrier's batch at a time; a stable weight from the scale is added.",
    ),
    "scale.label": ("电子秤", "Scale"),
    "scale.none": ("未配置电子秤", "No scale"),
    "scale.off": ("电子秤未连接", "Scale not connected"),
    "scale.moving": ("不稳定", "moving"),
    "scale.stable": ("稳定", "stable"),
    # pickup
    "pickup.title": ("签收出库", "Pickup"),
    "pickup.find": ("取件码、手机后四位或运单号", "Pickup code, phone last 4 or waybill"),
    "pickup.find_hint": ("如 3-2-1045 或 5678", "e.g. 3-2-1045 or 5678"),
    "pickup.search": ("查找", "Find"),
    "pickup.none_found": ("没有找到：{q}", "Nothing found for {q}"),
    "pickup.scan": ("逐件扫描核对（或点选）", "Scan each parcel to confirm (or tap)"),
    "pickup.not_in_list": ("不在本次取件列表中：", "Not in this pickup:"),
    "pickup.valuable": ("贵重件：核对证件", "Valuable: check ID"),
    "pickup.note_hint": ("代取时写明关系", "relation, when someone else collects"),
    "pickup.id_hint": ("贵重件必填", "needed for valuables"),
    "pickup.confirm": ("确认签收", "Confirm pickup"),
    "pickup.done": ("签收结果", "Pickup result"),
    "pickup.next": ("下一位", "Next customer"),
    # dispatch and problems
    "dispatch.title": ("出站（派件 / 退回 / 转运）", "Dispatch (delivery / return / transfer)"),
    "dispatch.scan": ("扫描运单号出站", "Scan a waybill to dispatch it"),
    "problem.title": ("登记问题件", "Record a problem"),
    "problem.damaged_hint": ("破损件必须拍照。", "Damaged parcels need a photo."),
    "problem.submit": ("登记", "Record"),
    "photo.label": ("拍照", "Photo"),
    "photo.hint": ("可选，最大 15 MB", "optional, at most 15 MB"),
    "photo.too_large": (
        "照片太大（{mb} MB），最大 {max} MB：请降低相机分辨率后重拍",
        "Photo too large ({mb} MB, at most {max} MB): lower the camera resolution and retake",
    ),
    "photo.too_large_request": (
        "上传内容太大（每张照片最大 {max} MB，最多 3 张）",
        "Upload too large (at most {max} MB per photo, 3 photos)",
    ),
    "photo.disk_full": (
        "存储空间不足（剩余 {free} MB，照片需要 {limit} MB）：照片未保存，扫描不受影响，请告诉主管",
        "Disk nearly full ({free} MB free, photos need {limit} MB): photo not saved; scanning"
        " still works. Tell a supervisor",
    ),
    "photo.empty": ("照片是空的，请重拍", "The photo is empty: take it again"),
    "photo.not_image": ("这不是图片文件，请拍照上传", "That is not an image: take a photo"),
    "photo.broken": ("照片文件已损坏，请重拍", "The photo is damaged: take it again"),
    "photo.too_many_pixels": (
        "照片像素太多，请降低相机分辨率",
        "Too many pixels: lower the resolution",
    ),
    # stocktake
    "stock.title": ("盘点", "Stocktake"),
    "stock.start": ("开始盘点", "Start"),
    "stock.started": ("开始时间", "Started"),
    "stock.operator": ("操作员", "Operator"),
    "stock.state": ("状态", "State"),
    "stock.open": ("进行中", "open"),
    "stock.closed_at": ("{at} 结束", "closed {at}"),
    "stock.shelf_title": ("盘点 {shelf} 号架", "Stocktake of shelf {shelf}"),
    "stock.scan": ("扫描架上每一件", "Scan every parcel on the shelf"),
    "stock.found": ("已找到", "Found"),
    "stock.missing": ("缺失（有记录未扫到）", "Missing (recorded here, not scanned)"),
    "stock.extra": ("多出（记录在别处或已签收）", "Extra (recorded elsewhere or signed)"),
    "stock.unknown": ("无记录", "no record"),
    "stock.close": ("结束盘点", "Close stocktake"),
    # overdue
    "overdue.title": ("滞留件", "Parcels left too long"),
    "overdue.rules": (
        "在架 {warn} 天提醒，{ret} 天建议退回。",
        "Flagged after {warn} days on the shelf; proposed for return after {ret}.",
    ),
    "overdue.all_to_return": (
        "把满 {days} 天的全部加入退回清单",
        "Put all of {days} days or more on the return list",
    ),
    "overdue.chosen_to_return": ("勾选的加入退回清单", "Put the ticked ones on the return list"),
    "overdue.days": ("天数", "Days"),
    "overdue.flag_warn": ("滞留", "left long"),
    "overdue.flag_return": ("应退回", "to return"),
    "overdue.listed": ("已在退回清单", "on the return list"),
    "overdue.none": ("没有", "None"),
    "overdue.return_list": ("退回清单", "Return list"),
    "overdue.scan_return": (
        "扫描退回的包裹（出站：退回）",
        "Scan parcels as they go back (return)",
    ),
    "overdue.n_days": ("{n} 天", "{n} days"),
    # reports
    "report.title": ("报表", "Reports"),
    "report.day": ("日期", "Day"),
    "report.show": ("查看", "Show"),
    "report.col_receive": ("入库", "Received"),
    "report.col_sign": ("签收", "Signed out"),
    "report.col_dispatch": ("出站", "Dispatched"),
    "report.col_problem": ("问题件", "Problems"),
    "report.csv": ("导出 CSV", "Export CSV"),
    "report.on_shelf": ("在架", "On shelf"),
    "report.empty": ("这一天没有扫描", "No scans that day"),
    "report.hourly": ("每小时扫描量", "Scans per hour"),
    "report.unknown_carrier": ("快递公司未知", "carrier unknown"),
    "report.unknown_hint": (
        "单号无法判断是哪家快递，入库时请选择本批快递公司",
        "the number does not tell the carrier: choose the batch carrier when receiving",
    ),
    # status
    "status.title": ("设备与同步状态", "Devices and sync"),
    "status.devices": ("扫码枪和电子秤", "Guns and scales"),
    "status.device": ("设备", "Device"),
    "status.state": ("状态", "State"),
    "status.since": ("自", "Since"),
    "status.last_code": ("最后条码", "Last code"),
    "status.weight": ("重量", "Weight"),
    "status.no_devices": (
        "还没有设备记录：扫码服务（station scanner）在运行吗？",
        "No devices recorded yet: is `station scanner` running?",
    ),
    "status.reads": ("各设备最后一次扫描", "Last read at each device"),
    "status.answer": ("结果", "Answer"),
    "status.at": ("时间", "Time"),
    "status.no_reads": ("还没有扫描", "No reads yet"),
    "status.sync": ("上传到总部", "Sync to head office"),
    "status.backlog": ("待上传", "Waiting to send"),
    "status.oldest": ("最早待上传", "Oldest unsent"),
    "status.ago_s": ("{n} 秒前", "{n} s ago"),
    "status.ago_min": ("{n} 分钟前", "{n} min ago"),
    "status.ago_h": ("{n} 小时前", "{n} h ago"),
    "status.ago_d": ("{n} 天前", "{n} days ago"),
    "status.last_success": ("上次成功", "Last success"),
    "status.err_network": (
        "连不上总部：请检查网络。扫描都已保存，网络恢复后自动上传",
        "Cannot reach head office: check the network. Every scan is kept and goes up "
        "by itself once it is back",
    ),
    "status.err_token": (
        "总部不接受本站的令牌：请主管检查总部令牌设置。扫描都已保存",
        "Head office refuses this station's token: a supervisor should check the token "
        "setting. Every scan is kept",
    ),
    "status.err_head_office": (
        "总部暂时出错，会自动重试。扫描都已保存",
        "Head office had an error; sync tries again by itself. Every scan is kept",
    ),
    "status.err_other": (
        "上传出错，会自动重试。扫描都已保存；如一直出错，请主管查看同步日志",
        "Sync had an error and tries again by itself. Every scan is kept; if it goes "
        "on, a supervisor should read the sync log",
    ),
    "status.last_error": ("上次错误", "Last error"),
    "status.rejected": ("被总部拒收", "Rejected by head office"),
    # search and parcel
    "search.title": ("查询包裹", "Find a parcel"),
    "search.query": (
        "运单号（或其中几位、后4–6位）、取件码、手机后四位",
        "Waybill (or part of it, its last 4-6), pickup code, phone last 4",
    ),
    "search.matched": ("匹配", "Matched by"),
    "search.by_waybill": ("运单号", "waybill"),
    "search.by_pickup_code": ("取件码", "pickup code"),
    "search.by_tail": ("运单尾号", "waybill ending"),
    "search.by_phone": ("手机尾号", "phone last 4"),
    "search.by_part": ("运单号部分", "part of the waybill"),
    "search.updated": ("更新时间", "Updated"),
    "parcel.timeline": ("全部记录", "Timeline"),
    "parcel.what": ("操作", "What"),
    "parcel.detail": ("详情", "Detail"),
    "parcel.sync": ("上传", "Sync"),
    "parcel.recipient": ("收件人", "Recipient"),
    "parcel.undone": ("已撤销 {at} {reason}", "undone {at} {reason}"),
    "undo.reason": ("撤销原因", "Reason"),
    "undo.button": ("撤销", "Undo"),
    # operators and config
    "ops.add_hint": (
        "添加或改密码：在工作站上运行 station operator add",
        "To add an operator or change a PIN: run `station operator add` on the station",
    ),
    "ops.id": ("工号", "ID"),
    "ops.name": ("姓名", "Name"),
    "ops.role": ("角色", "Role"),
    "ops.state": ("状态", "State"),
    "ops.ok": ("正常", "ok"),
    "ops.inactive": ("停用", "inactive"),
    "ops.locked": ("锁定到 {until}", "locked until {until}"),
    "ops.failed": ("密码错 {n} 次", "{n} wrong PINs"),
    "ops.disable": ("停用", "Disable"),
    "ops.enable": ("启用", "Enable"),
    "ops.unlock": ("解锁", "Unlock"),
    "config.zh_note": (
        "各项说明（英文）见 README 的配置参考；这里只列出各项的值",
        "Each key is described in the README's configuration reference",
    ),
    "config.hint": (
        "只读；修改请编辑配置文件后重启服务",
        "Read only: edit the file and restart the services to change it",
    ),
}

# Names of codes that are not the core's message tables.
STRINGS.update(DAY_STRINGS)

LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "carrier": {
        "sf": ("顺丰", "SF Express"),
        "zto": ("中通", "ZTO"),
        "yto": ("圆通", "YTO"),
        "sto": ("申通", "STO"),
        "yunda": ("韵达", "Yunda"),
        "jtexpress": ("极兔", "J&T"),
        "jd": ("京东", "JD"),
        "ems": ("EMS", "EMS"),
        "chinapost": ("中国邮政", "China Post"),
        "deppon": ("德邦", "Deppon"),
        "zjs": ("宅急送", "ZJS"),
        "cainiao": ("菜鸟", "Cainiao"),
        "ups": ("UPS", "UPS"),
        "fedex": ("FedEx", "FedEx"),
        "usps": ("USPS", "USPS"),
        "dhl": ("DHL", "DHL"),
    },
    "state": STATE_NAMES,
    "relation": {
        "self": ("本人", "the recipient"),
        "proxy": ("代取", "someone else"),
        "courier": ("快递员", "a courier"),
    },
    "role": {"clerk": ("店员", "clerk"), "supervisor": ("主管", "supervisor")},
    "device": {"gun": ("扫码枪", "gun"), "scale": ("电子秤", "scale")},
    "device_state": {
        "connected": ("已连接", "connected"),
        "disconnected": ("未连接", "disconnected"),
        "silent": ("无数据", "silent"),
    },
    "sync": {
        "pending": ("待上传", "pending"),
        "sent": ("已上传", "sent"),
        "rejected": ("被拒收", "rejected"),
        "withheld": ("不上传", "withheld"),
    },
    "warning": {
        "weight_mismatch": ("重量不符", "weight mismatch"),
        "not_on_shelf": ("不应在架上", "should not be on a shelf"),
        "batch_carrier_mismatch": (
            "单号不属于批次快递公司，已按单号记录",
            "not the batch carrier's number: recorded by the number",
        ),
        "never_received": ("本站未入库", "never received here"),
        "no_consent": ("收件人未同意放驿站", "recipient did not agree to a station"),
        "received_after_sign": ("主管确认重新入库", "received again, confirmed by a supervisor"),
        "mode_lapsed": ("模式已超时，恢复默认", "mode timed out: back to the default"),
    },
    # Who decided the carrier recorded (Outcome.confidence).
    "confidence": {
        "manifest": ("依据预报", "from the manifest"),
        "batch": ("依据批次", "from the batch"),
        "check_digit": ("单号校验位确认", "check digit matches"),
        "pattern": ("按单号格式推断", "guessed from the number's format"),
        "none": ("无法判断", "cannot tell"),
    },
    "type": TYPE_NAMES,
    "reason": REASON_NAMES,
}
service_strings.merge_into(STRINGS, LABELS)

LABELS.update(DAY_LABELS)


def text(key: str, lang: str, **params: Any) -> str:
    zh, en = STRINGS[key]
    template = en if lang == "en" else zh
    return template.format(**params) if params else template


def label(group: str, code: str | None, lang: str) -> str:
    """The name of a code (a carrier, a state…); the code itself when it has none."""
    if not code:
        return ""
    names = LABELS[group].get(code)
    if names is None:
        return code
    return names[1] if lang == "en" else names[0]
