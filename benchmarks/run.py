"""Benchmark the image listing of rackimg-driver against raw HTTP and its peers.

    python benchmarks/run.py [--images 10000] [--rounds 7] [--memory-images 100000] [--quick] [--instructions]

One run starts ``benchmarks/server.py`` (fixed, pre-rendered pages of detailed images,
at most 1000 a page, with next links) and two clients (``worker.py``), each a process of
its own: one where the driver reads JSON with the standard library's json, one where it
reads it with orjson. Round after round, in an order that rotates and reverses, each
contender lists every image in its own worker, which times the listing on its own CPU
clock. Each listing is compared with the floor on the same parser, in the same round:
requests + json.loads for the driver on json, requests + orjson.loads for the driver on
orjson. It prints medians, ratios, the checks of the issue's targets (PASS/FAIL) and the
machine, and exits 1 when a target fails, unless ``--no-fail``. ``--instructions`` also
counts each listing's instructions under callgrind (see instructions.py).

See benchmarks/README.md for what each column means.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
import importlib.util
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import worker  # noqa: E402
from server import MAX_LIMIT  # noqa: E402

# The targets.
FLOOR_RATIO_MAX = 1.25  # each parser's driver listing vs the floor on the same parser, CPU time
FLOOR_RATIO_GOAL = 1.10
SDK_RATIO_MIN = 30.0
IMPORT_RATIO_MAX = 1.2
MEMORY_RATIO_MAX = 2.0
PARSERS = ("json", "orjson")
IMPORT_OURS = "import rackimg_driver"
IMPORT_DRIVER = "from rackimg_driver import RackImgNodeDriver"
IMPORT_LIBCLOUD = "import libcloud.compute.drivers.openstack"
# Modules `rackimg --help` has no use for.
HELP_FORBIDDEN = ("rackimg_driver.emulator", "libcloud", "requests", "urllib3", "stevedore", "openstack")
# --quick: enough to see that everything runs, not to quote.
QUICK = {"images": 2000, "rounds": 3, "repeat": 3, "memory_images": 20_000}
DEFAULTS = {"images": 10_000, "rounds": 7, "repeat": 3, "memory_images": 100_000}


# -- the server ---------------------------------------------------------------


class Server:
    """``benchmarks/server.py`` in a subprocess, and its counters."""

    def __init__(self, images: int, lazy: bool = False) -> None:
        command = [sys.executable, str(HERE / "server.py"), "--images", str(images)]
        if lazy:
            command.append("--lazy")
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line.startswith("READY "):
            self.process.kill()
            raise RuntimeError(f"the benchmark server did not start: {line!r}")
        self.url = line.split()[1]
        self.images = images

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/_stats") as answer:
            counters: dict[str, Any] = json.loads(answer.read())
        return counters

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/_reset", data=b"", method="POST")
        with urllib.request.urlopen(request):
            pass

    def close(self) -> None:
        self.process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        if self.process.poll() is None:
            self.process.kill()


def expected_pages(images: int, page: int = MAX_LIMIT) -> int:
    """ceil(N / page) requests, plus one when the server links a full last page."""
    return max(1, math.ceil(images / page)) + (1 if images and images % page == 0 else 0)


# -- the clients --------------------------------------------------------------


class Worker:
    """A ``worker.py`` interpreter for one JSON parser; ``measure`` has it make one listing."""

    def __init__(self, parser: str, url: str) -> None:
        command = [sys.executable, "-c", worker.BOOTSTRAP, parser, url, str(HERE)]
        self.name = parser
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = self._answer()
        self.parser = str(ready.get("parser", "-"))  # what the driver says it reads JSON with
        self.driver = str(ready.get("driver", "-"))  # where the worker's rackimg_driver comes from
        self.unavailable: dict[str, str] = ready.get("unavailable", {})
        self.error: str | None = ready.get("error")

    def _answer(self) -> dict[str, Any]:
        line = self.process.stdout.readline() if self.process.stdout else ""
        if not line:
            return {"error": f"the {self.name} worker stopped (exit status {self.process.poll()})"}
        answer: dict[str, Any] = json.loads(line)
        return answer

    def measure(self, key: str) -> dict[str, Any]:
        """{"construct", "auth", "wall", "cpu": seconds, "images": count} or {"error": ...}."""
        if self.process.stdin is None:
            return {"error": "no pipe to the worker"}
        try:
            self.process.stdin.write(json.dumps({"key": key}) + "\n")
            self.process.stdin.flush()
        except OSError as error:
            return {"error": f"the {self.name} worker stopped ({error})"}
        return self._answer()

    def close(self) -> None:
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()  # the worker's loop ends
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)
        if self.process.poll() is None:
            self.process.kill()


def start_workers(url: str) -> dict[str, Worker]:
    """The json worker, and the orjson one where orjson is installed."""
    workers = {"json": Worker("json", url)}
    if importlib.util.find_spec("orjson") is not None:
        workers["orjson"] = Worker("orjson", url)
    return workers


@dataclass
class Contender:
    """A contender (``spec``, from worker.py) and what the rounds measured of it."""

    spec: worker.Spec
    unavailable: str | None = None  # SKIP
    error: str | None = None  # FAIL
    samples: list[tuple[int, int]] = field(default_factory=list)  # (round, repetition) of each listing
    times: list[float] = field(default_factory=list)  # wall time of the listing
    cpu_times: list[float] = field(default_factory=list)  # the worker's CPU time while listing
    construct_times: list[float] = field(default_factory=list)
    auth_times: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)


def make_contenders(workers: dict[str, Worker]) -> list[Contender]:
    contenders = []
    for spec in worker.SPECS:
        contender = Contender(spec)
        runs_in = workers.get(spec.parser)
        if runs_in is None:
            contender.unavailable = f"{spec.parser} is not installed (pip install {spec.parser})"
        elif runs_in.error:
            contender.error = runs_in.error
        elif spec.key in runs_in.unavailable:
            contender.unavailable = runs_in.unavailable[spec.key]
        contenders.append(contender)
    return contenders


# -- measuring ----------------------------------------------------------------


def rotated(items: list[Any], by: int) -> list[Any]:
    return items[by % len(items) :] + items[: by % len(items)] if items else []


def round_order(active: list[Contender], number: int, repeat: int) -> list[tuple[Contender, int]]:
    """Round ``number``'s listings, as (contender, repetition).

    Each parser's contenders run one after another, beside their floor, ``repeat`` times
    (each time in another order: the blocks and the order inside each rotate, and every
    other pass is reversed), so that listings compared with each other run a second or
    so apart and a change in the machine's load falls on both. The slow contenders
    (openstacksdk) run once a round, in a block of their own, first or last.
    """
    blocks = [[c for c in active if c.spec.parser == parser and not c.spec.slow] for parser in PARSERS]
    runs: list[tuple[Contender, int]] = []
    for repetition in range(repeat):
        turn = number * repeat + repetition
        order = [c for block in rotated(blocks, turn) for c in rotated(block, turn)]
        runs += [(c, repetition) for c in (order[::-1] if turn % 2 else order)]
    slow = [(c, 0) for c in active if c.spec.slow]
    return runs + slow if number % 2 else slow + runs


def run_rounds(
    contenders: list[Contender], workers: dict[str, Worker], rounds: int, repeat: int, log: Callable[[str], None]
) -> None:
    """Every round, each contender lists in its worker (``repeat`` times, the slow ones once); one at a time."""
    active = [c for c in contenders if c.unavailable is None and c.error is None]
    for number in range(rounds):
        for contender, repetition in round_order(active, number, repeat):
            if contender.error:
                continue
            answer = workers[contender.spec.parser].measure(contender.spec.key)
            if "error" in answer:
                contender.error = answer["error"]
                log(f"  {contender.spec.key}: {contender.error}")
                continue
            contender.samples.append((number, repetition))
            contender.construct_times.append(answer["construct"])
            contender.auth_times.append(answer["auth"])
            contender.times.append(answer["wall"])
            contender.cpu_times.append(answer["cpu"])
            contender.counts.append(answer["images"])
        this_round = {
            c.spec.key: [t for t, (n, _) in zip(c.cpu_times, c.samples, strict=True) if n == number] for c in active
        }
        log(
            f"  round {number + 1}/{rounds}, median cpu: "
            + ", ".join(f"{key} {statistics.median(times):.3f}s" for key, times in this_round.items() if times)
        )


def per_image(seconds: list[float], contender: Contender, index: int) -> float:
    return seconds[index] / max(1, contender.counts[index])


def paired_ratio(a: Contender, b: Contender, per: bool, cpu: bool = True) -> float:
    """Median of a's time / b's time over the samples of the same round and repetition (per image when ``per``).

    CPU time by default: each worker's own, which leaves out the server's work.
    """
    ta, tb = (a.cpu_times, b.cpu_times) if cpu else (a.times, b.times)
    of_b = {sample: index for index, sample in enumerate(b.samples)}
    ratios = []
    for index, sample in enumerate(a.samples):
        other = of_b.get(sample)
        if other is None:
            continue
        if per:
            ratios.append(per_image(ta, a, index) / per_image(tb, b, other))
        else:
            ratios.append(ta[index] / tb[other])
    return statistics.median(ratios) if ratios else math.nan


IMPORT_SNIPPET = (
    "import time, sys\nstart = time.perf_counter()\n{statement}\nsys.stdout.write(repr(time.perf_counter() - start))\n"
)


def subprocess_env() -> dict[str, str]:
    """The environment of the measured interpreters: bytecode cached, as in an installed package.

    With PYTHONDONTWRITEBYTECODE set (as on some CI machines), every import would
    compile from source; the cache goes to a directory of its own, outside the tree.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "rackimg-bench-pycache")
    return env


