"""SQL for guns and scales: connection state and live weights the page reads."""

from edge.store.base import Migration, StoreBase

MIGRATIONS: list[Migration] = []


class DeviceSQL(StoreBase):
    pass
