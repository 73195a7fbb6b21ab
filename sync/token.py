"""The station's head-office token: read from a file only its owner may read."""

from __future__ import annotations

import stat
from pathlib import Path


class TokenFileError(RuntimeError):
    """The token file cannot be used; the message says why and how to fix it."""


def read_token(path: Path | str) -> str:
    """The token in ``path``, refusing a file that group or others may read or write."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise TokenFileError(
            f"token file {path} does not exist: write the token head office gave this "
            f"station into it, then run: chmod 600 {path}"
        ) from None
    except OSError as exc:
        raise TokenFileError(f"cannot read token file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise TokenFileError(
            f"token file {path} is open to group or others (mode {stat.S_IMODE(mode):04o}); "
            f"a token must stay secret. Fix it with: chmod 600 {path}"
        )
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise TokenFileError(f"cannot read token file {path}: {exc}") from None
    if not token or any(c.isspace() for c in token):
        raise TokenFileError(
            f"token file {path} must hold the token alone, on one line without spaces"
        )
    return token
