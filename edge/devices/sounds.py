"""Three answer sounds a courier tells apart without looking: WAV files made here (no
audio assets to ship), played by the scanner's sound_* commands (e.g. aplay)."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 16_000
# (frequency Hz, seconds) tones, a 0 Hz tone is silence.
TUNES: dict[str, list[tuple[float, float]]] = {
    "accepted": [(1760.0, 0.12)],  # one short high beep
    "duplicate": [(988.0, 0.09), (0.0, 0.06), (988.0, 0.09)],  # two middle beeps
    "refused": [(220.0, 0.5)],  # one long low buzz
}


def samples(tune: list[tuple[float, float]]) -> bytes:
    out = bytearray()
    for freq, seconds in tune:
        n = int(RATE * seconds)
        fade = int(RATE * 0.005)  # no clicks at the edges
        for i in range(n):
            envelope = min(1.0, i / fade, (n - i) / fade) if fade else 1.0
            value = math.sin(2 * math.pi * freq * i / RATE) * envelope if freq else 0.0
            out += struct.pack("<h", int(value * 0.6 * 32767))
    return bytes(out)


def write_sounds(folder: Path) -> dict[str, Path]:
    """accepted.wav, duplicate.wav and refused.wav in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for status, tune in TUNES.items():
        path = folder / f"{status}.wav"
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(RATE)
            wav.writeframes(samples(tune))
        written[status] = path
    return written
