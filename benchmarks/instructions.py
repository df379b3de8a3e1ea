"""Instruction counts of one listing under ``valgrind --tool=callgrind``: a steady yardstick.

Wall and CPU times on a shared virtual machine move by 10-25% from run to run. The
number of instructions a listing executes does not: callgrind counts them the same
on a busy machine as on an idle one. ``run.py --instructions`` uses this module:

    python benchmarks/run.py --instructions

For each contender it runs two interpreters under callgrind, with the benchmark
server (not under callgrind) already serving the pages:

- *setup*: imports, the client built and logged in, and one listing to warm up (lazy
  imports, the JSON parser chosen, the connection open);
- *setup + 1*: the same, and one more listing.

The listing's instructions are the difference. ``PYTHONHASHSEED`` is fixed, so two
runs of the same thing agree to within a few hundredths of a percent. Instructions
are not time (a cache miss costs far more than an add, and callgrind does not count
the kernel's work), so the timed table stays the verdict; these counts say whether a
change made the code do less.

openstacksdk is left out: under callgrind, its listing of 10,000 images takes longer
than the rest of the benchmark together.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

#: The contenders counted, by their key in worker.py.
COUNTED = (
    "floor_json",
    "floor_wrap",
    "floor_keys_json",
    "list_images_json",
    "iterate_json",
    "read_extra_json",
    "libcloud",
    "floor_orjson",
    "floor_keys_orjson",
    "list_images_orjson",
    "iterate_orjson",
    "read_extra_orjson",
)

_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")
_IMAGES = re.compile(r"^IMAGES (\d+)$", re.MULTILINE)


def valgrind() -> str | None:
    return shutil.which("valgrind")


def _child_env() -> dict[str, str]:
    """Hash seed fixed; bytecode cached in a directory of its own (as in run.py's import timings)."""
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "rackimg-bench-pycache")
    return env


def _child_command(key: str, url: str, listings: int) -> list[str]:
    script = str(Path(__file__).resolve())
    return [sys.executable, script, "--child", key, "--url", url, "--listings", str(listings)]


def warm_bytecode(keys: list[str], url: str) -> None:
    """Run each child once without callgrind, so that no counted run compiles a module.

    Two counted runs go at once: without this, whichever compiles first writes the cache
    the other then reads, and the difference of the two counts is off by a compile.
    """
    for key in keys:
        subprocess.run(_child_command(key, url, 0), capture_output=True, check=False, env=_child_env())


def _count(key: str, url: str, listings: int) -> tuple[int, int]:
    """Instructions of one child interpreter under callgrind."""
    command = [valgrind() or "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    command += _child_command(key, url, listings)
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=_child_env())
    found = _COLLECTED.findall(done.stderr)
    images = _IMAGES.findall(done.stdout)
    if done.returncode != 0 or not found or not images:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"callgrind run of {key} failed: {tail}")
    return int(found[-1]), int(images[-1])


def count_listings(keys: list[str], url: str, log: Any) -> dict[str, dict[str, Any]]:
    """{key: {"instructions": listing's instructions, "images": count, "setup": setup's}}.

    Two runs at a time (callgrind counts do not depend on what else runs).
    """
    warm_bytecode(keys, url)
    jobs = [(key, listings) for key in keys for listings in (0, 1)]
    with ThreadPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
        counts = dict(zip(jobs, pool.map(lambda job: _safe_count(job[0], url, job[1]), jobs), strict=True))
    results: dict[str, dict[str, Any]] = {}
    for key in keys:
        setup, total = counts[(key, 0)], counts[(key, 1)]
        if isinstance(setup, Exception) or isinstance(total, Exception):
            error = setup if isinstance(setup, Exception) else total
            results[key] = {"error": str(error)}
            log(f"  instructions: {key}: {error}")
            continue
        instructions = total[0] - setup[0]
        results[key] = {"instructions": instructions, "images": total[1], "setup": setup[0]}
        log(f"  instructions: {key}: {instructions / 1e6:.1f} M")
    return results


def _safe_count(key: str, url: str, listings: int) -> tuple[int, int] | Exception:
    try:
        return _count(key, url, listings)
    except Exception as error:  # reported in the table
        return error


def child(key: str, url: str, listings: int) -> None:
    """The measured interpreter: build, log in, warm up, then ``listings`` more listings.

    As in run.py's workers, a contender on the standard library's json runs where
    orjson cannot be imported, so that the driver reads JSON with json too.
    """
    sys.path.insert(0, str(HERE))
    import worker

    parser = worker.SPEC[key].parser
    if parser == "json":
        sys.modules["orjson"] = None  # type: ignore[assignment]
    contenders, _ = worker.make_contenders(parser, with_sdk=False)
    in_use = worker.driver_json_parser()
    if not in_use.startswith(parser):
        raise SystemExit(f"the driver reads JSON with {in_use}, not {parser}")
    contender = contenders[key]
    client = contender.construct(url)
    contender.auth(client)
    count = contender.listing(client)  # warm-up, in the setup
    gc.collect()
    for _ in range(listings):
        count = contender.listing(client)
    print(f"IMAGES {count}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--listings", type=int, default=1)
    args = parser.parse_args()
    child(args.child, args.url, args.listings)


if __name__ == "__main__":
    main()
