"""The measured client: one interpreter per JSON parser, listing when run.py asks.

run.py starts the benchmark server and two workers, each a process of its own:

- the *json* worker, where ``import orjson`` fails (``sys.modules["orjson"] = None``
  before anything else is imported), so the driver reads its answers with the
  standard library's json. It runs the floor on ``json.loads`` and the peers, which
  read JSON with the standard library too;
- the *orjson* worker, where the driver finds orjson. It runs the floor on ``orjson.loads``.

Each listing is timed in the process that makes it, so ``time.process_time`` is the
client's CPU time alone: the server's work is done in another process. A worker reads
one command a line on stdin (``{"key": ...}``) and answers one JSON line on stdout.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server import TENANT, USER

API_KEY = "bench-api-key"
PASSWORD = "bench-password"

#: ``python -c BOOTSTRAP PARSER URL BENCHMARKS_DIR``: orjson is made unimportable
#: before anything else is imported when PARSER is "json". The benchmarks directory
#: takes the place of the working directory at the head of sys.path, as for run.py, so
#: that the workers import the same rackimg_driver as run.py does.
BOOTSTRAP = """
import sys
if sys.argv[1] == "json":
    sys.modules["orjson"] = None  # the driver falls back to the standard library's json
sys.path[0] = sys.argv[3]
import worker
sys.exit(worker.main(sys.argv[1], sys.argv[2]))
"""


@dataclass(frozen=True)
class Spec:
    """What run.py knows of a contender before any worker starts."""

    key: str
    label: str
    parser: str  # the worker that runs it: "json" or "orjson"
    floor: str  # the key of the floor it is compared with: the floor on its own parser
    per_page_only: bool = False  # reads one page: compared per image
    slow: bool = False  # listed apart, so that it never stands between a listing and its floor


#: Every contender, in the order of the tables.
SPECS = (
    Spec("floor_json", "(a) floor: requests + json.loads", "json", "floor_json"),
    Spec("floor_wrap", "(a2) floor + bare NodeImage", "json", "floor_json"),
    Spec("floor_keys_json", "(a3) floor + NodeImage, every extra key untyped", "json", "floor_json"),
    Spec("list_images_json", "(b) rackimg list_images", "json", "floor_json"),
    Spec("iterate_json", "(b) rackimg ex_iterate_images", "json", "floor_json"),
    Spec("read_extra_json", "(b2) list_images, every extra read", "json", "floor_json"),
    Spec("libcloud", "(c) libcloud OpenStack_1_1 (1 page)", "json", "floor_json", per_page_only=True),
    Spec("sdk", "(d) openstacksdk compute.images", "json", "floor_json", slow=True),
    Spec("floor_orjson", "(a) floor: requests + orjson.loads", "orjson", "floor_orjson"),
    Spec("floor_keys_orjson", "(a3) floor + NodeImage, every extra key untyped", "orjson", "floor_orjson"),
    Spec("list_images_orjson", "(b) rackimg list_images", "orjson", "floor_orjson"),
    Spec("iterate_orjson", "(b) rackimg ex_iterate_images", "orjson", "floor_orjson"),
    Spec("read_extra_orjson", "(b2) list_images, every extra read", "orjson", "floor_orjson"),
)
SPEC = {spec.key: spec for spec in SPECS}


@dataclass
class Contender:
    """``construct`` builds a client for the server's URL, ``auth`` logs it in, ``listing`` counts images."""

    construct: Callable[[str], Any]
    auth: Callable[[Any], None]
    listing: Callable[[Any], int]


