"""Photo proof: verify, orient, strip every piece of metadata, resize, store by SHA-256.

``clean_jpeg`` is pure (bytes in, bytes out); ``save`` writes the file durably
(temp file, fsync, rename, fsync the folder) under DATA/photos/ab/<sha>.jpg and a
thumbnail under DATA/photos/thumbs/ab/<sha>.jpg.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from edge import heap
from edge.photo_files import relative_path

__all__ = ["PhotoError", "StoredPhoto", "clean_jpeg", "relative_path", "save", "thumbnail"]

THUMB_PX = 320
# Pixel budgets, checked from the header before anything is decoded. A JPEG decodes at a
# reduced scale (draft), so a 50 Mpx phone photo costs a few MB; other formats (PNG, …)
# decode in full, at 3-4 bytes a pixel, so their budget is what the web unit's MemoryMax
# can hold: a 12 Mpx (4000x3000) photo passes, a 79 Mpx PNG "bomb" of 231 KB does not.
MAX_PIXELS_JPEG = 50_000_000
MAX_PIXELS_FULL_DECODE = 16_000_000


class PhotoError(ValueError):
    """A refused upload; ``key`` names the catalog message, ``params`` fill it in."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class StoredPhoto:
    sha256: str
    path: Path  # relative to the data folder
    size: int


def clean_jpeg(data: bytes, *, max_px: int, quality: int, max_bytes: int) -> bytes:
    """A JPEG of ``data`` upright, at most ``max_px`` on its long side, with no metadata."""
    if len(data) > max_bytes:
        raise PhotoError("photo.too_large", mb=round(len(data) / 1e6, 1), max=max_bytes // 10**6)
    if not data:
        raise PhotoError("photo.empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))  # reads the header only
            budget = MAX_PIXELS_JPEG if image.format == "JPEG" else MAX_PIXELS_FULL_DECODE
            if image.width * image.height > budget:
                raise PhotoError("photo.too_many_pixels")
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            draft(image, max_px)
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError("photo.not_image") from None
    except (OSError, SyntaxError, ValueError):
        raise PhotoError("photo.broken") from None
    try:
        image.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
        # Saved with no info at all: no EXIF, GPS, XMP, ICC or comments (Pillow writes
        # only what save() is given, and the info dict is emptied besides).
        image.info = {}
        out = io.BytesIO()
        image.save(out, "JPEG", quality=quality, optimize=True)
        return out.getvalue()
    finally:
        image.close()
        del image
        heap.give_back()  # the decoded pixels' pages, back to the OS


def draft(image: Image.Image, long_side: int) -> None:
    """Ask the JPEG decoder for the smallest scale (1/2 to 1/8) still at least
    ``long_side`` on the long side. The box must keep the image's aspect: a square box
    makes a 4000x3000 photo decode in full, as its short side is below 1600 at 1/2."""
    width, height = image.size
    scale = long_side / max(width, height)
    if scale < 1:
        image.draft("RGB", (max(1, int(width * scale)), max(1, int(height * scale))))


def thumbnail(jpeg: bytes) -> bytes:
    with Image.open(io.BytesIO(jpeg)) as image:
        draft(image, THUMB_PX)
        image.thumbnail((THUMB_PX, THUMB_PX), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=70)
    return out.getvalue()


def write_durably(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, rename over, fsync the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".jpg")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save(data_dir: Path, jpeg: bytes) -> StoredPhoto:
    """Store a cleaned JPEG under its SHA-256 (an existing identical file is kept)."""
    sha = hashlib.sha256(jpeg).hexdigest()
    rel = relative_path(sha)
    target = data_dir / rel
    if not target.exists():
        write_durably(target, jpeg)
    thumb = data_dir / relative_path(sha, thumb=True)
    if not thumb.exists():
        write_durably(thumb, thumbnail(jpeg))
    return StoredPhoto(sha256=sha, path=rel, size=len(jpeg))
