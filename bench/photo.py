"""The photo path beside a bare Pillow baseline, measured in the same run.

    .venv/bin/python bench/photo.py [--rounds 10]

A camera-like 12 MP JPEG (4000x3000, EXIF with GPS and an orientation) goes through the
project's path (web.photos.clean_jpeg: pixel budget, verify, aspect-true draft, orient,
strip, resize to 1600, save; then the thumbnail), beside a bare Pillow open -> resize to
1600 -> save of the same file. Each prints its median time, output size and the peak
memory of a process that did only that (VmHWM), so the two do not share a heap.
Target: <= 150 ms and <= 300 KB.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP))


def camera_jpeg(seed: int = 0, size: tuple[int, int] = (4000, 3000)) -> bytes:
    """Shapes, gradients and sensor-like noise, saved as a phone would (quality 92, EXIF)."""
    small = Image.radial_gradient("L").resize((size[0] // 8, size[1] // 8))
    image = Image.merge("RGB", (small, small.rotate(90 + seed), small.transpose(0)))
    draw = ImageDraw.Draw(image)
    for i in range(40):
        x, y = (i * 97 + seed * 31) % image.width, (i * 53 + seed * 17) % image.height
        draw.rectangle((x, y, x + 60, y + 40), fill=(i * 6 % 255, 200 - i * 4, 90))
    image = image.resize(size, Image.Resampling.BICUBIC)
    noise = Image.effect_noise(size, 18).convert("RGB")
    image = Image.blend(image, noise, 0.12).filter(ImageFilter.SMOOTH)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (22.0, 32.0, 10.0), 3: "E", 4: (113.0, 56.0, 30.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def project(data: bytes) -> bytes:
    from web import photos

    jpeg = photos.clean_jpeg(data, max_px=1600, quality=80, max_bytes=15 * 10**6)
    photos.thumbnail(jpeg)
    return jpeg


def bare(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        image.thumbnail((1600, 1600))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=80)
    return out.getvalue()


def measure(name: str, path: Path, rounds: int) -> dict[str, float]:
    """Run in a fresh process, so its peak memory is its own (VmHWM: ru_maxrss would
    carry the parent's peak across fork and exec)."""
    data = path.read_bytes()
    fn = project if name == "project" else bare
    fn(data)  # warm up: imports, first allocations
    times, cpus, out = [], [], b""
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn(data)
        times.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return {"ms": statistics.median(times) * 1000, "cpu_ms": statistics.median(cpus) * 1000,
            "kb": len(out) / 1024,
            "peak_mb": peak_kb() / 1024}  # fmt: skip


def peak_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        _, _, name, path, rounds = sys.argv
        print(json.dumps(measure(name, Path(path), int(rounds))))
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=10)
    args = ap.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "camera.jpg"
        path.write_bytes(camera_jpeg())
        print(f"input: 4000x3000 camera-like JPEG with EXIF, {path.stat().st_size / 1e6:.1f} MB")
        results = {}
        for name in ("bare", "project"):
            done = subprocess.run(
                [sys.executable, __file__, "--child", name, str(path), str(args.rounds)],
                capture_output=True, text=True, check=True, cwd=TOP,
            )  # fmt: skip
            results[name] = json.loads(done.stdout)
        base = results["bare"]
        for name, label in (("bare", "bare Pillow open/resize/save"),
                            ("project", "project photo path")):  # fmt: skip
            r = results[name]
            print(f"  {label:30} {r['ms']:6.0f} ms ({r['ms'] / base['ms']:4.2f}x baseline)"
                  f"  CPU {r['cpu_ms']:5.0f} ms ({r['cpu_ms'] / base['cpu_ms']:4.2f}x)"
                  f"  {r['kb']:5.0f} KB  peak {r['peak_mb']:5.1f} MB"
                  f" ({r['peak_mb'] / base['peak_mb']:4.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
