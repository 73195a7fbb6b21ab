import wave
from pathlib import Path

from edge.cli import main


def test_three_distinct_answer_sounds(tmp_path: Path) -> None:
    assert main(["--data", str(tmp_path), "devices", "sounds"]) == 0
    lengths = {}
    for status in ("accepted", "duplicate", "refused"):
        with wave.open(str(tmp_path / "sounds" / f"{status}.wav")) as wav:
            assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2)
            frames = wav.readframes(wav.getnframes())
            lengths[status] = wav.getnframes() / wav.getframerate()
            assert max(frames) > 0, "not silence"
    # A refusal lasts longest, a double beep is longer than the single accept beep.
    assert lengths["accepted"] < lengths["duplicate"] < lengths["refused"]
