"""SQL for the uploader: unsent scans, results, retry state, sync status."""

from edge.store.base import Migration, StoreBase

MIGRATIONS: list[Migration] = []


class SyncSQL(StoreBase):
    pass
