"""Benchmark the image listing of rackimg-driver against raw HTTP and its peers.

    python benchmarks/run.py [--images 10000] [--rounds 7] [--memory-images 100000] [--instructions]

One run starts ``benchmarks/server.py`` in a subprocess (fixed, pre-rendered pages
of detailed images, at most 1000 a page, with next links), then, alternating the
order every round, lists every image with each contender and prints medians,
ratios, per-image times, the checks of the issue's targets (PASS/FAIL) and the
machine. It exits 1 when a target fails, unless ``--no-fail``. ``--instructions`` also
counts each listing's instructions under callgrind (see instructions.py).

See benchmarks/README.md for what each column means.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
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

from server import MAX_LIMIT, TENANT, USER  # noqa: E402

API_KEY = "bench-api-key"
PASSWORD = "bench-password"

# The targets.
FLOOR_RATIO_MAX = 1.25
SDK_RATIO_MIN = 30.0
IMPORT_RATIO_MAX = 1.2
MEMORY_RATIO_MAX = 2.0
# Modules `rackimg --help` has no use for.
IMPORT_OURS = "import rackimg_driver"
IMPORT_DRIVER = "from rackimg_driver import RackImgNodeDriver"
IMPORT_LIBCLOUD = "import libcloud.compute.drivers.openstack"
HELP_FORBIDDEN = ("rackimg_driver.emulator", "libcloud", "requests", "urllib3", "stevedore", "openstack")


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
            return json.loads(answer.read())

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


# -- the contenders -----------------------------------------------------------


def floor_auth(session: Any, url: str) -> tuple[str, str]:
    body = {"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": USER, "apiKey": API_KEY}}}
    answer = session.post(f"{url}/v2.0/tokens", json=body)
    answer.raise_for_status()
    access = json.loads(answer.content)["access"]
    compute = next(s for s in access["serviceCatalog"] if s["name"] == "cloudServersOpenStack")
    endpoint = next(e["publicURL"] for e in compute["endpoints"] if e["region"] == "DFW")
    return access["token"]["id"], endpoint


def floor_pages(session: Any, token: str, endpoint: str, loads: Callable[[bytes], Any]) -> Any:
    """Yield each page's image list, following the next links."""
    href: str | None = f"{endpoint}/images/detail"
    headers = {"X-Auth-Token": token, "Accept": "application/json"}
    while href is not None:
        answer = session.get(href, headers=headers)
        answer.raise_for_status()
        body = loads(answer.content)
        images = body["images"]
        yield images
        href = None
        if images:
            for link in body.get("images_links", ()):
                if link.get("rel") == "next":
                    href = link["href"]


@dataclass
class Contender:
    """One way of listing: ``construct`` builds a client, ``auth`` logs it in, ``listing`` counts images."""

    key: str
    label: str
    construct: Callable[[Server], Any]
    auth: Callable[[Any], None]
    listing: Callable[[Any], int]
    per_page_only: bool = False  # reads one page: compared per image
    unavailable: str | None = None
    times: list[float] = field(default_factory=list)
    cpu_times: list[float] = field(default_factory=list)  # this process's CPU time while listing
    construct_times: list[float] = field(default_factory=list)
    auth_times: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    error: str | None = None


