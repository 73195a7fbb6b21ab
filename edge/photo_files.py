"""Where photos live in the data folder, for the page that stores them and the nightly
sweep that removes orphans (which must not load Pillow to find them)."""

from __future__ import annotations

from pathlib import Path


def relative_path(sha256: str, thumb: bool = False) -> Path:
    base = Path("photos") / "thumbs" if thumb else Path("photos")
    return base / sha256[:2] / f"{sha256}.jpg"
