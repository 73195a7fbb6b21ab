"""The store: one class, ``Store``, owns all SQL. Each area keeps its queries in a mixin
beside this file and its migrations in that module's ``MIGRATIONS``."""

from edge.store import (
    admin,
    appliance,
    core_schema,
    desk,
    devices,
    notify,
    outbox,
    printing,
    receipts,
    sendings,
    service,
    sync,
    web,
)
from edge.store.admin import AdminSQL
from edge.store.appliance import ApplianceSQL
from edge.store.base import (
    DB_NAME,
    StoreBase,
    StoreBusy,
    StoreError,
    StoreFull,
    StoreMissing,
    StoreOutdated,
)
from edge.store.desk import DeskSQL
from edge.store.desk_money import MoneySQL
from edge.store.desk_problems import ProblemSQL
from edge.store.devices import DeviceSQL
from edge.store.notify import NotifySQL
from edge.store.outbox import OutboxSQL
from edge.store.printing import PrintingSQL
from edge.store.receipts import ReceiptSQL
from edge.store.scans import ScanSQL
from edge.store.sendings import SendingSQL
from edge.store.service import ServiceSQL
from edge.store.sync import SyncSQL
from edge.store.web import WebSQL

__all__ = [
    "DB_NAME",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreFull",
    "StoreMissing",
    "StoreOutdated",
]


class Store(
    OutboxSQL,
    ScanSQL,
    DeviceSQL,
    SyncSQL,
    WebSQL,
    ApplianceSQL,
    PrintingSQL,
    DeskSQL,
    MoneySQL,
    ProblemSQL,
    AdminSQL,
    ServiceSQL,
    ReceiptSQL,
    SendingSQL,
    NotifySQL,
    StoreBase,
):
    migrations = (
        core_schema.MIGRATIONS
        + devices.MIGRATIONS
        + sync.MIGRATIONS
        + web.MIGRATIONS
        + appliance.MIGRATIONS
        + printing.MIGRATIONS
        + desk.MIGRATIONS
        + admin.MIGRATIONS
        + service.MIGRATIONS
        + receipts.MIGRATIONS
        + sendings.MIGRATIONS
        + outbox.MIGRATIONS
        + notify.MIGRATIONS
    )