def make_contenders(with_sdk: bool = True) -> list[Contender]:
    import requests
    from libcloud.compute.base import NodeImage

    import rackimg_driver

    contenders: list[Contender] = []

    def floor_construct(server: Server) -> dict[str, Any]:
        return {"session": requests.Session(), "url": server.url}

    def floor_login(state: dict[str, Any]) -> None:
        state["token"], state["endpoint"] = floor_auth(state["session"], state["url"])

    def floor_list(state: dict[str, Any]) -> int:
        return sum(
            len(images) for images in floor_pages(state["session"], state["token"], state["endpoint"], json.loads)
        )

    def floor_wrap(state: dict[str, Any]) -> int:
        count = 0
        for images in floor_pages(state["session"], state["token"], state["endpoint"], json.loads):
            wrapped = [NodeImage(item["id"], item["name"], None, item) for item in images]
            count += len(wrapped)
        return count

    contenders.append(Contender("floor", "(a) floor: requests + json.loads", floor_construct, floor_login, floor_list))
    contenders.append(Contender("floor_wrap", "(a2) floor + bare NodeImage", floor_construct, floor_login, floor_wrap))
    try:
        import orjson

        def floor_orjson(state: dict[str, Any]) -> int:
            pages = floor_pages(state["session"], state["token"], state["endpoint"], orjson.loads)
            return sum(len(images) for images in pages)

        contenders.append(
            Contender("floor_orjson", "(a3) floor with orjson (info)", floor_construct, floor_login, floor_orjson)
        )
    except ImportError:
        pass

    def driver_construct(server: Server) -> Any:
        return rackimg_driver.RackImgNodeDriver(USER, API_KEY, region="dfw", ex_force_auth_url=server.url)

    def libcloud_login(driver: Any) -> None:
        # Authenticate and open the compute connection, as the first request would.
        driver.connection._populate_hosts_and_request_paths()

    contenders.append(
        Contender(
            "list_images",
            "(b) rackimg list_images",
            driver_construct,
            libcloud_login,
            lambda driver: len(driver.list_images()),
        )
    )
    contenders.append(
        Contender(
            "iterate",
            "(b) rackimg ex_iterate_images",
            driver_construct,
            libcloud_login,
            lambda driver: sum(1 for _ in driver.ex_iterate_images()),
        )
    )

    from libcloud.compute.drivers.openstack import OpenStack_1_1_NodeDriver

    def builtin_construct(server: Server) -> Any:
        return OpenStack_1_1_NodeDriver(
            USER,
            API_KEY,
            ex_force_auth_url=server.url,
            ex_force_auth_version="2.0_apikey",
            ex_force_service_name="cloudServersOpenStack",
            ex_force_service_region="DFW",
        )

    contenders.append(
        Contender(
            "libcloud",
            "(c) libcloud OpenStack_1_1 (1 page)",
            builtin_construct,
            libcloud_login,
            lambda driver: len(driver.list_images(ex_only_active=False)),
            per_page_only=True,
        )
    )

    sdk = Contender("sdk", "(d) openstacksdk compute.images", lambda s: None, lambda c: None, lambda c: 0)
    try:
        if not with_sdk:
            raise ImportError("left out")
        import openstack

        def sdk_construct(server: Server) -> Any:
            return openstack.connect(
                auth_url=f"{server.url}/identity",
                auth_type="password",
                username=USER,
                password=PASSWORD,
                project_name=TENANT,
                user_domain_name="Default",
                project_domain_name="Default",
                region_name="RegionOne",
                load_yaml_config=False,
                load_envvars=False,
            )

        def sdk_login(conn: Any) -> None:
            conn.authorize()
            conn.compute.get_endpoint()

        sdk.construct, sdk.auth = sdk_construct, sdk_login
        sdk.listing = lambda conn: sum(1 for _ in conn.compute.images(details=True))
    except ImportError as error:
        sdk.unavailable = f"openstacksdk is not importable ({error}); pip install openstacksdk"
    contenders.append(sdk)
    return contenders


# -- measuring ----------------------------------------------------------------


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def run_rounds(contenders: list[Contender], server: Server, rounds: int, log: Callable[[str], None]) -> None:
    active = [c for c in contenders if c.unavailable is None]
    for number in range(rounds):
        order = active[number % len(active) :] + active[: number % len(active)]
        if number % 2:
            order.reverse()
        for contender in order:
            if contender.error:
                continue
            try:
                gc.collect()
                construct_time, client = timed(lambda c=contender: c.construct(server))
                auth_time, _ = timed(lambda c=contender, k=client: c.auth(k))
                gc.collect()
                cpu_start = time.process_time()
                list_time, count = timed(lambda c=contender, k=client: c.listing(k))
                cpu_time = time.process_time() - cpu_start
            except Exception as error:
                contender.error = f"{type(error).__name__}: {error}"
                log(f"  {contender.key}: {contender.error}")
                continue
            contender.construct_times.append(construct_time)
            contender.auth_times.append(auth_time)
            contender.times.append(list_time)
            contender.cpu_times.append(cpu_time)
            contender.counts.append(count)
            del client
        log(f"  round {number + 1}/{rounds}: " + ", ".join(f"{c.key} {c.times[-1]:.3f}s" for c in order if c.times))


