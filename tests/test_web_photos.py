"""Photo cleaning and storage: pure function tables and the durable content-addressed write."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from PIL import Image

from tests.web_fixtures import jpeg_with_gps
from web import photos

LIMITS = {"max_px": 1600, "quality": 80, "max_bytes": 15 * 10**6}


def test_orientation_applied_metadata_stripped_and_resized() -> None:
    out = photos.clean_jpeg(jpeg_with_gps((2400, 1200), orientation=6), **LIMITS)
    with Image.open(io.BytesIO(out)) as image:
        assert image.format == "JPEG"
        assert image.size == (800, 1600)
        assert not image.getexif()
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(image.info)
    assert b"PhoneMaker" not in out and b"Exif" not in out


def test_small_photos_keep_their_size() -> None:
    out = photos.clean_jpeg(jpeg_with_gps((640, 480), orientation=1), **LIMITS)
    with Image.open(io.BytesIO(out)) as image:
        assert image.size == (640, 480)


def test_png_with_alpha_becomes_jpeg() -> None:
    buf = io.BytesIO()
    Image.new("RGBA", (300, 200), (0, 128, 0, 100)).save(buf, "PNG")
    out = photos.clean_jpeg(buf.getvalue(), **LIMITS)
    assert out[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"", "photo.empty"),
        (b"%PDF-1.7 this is a document", "photo.not_image"),
        (jpeg_with_gps((400, 300))[:600], "photo.broken"),
        (b"\xff" * (15 * 10**6 + 1), "photo.too_large"),
    ],
)
def test_refusals_name_their_reason(data: bytes, key: str) -> None:
    with pytest.raises(photos.PhotoError) as caught:
        photos.clean_jpeg(data, **LIMITS)
    assert caught.value.key == key


def test_saved_by_sha256_with_a_thumbnail(tmp_path: Path) -> None:
    jpeg = photos.clean_jpeg(jpeg_with_gps(), **LIMITS)
    stored = photos.save(tmp_path, jpeg)
    assert stored.sha256 == hashlib.sha256(jpeg).hexdigest()
    assert stored.path.as_posix() == f"photos/{stored.sha256[:2]}/{stored.sha256}.jpg"
    assert (tmp_path / stored.path).read_bytes() == jpeg
    thumb = tmp_path / photos.relative_path(stored.sha256, thumb=True)
    with Image.open(thumb) as image:
        assert max(image.size) == photos.THUMB_PX
    # The same photo again is the same file; no temp files are left behind.
    assert photos.save(tmp_path, jpeg) == stored
    assert not list(tmp_path.rglob(".tmp-*"))


def test_a_12_mp_camera_photo_passes_small_and_upright() -> None:
    out = photos.clean_jpeg(jpeg_with_gps((4000, 3000), orientation=6), **LIMITS)
    with Image.open(io.BytesIO(out)) as image:
        assert image.size == (1200, 1600)
    assert len(out) <= 300_000 and b"PhoneMaker" not in out


def test_the_jpeg_decoder_is_asked_for_an_aspect_true_box() -> None:
    # A square (1600, 1600) box cannot shrink 4000x3000 at all; the aspect-true one halves it.
    with Image.open(io.BytesIO(jpeg_with_gps((4000, 3000)))) as image:
        photos.draft(image, 1600)
        assert image.size == (2000, 1500)


def test_a_png_pixel_bomb_is_refused_before_decoding() -> None:
    buf = io.BytesIO()
    Image.new("1", (10_000, 7_900)).save(buf, "PNG", optimize=True)  # 79 Mpx, a few KB
    assert len(buf.getvalue()) < 300_000
    with pytest.raises(photos.PhotoError) as caught:
        photos.clean_jpeg(buf.getvalue(), **LIMITS)
    assert caught.value.key == "photo.too_many_pixels"
