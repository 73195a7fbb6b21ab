"""Memory of every service and cold start, each beside a baseline from the same run.

    .venv/bin/python bench/memory.py [--scans 10000] [--gun 300] [--photos 50]

Starts the station as `station demo` does (head office, scanner with its simulated gun
and scale, web, sync) in a temporary folder, then:
- records --scans scans: --gun of them typed through the scanner's simulated gun (the
  real evdev path), the rest through `station scan` in batches of 1,000 (the same
  Station code), so sync uploads them all and head office stores them all;
- uploads --photos 12 MP camera JPEGs through the page (sign in, /problem with a photo);
- waits for sync to drain, then prints each service's resident memory (VmRSS) beside
  `python -c pass`, and the web process's peak (VmHWM).
Cold start: wall time of `station scan --help` and of a real one-code `station scan`,
beside `python -c pass` (best of 5).
Targets (issue "Fit a Pi Zero 2 W"): each service <= 40 MB after 10,000 scans, web <= 80 MB
after 50 photos, `station scan` cold start <= 0.25 s.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

TOP = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOP))

from bench.photo import camera_jpeg  # noqa: E402
from edge.cli_support import Context  # noqa: E402
from edge.demo import OPERATORS, Demo  # noqa: E402
from edge.store import Store  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def baseline_kb() -> int:
    """`python -c pass`'s resident memory (VmRSS: ru_maxrss would carry this process's
    peak across fork and exec)."""
    probe = "print(open('/proc/self/status').read())"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)  # fmt: skip
    return next(int(line.split()[1]) for line in done.stdout.splitlines()
                if line.startswith("VmRSS:"))  # fmt: skip


def best_of(command: list[str], n: int = 5) -> tuple[float, float]:
    """Best wall time and best CPU time (user + system) of n runs. CPU time barely moves
    when other processes share the cores; wall time does."""
    walls, cpus = [], []
    for _ in range(n):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(command, cwd=TOP, capture_output=True, check=False)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return min(walls), min(cpus)


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def upload_photos(url: str, codes: list[str], n: int) -> int:
    web = requests.Session()
    page = web.get(f"{url}/signin", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token, "no CSRF token"
    clerk = OPERATORS[1]
    web.post(f"{url}/signin", data={"operator": clerk[0], "pin": clerk[3],
             "csrf_token": token.group(1)}, timeout=10)  # fmt: skip
    page = web.get(f"{url}/problem", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token, "not signed in"
    ok = 0
    variants = [camera_jpeg(seed=i) for i in range(5)]  # generating one takes ~1 s
    for i in range(n):
        jpeg = variants[i % len(variants)]
        answer = web.post(
            f"{url}/problem",
            data={"csrf_token": token.group(1), "code": codes[i % len(codes)],
                  "problem_code": "damaged"},
            files={"photo": ("p.jpg", jpeg, "image/jpeg")},
            timeout=60,
        )  # fmt: skip
        ok += answer.status_code == 200
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scans", type=int, default=10_000)
    ap.add_argument("--gun", type=int, default=300, help="of them typed through the gun")
    ap.add_argument("--photos", type=int, default=50)
    ap.add_argument("--cold-only", action="store_true", help="only the cold start figures")
    args = ap.parse_args()
    if not args.cold_only:
        services(args)
    cold_start()


def services(args: argparse.Namespace) -> None:
    base_kb = baseline_kb()
    with tempfile.TemporaryDirectory(prefix="station-memory-") as tmp:
        data = Path(tmp)
        demo_args = argparse.Namespace(head_office_port=free_port(), web_port=free_port(),
                                       printer_port=free_port(), head_office_db=None,
                                       web_host="127.0.0.1", wait=0)  # fmt: skip
        demo = Demo(Context(data_dir=data), demo_args)
        demo.prepare()
        with demo.ctx.config_path.open("a", encoding="utf-8") as config:
            # Room for every parcel the run receives.
            config.write('\n[[shelves]]\nid = "B"\nlayers = 10\ncapacity = 2000\n'
                         '\n[[sorting]]\nshelves = ["B"]\n')  # fmt: skip
        os.environ["MALLOC_ARENA_MAX"] = "2"  # as the units set it
        scanner = demo.start_all()
        web_url = f"http://127.0.0.1:{demo_args.web_port}"
        wait_for(f"{web_url}/livez")
        started = time.perf_counter()
        codes = [f"75{i:012d}" for i in range(1, args.scans + 1)]
        gun, batch = codes[: args.gun], codes[args.gun :]
        assert scanner.process.stdin is not None
        for code in gun:
            scanner.process.stdin.write((code + "\n").encode())
            scanner.process.stdin.flush()
        for i in range(0, len(batch), 1000):
            subprocess.run([*demo.station_cmd("scan", "--type", "receive"), *batch[i : i + 1000]],
                           cwd=TOP, capture_output=True, check=False)  # fmt: skip
        photos_ok = upload_photos(web_url, batch or gun, args.photos)
        with Store(data / "station.db") as store:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                held = store.one("SELECT count(*) FROM scans")[0]  # type: ignore[index]
                pending = store.one("SELECT count(*) FROM scan_sync WHERE state = 'pending'")[0]  # type: ignore[index]
                if held >= args.scans and pending == 0:
                    break
                time.sleep(1)
        took = time.perf_counter() - started
        print(f"{held} scans recorded, {pending} waiting for sync, {photos_ok} photos "
              f"accepted, in {took:.0f} s")  # fmt: skip
        print(f"Resident memory (VmRSS) beside `python -c pass` ({base_kb / 1024:.1f} MB):")
        for child in demo.children:
            pid = child.process.pid
            rss, peak = status_kb(pid, "VmRSS"), status_kb(pid, "VmHWM")
            print(f"  {child.name:12} {rss / 1024:6.1f} MB  ({rss / base_kb:4.1f}x baseline)"
                  f"  peak {peak / 1024:6.1f} MB")  # fmt: skip
        demo.stop()


def cold_start() -> None:
    print("Cold start, best of 5, beside `python -c pass`:")
    with tempfile.TemporaryDirectory(prefix="station-cold-") as tmp:
        subprocess.run([sys.executable, "-m", "edge.cli", "--data", tmp, "init"],
                       cwd=TOP, capture_output=True, check=True)  # fmt: skip
        # A station with a [[scanners]] table: checking it must not load evdev.
        gun = str(Path(tmp) / "gun")
        subprocess.run([sys.executable, "-m", "edge.cli", "--data", gun, "init"],
                       cwd=TOP, capture_output=True, check=True)  # fmt: skip
        with open(Path(gun) / "station.toml", "a", encoding="utf-8") as config:
            config.write('\n[[scanners]]\nname = "desk-1"\nmatch = "usb:1a86:7523"\n')
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "station scan --help": [sys.executable, "-m", "edge.cli", "scan", "--help"],
            "station scan (1 code)": [sys.executable, "-m", "edge.cli", "--data", tmp, "scan",
                                      "--type", "stocktake", "75000000000001"],
            "  same, with a gun set": [sys.executable, "-m", "edge.cli", "--data", gun, "scan",
                                      "--type", "stocktake", "75000000000001"],
        }  # fmt: skip
        base: tuple[float, float] | None = None
        for name, command in cases.items():
            wall, cpu = best_of(command)
            base = base or (wall, cpu)
            print(f"  {name:22} wall {wall * 1000:5.0f} ms ({wall / base[0]:4.1f}x baseline)"
                  f"  CPU {cpu * 1000:5.0f} ms ({cpu / base[1]:4.1f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
