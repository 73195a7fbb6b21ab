"""SQL for health, retention and backup."""

from edge.store.base import Migration, StoreBase

MIGRATIONS: list[Migration] = []


class ApplianceSQL(StoreBase):
    pass
