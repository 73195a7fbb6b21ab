"""The [web] config section."""

from dataclasses import dataclass

from edge.config_base import Section, doc


@dataclass
class WebSection(Section):
    host: str = doc("Address the tablet page listens on.", "0.0.0.0")
    port: int = doc("Port of the tablet page.", 8080)
    threads: int = doc(
        "Server threads. Each open sorting screen holds one for its live feed; "
        "four are always kept for pages.",
        24,
    )
    scale: str = doc(
        "Scale whose stable weight joins receive scans made on the page; empty = the one "
        "scale configured, paired with a gun or reporting, if there is just one.",
        "",
    )
    weight_max_age_s: float = doc(
        "A stable weight older than this many seconds is not attached to a receive scan.", 3.0
    )
    session_hours: int = doc(
        "A sign-in ends after this many hours without use; sign-out, a PIN change and "
        "disabling the operator end it at once.",
        12,
    )
    pin_attempts: int = doc("Wrong PINs in a row that lock an operator.", 5)
    lockout_minutes: int = doc("How long a locked operator must wait.", 5)
    client_attempts: int = doc(
        "Failed sign-ins from one address (any operator ids) before that address must wait.",
        20,
    )
    client_lockout_minutes: int = doc("How long such an address must wait.", 15)
    pin_checks: int = doc(
        "PIN checks run at once (each takes 16 MB for scrypt); more sign-ins wait their turn.",
        2,
    )
    feed_poll_ms: int = doc("How often a live feed looks for new reads (milliseconds).", 50)
    feed_max_s: int = doc(
        "A live feed ends after this many seconds and the page reconnects where it left off.",
        300,
    )
    photo_max_mb: int = doc("Largest photo upload accepted (megabytes).", 15)
    photo_max_px: int = doc("Long side of stored photos (pixels).", 1600)
    photo_quality: int = doc("JPEG quality of stored photos.", 80)
    speak_pickup_code: bool = doc(
        "Speak the pickup code aloud on the sorting screen by default.", False
    )

    def check(self) -> list[str]:
        errors = []
        if not 1 <= self.port <= 65535:
            errors.append("port: expected 1 to 65535")
        if not 6 <= self.threads <= 256:
            errors.append("threads: expected 6 to 256")
        if self.session_hours < 1:
            errors.append("session_hours: expected 1 or more")
        if self.pin_attempts < 1:
            errors.append("pin_attempts: expected 1 or more")
        if self.lockout_minutes < 0:
            errors.append("lockout_minutes: expected 0 or more")
        if self.client_attempts < 1:
            errors.append("client_attempts: expected 1 or more")
        if self.client_lockout_minutes < 0:
            errors.append("client_lockout_minutes: expected 0 or more")
        if not 1 <= self.pin_checks <= 8:
            errors.append("pin_checks: expected 1 to 8")
        if not 10 <= self.feed_poll_ms <= 2000:
            errors.append("feed_poll_ms: expected 10 to 2000")
        if self.feed_max_s < 10:
            errors.append("feed_max_s: expected 10 or more")
        if not 1 <= self.photo_max_mb <= 100:
            errors.append("photo_max_mb: expected 1 to 100")
        if not 200 <= self.photo_max_px <= 8000:
            errors.append("photo_max_px: expected 200 to 8000")
        if not 30 <= self.photo_quality <= 95:
            errors.append("photo_quality: expected 30 to 95")
        if self.weight_max_age_s <= 0:
            errors.append("weight_max_age_s: expected more than 0")
        return errors
