"""Prometheus metrics at /metrics, read from the store at each scrape.

Every figure comes from the database, so it is the same whichever process serves it
and survives restarts; nothing is counted in memory.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
)

from edge.appliance import health as health_mod
from edge.config import Config
from edge.store import Store


def render(store: Store, config: Config, now: datetime | None = None) -> tuple[bytes, str]:
    """The body and Content-Type of a /metrics answer."""
    now = now or datetime.now(config.tz)
    registry = CollectorRegistry()

    def gauge(name: str, text: str, value: float) -> None:
        Gauge(name, text, registry=registry).set(value)

    reads = Counter(
        "station_reads",
        "Codes read at any device, by scan type and answer.",
        ["type", "status"],
        registry=registry,
    )
    for row in store.read_counts():
        reads.labels(type=row["type"], status=row["status"]).inc(row["n"])

    sync = store.sync_status(now)
    states = Gauge(
        "station_scans_by_sync_state",
        "Scans held here, by sync state.",
        ["state"],
        registry=registry,
    )
    for state in ("pending", "sent", "rejected", "withheld"):
        states.labels(state=state).set(sync["backlog" if state == "pending" else state])
    gauge("station_sync_backlog", "Scans not yet accepted by head office.", sync["backlog"])
    gauge(
        "station_sync_oldest_unsent_age_seconds",
        "Age of the oldest scan not yet sent (0 when none).",
        sync["oldest_unsent_age_s"] or 0,
    )
    gauge(
        "station_sync_failing",
        "1 while uploads fail and are being retried.",
        1 if sync["failing"] else 0,
    )
    gauge(
        "station_sync_blocked",
        "1 when sync stopped for a person to act (e.g. bad token).",
        1 if sync["blocked_reason"] else 0,
    )
    errors = Gauge(
        "station_upload_errors",
        "Items head office has not taken, by kind.",
        ["kind"],
        registry=registry,
    )
    errors.labels(kind="scan_rejected").set(sync["rejected"])
    errors.labels(kind="photo_failed").set(sync["photos_failed"])

    health = health_mod.check(store, config, now)
    devices = Gauge(
        "station_device_connected",
        "1 when a configured device is connected.",
        ["kind", "name"],
        registry=registry,
    )
    checks = Gauge(
        "station_health_check_ok",
        "1 when the check passes, as `station status`.",
        ["check"],
        registry=registry,
    )
    for c in health.checks:
        checks.labels(check=c.name).set(1 if c.ok else 0)
        kind, _, name = c.name.partition(" ")
        if kind in ("gun", "scale"):
            devices.labels(kind=kind, name=name).set(1 if c.ok else 0)
        if c.name == "disk":
            gauge(
                "station_disk_free_bytes",
                "Free space on the data folder's file system.",
                (c.value or 0) * 1024 * 1024,
            )
    gauge("station_healthy", "1 when every check passes.", 1 if health.ok else 0)

    last = store.appliance_state("backup")
    if last is not None:
        gauge(
            "station_last_backup_timestamp_seconds",
            "When the last backup finished.",
            datetime.fromisoformat(last["updated_at"]).timestamp(),
        )
    return generate_latest(registry), CONTENT_TYPE_LATEST