def per_image(contender: Contender, round_index: int) -> float:
    return contender.times[round_index] / max(1, contender.counts[round_index])


def paired_ratio(a: Contender, b: Contender, per: bool, cpu: bool = False) -> float:
    """Median over rounds of a's time / b's time in the same round (per image when ``per``)."""
    rounds = min(len(a.times), len(b.times))
    ta, tb = (a.cpu_times, b.cpu_times) if cpu else (a.times, b.times)
    if per:
        ratios = [(ta[i] / max(1, a.counts[i])) / (tb[i] / max(1, b.counts[i])) for i in range(rounds)]
    else:
        ratios = [ta[i] / tb[i] for i in range(rounds)]
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
    import rackimg_driver

    results: dict[str, Any] = {}
    server.reset()
    driver = rackimg_driver.RackImgNodeDriver(USER, API_KEY, region="dfw", ex_force_auth_url=server.url)
    images = driver.list_images()
    stats = server.stats()
    results["list_images"] = {"images": len(images), **stats}
    del images

    server.reset()
    driver = rackimg_driver.RackImgNodeDriver(USER, API_KEY, region="dfw", ex_force_auth_url=server.url)
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
    import rackimg_driver

    server = Server(images, lazy=True)
    try:
        driver = rackimg_driver.RackImgNodeDriver(USER, API_KEY, region="dfw", ex_force_auth_url=server.url)
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
    keys = [c.key for c in contenders if c.key in instructions.COUNTED and c.unavailable is None]
    log(f"instructions: {len(keys)} contenders under callgrind, two runs each...")
    return instructions.count_listings(keys, server.url, log)


def instruction_table(contenders: list[Contender], counted: dict[str, Any]) -> str:
    if "error" in counted:
        return f"instructions (callgrind): {counted['error']}"
    rows = [["instructions (callgrind, one warm listing)", "images", "M instr", "k instr/img", "vs floor"]]
    floor = counted.get("floor", {}).get("instructions")
    for c in contenders:
        found = counted.get(c.key)
        if found is None:
            continue
        if "error" in found:
            rows.append([c.label, "-", "-", "-", found["error"][:60]])
            continue
        images = found["images"]
        per = found["instructions"] / max(1, images)
        ratio = "-"
        if floor:
            floor_per = floor / max(1, counted["floor"]["images"])
            ratio = f"{per / floor_per:.2f}x" + (" /img" if c.per_page_only else "")
        rows.append([c.label, str(images), f"{found['instructions'] / 1e6:.1f}", f"{per / 1e3:.1f}", ratio])
    return table(rows, numeric=(1, 2, 3, 4))


# -- reporting ----------------------------------------------------------------


