"""Head office's key files: several workers booting together all end up with one key."""

from __future__ import annotations

import multiprocessing
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sync.headoffice.keyfile import made_once
from sync.headoffice.notify.pickup import public_key, signing_key
from sync.headoffice.phones import load_key


def _collect_key(folder: Path) -> bytes:
    return public_key(signing_key(folder))


def _phones_key(folder: Path) -> bytes:
    load_key(folder)
    return (folder / "phones.key").read_bytes()


def _boot(load: Callable[[Path], bytes], folder: str, barrier: Any, out: Any) -> None:
    barrier.wait()
    try:
        out.put(load(Path(folder)))
    except Exception as exc:  # reported to the test, not lost in the child
        out.put(repr(exc))


@pytest.mark.parametrize("load", [_collect_key, _phones_key])
def test_workers_racing_at_boot_all_read_the_one_complete_key(
    tmp_path: Path, load: Callable[[Path], bytes]
) -> None:
    ctx = multiprocessing.get_context("fork")
    for attempt in range(5):
        folder = tmp_path / f"try{attempt}"
        barrier = ctx.Barrier(8)
        out = ctx.Queue()
        args = (load, str(folder), barrier, out)
        procs = [ctx.Process(target=_boot, args=args) for _ in range(8)]
        for p in procs:
            p.start()
        keys = [out.get(timeout=30) for _ in procs]
        for p in procs:
            p.join(timeout=30)
        assert all(isinstance(k, bytes) for k in keys), keys
        assert len(set(keys)) == 1
        (key_file,) = folder.iterdir()  # no temporary file left beside it
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_an_existing_key_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "phones.key"
    assert made_once(path, lambda: b"one") == b"one"
    assert made_once(path, lambda: b"two") == b"one"
