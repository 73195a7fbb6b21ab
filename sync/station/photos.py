"""Photos: after scans, by SHA-256; their failures back off apart, so scans never wait."""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from sync.station.common import (
    PHOTO_MAX_BYTES,
    RetryLater,
    Transient,
    UploaderBase,
    _Tally,
)

log = logging.getLogger(__name__)


class PhotosPart(UploaderBase):
    _photos_due: float
    _photo_failures: int

    def _push_photos(self, tally: _Tally) -> None:
        """Photos after scans; their failures back off apart, so scans are never held up."""
        if time.monotonic() < self._photos_due:
            return
        try:
            self._send_photos(tally)
        except (Transient, RetryLater) as exc:
            self._photo_failures += 1
            wait = (
                self._wait_asked(exc, self._photo_failures)
                if isinstance(exc, RetryLater)
                else self._backoff(self._photo_failures)
            )
            self._photos_due = time.monotonic() + wait
            log.warning("photos wait %.0f s: %s", wait, exc)
            self.store.record_side_failure(f"photos: {exc}")
        else:
            self._photo_failures = 0

    def _send_photos(self, tally: _Tally) -> None:
        while not self._late():
            rows = self.store.photos_to_upload()
            if not rows:
                return
            for row in rows:
                if self._late():
                    return
                self._push_photo(row["sha256"], self._photo_path(row["path"]))
                tally.photos += 1

    def _photo_path(self, stored: str) -> Path:
        path = Path(stored)
        if path.is_absolute():
            return path
        direct = self.data_dir / path
        return direct if direct.exists() else self.data_dir / "photos" / path

    def _push_photo(self, sha: str, path: Path) -> None:
        where = f"/v1/photos/{sha}"
        reply = self._call(lambda: self.http.request("HEAD", where))
        if reply.status == 200:
            self.store.mark_photo_uploaded(sha)
            return
        if reply.status != 404:
            self._other(reply, f"HEAD {where}", scans=False)
        for _ in range(2):
            data, problem = _read_photo(path, sha)
            if problem:
                self.store.mark_photo_failed(sha, problem)
                log.error("photo %s not sent: %s", sha[:12], problem)
                return
            reply = self._call(
                lambda d=data: self.http.request(  # type: ignore[misc]
                    "PUT", where, body=d, headers={"Content-Type": "image/jpeg"}
                )
            )
            if reply.status in (200, 201):
                self.store.mark_photo_uploaded(sha)
                return
            if reply.status == 413:
                self.store.mark_photo_failed(sha, "head office refuses its size (413)")
                return
            if reply.status == 415:
                self.store.mark_photo_failed(sha, "head office says it is not a JPEG (415)")
                return
            if reply.status != 422:
                self._other(reply, f"PUT {where}", scans=False)
            log.warning("head office says photo %s does not match its hash; re-reading", sha[:12])
        self.store.mark_photo_failed(sha, "head office keeps answering hash mismatch (422)")


def _read_photo(path: Path, sha: str) -> tuple[bytes, str]:
    """(bytes, "") or (b"", why it cannot be sent)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return b"", f"file missing: {path}"
    except OSError as exc:
        return b"", f"cannot read {path}: {exc.strerror}"
    if len(data) > PHOTO_MAX_BYTES:
        return b"", f"file larger than 4 MiB: {path}"
    if hashlib.sha256(data).hexdigest() != sha:
        return b"", f"file corrupt (its SHA-256 differs): {path}"
    return data, ""