def untyped_extra(item: dict[str, Any]) -> dict[str, Any]:
    """Every key of ``NodeImage.extra`` (mapping.EXTRA_KEYS) by a plain look-up: the (a3) floor."""
    get = item.get
    extra = {
        "visibility": get("visibility"), "updated": get("updated"), "created": get("created"),
        "status": get("status"), "progress": get("progress"), "metadata": get("metadata"),
        "os_type": get("os_type"), "os_distro": get("os_distro"), "os_version": get("os_version"),
        "serverId": get("server"), "minDisk": get("minDisk"), "minRam": get("minRam"),
        "state": get("status"), "image_type": get("image_type"), "size": get("OS-EXT-IMG-SIZE:size"),
        "disk_config": get("OS-DCF:diskConfig"), "links": get("links"),
    }  # fmt: skip
    # Set apart, as the driver does (past 17 entries CPython builds the display in two parts).
    extra.update(_NOT_FROM_NOVA)
    return extra


#: The keys Nova's view never fills.
_NOT_FROM_NOVA = dict.fromkeys(
    ("glance_status", "owner", "protected", "tags", "checksum", "disk_format", "container_format", "member_status")
)


def floor_auth(session: Any, url: str, loads: Callable[[bytes], Any]) -> tuple[str, str]:
    body = {"auth": {"RAX-KSKEY:apiKeyCredentials": {"username": USER, "apiKey": API_KEY}}}
    answer = session.post(f"{url}/v2.0/tokens", json=body)
    answer.raise_for_status()
    access = loads(answer.content)["access"]
    compute = next(s for s in access["serviceCatalog"] if s["name"] == "cloudServersOpenStack")
    endpoint = next(e["publicURL"] for e in compute["endpoints"] if e["region"] == "DFW")
    return access["token"]["id"], endpoint


def floor_pages(session: Any, token: str, endpoint: str, loads: Callable[[bytes], Any]) -> Iterator[list[Any]]:
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


def new_driver(url: str) -> Any:
    """The driver, logging in to the benchmark server."""
    from rackimg_driver.driver import RackImgNodeDriver

    return RackImgNodeDriver(USER, API_KEY, region="dfw", ex_force_auth_url=url)


