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

THUMB_PX = 320
# A 15 MB phone photo is about 50 megapixels at most; larger claims are decompression bombs.
MAX_PIXELS = 80_000_000


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
            with Image.open(io.BytesIO(data)) as probe:
                probe.verify()
            image: Image.Image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_PIXELS:
                raise PhotoError("photo.too_many_pixels")
            # Decode at a reduced scale where the format allows (JPEG): far less memory.
            image.draft("RGB", (max_px, max_px))
            image = ImageOps.exif_transpose(image)
            image = image.convert("RGB")
    except PhotoError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoError("photo.not_image") from None
    except (OSError, SyntaxError, ValueError):
        raise PhotoError("photo.broken") from None
    image.thumbnail((max_px, max_px), Image.Resampling.LANCZOS)
    # A fresh image carries no info dict at all: no EXIF, GPS, XMP, ICC or comments.
    bare = Image.frombytes("RGB", image.size, image.tobytes())
    out = io.BytesIO()
    bare.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def thumbnail(jpeg: bytes) -> bytes:
    with Image.open(io.BytesIO(jpeg)) as image:
        image.thumbnail((THUMB_PX, THUMB_PX), Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, "JPEG", quality=70)
    return out.getvalue()


def relative_path(sha256: str, thumb: bool = False) -> Path:
    base = Path("photos") / "thumbs" if thumb else Path("photos")
    return base / sha256[:2] / f"{sha256}.jpg"


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
