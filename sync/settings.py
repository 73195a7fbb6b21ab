"""The [head_office] config section."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from edge.config_base import Section, doc

# The token travels in a header: unencrypted only where it never leaves the machine.
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass
class HeadOfficeSection(Section):
    url: str = doc(
        "Head office base URL, e.g. https://ho.example.com; empty means sync is off.", ""
    )
    token_file: str = doc("File holding this station's token; must not be readable by others.", "")
    ca_bundle: str = doc(
        "CA bundle (PEM) to check head office's certificate; empty: system CAs.", ""
    )
    connect_timeout_s: float = doc("Seconds to wait for a connection to head office.", 10.0)
    read_timeout_s: float = doc("Seconds to wait for head office's answer once connected.", 30.0)
    batch_max_scans: int = doc("Most scans sent in one request (the contract allows 1000).", 500)
    batch_max_bytes: int = doc("Most bytes of JSON (before gzip) sent in one request.", 262144)
    backoff_initial_s: float = doc("First wait after a failed upload; doubles per failure.", 2.0)
    backoff_max_s: float = doc("Longest wait between two upload attempts (never gives up).", 300.0)
    retry_after_max_s: float = doc(
        "Longest Retry-After honoured from head office; longer asks are cut to this.", 3600.0
    )
    poll_s: float = doc("Seconds between looks for new scans when everything is sent.", 2.0)
    hold_unsynced_s: float = doc(
        "Hold scans recorded before the clock synced this long, so they can go corrected.", 300.0
    )
    gather_s: float = doc(
        "In steady state, let a few new scans wait this long for company, so one request "
        "carries several; never when many are waiting. 0 sends each at once.",
        5.0,
    )
    heartbeat_s: float = doc(
        "Seconds between heartbeats to head office (backlog, last error, disk, clock); 0: none.",
        300.0,
    )
    manifest_interval_s: float = doc(
        "Seconds between pulls of the manifest (预报); 0 turns the pull off.", 300.0
    )

    def check(self) -> list[str]:
        errors = []
        if self.url and not self.url.startswith(("https://", "http://")):
            errors.append("url: expected http:// or https://, e.g. https://ho.example.com")
        elif self.url.startswith("http://") and urlsplit(self.url).hostname not in LOOPBACK:
            errors.append("url: plain http:// only to this machine (127.0.0.1); use https://")
        if self.url and not self.token_file:
            errors.append("token_file: needed when url is set")
        if self.connect_timeout_s <= 0 or self.read_timeout_s <= 0:
            errors.append("connect_timeout_s/read_timeout_s: expected more than 0")
        if not 1 <= self.batch_max_scans <= 1000:
            errors.append("batch_max_scans: expected 1 to 1000 (the contract's limit)")
        if self.batch_max_bytes < 4096:
            errors.append("batch_max_bytes: expected 4096 or more")
        if not 0 < self.backoff_initial_s <= self.backoff_max_s:
            errors.append("backoff_initial_s/backoff_max_s: expected 0 < initial <= max")
        if self.retry_after_max_s <= 0 or self.poll_s <= 0:
            errors.append("retry_after_max_s/poll_s: expected more than 0")
        if self.hold_unsynced_s < 0 or self.manifest_interval_s < 0 or self.gather_s < 0:
            errors.append("hold_unsynced_s/manifest_interval_s/gather_s: expected 0 or more")
        if self.heartbeat_s < 0:
            errors.append("heartbeat_s: expected 0 or more")
        if self.gather_s > 60:
            errors.append("gather_s: expected at most 60 seconds")
        return errors