def measure_imports(statements: list[str], rounds: int) -> dict[str, list[float]]:
    """Wall times of each import statement in fresh interpreters, alternating the order.

    One untimed run of each first fills the bytecode cache.
    """
    env = subprocess_env()
    times: dict[str, list[float]] = {s: [] for s in statements}
    for number in range(rounds + 1):
        order = statements if number % 2 == 0 else list(reversed(statements))
        for statement in order:
            done = subprocess.run(
                [sys.executable, "-c", IMPORT_SNIPPET.format(statement=statement)],
                capture_output=True,
                text=True,
                check=False,
                env=env,
            )
            if done.returncode == 0 and number > 0:
                times[statement].append(float(done.stdout))
    return times


HELP_SNIPPET = """
import contextlib, io, json, sys, time
start = time.perf_counter()
from rackimg_driver.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    try:
        code = main(["--help"])
    except SystemExit as stop:
        code = stop.code
elapsed = time.perf_counter() - start
print(json.dumps({"code": code, "seconds": elapsed, "modules": sorted(sys.modules), "help": out.getvalue()[:80]}))
"""


def measure_help(rounds: int) -> dict[str, Any]:
    runs = []
    for _ in range(rounds + 1):
        done = subprocess.run(
            [sys.executable, "-c", HELP_SNIPPET], capture_output=True, text=True, check=False, env=subprocess_env()
        )
        if done.returncode != 0:
            return {"error": done.stderr.strip().splitlines()[-1:] or ["failed"]}
        runs.append(json.loads(done.stdout))
    modules = runs[-1]["modules"]
    heavy = {}
    for name in HELP_FORBIDDEN:
        count = sum(1 for m in modules if m == name or m.startswith(name + "."))
        if count:
            heavy[name] = count
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "modules": len(modules),
        "heavy": heavy,
        "emulator": any(m.startswith("rackimg_driver.emulator") for m in modules),
        "code": runs[-1]["code"],
    }


