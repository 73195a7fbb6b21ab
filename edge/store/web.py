"""SQL for the tablet page: search, timelines, stocktakes, reports."""

from edge.store.base import Migration, StoreBase

MIGRATIONS: list[Migration] = []


class WebSQL(StoreBase):
    pass
