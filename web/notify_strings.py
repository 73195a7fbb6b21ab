"""The parcel page's words for recipient notifications, in Chinese and English."""

NOTIFY_STRINGS: dict[str, tuple[str, str]] = {
    "notify.title": ("短信通知", "Message to recipient"),
    "notify.none": ("总部尚未通知", "Head office has not messaged yet"),
    "notify.queued": ("排队中", "Queued"),
    "notify.sent": ("已发送", "Sent"),
    "notify.failed": ("发送失败", "Failed"),
    "notify.arrival": ("到站通知", "Arrival"),
    "notify.reminder": ("催取提醒", "Reminder"),
    "notify.return": ("退回通知", "Return notice"),
    "notify.resend": ("重新发送", "Send again"),
    "notify.resend_asked": (
        "已请总部重新发送，下次同步时送达",
        "Head office will send it again after the next sync",
    ),
}