def check_wire(server: Server) -> dict[str, Any]:
    """A cold driver lists every image: count connections, auth calls and requests."""
    results: dict[str, Any] = {}
    server.reset()
    driver = worker.new_driver(server.url)
    images = driver.list_images()
    stats = server.stats()
    results["list_images"] = {"images": len(images), **stats}
    del images

    server.reset()
    driver = worker.new_driver(server.url)
    iterator = driver.ex_iterate_images()
    before = server.stats()["pages"]
    first = next(iterator, None)
    after_first = server.stats()["pages"]
    rest = sum(1 for _ in iterator)
    stats = server.stats()
    results["iterate"] = {
        "images": rest + (first is not None),
        "pages_before_next": before,
        "pages_at_first_image": after_first,
        **stats,
    }
    return results


def measure_memory(images: int, log: Callable[[str], None]) -> dict[str, Any]:
    """tracemalloc peaks: holding one page of 1000 mapped images vs iterating ``images``."""
    server = Server(images, lazy=True)
    try:
        driver = worker.new_driver(server.url)
        driver.connection._populate_hosts_and_request_paths()
        gc.collect()
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        page = driver.list_images(ex_filters={"limit": MAX_LIMIT})
        one_page = tracemalloc.get_traced_memory()[1] - base
        held = len(page)
        del page
        gc.collect()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        count = 0
        for _ in driver.ex_iterate_images():
            count += 1
        iterating = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        log(f"  memory: one page {one_page / 1e6:.1f} MB, iterating {count} images {iterating / 1e6:.1f} MB")
        return {"one_page": one_page, "held": held, "iterating": iterating, "images": count}
    finally:
        server.close()