def version_of(distribution: str) -> str:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def driver_json_parser() -> str:
    """Which JSON parser the driver's responses use."""
    import rackimg_driver.connection as connection

    return str(connection.JSON_PARSER)


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": str(os.cpu_count()),
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
        "apache-libcloud": version_of("apache-libcloud"),
        "requests": version_of("requests"),
        "urllib3": version_of("urllib3"),
        "openstacksdk": version_of("openstacksdk"),
        "orjson": version_of("orjson"),
        "driver json": driver_json_parser(),
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark rackimg-driver's image listing (see benchmarks/README.md).")
    parser.add_argument("--images", type=int, default=10_000, help="images on the server (default 10000)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds, alternating order (default 7)")
    parser.add_argument("--memory-images", type=int, default=100_000, help="images for the memory check")
    parser.add_argument("--no-fail", action="store_true", help="report only: exit 0 even when a target fails")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="also count each listing's instructions under valgrind's callgrind (about 4 more minutes)",
    )
    args = parser.parse_args(argv)

    def log(text: str) -> None:
        if not args.quiet:
            print(text, file=sys.stderr, flush=True)

    info = machine()
    log("imports (fresh interpreters)...")
    import_statements = [IMPORT_OURS, IMPORT_DRIVER, IMPORT_LIBCLOUD]
    if version_of("openstacksdk") != "not installed":
        import_statements.append("import openstack")
    imports = measure_imports(import_statements, args.rounds)
    help_info = measure_help(3)

    log(f"listing {args.images} images, {args.rounds} rounds...")
    server = Server(args.images)
    try:
        contenders = make_contenders()
        run_rounds(contenders, server, args.rounds, log)
        wire = check_wire(server)
        counted = count_instructions(contenders, server, log) if args.instructions else None
    finally:
        server.close()
    memory = measure_memory(args.memory_images, log) if args.memory_images else None

    by_key = {c.key: c for c in contenders}
    floor = by_key["floor"]
    rows = [
        [
            "contender",
            "images",
            "construct ms",
            "auth ms",
            "listing ms",
            "per image us",
            "vs floor",
            "cpu vs floor",
            "note",
        ]
    ]
    for c in contenders:
        if c.unavailable or c.error or not c.times:
            rows.append([c.label, "-", "-", "-", "-", "-", "-", "-", c.unavailable or c.error or "no data"])
            continue
        per = statistics.median(per_image(c, i) for i in range(len(c.times)))
        note = "1 page only: compare per image" if c.per_page_only else ""
        if c.counts[-1] != (MAX_LIMIT if c.per_page_only else args.images):
            note = f"WRONG COUNT {c.counts[-1]}"
        vs_floor = paired_ratio(c, floor, per=c.per_page_only)
        rows.append(
            [
                c.label,
                str(c.counts[-1]),
                ms(statistics.median(c.construct_times)),
                ms(statistics.median(c.auth_times)),
                ms(statistics.median(c.times)),
                f"{per * 1e6:.2f}",
                f"{vs_floor:.2f}x" + (" /img" if c.per_page_only else ""),
                f"{paired_ratio(c, floor, per=c.per_page_only, cpu=True):.2f}x",
                note,
            ]
        )

    targets: list[tuple[str, str, str]] = []  # (target, measured, verdict)

    def verdict(ok: bool | None) -> str:
        return "SKIP" if ok is None else ("PASS" if ok else "FAIL")

    for key in ("list_images", "iterate"):
        c = by_key[key]
        if c.times and floor.times:
            ratio = paired_ratio(c, floor, per=False)
            cpu = paired_ratio(c, floor, per=False, cpu=True)
            ok = ratio <= FLOOR_RATIO_MAX and c.counts[-1] == args.images
            targets.append((f"{c.label} <= {FLOOR_RATIO_MAX}x floor", f"{ratio:.2f}x (cpu {cpu:.2f}x)", verdict(ok)))
        else:
            targets.append((f"{c.label} <= {FLOOR_RATIO_MAX}x floor", c.error or "no data", "FAIL"))
    driver = by_key["list_images"]
    builtin = by_key["libcloud"]
    if driver.times and builtin.times:
        ratio = paired_ratio(driver, builtin, per=True)
        cpu = paired_ratio(driver, builtin, per=True, cpu=True)
        targets.append(("per image <= libcloud OpenStack_1_1", f"{ratio:.2f}x (cpu {cpu:.2f}x)", verdict(ratio <= 1.0)))
    else:
        targets.append(("per image <= libcloud OpenStack_1_1", builtin.error or "no data", "FAIL"))
    sdk = by_key["sdk"]
    if sdk.unavailable:
        targets.append((f"per image >= {SDK_RATIO_MIN:g}x faster than openstacksdk", sdk.unavailable, "SKIP"))
    elif sdk.times and driver.times:
        ratio = paired_ratio(sdk, driver, per=True)
        cpu = paired_ratio(sdk, driver, per=True, cpu=True)
        targets.append(
            (
                f"per image >= {SDK_RATIO_MIN:g}x faster than openstacksdk",
                f"{ratio:.1f}x (cpu {cpu:.1f}x)",
                verdict(ratio >= SDK_RATIO_MIN),
            )
        )
    else:
        targets.append((f"per image >= {SDK_RATIO_MIN:g}x faster than openstacksdk", sdk.error or "no data", "FAIL"))

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
    print(f"N = {args.images} detailed images, pages of {MAX_LIMIT}, {args.rounds} rounds (medians)")
    print()
    print(table(rows, numeric=(1, 2, 3, 4, 5, 6, 7)))
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

    if args.json:
        payload = {
            "machine": info,
            "images": args.images,
            "rounds": args.rounds,
            "contenders": {
                c.key: {
                    "label": c.label,
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
