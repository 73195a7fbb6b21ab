"""The heartbeat (contract version 4): how this station is doing, every heartbeat_s,
after the scans of a turn. It never raises and never holds a scan; a receiver without it
(404) is asked again only after six hours."""

from __future__ import annotations

import json
import logging
import shutil
from datetime import datetime
from importlib import metadata
from urllib.parse import quote

from sync.client import LinkError, plain
from sync.clock import stamp
from sync.contract import HEARTBEAT_ERROR_MAX
from sync.station.common import UploaderBase

log = logging.getLogger(__name__)

NOT_OFFERED_WAIT_S = 6 * 3600


def _version() -> str:
    try:
        return metadata.version("station-edge")
    except metadata.PackageNotFoundError:
        return "unknown"


class HeartbeatPart(UploaderBase):
    _heartbeat_due: float

    def _heartbeat(self) -> None:
        interval = self.settings.heartbeat_s
        now = self.now()
        if not interval or now < self._heartbeat_due:
            return
        self._heartbeat_due = now + interval
        path = f"/v1/stations/{quote(self.station, safe='')}/heartbeat"
        try:
            reply = self.http.post_json(path, json.dumps(self.heartbeat_body()).encode())
        except LinkError as exc:
            log.info("heartbeat not sent: %s", exc)
            return
        if reply.status == 404:
            self._heartbeat_due = now + NOT_OFFERED_WAIT_S
        elif reply.status != 200:
            log.info("head office answered %d to the heartbeat", reply.status)

    def heartbeat_body(self) -> dict[str, object]:
        status = self.store.sync_status()
        reading = self.clock.now(self.tz)
        try:
            free: int | None = shutil.disk_usage(self.data_dir).free
        except OSError:
            free = None
        error = status["last_error"]
        return {
            "station": self.station,
            "sent_at": stamp(datetime.fromtimestamp(self.now(), self.tz), self.tz),
            "backlog": status["backlog"],
            "rejected": status["rejected"],
            "oldest_unsent_age_s": status["oldest_unsent_age_s"],
            "last_error": plain(error, HEARTBEAT_ERROR_MAX) if error else None,
            "versions": {"station_edge": _version()},
            "disk_free_bytes": free,
            "clock": {"synced": reading.synced, "boot_id": reading.boot_id},
        }