def count_instructions(contenders: list[Contender], server: Server, log: Callable[[str], None]) -> dict[str, Any]:
    """Instructions of one warm listing per contender (see instructions.py); {"error": ...} without valgrind."""
    import instructions

    if instructions.valgrind() is None:
        return {"error": "valgrind is not installed (apt-get install valgrind)"}
    keys = [
        c.spec.key
        for c in contenders
        if c.spec.key in instructions.COUNTED and c.unavailable is None and c.error is None
    ]
    log(f"instructions: {len(keys)} contenders under callgrind, two runs each...")
    return instructions.count_listings(keys, server.url, log)


def instruction_table(contenders: list[Contender], counted: dict[str, Any]) -> str:
    if "error" in counted:
        return f"instructions (callgrind): {counted['error']}"
    rows = [
        ["instructions (callgrind, one warm listing)", "parser", "images", "M instr", "k instr/img", "vs own floor"]
    ]
    for c in contenders:
        found = counted.get(c.spec.key)
        if found is None:
            continue
        if "error" in found:
            rows.append([c.spec.label, c.spec.parser, "-", "-", "-", found["error"][:60]])
            continue
        images = found["images"]
        per = found["instructions"] / max(1, images)
        floor = counted.get(c.spec.floor, {})
        ratio = "-"
        if c.spec.key == c.spec.floor:
            ratio = "(floor)"
        elif "instructions" in floor:
            floor_per = floor["instructions"] / max(1, floor["images"])
            ratio = f"{per / floor_per:.2f}x" + (" /img" if c.spec.per_page_only else "")
        rows.append(
            [c.spec.label, c.spec.parser, str(images), f"{found['instructions'] / 1e6:.1f}", f"{per / 1e3:.1f}", ratio]
        )
    return table(rows, numeric=(2, 3, 4, 5))


# -- reporting ----------------------------------------------------------------