def make_contenders(parser: str, with_sdk: bool = True) -> tuple[dict[str, Contender], dict[str, str]]:
    """The contenders of ``parser``'s worker, and why any of them cannot run."""
    import requests
    from libcloud.compute.base import NodeImage

    if parser == "orjson":
        import orjson

        loads: Callable[[bytes], Any] = orjson.loads
    else:
        loads = json.loads

    def floor_construct(url: str) -> dict[str, Any]:
        return {"session": requests.Session(), "url": url}

    def floor_login(state: dict[str, Any]) -> None:
        state["token"], state["endpoint"] = floor_auth(state["session"], state["url"], loads)

    def floor_list(state: dict[str, Any]) -> int:
        return sum(len(images) for images in floor_pages(state["session"], state["token"], state["endpoint"], loads))

    def floor_wrap(state: dict[str, Any]) -> int:
        count = 0
        for images in floor_pages(state["session"], state["token"], state["endpoint"], loads):
            wrapped = [NodeImage(item["id"], item["name"], None, item) for item in images]  # type: ignore[arg-type]
            count += len(wrapped)
        return count

    def floor_keys(state: dict[str, Any]) -> int:
        # The least a listing that builds extra must do: every key filled by a plain look-up,
        # with no type test, no state or type mapping, no de-duplication.
        count = 0
        for images in floor_pages(state["session"], state["token"], state["endpoint"], loads):
            wrapped = [NodeImage(item["id"], item["name"], None, untyped_extra(item)) for item in images]  # type: ignore[arg-type]
            count += len(wrapped)
        return count

    def libcloud_login(driver: Any) -> None:
        # Authenticate and open the compute connection, as the first request would.
        driver.connection._populate_hosts_and_request_paths()

    contenders = {
        f"floor_{parser}": Contender(floor_construct, floor_login, floor_list),
        f"floor_keys_{parser}": Contender(floor_construct, floor_login, floor_keys),
        f"list_images_{parser}": Contender(new_driver, libcloud_login, lambda d: len(d.list_images())),
        f"iterate_{parser}": Contender(new_driver, libcloud_login, lambda d: sum(1 for _ in d.ex_iterate_images())),
        # extra is built when first read: what a caller that reads every image's pays in all.
        f"read_extra_{parser}": Contender(
            new_driver, libcloud_login, lambda d: len([i.extra for i in d.list_images()])
        ),
    }
    unavailable: dict[str, str] = {}
    if parser != "json":
        return contenders, unavailable
    contenders["floor_wrap"] = Contender(floor_construct, floor_login, floor_wrap)

    from libcloud.compute.drivers.openstack import OpenStack_1_1_NodeDriver

    def builtin_construct(url: str) -> Any:
        return OpenStack_1_1_NodeDriver(
            USER,
            API_KEY,
            ex_force_auth_url=url,
            ex_force_auth_version="2.0_apikey",
            ex_force_service_name="cloudServersOpenStack",
            ex_force_service_region="DFW",
        )

    contenders["libcloud"] = Contender(
        builtin_construct, libcloud_login, lambda driver: len(driver.list_images(ex_only_active=False))
    )
    try:
        if not with_sdk:
            raise ImportError("left out")
        import openstack
    except ImportError as error:
        unavailable["sdk"] = f"openstacksdk is not importable ({error}); pip install openstacksdk"
        return contenders, unavailable

    def sdk_construct(url: str) -> Any:
        return openstack.connect(
            auth_url=f"{url}/identity",
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

    contenders["sdk"] = Contender(
        sdk_construct, sdk_login, lambda conn: sum(1 for _ in conn.compute.images(details=True))
    )
    return contenders, unavailable


def driver_json_parser() -> str:
    """The JSON parser the driver reads answers with.

    ``rackimg_driver.json_parser()``; in versions before it, ``rackimg_driver.connection.JSON_PARSER``
    (so that the same benchmark measures the code before and after a change).
    """
    import rackimg_driver

    if hasattr(rackimg_driver, "json_parser"):
        return str(rackimg_driver.json_parser())
    import rackimg_driver.connection as connection

    return str(getattr(connection, "JSON_PARSER", "unknown"))


def driver_source() -> str:
    """Where rackimg_driver was imported from, and its commit when that is a git checkout."""
    import rackimg_driver

    source = Path(rackimg_driver.__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(source), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        changed = subprocess.run(
            ["git", "-C", str(source), "status", "--porcelain", "--", "rackimg_driver"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return str(source)
    return f"{source} at {commit}" + (" with uncommitted changes" if changed else "")


def measure(contender: Contender, url: str) -> dict[str, Any]:
    """Build, log in, then list: wall times of each, and this process's CPU time of the listing."""
    gc.collect()
    start = time.perf_counter()
    client = contender.construct(url)
    built = time.perf_counter()
    contender.auth(client)
    authed = time.perf_counter()
    gc.collect()
    cpu_start = time.process_time()
    wall_start = time.perf_counter()
    images = contender.listing(client)
    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    return {"construct": built - start, "auth": authed - built, "wall": wall, "cpu": cpu, "images": images}


def main(parser: str, url: str) -> int:
    """Say which parser the driver uses, then answer each command on stdin."""
    answers = sys.stdout
    sys.stdout = sys.stderr  # nothing a library prints can break the protocol
    try:
        contenders, unavailable = make_contenders(parser)
        in_use = driver_json_parser()
    except Exception as error:
        answers.write(json.dumps({"error": f"{type(error).__name__}: {error}"}) + "\n")
        return 1
    ready: dict[str, Any] = {"parser": in_use, "unavailable": unavailable, "driver": driver_source()}
    if not in_use.startswith(parser):
        ready["error"] = f"the driver reads JSON with {in_use}, not {parser}"
    answers.write(json.dumps(ready) + "\n")
    answers.flush()
    if "error" in ready:
        return 1
    for line in sys.stdin:
        key = json.loads(line)["key"]
        try:
            answer = measure(contenders[key], url)
        except Exception as error:
            answer = {"error": f"{type(error).__name__}: {error}"}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()
    return 0
