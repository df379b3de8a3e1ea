"""Time the ``rackimg images list`` command in each output format on many images.

    python benchmarks/cli.py [--images 100000] [--rounds 3] [--formats table,json,jsonl,csv,value]

Starts ``benchmarks/server.py --lazy`` (pages of 1000 detailed images, rendered per request)
and runs ``python -m rackimg_driver images list -f FORMAT`` against it, the formats in a
rotating order, ``--rounds`` times. For each run: the wall time until the command exits, the
time until its first row reaches the pipe, the CPU time of the command (user + system, from
``os.wait4``; the server's is not counted) and its peak memory. Prints medians, and checks the
targets of the streaming issue: ``json`` takes at most 1.5x the wall time of ``table``, and in
every format but ``json`` the first row comes before the second page could have been read
(before a fifth of its wall time). ``--no-orjson`` runs the command where orjson
cannot be imported. Exits 1 when a target fails.

To measure another tree, put its ``rackimg_driver`` first on the path:
``PYTHONPATH=/tmp/other python benchmarks/cli.py``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FORMATS = ("table", "json", "jsonl", "csv", "value")
JSON_RATIO_MAX = 1.5
#: The first row comes before this share of the whole listing's wall time (with 100,000 images,
#: 100 pages, a listing that prints nothing before its last page would fail it by far; with a
#: few pages start-up dominates, so the check means something from about 50,000 images on).
FIRST_ROW_SHARE = 0.2


def start_server(images: int) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, str(HERE / "server.py"), "--images", str(images), "--lazy"]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline() if server.stdout else ""
    if not line.startswith("READY "):
        server.kill()
        raise RuntimeError(f"the benchmark server did not start: {line!r}")
    return server, line.split()[1]


def run_once(url: str, fmt: str, no_orjson: bool) -> dict[str, float]:
    """One listing: wall s, first-row s, cpu s, peak KB, rows."""
    prelude = "import sys; sys.modules['orjson'] = None; " if no_orjson else ""
    code = prelude + "from rackimg_driver.cli import console; console()"
    command = [sys.executable, "-c", code, "images", "list", "-f", fmt, "--no-header"]
    command += ["--auth-url", url, "--user", "bench", "--api-key", "k"]
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    first = None
    lines = 0
    while chunk := process.stdout.read1(1 << 16):
        if first is None:
            first = time.perf_counter() - started
        lines += chunk.count(b"\n")
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"rackimg -f {fmt} exited {process.returncode}: {process.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
    return {
        "wall": wall,
        "first": first if first is not None else wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mb": usage.ru_maxrss / 1024,
        "lines": lines,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--no-orjson", action="store_true", help="the command without orjson")
    args = parser.parse_args()
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    server, url = start_server(args.images)
    results: dict[str, list[dict[str, float]]] = {fmt: [] for fmt in formats}
    try:
        for round_number in range(args.rounds):
            order = formats[round_number % len(formats) :] + formats[: round_number % len(formats)]
            for fmt in order:
                result = run_once(url, fmt, args.no_orjson)
                results[fmt].append(result)
                print(
                    f"round {round_number + 1} {fmt:<6} wall {result['wall']:6.2f} s"
                    f"  first row {result['first']:5.2f} s  cpu {result['cpu']:6.2f} s"
                    f"  peak {result['peak_mb']:5.0f} MB",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        server.kill()
        server.wait()
    print(f"\nrackimg images list of {args.images} images, medians of {args.rounds} rounds"
          f"{' (no orjson)' if args.no_orjson else ''}:\n")  # fmt: skip
    print("format   wall s   first row s   cpu s   peak MB")
    medians = {}
    for fmt in formats:
        runs = results[fmt]
        medians[fmt] = {key: statistics.median(run[key] for run in runs) for key in ("wall", "first", "cpu", "peak_mb")}
        m = medians[fmt]
        print(f"{fmt:<7}  {m['wall']:6.2f}   {m['first']:11.2f}   {m['cpu']:5.2f}   {m['peak_mb']:7.0f}")
    failed = False
    if "table" in medians and "json" in medians:
        ratio = medians["json"]["wall"] / medians["table"]["wall"]
        verdict = "PASS" if ratio <= JSON_RATIO_MAX else "FAIL"
        failed |= verdict == "FAIL"
        print(f"\njson wall / table wall = {ratio:.2f}x (target <= {JSON_RATIO_MAX}x): {verdict}")
    for fmt in formats:
        if fmt == "json":
            continue
        bound = medians[fmt]["wall"] * FIRST_ROW_SHARE
        verdict = "PASS" if medians[fmt]["first"] <= bound else "FAIL"
        failed |= verdict == "FAIL"
        print(f"{fmt}: first row after {medians[fmt]['first']:.2f} s (target <= {bound:.2f} s): {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