def version_of(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine(workers: dict[str, Worker]) -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "load": " ".join(f"{load:.2f}" for load in os.getloadavg()),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "apache-libcloud": version_of("apache-libcloud"),
        "requests": version_of("requests"),
        "urllib3": version_of("urllib3"),
        "openstacksdk": version_of("openstacksdk"),
        "orjson": version_of("orjson"),
        "driver json": ", ".join(f"{name} worker: {w.parser}" for name, w in workers.items()),
        "rackimg_driver": "; ".join(sorted({w.driver for w in workers.values()})),
        "date": time.strftime("%Y-%m-%d"),
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def table(rows: list[list[str]], numeric: tuple[int, ...] = ()) -> str:
    """A plain-text table; the columns in ``numeric`` are right-aligned."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        cells = [cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def listing_rows(contenders: list[Contender], by_key: dict[str, Contender], images: int) -> list[list[str]]:
    rows = [
        [
            "contender",
            "parser",
            "images",
            "construct ms",
            "auth ms",
            "wall ms",
            "cpu ms",
            "cpu us/image",
            "cpu vs own floor",
            "wall vs own floor",
            "note",
        ]
    ]
    for c in contenders:
        if c.unavailable or c.error or not c.times:
            note = c.unavailable or c.error or "no data"
            rows.append([c.spec.label, c.spec.parser, "-", "-", "-", "-", "-", "-", "-", "-", note])
            continue
        floor = by_key[c.spec.floor]
        per = statistics.median(per_image(c.cpu_times, c, i) for i in range(len(c.cpu_times)))
        note = "1 page only: compare per image" if c.spec.per_page_only else ""
        if c.counts[-1] != (MAX_LIMIT if c.spec.per_page_only else images):
            note = f"WRONG COUNT {c.counts[-1]}"
        if c is floor:
            cpu_ratio = wall_ratio = "(floor)"
        elif floor.times:
            suffix = " /img" if c.spec.per_page_only else ""
            cpu_ratio = f"{paired_ratio(c, floor, per=c.spec.per_page_only):.2f}x{suffix}"
            wall_ratio = f"{paired_ratio(c, floor, per=c.spec.per_page_only, cpu=False):.2f}x{suffix}"
        else:
            cpu_ratio = wall_ratio = "no floor"
        rows.append(
            [
                c.spec.label,
                c.spec.parser,
                str(c.counts[-1]),
                ms(statistics.median(c.construct_times)),
                ms(statistics.median(c.auth_times)),
                ms(statistics.median(c.times)),
                ms(statistics.median(c.cpu_times)),
                f"{per * 1e6:.2f}",
                cpu_ratio,
                wall_ratio,
                note,
            ]
        )
    return rows


def verdict(ok: bool | None) -> str:
    return "SKIP" if ok is None else ("PASS" if ok else "FAIL")


def floor_targets(
    by_key: dict[str, Contender], images: int
) -> tuple[list[tuple[str, str, str]], dict[str, float | None]]:
    """Each parser's driver listings vs the floor on that parser (CPU): the targets, and each ratio (None: no data)."""
    targets = []
    ratios: dict[str, float | None] = {}
    for parser in PARSERS:
        floor = by_key[f"floor_{parser}"]
        for key in (f"list_images_{parser}", f"iterate_{parser}"):
            c = by_key[key]
            name = f"{c.spec.label} on {parser} <= {FLOOR_RATIO_MAX:.2f}x {floor.spec.label.split(': ')[-1]} (cpu)"
            if c.unavailable or floor.unavailable:
                targets.append((name, c.unavailable or floor.unavailable or "", "SKIP"))
                ratios[key] = None
            elif c.times and floor.times:
                ratio = paired_ratio(c, floor, per=False)
                wall = paired_ratio(c, floor, per=False, cpu=False)
                met = ratio <= FLOOR_RATIO_GOAL
                measured = (
                    f"{ratio:.2f}x (wall {wall:.2f}x); goal {FLOOR_RATIO_GOAL:.2f}x {'met' if met else 'NOT met'}"
                )
                ok = ratio <= FLOOR_RATIO_MAX and c.counts[-1] == images
                targets.append((name, measured, verdict(ok)))
                ratios[key] = ratio
            else:
                targets.append((name, c.error or floor.error or "no data", "FAIL"))
                ratios[key] = None
    return targets, ratios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark rackimg-driver's image listing (see benchmarks/README.md).")
    parser.add_argument("--images", type=int, help=f"images on the server (default {DEFAULTS['images']})")
    parser.add_argument("--rounds", type=int, help=f"rounds, in rotating order (default {DEFAULTS['rounds']})")
    parser.add_argument(
        "--repeat",
        type=int,
        help=f"listings of each contender a round, beside its floor (default {DEFAULTS['repeat']}; openstacksdk: 1)",
    )
    parser.add_argument(
        "--memory-images", type=int, help=f"images for the memory check (default {DEFAULTS['memory_images']}; 0 skips)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a quick check: " + ", ".join(f"--{k.replace('_', '-')} {v}" for k, v in QUICK.items()),
    )
    parser.add_argument("--no-fail", action="store_true", help="report only: exit 0 even when a target fails")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each listing's instructions under valgrind's callgrind (about 5 more minutes)",
    )
    args = parser.parse_args(argv)
    for name, default in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.images < 1 or args.rounds < 1 or args.repeat < 1 or args.memory_images < 0:
        parser.error("--images, --rounds and --repeat take 1 or more, --memory-images 0 or more")
    started = time.perf_counter()

    def log(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    log("imports (fresh interpreters)...")
    import_statements = [IMPORT_OURS, IMPORT_DRIVER, IMPORT_LIBCLOUD]
    if version_of("openstacksdk") != "not installed":
        import_statements.append("import openstack")
    imports = measure_imports(import_statements, args.rounds)
    help_info = measure_help(3)

    log(f"listing {args.images} images, {args.rounds} rounds of {args.repeat} listings each (openstacksdk: 1)...")
    server = Server(args.images)
    workers: dict[str, Worker] = {}
    try:
        workers = start_workers(server.url)
        info = machine(workers)
        contenders = make_contenders(workers)
        run_rounds(contenders, workers, args.rounds, args.repeat, log)
        wire = check_wire(server)
        counted = count_instructions(contenders, server, log) if args.instructions else None
    finally:
        for each in workers.values():
            each.close()
        server.close()
    memory = measure_memory(args.memory_images, log) if args.memory_images else None

    by_key = {c.spec.key: c for c in contenders}
    rows = listing_rows(contenders, by_key, args.images)
    targets, floor_ratios = floor_targets(by_key, args.images)

    driver = by_key["list_images_json"]
    builtin = by_key["libcloud"]
    if driver.times and builtin.times:
        ratio = paired_ratio(driver, builtin, per=True)
        wall = paired_ratio(driver, builtin, per=True, cpu=False)
        targets.append(
            (
                "per image <= libcloud OpenStack_1_1 (both on json, cpu)",
                f"{ratio:.2f}x (wall {wall:.2f}x)",
                verdict(ratio <= 1.0),
            )
        )
    else:
        targets.append(("per image <= libcloud OpenStack_1_1", builtin.error or driver.error or "no data", "FAIL"))
    # libcloud's driver builds its extra in the listing, ours when it is first read: with it read.
    read = by_key["read_extra_json"]
    if read.times and builtin.times:
        ratio = paired_ratio(read, builtin, per=True)
        targets.append(
            ("(info) every extra read: per image vs libcloud OpenStack_1_1 (json, cpu)", f"{ratio:.2f}x", "INFO")
        )
    sdk = by_key["sdk"]
    sdk_target = f"per image >= {SDK_RATIO_MIN:g}x faster than openstacksdk (both on json, cpu)"
    if sdk.unavailable:
        targets.append((sdk_target, sdk.unavailable, "SKIP"))
    elif sdk.times and driver.times:
        ratio = paired_ratio(sdk, driver, per=True)
        wall = paired_ratio(sdk, driver, per=True, cpu=False)
        targets.append((sdk_target, f"{ratio:.1f}x (wall {wall:.1f}x)", verdict(ratio >= SDK_RATIO_MIN)))
    else:
        targets.append((sdk_target, sdk.error or driver.error or "no data", "FAIL"))

    want_pages = expected_pages(args.images)
    for key, label in (("list_images", "list_images"), ("iterate", "ex_iterate_images")):
        w = wire[key]
        ok = w["page_connections"] == 1 and w["auth"] == 1 and w["pages"] == want_pages and w["images"] == args.images
        measured = (
            f"{w['page_connections']} conn for pages ({w['connections']} incl. identity), "
            f"{w['auth']} auth, {w['pages']} requests (want {want_pages})"
        )
        targets.append((f"{label}: 1 connection, 1 auth, ceil(N/1000)(+1) requests", measured, verdict(ok)))
    w = wire["iterate"]
    ok = w["pages_before_next"] == 0 and w["pages_at_first_image"] == 1
    targets.append(
        (
            "ex_iterate_images: first image after one page",
            f"{w['pages_before_next']} requests before next(), {w['pages_at_first_image']} at the first image",
            verdict(ok),
        )
    )
    if memory:
        ratio = memory["iterating"] / memory["one_page"]
        targets.append(
            (
                f"iterating {memory['images']} images < {MEMORY_RATIO_MAX:g}x one page (tracemalloc peak)",
                f"{memory['iterating'] / 1e6:.1f} MB vs {memory['one_page'] / 1e6:.1f} MB = {ratio:.2f}x",
                verdict(ratio < MEMORY_RATIO_MAX and memory["images"] == args.memory_images),
            )
        )
    theirs = imports.get(IMPORT_LIBCLOUD) or []
    for statement in (IMPORT_OURS, IMPORT_DRIVER):
        ours = imports.get(statement) or []
        if ours and theirs:
            ratio = statistics.median(ours) / statistics.median(theirs)
            targets.append(
                (
                    f"{statement} <= {IMPORT_RATIO_MAX}x {IMPORT_LIBCLOUD}",
                    f"{ms(statistics.median(ours))} ms vs {ms(statistics.median(theirs))} ms = {ratio:.2f}x",
                    verdict(ratio <= IMPORT_RATIO_MAX),
                )
            )
        else:
            targets.append((statement, "the import failed", "FAIL"))
    if "error" in help_info:
        targets.append(("rackimg --help imports only what it needs", str(help_info["error"]), "FAIL"))
    else:
        heavy = ", ".join(f"{name} ({count} modules)" for name, count in help_info["heavy"].items()) or "none"
        targets.append(
            (
                "rackimg --help: no emulator",
                "emulator imported" if help_info["emulator"] else "not imported",
                verdict(not help_info["emulator"]),
            )
        )
        targets.append(
            (
                "rackimg --help: no libcloud/requests/stevedore",
                f"{ms(help_info['seconds'])} ms, {help_info['modules']} modules; heavy: {heavy}",
                verdict(not help_info["heavy"]),
            )
        )

    print()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in info.items()))
    print(
        f"N = {args.images} detailed images, pages of {MAX_LIMIT}; {args.rounds} rounds of {args.repeat} listings "
        "(openstacksdk: 1), medians; cpu = the client worker's own CPU time; each ratio against the floor on the "
        "same parser, listing beside it"
    )
    print()
    print(table(rows, numeric=(2, 3, 4, 5, 6, 7, 8, 9)))
    print()
    import_rows = [["import (fresh interpreter)", "median ms", "runs"]]
    for statement, runs in imports.items():
        import_rows.append([statement, ms(statistics.median(runs)) if runs else "failed", str(len(runs))])
    print(table(import_rows, numeric=(1, 2)))
    print()
    if counted is not None:
        print(instruction_table(contenders, counted))
        print()
    print(table([["target", "measured", "verdict"]] + [list(t) for t in targets]))
    failed = [t for t in targets if t[2] == "FAIL"]
    print()
    print(
        f"{len(targets) - len(failed)} of {len(targets)} targets met" + (f"; FAILED: {len(failed)}" if failed else "")
    )
    goal_met = all(r is not None and r <= FLOOR_RATIO_GOAL for r in floor_ratios.values())
    findings = ", ".join(f"{key} {'-' if r is None else f'{r:.2f}x'}" for key, r in floor_ratios.items())
    print(f"goal <= {FLOOR_RATIO_GOAL:.2f}x own floor (cpu): {'met' if goal_met else 'NOT met'} ({findings})")
    print(f"took {time.perf_counter() - started:.0f} s")

    if args.json:
        payload = {
            "machine": info,
            "images": args.images,
            "rounds": args.rounds,
            "repeat": args.repeat,
            "contenders": {
                c.spec.key: {
                    "label": c.spec.label,
                    "parser": c.spec.parser,
                    "floor": c.spec.floor,
                    "samples": c.samples,
                    "times": c.times,
                    "cpu_times": c.cpu_times,
                    "construct": c.construct_times,
                    "auth": c.auth_times,
                    "counts": c.counts,
                    "error": c.error,
                    "unavailable": c.unavailable,
                }
                for c in contenders
            },
            "imports": imports,
            "help": help_info,
            "wire": wire,
            "memory": memory,
            "targets": targets,
            "instructions": counted,
        }
        Path(args.json).write_text(json.dumps(payload, indent=2))
    return 1 if failed and not args.no_fail else 0


if __name__ == "__main__":
    sys.exit(main())
